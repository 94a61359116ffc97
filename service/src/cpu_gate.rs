//! At most one signature computation per core at a time.
//!
//! An issuance mostly waits (for its durable commit), so many run at once; but if all of them
//! verify and sign at the same moment they crowd out the one thread that commits for everyone
//! (SQLite's writer), and throughput falls. Measured with `bench/` issuer on 2 cores: 128
//! workers without this gate kept the writer runnable but descheduled; with it, the
//! cryptography queues here and the writer keeps its core.

use std::sync::{Condvar, Mutex};

/// A counting gate: `run` waits while `permits` computations are under way.
pub struct CpuGate {
    in_use: Mutex<usize>,
    freed: Condvar,
    permits: usize,
}

impl CpuGate {
    /// A gate for `permits` computations at once (at least one).
    pub fn new(permits: usize) -> Self {
        Self { in_use: Mutex::new(0), freed: Condvar::new(), permits: permits.max(1) }
    }

    /// Runs `work` once a permit is free.
    pub fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        // A poisoned lock only means another computation panicked; the count is still right.
        let mut in_use = self.in_use.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while *in_use >= self.permits {
            in_use = self.freed.wait(in_use).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *in_use += 1;
        drop(in_use);
        let result = work();
        let mut in_use = self.in_use.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *in_use -= 1;
        drop(in_use);
        self.freed.notify_one();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_than_its_permits_at_once() {
        let gate = Arc::new(CpuGate::new(2));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, running, most) = (gate.clone(), running.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        gate.run(|| {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::yield_now();
                            running.fetch_sub(1, Ordering::SeqCst);
                        });
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|thread| thread.join().unwrap());
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert_eq!(gate.run(|| 7), 7);
    }
}
