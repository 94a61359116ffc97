//! A token bucket per device: one misbehaving device (a retry loop without backoff) cannot
//! take the capacity every pharmacy shares. Its refusals are 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;

use healthpass_core::protocol::DeviceId;

/// A device's allowance: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests a device may send at once.
    pub burst: f64,
    /// Requests a second a device may sustain.
    pub per_second: f64,
}

impl Default for RateLimit {
    /// A pharmacy issues a few passes a minute; a backlog drains at up to 20 a second.
    fn default() -> Self {
        Self { burst: 120.0, per_second: 20.0 }
    }
}

/// The buckets of every device seen, by id.
pub type DeviceRateLimiter = RateLimiter<DeviceId>;

/// Token buckets by key: devices for issuance, client addresses for the wallets' transfer
/// routes (which carry no device signature).
pub struct RateLimiter<K> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, (f64, f64)>>,
}

impl<K: std::hash::Hash + Eq> RateLimiter<K> {
    /// Buckets of `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Self { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token of `device` (any key) at `now_seconds` (a monotonic clock); when none is left, the
    /// seconds until one will be.
    pub fn take(&self, device: K, now_seconds: f64) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        // Bounded memory: forget full buckets when the map grows large.
        if buckets.len() > 100_000 {
            let limit = self.limit;
            buckets.retain(|_, (tokens, at)| *tokens + (now_seconds - *at) * limit.per_second < limit.burst);
        }
        let (tokens, at) = buckets.entry(device).or_insert((self.limit.burst, now_seconds));
        *tokens = (*tokens + (now_seconds - *at).max(0.0) * self.limit.per_second).min(self.limit.burst);
        *at = now_seconds;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.limit.per_second.max(f64::MIN_POSITIVE)).ceil().max(1.0) as u64)
        }
    }
}
