//! Counters and a latency histogram, rendered in the Prometheus text format on `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// What the service counts.
#[derive(Debug, Default)]
pub struct Metrics {
    issued: AtomicU64,
    replayed: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    /// Issuance requests waiting for a worker.
    pub queued: AtomicU64,
    /// Issuance requests being worked on.
    pub in_flight: AtomicU64,
    /// Issuances per second refused clients are booked against (`crate::return_schedule`).
    pub pace: AtomicU64,
}

impl Metrics {
    /// A pass issued for the first time, after `latency`.
    pub fn issued(&self, latency: Duration) {
        self.issued.fetch_add(1, Ordering::Relaxed);
        self.observe(latency);
    }

    /// A stored pass sent again, after `latency`.
    pub fn replayed(&self, latency: Duration) {
        self.replayed.fetch_add(1, Ordering::Relaxed);
        self.observe(latency);
    }

    /// A refusal, by its code.
    pub fn rejected(&self, code: &'static str) {
        if let Ok(mut rejected) = self.rejected.lock() {
            *rejected.entry(code).or_insert(0) += 1;
        }
    }

    /// Passes issued so far.
    pub fn issued_total(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    /// Refusals with `code` so far.
    pub fn rejected_total(&self, code: &str) -> u64 {
        self.rejected.lock().map(|rejected| rejected.get(code).copied().unwrap_or(0)).unwrap_or(0)
    }

    fn observe(&self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros.fetch_add(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        counter(
            &mut out,
            "healthpass_issued_total",
            "Passes issued for the first time.",
            self.issued.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "healthpass_replayed_total",
            "Stored passes sent again for a repeated idempotency key.",
            self.replayed.load(Ordering::Relaxed),
        );
        let _ = writeln!(out, "# HELP healthpass_rejected_total Requests refused, by reason.");
        let _ = writeln!(out, "# TYPE healthpass_rejected_total counter");
        if let Ok(rejected) = self.rejected.lock() {
            for (reason, count) in rejected.iter() {
                let _ = writeln!(out, "healthpass_rejected_total{{reason=\"{reason}\"}} {count}");
            }
        }
        for (name, help, value) in [
            ("healthpass_queued", "Issuance requests waiting for a worker.", &self.queued),
            ("healthpass_in_flight", "Issuance requests being worked on.", &self.in_flight),
            (
                "healthpass_pace_per_second",
                "Issuances per second in the busiest of the last saturated seconds; refused clients are booked \
                 against it.",
                &self.pace,
            ),
        ] {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}", value.load(Ordering::Relaxed));
        }
        let name = "healthpass_issuance_seconds";
        let _ = writeln!(out, "# HELP {name} Time from request to answer of issued and replayed passes.");
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.latency_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
        out
    }
}
