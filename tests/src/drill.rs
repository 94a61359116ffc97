//! The August 2021 weekend in miniature: pharmacies issuing at peak, the central issuer down
//! for a window, then back. Our outbox client (the real `healthpass_core::outbox`, one
//! in-memory SQLite outbox per pharmacy, real request signatures) beside a naive client (fixed
//! 1 s retries, no jitter, no budget, no idempotency key, gives up after 20 minutes as a
//! pharmacist falls back to paper), on one simulated clock, against one model of the service.
//!
//! The service model: capacity C issuances per second with a queue of 5 s of work (admission
//! control refuses the rest at once with 503 and `Retry-After: 1`), down during the outage (no answer), idempotency keys
//! replayed, and a small share of answers lost on the mobile network after the pass was
//! signed (the source of duplicates for a client without keys). The real service's behaviour
//! under load is measured in `bench/` (`issuer`); this drill measures the clients.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;

use healthpass_core::codec::cose::SoftwareSigner;
use healthpass_core::outbox::{
    DeviceCredentials, EntryState, HttpRequest, HttpResponse, Outbox, RetryPolicy, RetryProfile, Transport,
    TransportError,
};
use healthpass_core::protocol::{IssuanceRequest, TestKind, TestOutcome};
use healthpass_core::time::{UnixMillis, UnixTime};

/// The drill's shape.
#[derive(Debug, Clone)]
pub struct DrillConfig {
    /// Pharmacies, one device each.
    pub pharmacies: usize,
    /// What the service signs per second.
    pub capacity_per_second: f64,
    /// Seconds between two entries at one pharmacy (on average; arrivals are spread).
    pub entry_interval_seconds: f64,
    /// When the service goes down, seconds from the start.
    pub outage_start: i64,
    /// When it comes back.
    pub outage_end: i64,
    /// When pharmacies stop entering results (then the backlog drains).
    pub entries_until: i64,
    /// When the drill ends.
    pub horizon: i64,
    /// The share of signed answers lost on the way back.
    pub answer_loss: f64,
    /// The naive client gives up after this many seconds.
    pub naive_give_up_after: i64,
    /// Seed of every random choice.
    pub seed: u64,
}

impl DrillConfig {
    /// The bench's drill, at the ratios of August 2021: 300,000 tests a day in 12,000
    /// pharmacies is 2.5 entries per pharmacy per hour of a ten-hour day; the service's
    /// capacity C is twice that load. 1,000 pharmacies (one entry every 24 min each,
    /// 0.69/s), C = 1.4/s, the service down from minute 10 to minute 40, entries for two
    /// hours, four hours in all.
    pub fn weekend() -> Self {
        Self {
            pharmacies: 1_000,
            capacity_per_second: 1.4,
            entry_interval_seconds: 1_440.0,
            outage_start: 600,
            outage_end: 2_400,
            entries_until: 7_200,
            horizon: 14_400,
            answer_loss: 0.01,
            naive_give_up_after: 1_200,
            seed: 20_210_814,
        }
    }

    /// The test command's drill: the same ratios with 300 pharmacies (C = 0.42/s) and a
    /// 20-minute outage.
    pub fn small() -> Self {
        Self {
            pharmacies: 300,
            capacity_per_second: 0.42,
            entry_interval_seconds: 1_440.0,
            outage_start: 300,
            outage_end: 1_500,
            entries_until: 3_600,
            horizon: 10_800,
            answer_loss: 0.02,
            naive_give_up_after: 1_200,
            seed: 7,
        }
    }
}

/// What one client did in the drill.
#[derive(Debug, Clone, Default)]
pub struct DrillResult {
    /// Entries made.
    pub entries: usize,
    /// Entries that ended with a pass.
    pub issued: usize,
    /// Entries that never got one (given up, or still waiting at the end).
    pub lost: usize,
    /// Passes signed beyond the first for one entry.
    pub duplicates: usize,
    /// The highest load offered after the service came back (averaged over
    /// [`crate::fallback_drill::load_window_seconds`]), as a multiple of C.
    pub peak_recovery_load: f64,
    /// Seconds from the service's return until the last entry made before it was served.
    pub backlog_drained_after: Option<i64>,
    /// Entry to pass, seconds.
    pub p50_seconds: f64,
    /// Entry to pass, seconds.
    pub p99_seconds: f64,
    /// Requests offered to the service in each second.
    pub offered_per_second: Vec<u32>,
    /// Requests it signed (first time) in each second.
    pub issued_per_second: Vec<u32>,
}

