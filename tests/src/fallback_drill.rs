//! The whole weekend with the signed paper fallback (issue 13): pharmacies keep testing while
//! the central issuer is down for two days. Each pharmacy runs the real outbox and the real
//! provisional issuer (an in-memory SQLite outbox, a device key, a delegation credential from
//! the fallback root); a pharmacist waits 20 s for the central pass, then hands over a
//! provisional pass, which a controller verifies offline (amber). When the issuer returns,
//! the outboxes upload the provisional passes and the issuer signs final passes under the
//! same UVCIs. One simulated clock; the issuer is a model (capacity C with a 5 s queue, 503
//! beyond, down during the outage, idempotency keys replayed, some answers lost on the way).

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use healthpass_core::codec::cose::{Signer, SoftwareSigner};
use healthpass_core::codec::{PassLimits, decode_pass_text};
use healthpass_core::dcc::{Dcc, Strictness, hcert};
use healthpass_core::fallback::{FallbackError, Reconciliation, issue_provisional};
use healthpass_core::issue::{IssuingPolicy, TestCertificateRequest};
use healthpass_core::outbox::{
    DeviceCredentials, EntryKind, EntryState, HttpRequest, HttpResponse, Outbox, RetryPolicy, RetryProfile, Transport,
    TransportError,
};
use healthpass_core::protocol::{IssuanceRequest, ReconciliationRequest};
use healthpass_core::time::{UnixMillis, UnixTime};
use healthpass_core::verify::{VerdictStatus, Verifier};

use crate::fallback_kit::{claims, controller, credential, device_key, root, root_key};

/// The drill's shape.
#[derive(Debug, Clone)]
pub struct WeekendConfig {
    /// Pharmacies.
    pub pharmacies: usize,
    /// Seconds between two tests at one pharmacy.
    pub entry_interval_seconds: f64,
    /// The issuer's capacity, signatures per second.
    pub capacity_per_second: f64,
    /// The outage, seconds from the start.
    pub outage_start: i64,
    /// Its end.
    pub outage_end: i64,
    /// When testing stops.
    pub entries_until: i64,
    /// When the drill ends.
    pub horizon: i64,
    /// Share of signed answers lost on the network.
    pub answer_loss: f64,
    /// How long the pharmacist waits for the central pass.
    pub patience_seconds: i64,
    /// Seed.
    pub seed: u64,
}

impl WeekendConfig {
    /// The bench's weekend: 1,000 pharmacies (an entry every 24 minutes each, 0.69/s), C four
    /// times that (2.8/s), the issuer down for 48 hours after the first hour, tests for 72
    /// hours, 96 hours in all.
    pub fn weekend() -> Self {
        Self {
            pharmacies: 1_000,
            entry_interval_seconds: 1_440.0,
            capacity_per_second: 2.8,
            outage_start: 3_600,
            outage_end: 3_600 + 48 * 3_600,
            entries_until: 72 * 3_600,
            horizon: 96 * 3_600,
            answer_loss: 0.01,
            patience_seconds: 20,
            seed: 20_210_814,
        }
    }

    /// The test command's weekend: 40 pharmacies, a 6-hour outage, 24 hours in all.
    pub fn small() -> Self {
        Self {
            pharmacies: 40,
            entry_interval_seconds: 1_440.0,
            capacity_per_second: 0.112,
            outage_start: 1_800,
            outage_end: 1_800 + 6 * 3_600,
            entries_until: 10 * 3_600,
            horizon: 24 * 3_600,
            answer_loss: 0.02,
            patience_seconds: 20,
            seed: 7,
        }
    }
}

/// What the weekend came to.
#[derive(Debug, Clone, Default)]
pub struct WeekendResult {
    /// Tests entered.
    pub entries: usize,
    /// Handed over with a central pass, verified offline (green).
    pub central: usize,
    /// Handed over with a provisional pass, verified offline (amber).
    pub provisional: usize,
    /// Entries that left without a pass that verifies.
    pub lost: usize,
    /// Provisional passes whose final pass arrived with the same UVCI.
    pub reconciled: usize,
    /// Provisional passes whose final pass is the central pass signed for the same test before
    /// the outage took its answer away (`replaces`): one pass per test, another UVCI.
    pub reconciled_to_central: usize,
    /// Passes signed beyond one per test (central and final together).
    pub duplicates: usize,
    /// The highest load offered after the issuer returned (60 s mean), as a multiple of C.
    pub peak_recovery_load: f64,
    /// Hours from the issuer's return to the last reconciliation.
    pub reconciled_within_hours: Option<f64>,
    /// Per hour: central passes signed, provisional passes signed, final passes of
    /// provisional ones signed.
    pub hourly: Vec<(u32, u32, u32)>,
    /// Requests offered to the issuer per minute.
    pub offered_per_minute: Vec<u32>,
}

