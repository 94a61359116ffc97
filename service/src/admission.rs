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
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use healthpass_core::protocol::DeviceId;

use crate::api_error::ApiError;
use crate::return_schedule::ReturnSchedule;

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
    /// When each refused client should come back.
    returns: Arc<ReturnSchedule>,
    started: Instant,
}

/// A worker slot, held while an issuance runs.
pub struct Admitted {
    permit: Option<OwnedSemaphorePermit>,
    returns: Arc<ReturnSchedule>,
    started: Instant,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if self.permit.is_some() {
            self.returns.completed(self.started.elapsed().as_secs());
        }
    }
}

impl Admission {
    /// A gate with `limits` (`None`: no admission control).
    pub fn new(limits: Option<AdmissionConfig>) -> Self {
        let permits = limits.map_or(Semaphore::MAX_PERMITS, |limits| limits.workers);
        // Until a saturated second shows the service's pace: a full queue and every worker's
        // slot each second, the least a service with these limits does.
        let initial_pace = limits.map_or(1, |limits| (limits.workers + limits.max_queue) as u64);
        Self {
            limits,
            workers: Arc::new(Semaphore::new(permits)),
            waiting: AtomicUsize::new(0),
            returns: Arc::new(ReturnSchedule::new(initial_pace)),
            started: Instant::now(),
        }
    }

    fn admitted(&self, permit: Option<OwnedSemaphorePermit>) -> Admitted {
        Admitted { permit, returns: self.returns.clone(), started: self.started }
    }

    /// Requests waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Refuses at once, before the body is read, when no worker is free and the queue is full:
    /// under overload a refusal then costs the service only the request's headers.
    pub fn refuse_if_full(&self, device: Option<DeviceId>) -> Result<(), ApiError> {
        match self.limits {
            Some(limits) if self.workers.available_permits() == 0 && self.waiting() >= limits.max_queue => {
                Err(self.overloaded(device))
            }
            _ => Ok(()),
        }
    }

    /// Waits for a worker, or refuses at once when the queue is full, or after the wait limit.
    pub async fn admit(&self, device: Option<DeviceId>) -> Result<Admitted, ApiError> {
        let Some(limits) = self.limits else { return Ok(self.admitted(None)) };
        if let Ok(permit) = self.workers.clone().try_acquire_owned() {
            return Ok(self.admitted(Some(permit)));
        }
        self.returns.saturated(self.started.elapsed().as_secs());
        let position = self.waiting.fetch_add(1, Ordering::AcqRel);
        if position >= limits.max_queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(self.overloaded(device));
        }
        let permit = tokio::time::timeout(limits.queue_timeout, self.workers.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match permit {
            Ok(Ok(permit)) => Ok(self.admitted(Some(permit))),
            _ => Err(self.overloaded(device)),
        }
    }

    /// Issuances per second the service completes when saturated, as measured so far.
    pub fn pace(&self) -> u64 {
        self.returns.pace()
    }

    /// 503 with a `Retry-After` booked in the return schedule for `device`.
    fn overloaded(&self, device: Option<DeviceId>) -> ApiError {
        let seconds = self.returns.book(self.started.elapsed().as_secs(), device);
        ApiError::retry(503, "overloaded", "the issuer is at capacity; retry after the delay given", seconds)
    }
}