impl DrillResult {
    /// One line of figures (the per-second series left out).
    pub fn summary(&self) -> String {
        format!(
            "{} entries, {} issued, {} lost, {} duplicates, peak on recovery {:.2}x C, backlog drained {} s after recovery, entry to pass p50 {:.0} s p99 {:.0} s",
            self.entries,
            self.issued,
            self.lost,
            self.duplicates,
            self.peak_recovery_load,
            self.backlog_drained_after.map_or_else(|| "never".to_owned(), |seconds| seconds.to_string()),
            self.p50_seconds,
            self.p99_seconds
        )
    }
}

/// A small deterministic generator (SplitMix64).
struct Random(u64);

impl Random {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// How much work above its rate the service absorbs at once (its queue), in seconds of capacity.
const BURST_SECONDS: f64 = 5.0;

const START: i64 = 1_628_935_200; // 2021-08-14T10:00:00Z, the Saturday

/// The service model, shared by both clients' runs (one at a time).
struct Service {
    config: DrillConfig,
    /// Capacity left: a token bucket of [`BURST_SECONDS`] of capacity (the admission queue).
    tokens: f64,
    refilled_at: i64,
    /// Idempotency key -> the answer's body.
    keys: HashMap<String, Vec<u8>>,
    /// Entry id -> passes signed for it.
    signed: HashMap<u64, u32>,
    random: Random,
    offered: Vec<u32>,
    issued: Vec<u32>,
    pass_text: String,
    now: i64,
}

enum Served {
    Down,
    Refused,
    Signed { first: bool, answer_lost: bool },
}

impl Service {
    fn new(config: &DrillConfig) -> Self {
        let seconds = usize::try_from(config.horizon).unwrap_or(0) + 1;
        Self {
            config: config.clone(),
            tokens: (config.capacity_per_second * BURST_SECONDS).max(1.0),
            refilled_at: 0,
            keys: HashMap::new(),
            signed: HashMap::new(),
            random: Random(config.seed ^ 0x5EED),
            offered: vec![0; seconds],
            issued: vec![0; seconds],
            pass_text: include_str!("../../cli/demo/pass.txt").trim().to_owned(),
            now: 0,
        }
    }

    /// One request at `self.now` (milliseconds since the drill's start) for entry `entry`.
    fn serve(&mut self, entry: u64, key: Option<&str>) -> Served {
        let second = self.now.div_euclid(1000);
        if let Some(slot) = usize::try_from(second).ok().and_then(|index| self.offered.get_mut(index)) {
            *slot += 1;
        }
        if second >= self.config.outage_start && second < self.config.outage_end {
            return Served::Down;
        }
        if let Some(key) = key
            && self.keys.contains_key(key)
        {
            // A replay costs a read, not a signature: it does not use capacity.
            return Served::Signed { first: false, answer_lost: self.random.next() < self.config.answer_loss };
        }
        let burst = (self.config.capacity_per_second * BURST_SECONDS).max(1.0);
        self.tokens =
            (self.tokens + (self.now - self.refilled_at) as f64 / 1000.0 * self.config.capacity_per_second).min(burst);
        self.refilled_at = self.now;
        if self.tokens < 1.0 {
            return Served::Refused;
        }
        self.tokens -= 1.0;
        let count = self.signed.entry(entry).or_insert(0);
        *count += 1;
        if let Some(slot) = usize::try_from(second).ok().and_then(|index| self.issued.get_mut(index)) {
            *slot += 1;
        }
        Served::Signed { first: *count == 1, answer_lost: self.random.next() < self.config.answer_loss }
    }

    fn answer_body(&self, entry: u64) -> Vec<u8> {
        serde_json::json!({
            "pass": self.pass_text, "uvci": format!("URN:UVCI:01:FR:DRILL{entry}"),
            "issued_at": UnixTime::from_seconds(START).to_rfc3339(), "expires_at": UnixTime::from_seconds(START + 259_200).to_rfc3339(),
        })
        .to_string()
        .into_bytes()
    }

    fn duplicates(&self) -> usize {
        self.signed.values().map(|&count| usize::try_from(count.saturating_sub(1)).unwrap_or(0)).sum()
    }
}

/// Our client's transport: the service model behind the outbox's HTTP requests.
struct ModelTransport<'a> {
    service: &'a RefCell<Service>,
}

