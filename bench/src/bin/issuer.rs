//! The central issuer under load, on loopback, in one run: what it sustains with durable
//! idempotency on SQLite and on PostgreSQL, its latency at half and full capacity, its goodput
//! when offered 3x and 10x what it can do, the naive configuration (no admission control) at
//! 10x for comparison, and the bare signing rate of this machine as the ceiling.
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin issuer [-- --quick] [--peak-only | --overload-only]
//!
//! The load generator runs in this process on one thread (raw HTTP/1.1 keep-alive connections
//! on tokio). For the peak day and PostgreSQL it shares the machine's cores with the service:
//! those figures are what the service did while a client used part of the same CPU. At 10x
//! overload the generator itself needs about one core (it sends ten times the service's rate),
//! which on a 2-core machine takes half the CPU the capacity was measured with; so the load
//! table runs the service on one core and the generator on the other (thread affinity, as a
//! load test puts its generator on another machine), capacity measured that same way in the
//! same run, and one 10x row with shared cores is printed for comparison. Requests are signed
//! before each phase (as 12,000 pharmacy devices, each with its own key), so the generator
//! does not sign while measuring. PostgreSQL is the Debian cluster
//! `scripts/start-test-postgres` starts.
//!
//! Open-loop phases schedule request i at start + i/rate and measure latency from that
//! scheduled time (no coordinated omission); a request not answered within the client's
//! timeout counts as lost, as a pharmacy app would give up on it.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use healthpass_core::issue::{Issuer, IssuingPolicy, Signer};
use healthpass_core::outbox::{RetryPolicy, RetryProfile};
use healthpass_core::protocol::{
    DeviceId, DeviceStatus, ISSUANCE_PATH, IssuanceRequest, SignedRequestParts, TestKind, TestOutcome, content_digest,
    sign_request,
};
use healthpass_core::time::{UnixMillis, UnixTime};
use healthpass_service::signing::RingSigner;
use healthpass_service::storage::{DeviceRecord, Store};
use healthpass_service::{AdmissionConfig, Database, RunningService, ServiceConfig};
use p256::pkcs8::EncodePrivateKey;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The pharmacies of France's peak day: one device each.
const PHARMACIES: usize = 12_000;
/// The peak day: 300,000 tests.
const PEAK_DAY: usize = 300_000;
/// The outboxes of the rows where clients honour `Retry-After`, one connection each.
const OUTBOXES: usize = 4_000;
/// Whether the generator polls its sockets without sleeping (see `drive`).
const SPIN_WHILE_WAITING: bool = true;
/// How long a pharmacy app waits for an answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

