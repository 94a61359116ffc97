//! healthpass-service: the central issuer a pharmacy device sends issuance requests to.
//!
//! The service whose collapse is why healthpass exists: on 13–14 August 2021 the French portal
//! that signed pharmacists' test results fell over under load, and retries from 12,000
//! pharmacies kept it down. This one cannot be knocked over by its own clients (admission
//! control answers 503 with `Retry-After` at once beyond its capacity, a token bucket per
//! device answers 429) and never signs the same request twice (idempotency keys, claimed
//! before signing, completed durably before answering).
//!
//! A crate of its own so the mobile library never links a server stack: hyper on tokio for
//! HTTP/1.1, rusqlite (bundled SQLite) for one instance, the synchronous `postgres` client for
//! several instances on one database.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod admission;
pub mod api_error;
pub mod cpu_gate;
pub mod devices;
pub mod fallback;
pub mod http;
pub mod issuance;
pub mod metrics;
pub mod rate_limit;
pub mod return_schedule;
pub mod serve_options;
pub mod signing;
pub mod storage;
pub mod transfers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use healthpass_core::issue::{Issuer, IssuingPolicy};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::DocumentSignerCertificate;
use tokio::net::TcpListener;

pub use admission::AdmissionConfig;
pub use rate_limit::RateLimit;
pub use storage::Store;

/// Idempotency entries are kept at least this long (the protocol promises seven days).
pub const MIN_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the service keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (one instance).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (several instances).
    Postgres(String),
}

impl Database {
    /// `postgres://...`, `postgresql://...` or `host=... dbname=...` is PostgreSQL; anything
    /// else is a SQLite file path.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") || text.contains("host=") {
            Self::Postgres(text.to_owned())
        } else {
            Self::Sqlite(PathBuf::from(text))
        }
    }

    /// Opens the store.
    pub fn open(&self) -> Result<Arc<dyn Store>, ServiceError> {
        Ok(match self {
            Self::Sqlite(path) => Arc::new(storage::sqlite::SqliteStore::open(path).map_err(ServiceError::Store)?),
            Self::Postgres(url) => Arc::new(storage::postgres::PostgresStore::open(url).map_err(ServiceError::Store)?),
        })
    }
}

/// How to run the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Where to listen (loopback in tests).
    pub listen: SocketAddr,
    /// Where the state is.
    pub database: Database,
    /// The document signer's private key (PKCS#8, PEM or DER).
    pub signer_key: Vec<u8>,
    /// The document signer certificate (PEM or DER).
    pub signer_certificate: Vec<u8>,
    /// The issuing authority's name (the passes' `is` field).
    pub issuer_name: String,
    /// The operator token for device enrolment.
    pub operator_token: String,
    /// Admission control; `None` is the naive configuration the benchmark compares against.
    pub admission: Option<AdmissionConfig>,
    /// Each device's allowance.
    pub device_rate: RateLimit,
    /// How far a request's signature time may be from the clock.
    pub freshness: Duration,
    /// How long a claim holds before another attempt may take the key over.
    pub lease: Duration,
    /// How long idempotency entries are kept (at least [`MIN_RETENTION`]).
    pub retention: Duration,
    /// Passes expire this long after the sample.
    pub pass_lifetime: Duration,
    /// Limits of the HTTP layer.
    pub http: http::HttpLimits,
    /// Worker threads of the runtime (0: one per core).
    pub threads: usize,
    /// The authority's fallback key (PKCS#8 P-256, PEM or DER): with it the service issues
    /// delegation credentials and reconciles provisional passes; without, those routes answer 404.
    pub fallback_key: Option<Vec<u8>>,
}

impl ServiceConfig {
    /// Defaults around the required parts.
    pub fn new(
        listen: SocketAddr,
        database: Database,
        signer_key: Vec<u8>,
        signer_certificate: Vec<u8>,
        operator_token: String,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            listen,
            database,
            signer_key,
            signer_certificate,
            issuer_name: "Healthpass central issuer".into(),
            operator_token,
            admission: Some(AdmissionConfig::for_cores(cores)),
            device_rate: RateLimit::default(),
            freshness: Duration::from_secs(300),
            lease: Duration::from_secs(30),
            retention: MIN_RETENTION,
            pass_lifetime: Duration::from_secs(72 * 3600),
            http: http::HttpLimits::default(),
            threads: 0,
            fallback_key: None,
        }
    }
}

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The store cannot be opened.
    #[error("{0}")]
    Store(storage::StoreError),
    /// The signing key or certificate is unusable.
    #[error("the document signer: {0}")]
    Signer(String),
    /// The address cannot be bound, or the runtime cannot start.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The configuration is inconsistent.
    #[error("{0}")]
    Config(String),
}

/// The system clock, read at the service's edge.
pub fn system_now() -> UnixTime {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    UnixTime::from_seconds(seconds)
}