impl Transport for ModelTransport<'_> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let key = request.headers.iter().find(|(name, _)| name == "idempotency-key").map(|(_, value)| value.clone());
        let entry = entry_id(&request.body);
        let mut service = self.service.borrow_mut();
        let served = service.serve(entry, key.as_deref());
        match served {
            Served::Down => Err(TransportError("connection refused".into())),
            Served::Refused => Ok(HttpResponse {
                status: 503,
                headers: vec![("Retry-After".into(), "1".into())],
                body: br#"{"error":"overloaded","message":"at capacity"}"#.to_vec(),
            }),
            Served::Signed { first, answer_lost } => {
                let key = key.unwrap_or_default();
                if first {
                    let body = service.answer_body(entry);
                    service.keys.insert(key.clone(), body);
                }
                if answer_lost {
                    return Err(TransportError("the answer was lost on the mobile network".into()));
                }
                Ok(HttpResponse {
                    status: 201,
                    headers: Vec::new(),
                    body: service.keys.get(&key).cloned().unwrap_or_default(),
                })
            }
        }
    }
}

/// The entry id the drill writes into the centre's name.
fn entry_id(body: &[u8]) -> u64 {
    IssuanceRequest::from_json(body)
        .ok()
        .and_then(|request| request.centre.rsplit(' ').next().and_then(|id| id.parse().ok()))
        .unwrap_or(u64::MAX)
}

/// When each pharmacy enters its results: a Poisson process per pharmacy, same for both runs.
fn arrivals(config: &DrillConfig) -> Vec<(i64, usize)> {
    let mut random = Random(config.seed);
    let mut arrivals = Vec::new();
    for pharmacy in 0..config.pharmacies {
        let mut at = 0.0;
        loop {
            at += -config.entry_interval_seconds * (1.0 - random.next()).ln();
            let millis = (at * 1000.0) as i64;
            if millis >= config.entries_until * 1000 {
                break;
            }
            arrivals.push((millis, pharmacy));
        }
    }
    arrivals.sort_unstable();
    arrivals
}

fn entry(pharmacy: usize, id: u64) -> IssuanceRequest {
    IssuanceRequest {
        family_name: "Martin".into(),
        given_name: "Amélie".into(),
        date_of_birth: "1987-04-12".into(),
        test_type: TestKind::RapidAntigen,
        device: Some("1232".into()),
        test_name: None,
        sampled_at: UnixTime::from_seconds(START - 1_800).to_rfc3339(),
        result: TestOutcome::Negative,
        centre: format!("Pharmacie {pharmacy} {id}"),
        country: "FR".into(),
        transfer_code: None,
    }
}

/// Runs our outbox client through the drill; outboxes live in `scratch` (in memory when `None`).
pub fn run_outbox_client(config: &DrillConfig, scratch: Option<&Path>) -> DrillResult {
    let service = RefCell::new(Service::new(config));
    let transport = ModelTransport { service: &service };
    let clock_ms = RefCell::new(0_i64);
    let clock = || UnixMillis::from_millis(START * 1000 + *clock_ms.borrow());
    let mut random = Random(config.seed ^ 0xC11E);
    let pharmacies: Vec<(Outbox, DeviceCredentials)> = (0..config.pharmacies)
        .map(|pharmacy| {
            let path = scratch
                .map_or_else(|| Path::new(":memory:").to_owned(), |dir| dir.join(format!("outbox-{pharmacy}.sqlite")));
            let seed = (random.next() * u64::MAX as f64) as u64;
            let outbox = Outbox::open_with(&path, RetryPolicy::default(), seed).expect("an outbox");
            let mut key_bytes = [0_u8; 32];
            key_bytes[..8].copy_from_slice(&(pharmacy as u64 + 1).to_be_bytes());
            key_bytes[31] = 1;
            let key = p256::ecdsa::SigningKey::from_slice(&key_bytes).expect("a scalar in range");
            let device = DeviceCredentials::new(Arc::new(SoftwareSigner::new(key))).expect("a P-256 device");
            (outbox, device)
        })
        .collect();
    let mut arrivals: VecDeque<(i64, usize)> = arrivals(config).into();
    let entries = arrivals.len();
    // (next time to drain, pharmacy), earliest first.
    let mut wakeups: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    let mut next_id = 0_u64;
    let horizon_ms = config.horizon * 1000;
    loop {
        let next_arrival = arrivals.front().map(|&(at, _)| at);
        let next_wakeup = wakeups.peek().map(|Reverse((at, _))| *at);
        let Some(now) = [next_arrival, next_wakeup].into_iter().flatten().min() else { break };
        if now > horizon_ms {
            break;
        }
        *clock_ms.borrow_mut() = now;
        service.borrow_mut().now = now;
        let pharmacy = if next_arrival == Some(now) {
            let Some((_, pharmacy)) = arrivals.pop_front() else { break };
            let (outbox, _) = &pharmacies[pharmacy];
            outbox
                .enqueue("http://issuer.drill", &entry(pharmacy, next_id), RetryProfile::Interactive, clock())
                .expect("enqueue");
            next_id += 1;
            pharmacy
        } else {
            let Some(Reverse((_, pharmacy))) = wakeups.pop() else { break };
            pharmacy
        };
        let (outbox, device) = &pharmacies[pharmacy];
        let report = outbox.drain(&transport, device, &clock).expect("drain");
        if let Some(next) = report.next_attempt_at {
            let at = next.millis() - START * 1000;
            // One wakeup per pharmacy and time is enough; duplicates only cost a no-op drain.
            wakeups.push(Reverse((at.max(now + 1), pharmacy)));
        }
    }
    let service = service.into_inner();
    let mut waits = Vec::new();
    let mut last_backlog_served: Option<i64> = None;
    let mut lost = 0;
    for (outbox, _) in &pharmacies {
        for entry in outbox.entries().expect("entries") {
            if entry.state != EntryState::Issued {
                lost += 1;
                continue;
            }
            let finished = entry.finished_at.map_or(0, |at| at.millis() - START * 1000);
            let enqueued = entry.enqueued_at.millis() - START * 1000;
            waits.push((finished - enqueued) as f64 / 1000.0);
            if enqueued < config.outage_end * 1000 {
                last_backlog_served = last_backlog_served.max(Some(finished));
            }
        }
    }
    finish(config, &service, entries, lost, waits, last_backlog_served)
}

