//! Admission control: a service that cannot be knocked over by its own clients.
//!
//! At most `workers` issuances run at once (signing is CPU work; more in parallel only adds
//! contention), at most `max_queue` wait for a worker, and none waits longer than
//! `queue_timeout`. Beyond that a request is refused at once with 503 and `Retry-After`, instead
//! of joining a queue that grows until every request times out — the collapse of August 2021,
//! when retries from 12,000 pharmacies kept the portal down. Accepted requests keep a bounded
//! latency however many arrive.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api_error::ApiError;

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Issuances running at once.
    pub workers: usize,
    /// Issuances waiting for a worker at most.
    pub max_queue: usize,
    /// How long one may wait.
    pub queue_timeout: Duration,
}

impl AdmissionConfig {
    /// Sixty-four workers per core, a queue of eight per worker, a one-second wait. An issuance
    /// spends most of its time waiting for its two durable commits (claim, completion), not on
    /// a core: with 2 workers per core the service measured 1,185 issuances/s on 2 cores, idle
    /// between fsyncs; with 64 the commits group (one fsync for many issuances) and the cores
    /// stay busy, while the CPU gate keeps the signatures from crowding out the committer
    /// (`bench/` issuer).
    pub fn for_cores(cores: usize) -> Self {
        let workers = cores.max(1) * 64;
        Self { workers, max_queue: workers * 8, queue_timeout: Duration::from_secs(1) }
    }
}

/// The gate every issuance passes; `None` limits means the naive configuration (everything is
/// admitted at once), kept for the benchmark that shows the collapse it avoids.
pub struct Admission {
    limits: Option<AdmissionConfig>,
    workers: Arc<Semaphore>,
    waiting: AtomicUsize,
}

/// A worker slot, held while an issuance runs.
pub struct Admitted {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Admission {
    /// A gate with `limits` (`None`: no admission control).
    pub fn new(limits: Option<AdmissionConfig>) -> Self {
        let permits = limits.map_or(Semaphore::MAX_PERMITS, |limits| limits.workers);
        Self { limits, workers: Arc::new(Semaphore::new(permits)), waiting: AtomicUsize::new(0) }
    }

    /// Requests waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Refuses at once, before the body is read, when no worker is free and the queue is full:
    /// under overload a refusal then costs the service only the request's headers.
    pub fn refuse_if_full(&self) -> Result<(), ApiError> {
        match self.limits {
            Some(limits) if self.workers.available_permits() == 0 && self.waiting() >= limits.max_queue => {
                Err(overloaded(self.waiting(), limits))
            }
            _ => Ok(()),
        }
    }

    /// Waits for a worker, or refuses at once when the queue is full, or after the wait limit.
    pub async fn admit(&self) -> Result<Admitted, ApiError> {
        let Some(limits) = self.limits else { return Ok(Admitted { _permit: None }) };
        if let Ok(permit) = self.workers.clone().try_acquire_owned() {
            return Ok(Admitted { _permit: Some(permit) });
        }
        let position = self.waiting.fetch_add(1, Ordering::AcqRel);
        if position >= limits.max_queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(overloaded(position, limits));
        }
        let permit = tokio::time::timeout(limits.queue_timeout, self.workers.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match permit {
            Ok(Ok(permit)) => Ok(Admitted { _permit: Some(permit) }),
            _ => Err(overloaded(self.waiting(), limits)),
        }
    }
}

/// 503 with a `Retry-After` that grows with the queue (clients add their own jitter on top).
fn overloaded(queue: usize, limits: AdmissionConfig) -> ApiError {
    let seconds = 1 + (queue / limits.max_queue.max(1)) as u64 * 2;
    ApiError::retry(503, "overloaded", "the issuer is at capacity; retry after the delay given", seconds.min(30))
}