struct Sizes {
    peak_day: usize,
    postgres: usize,
    /// The closed-loop capacity run with the service and the generator on separate cores.
    isolated: usize,
    phase: Duration,
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let sizes = if quick {
        Sizes { peak_day: 30_000, postgres: 10_000, isolated: 10_000, phase: Duration::from_secs(3) }
    } else {
        Sizes { peak_day: PEAK_DAY, postgres: 60_000, isolated: 30_000, phase: Duration::from_secs(8) }
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    println!("central issuer benchmark: loopback, {cores} cores shared by the service and its load generator");
    println!(
        "fleet: {PHARMACIES} pharmacy devices, each with its own P-256 key; client timeout {} s",
        CLIENT_TIMEOUT.as_secs()
    );

    let ceiling = bare_signing_rate(cores, Duration::from_secs(3));
    println!("\nceiling: bare sign + encode (ring, {cores} threads, no HTTP, no storage): {ceiling:.0} passes/s");

    let fleet = Fleet::new(PHARMACIES);
    let scratch = healthpass_tests::scratch::ScratchDir::new("bench-issuer");

    let overload_only = std::env::args().any(|arg| arg == "--overload-only");
    if !overload_only && !shared_core_figures(&fleet, &scratch, &sizes, ceiling) {
        return;
    }
    isolated_load_table(&fleet, &scratch, &sizes, cores);
}

/// The peak day on SQLite, PostgreSQL and one 10x phase, the generator sharing the service's
/// cores. False when `--peak-only` asks to stop after the peak day.
fn shared_core_figures(fleet: &Fleet, scratch: &Path, sizes: &Sizes, ceiling: f64) -> bool {
    // SQLite: the peak day, closed loop.
    let sqlite = start(Database::Sqlite(scratch.join("issuer.sqlite")), true);
    fleet.enrol(sqlite.store.as_ref());
    let peak = run_phase(&sqlite, fleet, "peak", sizes.peak_day, Load::Closed { connections: 256 });
    let capacity = peak.goodput();
    println!("\nSQLite, the peak day ({} issuances, 256 connections, durable idempotency)", sizes.peak_day);
    println!(
        "  {:.0} issuances/s = {:.0}% of the ceiling; {} in {:.1} s",
        capacity,
        100.0 * capacity / ceiling,
        sizes.peak_day,
        peak.elapsed.as_secs_f64()
    );
    println!("  latency p50 {:.1} ms, p99 {:.1} ms", peak.percentile(0.50), peak.percentile(0.99));
    peak.assert_clean("the peak day");
    if std::env::args().any(|arg| arg == "--peak-only") {
        // For profiling the service alone under its steady load.
        return false;
    }

    // PostgreSQL: the same closed loop on a fresh database.
    match postgres_database() {
        Ok(url) => {
            let postgres = start(Database::Postgres(url), true);
            fleet.enrol(postgres.store.as_ref());
            let result = run_phase(&postgres, fleet, "postgres", sizes.postgres, Load::Closed { connections: 256 });
            let rate = result.goodput();
            println!("\nPostgreSQL ({} issuances, 256 connections, synchronous_commit on)", sizes.postgres);
            println!(
                "  {rate:.0} issuances/s = {:.0}% of the ceiling; the peak day would take {:.0} s",
                100.0 * rate / ceiling,
                PEAK_DAY as f64 / rate
            );
            println!("  latency p50 {:.1} ms, p99 {:.1} ms", result.percentile(0.50), result.percentile(0.99));
            result.assert_clean("PostgreSQL");
        }
        Err(error) => println!("\nPostgreSQL: not measured ({error})"),
    }

    // 10x with the generator on the same cores: what a one-machine test can show, for comparison.
    let rate = capacity * 10.0;
    let count = (rate * sizes.phase.as_secs_f64()) as usize;
    let shared = run_phase(&sqlite, fleet, "shared-10x", count, Load::Open { rate, connections: 4_000 });
    sqlite.stop();
    println!(
        "\n10x overload with the generator on the service's cores: {:.0} of {rate:.0} offered/s delivered, {:.0}% of \
         capacity; the generator's own ~1 core is what is missing (hence the table below)",
        shared.goodput(),
        100.0 * shared.goodput() / capacity
    );
    true
}

/// The load table: the service on one core, the generator on another, capacity measured the
/// same way first.
fn isolated_load_table(fleet: &Fleet, scratch: &Path, sizes: &Sizes, cores: usize) {
    let isolated = cores >= 2;
    let (service_core, generator_core) = (0, 1);
    let on = |core: usize| isolated && core_affinity::set_for_current(core_affinity::CoreId { id: core });
    // Each service is started from a thread pinned to the service's core, so its runtime, its
    // blocking pool and its committer inherit that core; the generator then runs pinned to the
    // other one. The capacity the rows compare against is measured the same way.
    let start_isolated = |database: Database, admission: bool| {
        let pinned = on(service_core);
        let service = start(database, admission);
        on(generator_core);
        (service, pinned)
    };
    let (sqlite, pinned) = start_isolated(Database::Sqlite(scratch.join("isolated.sqlite")), true);
    fleet.enrol(sqlite.store.as_ref());
    // This machine's pace drifts by 10–20% from minute to minute (a shared VM): each row is
    // compared with the capacity measured on the same service just before it, not with one
    // measured minutes earlier.
    // Also the service's CPU time per issuance then, to tell what a row's refusals cost.
    let capacity_now = |phase: &str| {
        let closed = run_phase(&sqlite, fleet, phase, sizes.isolated, Load::Closed { connections: 256 });
        closed.assert_clean("the isolated capacity");
        (closed.goodput(), closed.service_cpu / u32::try_from(closed.accepted.max(1)).unwrap_or(u32::MAX))
    };
    let (capacity, issuance_cpu) = capacity_now("isolated-capacity");
    let mut rows = Vec::new();
    // `--only TEXT` runs only the rows whose label contains TEXT (for profiling one of them).
    let only = std::env::args().skip_while(|arg| arg != "--only").nth(1);
    let wanted = |label: &str| only.as_deref().is_none_or(|text| label.contains(text));
    for (label, factor) in
        [("50% of capacity", 0.5), ("100% of capacity", 1.0), ("3x overload", 3.0), ("10x overload", 10.0)]
    {
        if !wanted(label) {
            continue;
        }
        let (capacity, issuance_cpu) =
            if rows.is_empty() { (capacity, issuance_cpu) } else { capacity_now(&format!("capacity before {label}")) };
        let rate = capacity * factor;
        let count = (rate * sizes.phase.as_secs_f64()) as usize;
        let result = run_phase(&sqlite, fleet, label, count, Load::Open { rate, connections: 4_000 });
        rows.push(Row { label: label.to_owned(), capacity, issuance_cpu, rate, result });
    }
    let mut left_waiting = Vec::new();
    for (label, factor) in [("3x, outboxes honouring Retry-After", 3.0), ("10x, outboxes honouring Retry-After", 10.0)]
    {
        if !wanted(label) {
            continue;
        }
        let (capacity, issuance_cpu) =
            if rows.is_empty() { (capacity, issuance_cpu) } else { capacity_now(&format!("capacity before {label}")) };
        let rate = capacity * factor;
        let count = (rate * sizes.phase.as_secs_f64()) as usize;
        let (result, waiting) = run_outboxes(&sqlite, fleet, label, count, rate);
        left_waiting.push((label, waiting));
        rows.push(Row { label: label.to_owned(), capacity, issuance_cpu, rate, result });
    }
    sqlite.stop();

    // What one refusal costs the service: a service whose every request is refused (no worker,
    // no queue), driven as hard as the generator can. With an issuance costing 1/capacity of the
    // core, clients that ignore Retry-After at 10x (nine refusals per issuance) leave at most
    // 1 / (1 + 9 · capacity / refusal rate) of the capacity for issuances.
    let refuse_all = AdmissionConfig { workers: 0, max_queue: 0, queue_timeout: Duration::from_secs(1) };
    let pinned_refuser = on(service_core);
    let refuser = start_with(Database::Sqlite(scratch.join("refuser.sqlite")), Some(refuse_all));
    on(generator_core);
    fleet.enrol(refuser.store.as_ref());
    let refusals = if only.is_some() { sizes.isolated } else { sizes.isolated * 10 };
    let refusals = run_phase(&refuser, fleet, "refusals", refusals, Load::Closed { connections: 256 });
    drop(refuser);
    let refusal_rate = refusals.refused as f64 / refusals.refusing.as_secs_f64().max(1e-9);
    let bound = 1.0 / (1.0 + 9.0 * capacity / refusal_rate);

    let naive_label = "10x, naive (no admission control)";
    if wanted(naive_label) {
        let (naive, _) = start_isolated(Database::Sqlite(scratch.join("naive.sqlite")), false);
        fleet.enrol(naive.store.as_ref());
        // The naive service's own capacity is not measured (it has no admission control to
        // keep a closed loop of 256 from queueing); it is offered 10x the admitted one's.
        let rate = capacity * 10.0;
        let count = (rate * sizes.phase.as_secs_f64()) as usize;
        let result = run_phase(&naive, fleet, "naive", count, Load::Open { rate, connections: 4_000 });
        rows.push(Row { label: naive_label.to_owned(), capacity, issuance_cpu, rate, result });
    }

    if pinned {
        println!(
            "\nSQLite, the service on core {service_core} and the generator on core {generator_core}: capacity (closed \
             loop, 256 connections) {capacity:.0} issuances/s, measured again before each row"
        );
    } else {
        println!("\nSQLite, service and generator sharing the cores (pinning unavailable): capacity {capacity:.0}/s");
    }
    println!("the service's CPU per issuance in that run: {:.0} µs", issuance_cpu.as_secs_f64() * 1e6);
    println!(
        "refusals: {refusal_rate:.0}/s with every request refused ({} µs each{}; {:.0} µs of the service's CPU \
         each, over 256 connections sending back to back); so at 10x, for clients that ignore Retry-After, at \
         most {:.0}% of capacity is left for issuances",
        (1e6 / refusal_rate).round(),
        if pinned_refuser { ", on the service's core" } else { "" },
        refusals.service_cpu.as_secs_f64() * 1e6 / refusals.refused.max(1) as f64,
        100.0 * bound
    );
    println!("open loop, {} s per phase, up to 4,000 connections", sizes.phase.as_secs());
    println!(
        "| load | capacity just before /s | offered/s | goodput/s | % of capacity | p50 ms | p99 ms | refused (with Retry-After) | lost (no answer in {} s) | connections opened | service core busy | service CPU per pass µs | µs per refusal |",
        CLIENT_TIMEOUT.as_secs()
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for Row { label, capacity, issuance_cpu, rate, result } in &rows {
        // Where refusals outnumber passes, what the service spent beyond its issuances (at the
        // capacity run's cost each) per refusal: the price of a refusal as these clients send
        // them. Elsewhere the issuances' own variation would swamp it.
        let issuances = *issuance_cpu * u32::try_from(result.accepted).unwrap_or(u32::MAX);
        let per_refusal = (result.refused > result.accepted)
            .then(|| result.service_cpu.saturating_sub(issuances).as_secs_f64() * 1e6 / result.refused as f64);
        println!(
            "| {label} | {capacity:.0} | {rate:.0} | {:.0} | {:.0}% | {:.1} | {:.1} | {} ({}) | {} | {} | {:.0}% | {:.0} | {} |",
            result.goodput(),
            100.0 * result.goodput() / capacity,
            result.percentile(0.50),
            result.percentile(0.99),
            result.refused,
            result.refused_with_retry_after,
            result.lost,
            result.reconnects,
            100.0 * result.service_cpu.as_secs_f64() / result.wall.as_secs_f64().max(1e-9),
            result.service_cpu.as_secs_f64() * 1e6 / result.accepted.max(1) as f64,
            per_refusal.map_or_else(|| "-".to_owned(), |micros| format!("{micros:.0}")),
        );
    }
    for (label, waiting) in left_waiting {
        println!(
            "{label}: {waiting} tests still waiting in their outboxes when the phase ended (sent later, not lost)"
        );
    }
}

/// One row of the load table.
struct Row {
    label: String,
    /// The closed-loop capacity measured just before, and the service's CPU time per issuance
    /// in that run.
    capacity: f64,
    issuance_cpu: Duration,
    /// Offered per second.
    rate: f64,
    result: PhaseResult,
}

fn signer_files() -> (Vec<u8>, Vec<u8>) {
    let authority = healthpass_tests::vectors::demo_authority();
    let key = authority.dsc.key.to_pkcs8_der().expect("pkcs8").as_bytes().to_vec();
    (key, authority.dsc.certificate_der.clone())
}

/// Sign + encode alone on every core: the most passes this machine can make.
fn bare_signing_rate(threads: usize, duration: Duration) -> f64 {
    let (key, certificate) = signer_files();
    let signer: Arc<dyn Signer> = Arc::new(RingSigner::from_pkcs8(&key).expect("key"));
    let policy = IssuingPolicy { verify_issued: false, ..IssuingPolicy::default() };
    let issuer = Arc::new(Issuer::new(signer, &certificate, "FR", policy).expect("issuer"));
    let now = UnixTime::from_seconds(1_900_000_000);
    let request = healthpass_tests::vectors::demo_test_request(now.saturating_sub(1200));
    let made = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (issuer, request, made) = (issuer.clone(), request.clone(), made.clone());
            scope.spawn(move || {
                while started.elapsed() < duration {
                    issuer.issue_test(&request, now).expect("issue");
                    made.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    made.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn start(database: Database, admission: bool) -> RunningService {
    let limits =
        admission.then(|| AdmissionConfig::for_cores(std::thread::available_parallelism().map_or(2, usize::from)));
    start_with(database, limits)
}

/// A service with these admission limits (`None`: the naive configuration).
fn start_with(database: Database, admission: Option<AdmissionConfig>) -> RunningService {
    let (key, certificate) = signer_files();
    let mut config = ServiceConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        database,
        key,
        certificate,
        "an-operator-token-for-the-benchmark".into(),
    );
    config.admission = admission;
    healthpass_service::start(&config).expect("start the service")
}

/// A fresh database on the test cluster (`HEALTHPASS_TEST_POSTGRES_URL`, or the one
/// `scripts/start-test-postgres` starts).
fn postgres_database() -> Result<String, String> {
    let base = match std::env::var("HEALTHPASS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/start-test-postgres");
            let output = std::process::Command::new(script).output().map_err(|error| error.to_string())?;
            if !output.status.success() {
                return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
            }
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
    };
    // Dropped and made afresh at each run, so runs do not pile databases up in the cluster.
    let database = "hp_bench";
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).map_err(|error| error.to_string())?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .map_err(|error| error.to_string())?;
    admin.batch_execute(&format!("CREATE DATABASE {database}")).map_err(|error| error.to_string())?;
    let (server, _) = base.rsplit_once('/').ok_or("a URL with a database name")?;
    Ok(format!("{server}/{database}"))
}

/// The pharmacy devices: their ids and keys.
struct Fleet {
    devices: Vec<(DeviceId, Arc<RingSigner>, Vec<u8>)>,
}

impl Fleet {
    fn new(count: usize) -> Self {
        let devices = Mutex::new(Vec::with_capacity(count));
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..std::thread::available_parallelism().map_or(2, usize::from) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= count {
                            break;
                        }
                        let seed: [u8; 32] = sha2::Sha256::digest(format!("pharmacy device {index}")).into();
                        let key = p256::ecdsa::SigningKey::from_slice(&seed).expect("key");
                        let public = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
                        let signer =
                            RingSigner::from_pkcs8(key.to_pkcs8_der().expect("pkcs8").as_bytes()).expect("ring");
                        let entry = (DeviceId::of_key(key.verifying_key()), Arc::new(signer), public);
                        devices.lock().expect("devices").push((index, entry));
                    }
                });
            }
        });
        let mut devices = devices.into_inner().expect("devices");
        devices.sort_by_key(|(index, _)| *index);
        Self { devices: devices.into_iter().map(|(_, entry)| entry).collect() }
    }

    /// Enrols every device straight into the store, from 32 threads (the commits group).
    fn enrol(&self, store: &dyn Store) {
        let next = AtomicUsize::new(0);
        let now = healthpass_service::system_now();
        std::thread::scope(|scope| {
            for _ in 0..32 {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some((id, _, public)) = self.devices.get(index) else { break };
                        let record = DeviceRecord {
                            id: *id,
                            public_key: public.clone(),
                            pharmacy_id: format!("FINESS-{index:09}"),
                            pharmacy_name: format!("Pharmacie {index}"),
                            status: DeviceStatus::Active,
                            enrolled_at: now,
                        };
                        store.enrol(&record).expect("enrol");
                    }
                });
            }
        });
    }

    /// `count` signed requests, as raw HTTP/1.1, round robin over the first `devices` devices.
    fn requests(&self, phase: &str, count: usize, devices: usize) -> Arc<Vec<Vec<u8>>> {
        let devices = devices.clamp(1, self.devices.len());
        let now = healthpass_service::system_now();
        let body = IssuanceRequest {
            family_name: "Dubois-Lefèvre".into(),
            given_name: "Amélie".into(),
            date_of_birth: "1987-04-12".into(),
            test_type: TestKind::RapidAntigen,
            device: Some("1232".into()),
            test_name: None,
            sampled_at: now.saturating_sub(1800).to_rfc3339(),
            result: TestOutcome::Negative,
            centre: "Pharmacie du Centre".into(),
            country: "FR".into(),
            transfer_code: None,
        }
        .to_json();
        let digest = content_digest(&body);
        let requests = Mutex::new(Vec::with_capacity(count));
        let next = AtomicUsize::new(0);
        let tag = format!("{phase}-{}", std::process::id()).replace(|c: char| !c.is_ascii_alphanumeric(), "-");
        std::thread::scope(|scope| {
            for _ in 0..std::thread::available_parallelism().map_or(2, usize::from) {
                scope.spawn(|| {
                    let mut made = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= count {
                            break;
                        }
                        let (id, signer, _) = &self.devices[index % devices];
                        let key = format!("bench-{tag}-{index:010}");
                        let parts = SignedRequestParts {
                            method: "POST",
                            path: ISSUANCE_PATH,
                            content_digest: &digest,
                            idempotency_key: &key,
                        };
                        let signature = sign_request(&parts, *id, now, signer.as_ref()).expect("sign");
                        let mut request = format!(
                            "POST {ISSUANCE_PATH} HTTP/1.1\r\nHost: issuer\r\nContent-Type: application/json\r\n\
                             Content-Length: {}\r\nIdempotency-Key: {key}\r\nContent-Digest: {digest}\r\n\
                             Signature-Input: {}\r\nSignature: {}\r\n\r\n",
                            body.len(),
                            signature.signature_input,
                            signature.signature
                        )
                        .into_bytes();
                        request.extend_from_slice(&body);
                        made.push((index, request));
                    }
                    requests.lock().expect("requests").extend(made);
                });
            }
        });
        let mut requests = requests.into_inner().expect("requests");
        requests.sort_by_key(|(index, _)| *index);
        Arc::new(requests.into_iter().map(|(_, request)| request).collect())
    }
}