/// The issuer model.
struct Issuer {
    config: WeekendConfig,
    now_ms: i64,
    tokens: f64,
    refilled_ms: i64,
    random: u64,
    /// Idempotency key -> answer body.
    keys: HashMap<String, Vec<u8>>,
    /// Entry -> passes signed for it.
    signed: HashMap<u64, u32>,
    offered: Vec<u32>,
    hourly: Vec<(u32, u32, u32)>,
    last_reconciled_ms: i64,
    /// The stand-in for a central pass, signed at the start of each hour (a pass expires: one
    /// signed at the start would turn the last tests of the drill red).
    central_texts: HashMap<i64, String>,
    start: UnixTime,
}

impl Issuer {
    fn random(&mut self) -> f64 {
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        (self.random >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn central_text(&mut self) -> String {
        let hour = self.now_ms / 3_600_000;
        let start = self.start;
        self.central_texts
            .entry(hour)
            .or_insert_with(|| {
                let at = start.saturating_add(hour * 3_600);
                crate::vectors::demo_issuer()
                    .issue_test(&crate::vectors::demo_test_request(at.saturating_sub(600)), at)
                    .map(|pass| pass.text)
                    .unwrap_or_default()
            })
            .clone()
    }

    fn hour(&mut self) -> &mut (u32, u32, u32) {
        let hour = usize::try_from(self.now_ms / 3_600_000).unwrap_or(0);
        if self.hourly.len() <= hour {
            self.hourly.resize(hour + 1, (0, 0, 0));
        }
        &mut self.hourly[hour]
    }

    fn handle(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let second = usize::try_from(self.now_ms / 1_000).unwrap_or(0);
        if let Some(slot) = self.offered.get_mut(second) {
            *slot += 1;
        }
        let down = (self.config.outage_start * 1_000..self.config.outage_end * 1_000).contains(&self.now_ms);
        if down {
            return Err(TransportError("connection refused".into()));
        }
        let key = request
            .headers
            .iter()
            .find(|(name, _)| name == "idempotency-key")
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        let lost = self.random() < self.config.answer_loss;
        if let Some(body) = self.keys.get(&key) {
            let body = body.clone();
            return if lost {
                Err(TransportError("answer lost".into()))
            } else {
                Ok(HttpResponse { status: 201, headers: Vec::new(), body })
            };
        }
        let burst = (self.config.capacity_per_second * 5.0).max(1.0);
        self.tokens = (self.tokens
            + (self.now_ms - self.refilled_ms) as f64 / 1_000.0 * self.config.capacity_per_second)
            .min(burst);
        self.refilled_ms = self.now_ms;
        if self.tokens < 1.0 {
            return Ok(HttpResponse {
                status: 503,
                headers: vec![("Retry-After".into(), "1".into())],
                body: br#"{"error":"overloaded","message":"at capacity"}"#.to_vec(),
            });
        }
        self.tokens -= 1.0;
        let (entry, uvci, pass, reconciliation) = if request.url.ends_with("/v1/reconciliations") {
            let upload: ReconciliationRequest =
                serde_json::from_slice(&request.body).map_err(|error| TransportError(error.to_string()))?;
            // As the service does: the request the provisional pass stands for, signed after
            // all, is the test's pass (one pass per test); no signature is spent on it.
            if let Some(body) = upload.replaces.as_ref().and_then(|original| self.keys.get(original)) {
                let body = body.clone();
                self.tokens += 1.0;
                return Ok(HttpResponse { status: 201, headers: Vec::new(), body });
            }
            let decoded = decode_pass_text(&upload.provisional_pass, &PassLimits::default())
                .map_err(|error| TransportError(error.to_string()))?;
            let dcc = Dcc::read(
                hcert::dcc_value(&decoded.claims).map_err(|error| TransportError(error.to_string()))?,
                Strictness::Tolerant,
            )
            .map_err(|error| TransportError(error.to_string()))?
            .dcc;
            let entry = entry_of(dcc.name.given_name.as_deref().unwrap_or(""));
            // The final pass: the model returns the provisional text as its stand-in (the
            // real issuer's signing is measured in `bench/` issuer and tested in service/).
            (entry, dcc.certificate_id().to_owned(), upload.provisional_pass, true)
        } else {
            let entry = IssuanceRequest::from_json(&request.body)
                .map(|request| entry_of(&request.given_name))
                .unwrap_or(u64::MAX);
            (entry, format!("URN:UVCI:01:FR:CENTRAL/{entry}"), self.central_text(), false)
        };
        *self.signed.entry(entry).or_default() += 1;
        if reconciliation {
            self.hour().2 += 1;
            self.last_reconciled_ms = self.now_ms;
        } else {
            self.hour().0 += 1;
        }
        let body = serde_json::json!({"pass": pass, "uvci": uvci, "issued_at": "2027-02-01T09:00:00Z", "expires_at": "2027-02-04T09:00:00Z"})
            .to_string()
            .into_bytes();
        self.keys.insert(key, body.clone());
        if lost {
            Err(TransportError("answer lost".into()))
        } else {
            Ok(HttpResponse { status: 201, headers: Vec::new(), body })
        }
    }
}

/// Entry numbers travel in the given name, as letters (names hold no digits).
fn name_of(entry: u64) -> String {
    let mut name = String::from("Zoe");
    let mut rest = entry;
    loop {
        name.push(char::from(b'a' + u8::try_from(rest % 26).unwrap_or(0)));
        rest /= 26;
        if rest == 0 {
            return name;
        }
    }
}

fn entry_of(name: &str) -> u64 {
    name.strip_prefix("Zoe")
        .unwrap_or("")
        .bytes()
        .rev()
        .fold(0, |total, letter| total * 26 + u64::from(letter.saturating_sub(b'a')))
}

struct Model<'a>(&'a RefCell<Issuer>);

impl Transport for Model<'_> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.0.borrow_mut().handle(request)
    }
}