/// Builds the service's parts from its configuration.
pub fn build(config: &ServiceConfig) -> Result<(Arc<http::Service>, Arc<dyn Store>), ServiceError> {
    if config.retention < MIN_RETENTION {
        return Err(ServiceError::Config("idempotency entries are kept at least 7 days".into()));
    }
    if config.operator_token.len() < 16 {
        return Err(ServiceError::Config("the operator token must be at least 16 characters".into()));
    }
    let store = config.database.open()?;
    let certificate = DocumentSignerCertificate::from_file_bytes(&config.signer_certificate)
        .map_err(|error| ServiceError::Signer(error.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::Signer("no certificate in the file".into()))?;
    let signer =
        signing::RingSigner::from_pkcs8(&config.signer_key).map_err(|error| ServiceError::Signer(error.to_string()))?;
    let country = certificate
        .country()
        .map(str::to_owned)
        .ok_or_else(|| ServiceError::Signer("the certificate names no country (C=)".into()))?;
    let policy = IssuingPolicy {
        pass_lifetime_seconds: i64::try_from(config.pass_lifetime.as_secs()).unwrap_or(i64::MAX),
        // The key was checked against its certificate just below; a software key signs right.
        verify_issued: false,
        ..IssuingPolicy::default()
    };
    let issuer = Issuer::new(Arc::new(signer), certificate.der(), &country, policy)
        .map_err(|error| ServiceError::Signer(error.to_string()))?;
    let mut issuance = issuance::IssuanceDesk::new(store.clone(), issuer, config.issuer_name.clone());
    issuance.rate = rate_limit::DeviceRateLimiter::new(config.device_rate);
    issuance.freshness = config.freshness;
    issuance.lease = config.lease;
    if let Some(key) = &config.fallback_key {
        let signer = signing::RingSigner::from_pkcs8(key)
            .map_err(|error| ServiceError::Signer(format!("the fallback key: {error}")))?;
        let authority = fallback::FallbackAuthority::new(Arc::new(signer), &country, &config.issuer_name)
            .map_err(ServiceError::Signer)?;
        issuance.fallback = Some(authority);
    }
    let sealer = issuance.transfers.clone();
    let service = http::Service::new(
        issuance,
        devices::DeviceDesk::new(store.clone(), &config.operator_token),
        transfers::TransferDesk::new(store.clone(), sealer),
        admission::Admission::new(config.admission),
        config.http,
        system_now,
    );
    Ok((Arc::new(service), store))
}

/// A service running on its own runtime thread (tests, the demo, benchmarks).
pub struct RunningService {
    /// The address it listens on.
    pub address: SocketAddr,
    /// Its parts, for inspection.
    pub service: Arc<http::Service>,
    /// Its store.
    pub store: Arc<dyn Store>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningService {
    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops serving and waits for the runtime to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningService {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, ServiceError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        builder.worker_threads(threads);
    }
    Ok(builder.enable_all().build()?)
}

/// Starts the service on a thread of its own and returns once it listens.
pub fn start(config: &ServiceConfig) -> Result<RunningService, ServiceError> {
    let (service, store) = build(config)?;
    let runtime = runtime(config.threads)?;
    let listener = runtime.block_on(TcpListener::bind(config.listen))?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = service.clone();
    let purging = store.clone();
    let retention = config.retention;
    let thread = std::thread::Builder::new().name("healthpass-service".into()).spawn(move || {
        runtime.block_on(async move {
            tokio::spawn(purge_periodically(purging, retention));
            http::serve(listener, serving, async {
                let _ = stopped.await;
            })
            .await;
        });
    })?;
    Ok(RunningService { address, service, store, stop: Some(stop), thread: Some(thread) })
}

/// The line [`run`] prints on stderr once it listens, followed by the base URL; scripts and
/// tests wait for it.
pub const LISTENING: &str = "healthpass issuer: listening on ";

/// Runs the service in this thread until SIGINT or SIGTERM.
pub fn run(config: &ServiceConfig) -> Result<(), ServiceError> {
    let (service, store) = build(config)?;
    let runtime = runtime(config.threads)?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(config.listen).await?;
        eprintln!("{LISTENING}http://{}", listener.local_addr()?);
        tokio::spawn(purge_periodically(store, config.retention));
        http::serve(listener, service, stop_signal()).await;
        Ok(())
    })
}

/// SIGINT (Ctrl-C) or, on Unix, SIGTERM (what service managers and containers send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Forgets idempotency entries past the retention, hourly.
async fn purge_periodically(store: Arc<dyn Store>, retention: Duration) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        let store = store.clone();
        let before = system_now().saturating_sub(i64::try_from(retention.as_secs()).unwrap_or(i64::MAX));
        let now = system_now();
        let _ = tokio::task::spawn_blocking(move || {
            let _ = store.purge_transfers(now);
            store.purge(before)
        })
        .await;
    }
}