#[derive(Clone, Copy)]
enum Load {
    /// Each connection sends its next request as soon as the last is answered.
    Closed { connections: usize },
    /// Request i is due at start + i/rate, whatever happened to the others.
    Open { rate: f64, connections: usize },
}

#[derive(Default)]
struct PhaseResult {
    accepted: u64,
    refused: u64,
    refused_with_retry_after: u64,
    lost: u64,
    other: u64,
    /// Connections the client had to open again (the service closed one, or it broke).
    reconnects: u64,
    latencies_micros: Vec<u32>,
    elapsed: Duration,
    /// From the start to the last refusal.
    refusing: Duration,
    /// CPU time the service's threads used during the phase, and the phase's wall-clock time.
    service_cpu: Duration,
    wall: Duration,
}

impl PhaseResult {
    /// Passes delivered per second of the phase.
    fn goodput(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A latency percentile of the delivered passes, in milliseconds.
    fn percentile(&self, share: f64) -> f64 {
        if self.latencies_micros.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies_micros.len() - 1) as f64 * share).round() as usize;
        f64::from(self.latencies_micros[index]) / 1000.0
    }

    fn assert_clean(&self, what: &str) {
        assert_eq!(
            (self.refused, self.lost, self.other),
            (0, 0, 0),
            "{what}: every request is answered with a pass below capacity"
        );
    }
}