enum Event {
    Arrival(usize),
    Wake(usize),
    Decide(usize, u64, String),
}

/// Pending events on the simulated clock, with at most one live wake-up per pharmacy (a
/// pharmacy's drain sends everything due; more wake-ups would only drain nothing).
struct Agenda {
    queue: BinaryHeap<Reverse<(i64, u64)>>,
    events: HashMap<u64, (i64, Event)>,
    next_id: u64,
    wakes: Vec<Option<i64>>,
}

impl Agenda {
    fn at(&mut self, at: i64, event: Event) {
        self.next_id += 1;
        self.events.insert(self.next_id, (at, event));
        self.queue.push(Reverse((at, self.next_id)));
    }

    fn wake(&mut self, pharmacy: usize, at: i64) {
        match self.wakes.get(pharmacy).copied().flatten() {
            Some(earlier) if earlier <= at => {}
            _ => {
                if let Some(slot) = self.wakes.get_mut(pharmacy) {
                    *slot = Some(at);
                }
                self.at(at, Event::Wake(pharmacy));
            }
        }
    }

    fn next_time(&self) -> Option<i64> {
        self.queue.peek().map(|Reverse((at, _))| *at)
    }

    /// The next event; a wake-up superseded by an earlier one is dropped.
    fn pop(&mut self) -> Option<Option<Event>> {
        let Reverse((_, id)) = self.queue.pop()?;
        let (at, event) = self.events.remove(&id)?;
        if let Event::Wake(pharmacy) = event {
            if self.wakes.get(pharmacy).copied().flatten() != Some(at) {
                return Some(None);
            }
            if let Some(slot) = self.wakes.get_mut(pharmacy) {
                *slot = None;
            }
        }
        Some(Some(event))
    }
}

/// The window offered load is averaged over: 60 s, or long enough to hold 100 requests at
/// capacity, so arrival noise (about ±10% at 100) does not pass for a retry storm.
pub fn load_window_seconds(capacity_per_second: f64) -> usize {
    (100.0 / capacity_per_second).ceil().max(60.0) as usize
}