/// Runs the naive client: in memory, a new request (no key) every second until a pass comes
/// back, given up after `naive_give_up_after`.
pub fn run_naive_client(config: &DrillConfig) -> DrillResult {
    let mut service = Service::new(config);
    let arrivals = arrivals(config);
    let entries = arrivals.len();
    // (next try, entry id, entered at)
    let mut waiting: BinaryHeap<Reverse<(i64, u64, i64)>> = BinaryHeap::new();
    let mut arrivals: VecDeque<(i64, usize)> = arrivals.into();
    let mut next_id = 0_u64;
    let (mut waits, mut lost) = (Vec::new(), 0);
    let mut last_backlog_served: Option<i64> = None;
    let horizon_ms = config.horizon * 1000;
    loop {
        let next_arrival = arrivals.front().map(|&(at, _)| at);
        let next_try = waiting.peek().map(|Reverse((at, _, _))| *at);
        let Some(now) = [next_arrival, next_try].into_iter().flatten().min() else { break };
        if now > horizon_ms {
            break;
        }
        service.now = now;
        let (id, entered) = if next_arrival == Some(now) {
            arrivals.pop_front();
            next_id += 1;
            (next_id - 1, now)
        } else {
            let Some(Reverse((_, id, entered))) = waiting.pop() else { break };
            (id, entered)
        };
        match service.serve(id, None) {
            Served::Signed { answer_lost: false, .. } => {
                waits.push((now - entered) as f64 / 1000.0);
                if entered < config.outage_end * 1000 {
                    last_backlog_served = last_backlog_served.max(Some(now));
                }
            }
            _ if now - entered >= config.naive_give_up_after * 1000 => lost += 1,
            _ => waiting.push(Reverse((now + 1_000, id, entered))),
        }
    }
    lost += waiting.len();
    finish(config, &service, entries, lost, waits, last_backlog_served)
}

fn finish(
    config: &DrillConfig,
    service: &Service,
    entries: usize,
    lost: usize,
    mut waits: Vec<f64>,
    last_backlog_served: Option<i64>,
) -> DrillResult {
    waits.sort_by(f64::total_cmp);
    let percentile = |share: f64| {
        if waits.is_empty() {
            return f64::NAN;
        }
        let index = ((waits.len() - 1) as f64 * share).round() as usize;
        waits[index.min(waits.len() - 1)]
    };
    let recovery = usize::try_from(config.outage_end).unwrap_or(0);
    let window = crate::fallback_drill::load_window_seconds(config.capacity_per_second);
    let windows: Vec<u32> =
        service.offered.get(recovery..).unwrap_or(&[]).chunks(window).map(|window| window.iter().sum()).collect();
    let peak = f64::from(windows.iter().copied().max().unwrap_or(0)) / window as f64;
    DrillResult {
        entries,
        issued: waits.len(),
        lost,
        duplicates: service.duplicates(),
        peak_recovery_load: peak / config.capacity_per_second,
        backlog_drained_after: last_backlog_served.map(|at| at / 1000 - config.outage_end),
        p50_seconds: percentile(0.5),
        p99_seconds: percentile(0.99),
        offered_per_second: service.offered.clone(),
        issued_per_second: service.issued.clone(),
    }
}