fn run_phase(service: &RunningService, fleet: &Fleet, phase: &str, count: usize, load: Load) -> PhaseResult {
    let requests = fleet.requests(phase, count.max(1), PHARMACIES);
    let address = service.address;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("client runtime");
    let from = unix_seconds();
    let mut result = runtime.block_on(drive(address, requests, load));
    report_window(phase, from);
    result.latencies_micros.sort_unstable();
    result
}

/// CPU time used so far by each thread of this process but the calling one: the service's
/// threads, when the generator's thread asks (the threads that sign requests between phases
/// have exited by then). From `/proc/self/task/*/schedstat`, in nanoseconds on a CPU, by thread
/// id: a thread that exits takes its time with it (tokio ends idle blocking threads after 10 s),
/// so phases compare thread by thread ([`ServiceCpu::since`]).
struct ServiceCpu(std::collections::HashMap<String, u64>);

impl ServiceCpu {
    fn now() -> Self {
        let me = std::fs::read_to_string("/proc/thread-self/stat")
            .ok()
            .and_then(|stat| stat.split_whitespace().next().map(str::to_owned))
            .unwrap_or_default();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return Self(Default::default()) };
        let threads = tasks
            .flatten()
            .map(|task| task.file_name().to_string_lossy().into_owned())
            .filter(|tid| *tid != me)
            .filter_map(|tid| {
                let schedstat = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
                let nanos = schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
                Some((tid, nanos))
            })
            .collect();
        Self(threads)
    }

    /// CPU time used since `earlier` by the threads alive now.
    fn since(&self, earlier: &Self) -> Duration {
        let nanos =
            self.0.iter().map(|(tid, nanos)| nanos.saturating_sub(earlier.0.get(tid).copied().unwrap_or(0))).sum();
        Duration::from_nanos(nanos)
    }
}