/// Runs the weekend.
pub fn run_weekend(config: &WeekendConfig) -> WeekendResult {
    let start = crate::fallback_kit::now();
    let start_ms = UnixMillis::from(start).millis();

    let issuer = RefCell::new(Issuer {
        config: config.clone(),
        now_ms: 0,
        tokens: config.capacity_per_second * 5.0,
        refilled_ms: 0,
        random: config.seed | 1,
        keys: HashMap::new(),
        signed: HashMap::new(),
        offered: vec![0; usize::try_from(config.horizon).unwrap_or(0) + 1],
        hourly: Vec::new(),
        last_reconciled_ms: 0,
        central_texts: HashMap::new(),
        start,
    });
    let transport = Model(&issuer);
    let clock_ms = RefCell::new(0_i64);
    let clock = || UnixMillis::from_millis(start_ms + *clock_ms.borrow());
    let policy = RetryPolicy { interactive_window_ms: config.patience_seconds * 1_000, ..RetryPolicy::default() };
    let roots = [root()];
    let pharmacies: Vec<(Outbox, DeviceCredentials, Arc<dyn Signer>)> = (0..config.pharmacies)
        .map(|pharmacy| {
            let outbox = Outbox::open_with(std::path::Path::new(":memory:"), policy, config.seed ^ pharmacy as u64)
                .expect("an outbox");
            let key = device_key(u8::try_from(pharmacy % 60).unwrap_or(0));
            // Distinct keys beyond 60 pharmacies: the scalar's low bytes carry the number.
            let mut bytes: [u8; 32] = key.to_bytes().into();
            bytes[28..].copy_from_slice(&u32::try_from(pharmacy).unwrap_or(0).to_be_bytes());
            let key = p256::ecdsa::SigningKey::from_slice(&bytes).expect("a scalar");
            let mut delegation = claims(&key);
            delegation.not_before = start.saturating_sub(86_400);
            delegation.expires_at = start.saturating_add(13 * 86_400);
            delegation.scope.max_sequence = 1_000_000;
            outbox.store_credential(&credential(&delegation, &root_key())).expect("store");
            let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::new(key));
            let device = DeviceCredentials::new(signer.clone()).expect("a device");
            (outbox, device, signer)
        })
        .collect();
    let gate: Verifier = controller(Vec::new());
    let mut random = config.seed ^ 0xA11;
    let mut next_random = move || {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        (random >> 11) as f64 / (1_u64 << 53) as f64
    };
    let mut arrivals: Vec<(i64, usize)> = Vec::new();
    for pharmacy in 0..config.pharmacies {
        let mut at = 0.0;
        loop {
            at += -config.entry_interval_seconds * (1.0 - next_random()).ln();
            let ms = (at * 1_000.0) as i64;
            if ms >= config.entries_until * 1_000 {
                break;
            }
            arrivals.push((ms, pharmacy));
        }
    }
    arrivals.sort_unstable();
    let mut arrivals: VecDeque<(i64, usize)> = arrivals.into();
    let mut agenda =
        Agenda { queue: BinaryHeap::new(), events: HashMap::new(), next_id: 0, wakes: vec![None; config.pharmacies] };
    let mut result = WeekendResult::default();
    let mut provisional_uvcis: Vec<(usize, String)> = Vec::new();
    let mut next_entry = 0_u64;
    loop {
        let next_arrival = arrivals.front().map(|&(at, _)| at);
        let next_event = agenda.next_time();
        let Some(now) = [next_arrival, next_event].into_iter().flatten().min() else { break };
        if now > config.horizon * 1_000 {
            break;
        }
        *clock_ms.borrow_mut() = now;
        issuer.borrow_mut().now_ms = now;
        let event = if next_arrival == Some(now) {
            let Some((_, pharmacy)) = arrivals.pop_front() else { break };
            Event::Arrival(pharmacy)
        } else {
            let Some(event) = agenda.pop() else { break };
            let Some(event) = event else { continue };
            event
        };
        match event {
            Event::Arrival(pharmacy) => {
                let (outbox, device, _) = &pharmacies[pharmacy];
                let entry = next_entry;
                next_entry += 1;
                result.entries += 1;
                let request = TestCertificateRequest {
                    given_name: name_of(entry),
                    ..crate::vectors::demo_test_request(start.saturating_add(now / 1_000 - 600))
                };
                let ticket = outbox
                    .enqueue(
                        "http://issuer.drill",
                        &IssuanceRequest::from_test_request(&request, None),
                        RetryProfile::Interactive,
                        clock(),
                    )
                    .expect("enqueue");
                let report = outbox.drain(&transport, device, &clock).expect("drain");
                if let Some(next) = report.next_attempt_at {
                    agenda.wake(pharmacy, (next.millis() - start_ms).max(now + 1));
                }
                agenda.at(now + config.patience_seconds * 1_000, Event::Decide(pharmacy, entry, ticket));
            }
            Event::Wake(pharmacy) => {
                let (outbox, device, _) = &pharmacies[pharmacy];
                let report = outbox.drain(&transport, device, &clock).expect("drain");
                if let Some(next) = report.next_attempt_at {
                    agenda.wake(pharmacy, (next.millis() - start_ms).max(now + 1));
                }
            }
            Event::Decide(pharmacy, entry, ticket) => {
                let (outbox, _, signer) = &pharmacies[pharmacy];
                let at = UnixTime::from_seconds(start.seconds() + now / 1_000);
                let central = outbox.pass(&ticket).expect("pass");
                let handed = match central {
                    Some(pass) => gate
                        .verify_text(&pass.pass, at)
                        .is_ok_and(|verdict| verdict.status == VerdictStatus::Valid)
                        .then_some(false),
                    None => {
                        let request = TestCertificateRequest {
                            given_name: name_of(entry),
                            ..crate::vectors::demo_test_request(at.saturating_sub(600))
                        };
                        let reconciliation = Reconciliation {
                            endpoint: "http://issuer.drill",
                            replacing: Some(&ticket),
                            transfer_code: None,
                        };
                        match issue_provisional(
                            outbox,
                            signer.clone(),
                            &roots,
                            IssuingPolicy::default(),
                            &request,
                            reconciliation,
                            at,
                        ) {
                            Ok(provisional) => {
                                issuer.borrow_mut().hour().1 += 1;
                                provisional_uvcis.push((pharmacy, provisional.pass.certificate_id.clone()));
                                gate.verify_text(&provisional.pass.text, at)
                                    .is_ok_and(|verdict| verdict.status == VerdictStatus::Provisional)
                                    .then_some(true)
                            }
                            Err(FallbackError::AnsweredMeanwhile) => outbox
                                .pass(&ticket)
                                .ok()
                                .flatten()
                                .filter(|pass| gate.verify_text(&pass.pass, at).is_ok_and(|verdict| verdict.is_valid()))
                                .map(|_| false),
                            Err(_) => None,
                        }
                    }
                };
                match handed {
                    Some(false) => result.central += 1,
                    Some(true) => {
                        result.provisional += 1;
                        let report =
                            pharmacies[pharmacy].0.drain(&transport, &pharmacies[pharmacy].1, &clock).expect("drain");
                        if let Some(next) = report.next_attempt_at {
                            agenda.wake(pharmacy, (next.millis() - start_ms).max(now + 1));
                        }
                    }
                    None => result.lost += 1,
                }
            }
        }
    }
    for (pharmacy, uvci) in &provisional_uvcis {
        let outbox = &pharmacies[*pharmacy].0;
        let ticket = healthpass_core::protocol::reconciliation_key(uvci);
        match outbox.entry(ticket.as_str()).expect("entry") {
            Some(entry) if entry.kind == EntryKind::Reconciliation && entry.state == EntryState::Issued => {
                if entry.uvci.as_deref() == Some(uvci.as_str()) {
                    result.reconciled += 1;
                } else {
                    result.reconciled_to_central += 1;
                }
            }
            _ => {}
        }
    }
    let issuer = issuer.into_inner();
    result.duplicates =
        issuer.signed.values().map(|&count| usize::try_from(count.saturating_sub(1)).unwrap_or(0)).sum();
    let recovery = usize::try_from(config.outage_end).unwrap_or(0);
    let window = load_window_seconds(config.capacity_per_second);
    let peak = issuer
        .offered
        .get(recovery..)
        .unwrap_or(&[])
        .chunks(window)
        .map(|window| window.iter().sum::<u32>())
        .max()
        .unwrap_or(0);
    result.peak_recovery_load = f64::from(peak) / window as f64 / config.capacity_per_second;
    result.reconciled_within_hours = (issuer.last_reconciled_ms > config.outage_end * 1_000)
        .then(|| (issuer.last_reconciled_ms - config.outage_end * 1_000) as f64 / 3_600_000.0);
    result.hourly = issuer.hourly;
    result.offered_per_minute = issuer.offered.chunks(60).map(|minute| minute.iter().sum()).collect();
    result
}

impl WeekendResult {
    /// One line of figures.
    pub fn summary(&self) -> String {
        format!(
            "{} tests: {} central (green), {} provisional (amber), {} lost; {} of {} provisional reconciled with the same UVCI \
             and {} to the central pass signed before the outage took its answer, {}; {} duplicates; peak on recovery {:.2}x C",
            self.entries,
            self.central,
            self.provisional,
            self.lost,
            self.reconciled,
            self.provisional,
            self.reconciled_to_central,
            self.reconciled_within_hours.map_or_else(
                || "(none after the return)".to_owned(),
                |hours| format!("within {hours:.1} h of the return")
            ),
            self.duplicates,
            self.peak_recovery_load
        )
    }
}
