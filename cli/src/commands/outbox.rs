//! `healthpass outbox status|drain|pass` and the `--via` path of `healthpass issue test`: the
//! pharmacy outbox on this machine, over a Rust HTTP client.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use healthpass_core::codec::cose::SoftwareSigner;
use healthpass_core::outbox::{
    Delivery, DeviceCredentials, EntryState, HttpRequest, HttpResponse, MAX_RESPONSE_BYTES, Outbox, OutboxEntry,
    RetryPolicy, Transport, TransportError,
};
use healthpass_core::time::{UnixMillis, UnixTime};
use serde_json::json;

use crate::error::CliError;
use crate::inputs::read_file;
use crate::outln;
use crate::output::safe;

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// What the outbox holds: counts, then one line per request (ticket, state, attempts, next
    /// attempt, UVCI or reason). No names or birth dates are shown.
    Status(StatusArgs),
    /// Send every request that is due now, once (with --wait: until none is left pending,
    /// sleeping until each next attempt).
    Drain(DrainArgs),
    /// Print the pass received for a ticket.
    Pass(PassArgs),
}

#[derive(Args)]
pub struct StatusArgs {
    /// The outbox file.
    #[arg(long, value_name = "FILE")]
    outbox: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DrainArgs {
    /// The outbox file.
    #[arg(long, value_name = "FILE")]
    outbox: PathBuf,
    /// The pharmacy device's P-256 key (PKCS#8, PEM or DER), the one it enrolled with.
    #[arg(long, value_name = "KEY")]
    device_key: PathBuf,
    /// Keep draining until nothing is pending, waiting for each next attempt.
    #[arg(long)]
    wait: bool,
    /// Send every pending request now rather than at its scheduled time ("retry now", once
    /// the network is back); the device's retry budget still paces the retries.
    #[arg(long)]
    now: bool,
}

#[derive(Args)]
pub struct PassArgs {
    /// The outbox file.
    #[arg(long, value_name = "FILE")]
    outbox: PathBuf,
    /// The ticket `issue test --via` printed (tickets are base64url and may begin with '-').
    #[arg(allow_hyphen_values = true)]
    ticket: String,
}

pub fn run(command: &OutboxCommand) -> Result<ExitCode, CliError> {
    match command {
        OutboxCommand::Status(args) => status(args),
        OutboxCommand::Drain(args) => drain(args),
        OutboxCommand::Pass(args) => {
            let outbox = open(&args.outbox)?;
            match outbox.pass(&args.ticket)? {
                Some(pass) => {
                    outln!("{}", safe(&pass.pass));
                    Ok(ExitCode::SUCCESS)
                }
                None => Err(CliError::usage(format!("no pass has arrived for ticket {}", safe(&args.ticket)))),
            }
        }
    }
}

pub fn open(path: &Path) -> Result<Outbox, CliError> {
    Ok(Outbox::open(path)?)
}

/// Opens with the interactive window cut to `seconds` (how long the pharmacist waits).
pub fn open_waiting(path: &Path, seconds: u32) -> Result<Outbox, CliError> {
    let policy = RetryPolicy { interactive_window_ms: i64::from(seconds) * 1000, ..RetryPolicy::default() };
    let mut seed = [0_u8; 8];
    getrandom::fill(&mut seed).map_err(|error| CliError::System(format!("no system randomness: {error}")))?;
    Ok(Outbox::open_with(path, policy, u64::from_le_bytes(seed))?)
}

/// The device key from a PKCS#8 file.
pub fn device(path: &Path) -> Result<DeviceCredentials, CliError> {
    let signer = SoftwareSigner::from_pkcs8(&read_file(path)?).map_err(|error| CliError::in_file(path, error))?;
    Ok(DeviceCredentials::new(Arc::new(signer))?)
}

/// The system clock in milliseconds.
pub fn now_millis() -> UnixMillis {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    UnixMillis::from_millis(millis)
}

fn status(args: &StatusArgs) -> Result<ExitCode, CliError> {
    let outbox = open(&args.outbox)?;
    let status = outbox.status()?;
    let entries = outbox.entries()?;
    if args.json {
        let entries: Vec<_> = entries.iter().map(entry_json).collect();
        crate::output::print_json(&json!({
            "pending": status.pending, "in_flight": status.in_flight, "issued": status.issued, "rejected": status.rejected,
            "next_attempt_at": status.next_attempt_at.map(time_text), "entries": entries,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} pending, {} in flight, {} issued, {} rejected{}",
        status.pending,
        status.in_flight,
        status.issued,
        status.rejected,
        status.next_attempt_at.map(|at| format!("; next attempt at {}", time_text(at))).unwrap_or_default()
    );
    for entry in &entries {
        let detail = match entry.state {
            EntryState::Issued => entry.uvci.clone().unwrap_or_default(),
            EntryState::Rejected => {
                entry.rejection.as_ref().map(|r| format!("{} ({})", r.code, r.message)).unwrap_or_default()
            }
            EntryState::Withdrawn => "a provisional pass was handed over instead".to_owned(),
            EntryState::Pending | EntryState::InFlight => format!(
                "next attempt {} ({}){}",
                time_text(entry.next_attempt_at),
                entry.profile.name(),
                entry.last_error.as_ref().map(|error| format!("; last: {error}")).unwrap_or_default()
            ),
        };
        outln!(
            "{}  {:<14} {:<9} {:>3} attempts  {}",
            entry.ticket,
            entry.kind.name(),
            entry.state.name(),
            entry.attempts,
            safe(&detail)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn entry_json(entry: &OutboxEntry) -> serde_json::Value {
    json!({
        "ticket": entry.ticket, "kind": entry.kind.name(), "endpoint": entry.endpoint, "state": entry.state.name(), "profile": entry.profile.name(),
        "attempts": entry.attempts, "enqueued_at": time_text(entry.enqueued_at),
        "next_attempt_at": time_text(entry.next_attempt_at), "last_error": entry.last_error, "uvci": entry.uvci,
        "rejection": entry.rejection.as_ref().map(|r| json!({"status": r.status, "code": r.code, "message": r.message})),
    })
}

fn drain(args: &DrainArgs) -> Result<ExitCode, CliError> {
    let outbox = open(&args.outbox)?;
    let device = device(&args.device_key)?;
    let transport = HttpTransport::new();
    if args.now {
        outbox.retry_now(now_millis())?;
    }
    loop {
        let report = outbox.drain(&transport, &device, &now_millis)?;
        outln!(
            "sent {}: {} issued, {} rejected, {} to retry{}",
            report.attempted,
            report.issued,
            report.rejected,
            report.retrying,
            report.next_attempt_at.map(|at| format!("; next attempt at {}", time_text(at))).unwrap_or_default()
        );
        match report.next_attempt_at {
            Some(at) if args.wait => {
                let millis = at.millis_since(now_millis()).clamp(0, 3_600_000);
                std::thread::sleep(Duration::from_millis(u64::try_from(millis).unwrap_or(0)));
            }
            _ => return Ok(ExitCode::SUCCESS),
        }
    }
}

/// Prints what became of a request sent with `issue test --via`; exit 0 for a pass or a
/// queued request (it is safe in the outbox), 1 for a refusal.
pub fn print_delivery(ticket: &str, delivery: &Delivery, as_json: bool) -> ExitCode {
    let (value, code) = match delivery {
        Delivery::Withdrawn => {
            if !as_json {
                outln!("withdrawn: ticket {ticket}; a provisional pass was handed over instead");
            }
            (json!({"status": "withdrawn", "ticket": ticket}), ExitCode::SUCCESS)
        }
        Delivery::Issued(pass) => {
            if !as_json {
                outln!("{}", safe(&pass.pass));
            }
            (
                json!({"status": "issued", "ticket": ticket, "text": pass.pass, "uvci": pass.uvci, "expires_at": pass.expires_at}),
                ExitCode::SUCCESS,
            )
        }
        Delivery::Queued { next_attempt_at, last_error, .. } => {
            if !as_json {
                outln!(
                    "queued: ticket {ticket}; the issuer did not answer in time ({}); next attempt at {} \
                     (`healthpass outbox drain` sends it; the pass is kept in the outbox)",
                    safe(last_error.as_deref().unwrap_or("no answer")),
                    time_text(*next_attempt_at)
                );
            }
            (
                json!({"status": "queued", "ticket": ticket, "next_attempt_at": time_text(*next_attempt_at), "last_error": last_error}),
                ExitCode::SUCCESS,
            )
        }
        Delivery::Rejected(rejection) => {
            if !as_json {
                outln!(
                    "rejected: ticket {ticket}; HTTP {} {}: {}",
                    rejection.status,
                    safe(&rejection.code),
                    safe(&rejection.message)
                );
            }
            (
                json!({"status": "rejected", "ticket": ticket, "http_status": rejection.status, "error": rejection.code, "message": rejection.message}),
                ExitCode::from(1),
            )
        }
    };
    if as_json {
        crate::output::print_json(&value);
    }
    code
}

fn time_text(at: UnixMillis) -> String {
    UnixTime::to_rfc3339(at.unix_time())
}

/// A blocking HTTP client (ureq, plain HTTP/1.1; see the README on TLS).
pub struct HttpTransport {
    agent: ureq::Agent,
}

impl HttpTransport {
    /// A client that waits at most 10 s for an answer.
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        Self { agent }
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = ureq::http::Request::builder().method(request.method.as_str()).uri(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let built = builder.body(request.body.clone()).map_err(|error| TransportError(error.to_string()))?;
        let mut response = self.agent.run(built).map_err(|error| TransportError(error.to_string()))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES as u64)
            .read_to_vec()
            .map_err(|error| TransportError(error.to_string()))?;
        Ok(HttpResponse { status, headers, body })
    }
}