fn unix_seconds() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |since| since.as_secs_f64())
}

/// With `--only`, each phase's wall-clock window on stderr, for `perf record -k realtime` and
/// `perf report --time FROM,TO`.
fn report_window(phase: &str, from: f64) {
    if std::env::args().any(|arg| arg == "--only") {
        eprintln!("phase {phase}: --time {from:.6},{:.6}", unix_seconds());
    }
}

/// [`drive_outboxes`] for `count` requests signed beforehand; also the tests left waiting.
fn run_outboxes(service: &RunningService, fleet: &Fleet, phase: &str, count: usize, rate: f64) -> (PhaseResult, u64) {
    // Outbox i holds the tests of device i (test j goes to outbox j mod OUTBOXES).
    let requests = fleet.requests(phase, count.max(1), OUTBOXES);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("client runtime");
    let from = unix_seconds();
    let (mut result, waiting) = runtime.block_on(drive_outboxes(service.address, requests, rate, OUTBOXES));
    report_window(phase, from);
    result.latencies_micros.sort_unstable();
    (result, waiting)
}

#[derive(Default)]
struct Tally {
    accepted: AtomicU64,
    refused: AtomicU64,
    refused_with_retry_after: AtomicU64,
    lost: AtomicU64,
    other: AtomicU64,
    reconnects: AtomicU64,
    latencies: Mutex<Vec<u32>>,
    last_answer: Mutex<Option<Instant>>,
    last_refusal: Mutex<Option<Instant>>,
}

impl Tally {
    /// The phase's figures, over `elapsed`.
    fn result(&self, elapsed: Duration, refusing: Duration) -> PhaseResult {
        PhaseResult {
            accepted: self.accepted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            refused_with_retry_after: self.refused_with_retry_after.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            other: self.other.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            latencies_micros: std::mem::take(&mut *self.latencies.lock().expect("latencies")),
            elapsed,
            refusing,
            ..PhaseResult::default()
        }
    }
}

/// `count` connections (`None` where one could not be opened).
async fn connect_all(address: std::net::SocketAddr, count: usize) -> Vec<Option<tokio::net::TcpStream>> {
    let mut streams = Vec::with_capacity(count);
    for _ in 0..count {
        streams.push(connect(address).await);
    }
    streams
}

/// The generator never sleeps in the kernel while it waits for answers: on loopback, an answer
/// to a sleeping client wakes it from the service's core (an inter-processor wakeup, a VM exit
/// on these machines), a cost a remote client would pay on its own machine. A task that only
/// yields keeps the runtime polling its sockets without blocking; abort it when done.
fn spin_while_waiting() -> Option<tokio::task::JoinHandle<()>> {
    SPIN_WHILE_WAITING.then(|| {
        tokio::spawn(async {
            loop {
                tokio::task::yield_now().await;
            }
        })
    })
}

async fn drive(address: std::net::SocketAddr, requests: Arc<Vec<Vec<u8>>>, load: Load) -> PhaseResult {
    let (connections, rate) = match load {
        Load::Closed { connections } => (connections, None),
        Load::Open { rate, connections } => (connections, Some(rate)),
    };
    let tally = Arc::new(Tally::default());
    let next = Arc::new(AtomicUsize::new(0));
    // Connect everyone first, then start together.
    let streams = connect_all(address, connections).await;
    let spinner = spin_while_waiting();
    let cpu_before = ServiceCpu::now();
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for stream in streams {
        let (requests, tally, next) = (requests.clone(), tally.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut stream = stream;
            let mut buffer = vec![0u8; 16 * 1024];
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(request) = requests.get(index) else { break };
                let due = match rate {
                    Some(rate) => started + Duration::from_secs_f64(index as f64 / rate),
                    None => tokio::time::Instant::now(),
                };
                tokio::time::sleep_until(due).await;
                let deadline = due + CLIENT_TIMEOUT;
                if tokio::time::Instant::now() >= deadline {
                    tally.lost.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let answer =
                    tokio::time::timeout_at(deadline, exchange(&mut stream, address, request, &mut buffer, &tally))
                        .await;
                match answer {
                    Ok(Some((status, retry_after))) => {
                        let now = tokio::time::Instant::now();
                        if status == 201 {
                            tally.accepted.fetch_add(1, Ordering::Relaxed);
                            let micros = u32::try_from((now - due).as_micros()).unwrap_or(u32::MAX);
                            tally.latencies.lock().expect("latencies").push(micros);
                            *tally.last_answer.lock().expect("last") = Some(now.into_std());
                        } else if matches!(status, 429 | 503) {
                            tally.refused.fetch_add(1, Ordering::Relaxed);
                            *tally.last_refusal.lock().expect("last") = Some(now.into_std());
                            if retry_after.is_some() {
                                tally.refused_with_retry_after.fetch_add(1, Ordering::Relaxed);
                            }
                        } else {
                            tally.other.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(None) => {
                        tally.other.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        // Given up: the connection may still get the late answer; start afresh.
                        tally.lost.fetch_add(1, Ordering::Relaxed);
                        stream = None;
                    }
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    if let Some(spinner) = spinner {
        spinner.abort();
    }
    let started = started.into_std();
    let last = tally.last_answer.lock().expect("last").unwrap_or_else(Instant::now);
    let scheduled = rate.map(|rate| Duration::from_secs_f64(requests.len() as f64 / rate));
    // Open loop: goodput over the scheduled window (or until the last pass, if later).
    let elapsed = match scheduled {
        Some(window) => window.max(last.saturating_duration_since(started)),
        None => last.saturating_duration_since(started),
    };
    let refusing = tally.last_refusal.lock().expect("last").map_or(Duration::ZERO, |last| last - started);
    PhaseResult {
        service_cpu: ServiceCpu::now().since(&cpu_before),
        wall: started.elapsed(),
        ..tally.result(elapsed, refusing)
    }
}

/// Outboxes that honour `Retry-After` as the project's does (`core/src/outbox/`), timed by its
/// own retry policy: test i arrives at i/rate at outbox i mod `outboxes`, which sends one test
/// at a time, the one due first. After a 429 or 503 with `Retry-After` the outbox sends
/// nothing, new tests included, for the policy's hold (`RetryPolicy::hold_ms`), and the refused
/// test itself is due again at the policy's next try (`RetryPolicy::next_try`, interactive for
/// 20 s, then the backlog's). Not modelled: the retry budget, which only slows backlog retries
/// further. Latency runs from a test's arrival to its pass; tests still waiting when the window
/// ends stay in their outboxes (counted apart, as nothing is lost).
async fn drive_outboxes(
    address: std::net::SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    rate: f64,
    outboxes: usize,
) -> (PhaseResult, u64) {
    let tally = Arc::new(Tally::default());
    let waiting = Arc::new(AtomicU64::new(0));
    let window = Duration::from_secs_f64(requests.len() as f64 / rate);
    let streams = connect_all(address, outboxes).await;
    let spinner = spin_while_waiting();
    let cpu_before = ServiceCpu::now();
    let started = tokio::time::Instant::now();
    let policy = RetryPolicy::default();
    // The outbox's clock: milliseconds since the phase started.
    let millis = move |at: tokio::time::Instant| UnixMillis::from_millis((at - started).as_millis() as i64);
    let instant = move |at: UnixMillis| started + Duration::from_millis(at.millis().max(0) as u64);
    let mut tasks = Vec::with_capacity(outboxes);
    for (outbox, stream) in streams.into_iter().enumerate() {
        let (requests, tally, waiting) = (requests.clone(), tally.clone(), waiting.clone());
        tasks.push(tokio::spawn(async move {
            let mut stream = stream;
            let mut buffer = vec![0u8; 16 * 1024];
            let mut random = (outbox as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut uniform = move || {
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                (random >> 11) as f64 / (1_u64 << 53) as f64
            };
            let arrival = |index: usize| started + Duration::from_secs_f64(index as f64 / rate);
            let mut held_until = started;
            let mut next_new = outbox;
            // Refused tests: (index, due again at, attempts so far).
            let mut retries: Vec<(usize, tokio::time::Instant, u32)> = Vec::new();
            loop {
                // The test due first: a retry or the next new one.
                let retry =
                    retries.iter().enumerate().min_by_key(|(_, (_, due, _))| *due).map(|(at, entry)| (at, *entry));
                let new_due = (next_new < requests.len()).then(|| arrival(next_new));
                let (index, attempts, due) = match (retry, new_due) {
                    (Some((at, (index, due, attempts))), new) if new.is_none_or(|new| due <= new) => {
                        retries.swap_remove(at);
                        (index, attempts, due)
                    }
                    (_, Some(new)) => {
                        next_new += outboxes;
                        (next_new - outboxes, 0, new)
                    }
                    // Nothing left (a retry is always taken when no new test remains).
                    _ => break,
                };
                let due = due.max(held_until).max(tokio::time::Instant::now());
                if due >= started + window {
                    let left_new = (requests.len().saturating_sub(next_new)).div_ceil(outboxes);
                    waiting.fetch_add((1 + retries.len() + left_new) as u64, Ordering::Relaxed);
                    break;
                }
                tokio::time::sleep_until(due).await;
                let answer = tokio::time::timeout(
                    CLIENT_TIMEOUT,
                    exchange(&mut stream, address, &requests[index], &mut buffer, &tally),
                )
                .await;
                let now = tokio::time::Instant::now();
                match answer {
                    Ok(Some((201, _))) => {
                        tally.accepted.fetch_add(1, Ordering::Relaxed);
                        let micros = u32::try_from((now - arrival(index)).as_micros()).unwrap_or(u32::MAX);
                        tally.latencies.lock().expect("latencies").push(micros);
                        *tally.last_answer.lock().expect("last") = Some(now.into_std());
                    }
                    Ok(Some((429 | 503, retry_after))) => {
                        tally.refused.fetch_add(1, Ordering::Relaxed);
                        let retry_after_ms = retry_after.map(|seconds| seconds as i64 * 1_000);
                        if let Some(retry_after_ms) = retry_after_ms {
                            tally.refused_with_retry_after.fetch_add(1, Ordering::Relaxed);
                            held_until = now + Duration::from_millis(policy.hold_ms(retry_after_ms, uniform()) as u64);
                        }
                        let next = policy.next_try(
                            RetryProfile::Interactive,
                            millis(arrival(index)),
                            attempts + 1,
                            retry_after_ms,
                            millis(now),
                            uniform(),
                        );
                        retries.push((index, instant(next.at), attempts + 1));
                    }
                    Ok(_) => {
                        tally.other.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        tally.lost.fetch_add(1, Ordering::Relaxed);
                        stream = None;
                    }
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    if let Some(spinner) = spinner {
        spinner.abort();
    }
    let result = PhaseResult {
        service_cpu: ServiceCpu::now().since(&cpu_before),
        wall: started.elapsed(),
        ..tally.result(window, Duration::ZERO)
    };
    (result, waiting.load(Ordering::Relaxed))
}

async fn connect(address: std::net::SocketAddr) -> Option<tokio::net::TcpStream> {
    for _ in 0..50 {
        if let Ok(stream) = tokio::net::TcpStream::connect(address).await {
            let _ = stream.set_nodelay(true);
            return Some(stream);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// One request on a keep-alive connection (reconnecting if the service closed it): the status
/// and the `Retry-After` seconds if any; `None` when no answer could be read.
async fn exchange(
    stream: &mut Option<tokio::net::TcpStream>,
    address: std::net::SocketAddr,
    request: &[u8],
    buffer: &mut [u8],
    tally: &Tally,
) -> Option<(u16, Option<u64>)> {
    for attempt in 0..2 {
        if stream.is_none() || attempt > 0 {
            tally.reconnects.fetch_add(1, Ordering::Relaxed);
            *stream = connect(address).await;
        }
        let connection = stream.as_mut()?;
        if connection.write_all(request).await.is_err() {
            *stream = None;
            continue;
        }
        match read_answer(connection, buffer).await {
            Some(answer) => return Some(answer),
            None => *stream = None,
        }
    }
    None
}

async fn read_answer(stream: &mut tokio::net::TcpStream, buffer: &mut [u8]) -> Option<(u16, Option<u64>)> {
    let mut filled = 0;
    loop {
        let read = stream.read(&mut buffer[filled..]).await.ok()?;
        if read == 0 {
            return None;
        }
        filled += read;
        let Some(head_end) = buffer[..filled].windows(4).position(|window| window == b"\r\n\r\n") else {
            if filled == buffer.len() {
                return None;
            }
            continue;
        };
        let head = std::str::from_utf8(&buffer[..head_end]).ok()?;
        let status: u16 = head.get(9..12)?.parse().ok()?;
        let mut length = 0usize;
        let mut retry_after = None;
        for line in head.lines().skip(1) {
            let (name, value) = line.split_once(':')?;
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            } else if name.eq_ignore_ascii_case("retry-after") {
                retry_after = Some(value.trim().parse().unwrap_or(0));
            }
        }
        let total = head_end + 4 + length;
        if total > buffer.len() {
            return None;
        }
        while filled < total {
            let read = stream.read(&mut buffer[filled..total]).await.ok()?;
            if read == 0 {
                return None;
            }
            filled += read;
        }
        return Some((status, retry_after));
    }
}
