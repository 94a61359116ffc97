//! When to try again: full jitter, `Retry-After` with jitter on top, a retry budget, and the two
//! profiles of brief §5.
//!
//! Why full jitter: after an outage every pharmacy's phone has a backlog; if they retry on a
//! fixed or merely exponential schedule, their retries arrive together and knock the service
//! over again as it comes back (the August 2021 failure). Drawing each delay uniformly in
//! `[0, min(cap, base·2^n)]` spreads them over the whole window (the AWS Architecture Blog's
//! "Exponential Backoff And Jitter" measured full jitter as the least total work for the server).
//! The service's `Retry-After` is a floor, never a meeting time: jitter goes on top of it.
//!
//! Randomness is a parameter (a number in `[0, 1)`) so the policy runs on a simulated clock.

use crate::time::UnixMillis;

/// How patient a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryProfile {
    /// The pharmacist is waiting at the counter: quick retries for about 20 s in all, then the
    /// request moves to the backlog and the app offers the signed paper fallback.
    Interactive,
    /// Nobody is waiting: 30 s to 1 h between tries, for as long as it takes.
    Backlog,
}

impl RetryProfile {
    /// `interactive` or `backlog`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Interactive => "interactive",
            Self::Backlog => "backlog",
        }
    }

    /// The profile from its name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "interactive" => Some(Self::Interactive),
            "backlog" => Some(Self::Backlog),
            _ => None,
        }
    }
}

/// Exponential backoff with full jitter: `floor + random·min(cap − floor, base·2^n)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The shortest delay.
    pub floor_ms: i64,
    /// The first window.
    pub base_ms: i64,
    /// The longest delay.
    pub cap_ms: i64,
}

impl Backoff {
    /// The delay before retry number `retry` (0 for the first retry), for `random` in `[0, 1)`.
    pub fn delay_ms(&self, retry: u32, random: f64) -> i64 {
        let window = self.base_ms.saturating_mul(1_i64 << retry.min(40)).min(self.cap_ms - self.floor_ms).max(0);
        self.floor_ms + scaled(window, random)
    }
}

/// The per-device retry budget: a token bucket that first attempts fill and retries drain
/// (the retry budgets of Finagle and gRPC's retry throttling). A device's retries stay a
/// fraction of its own traffic plus a slow floor, so a fleet coming back from an outage
/// offers the service about its usual load, not its whole backlog at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryBudget {
    /// Tokens the bucket holds at most (retries that may run back to back).
    pub capacity: f64,
    /// Tokens regained per second whatever the traffic: the floor that drains a backlog when
    /// nothing new is entered.
    pub per_second: f64,
    /// Tokens each first attempt adds: retries may be this share of new requests.
    pub per_request: f64,
    /// Tokens each pass received adds: once the service answers again, a device's backlog
    /// drains at a pace its own successes set (no success, no speed-up).
    pub per_success: f64,
}

/// The budget's state: tokens left at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetState {
    /// Tokens at `at`.
    pub tokens: f64,
    /// When.
    pub at: UnixMillis,
}

impl RetryBudget {
    /// A full bucket at `now`.
    pub fn full(&self, now: UnixMillis) -> BudgetState {
        BudgetState { tokens: self.capacity, at: now }
    }

    fn refilled(&self, state: BudgetState, now: UnixMillis) -> f64 {
        let elapsed = now.millis_since(state.at).max(0) as f64 / 1000.0;
        (state.tokens + elapsed * self.per_second).min(self.capacity)
    }

    /// Adds `tokens` at `now` (a first attempt's or a success's share).
    pub fn deposit(&self, state: BudgetState, tokens: f64, now: UnixMillis) -> BudgetState {
        BudgetState { tokens: (self.refilled(state, now) + tokens).min(self.capacity), at: now }
    }

    /// Empties the bucket at `now` (the service answered that it is over capacity).
    pub fn spent(&self, state: BudgetState, now: UnixMillis) -> BudgetState {
        BudgetState { tokens: self.refilled(state, now).min(0.0), at: now }
    }

    /// Takes one token at `now`: the new state, or the instant a token will be there.
    pub fn take(&self, state: BudgetState, now: UnixMillis) -> Result<BudgetState, UnixMillis> {
        let tokens = self.refilled(state, now);
        if tokens >= 1.0 {
            Ok(BudgetState { tokens: tokens - 1.0, at: now })
        } else {
            let wait_ms = ((1.0 - tokens) / self.per_second * 1000.0).ceil() as i64;
            Err(now.saturating_add_millis(wait_ms.max(1)))
        }
    }
}

/// The whole policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries while the pharmacist waits.
    pub interactive: Backoff,
    /// How long an interactive request keeps its profile (from its enqueueing).
    pub interactive_window_ms: i64,
    /// Retries of the backlog.
    pub backlog: Backoff,
    /// The device's retry budget.
    pub budget: RetryBudget,
    /// The longest `Retry-After` honoured (a hostile or broken answer cannot park a request
    /// for a year).
    pub max_retry_after_ms: i64,
}

impl Default for RetryPolicy {
    /// Interactive: 0.2 s plus windows of 0.5, 1, 2, 3.8 … s, within 20 s. Backlog: 30 s plus a window
    /// doubling from 30 s up to 1 h. Budget (backlog retries): 2 back to back; then a fifth of a
    /// retry per new request, a quarter per pass received, and one every 20 minutes whatever
    /// happens. Measured with the drills (`tests/src/drill.rs`, `fallback_drill.rs`): 5 tokens
    /// and half a retry per pass let 1,000 phones offer 1.9x the capacity after a 6-hour outage.
    fn default() -> Self {
        Self {
            interactive: Backoff { floor_ms: 200, base_ms: 500, cap_ms: 4_000 },
            interactive_window_ms: 20_000,
            backlog: Backoff { floor_ms: 30_000, base_ms: 30_000, cap_ms: 3_600_000 },
            budget: RetryBudget { capacity: 2.0, per_second: 1.0 / 1_200.0, per_request: 0.2, per_success: 0.25 },
            max_retry_after_ms: 3_600_000,
        }
    }
}

/// When and how the next try runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextTry {
    /// Not before.
    pub at: UnixMillis,
    /// Under which profile (an interactive request past its window moves to the backlog).
    pub profile: RetryProfile,
}

impl RetryPolicy {
    /// The profile a request enqueued at `enqueued_at` under `profile` has at `now`.
    pub fn profile_at(&self, profile: RetryProfile, enqueued_at: UnixMillis, now: UnixMillis) -> RetryProfile {
        match profile {
            RetryProfile::Interactive if now.millis_since(enqueued_at) < self.interactive_window_ms => {
                RetryProfile::Interactive
            }
            _ => RetryProfile::Backlog,
        }
    }

    /// The next try after failed attempt number `attempts` (1 after the first), given the
    /// service's `Retry-After` if any, for `random` in `[0, 1)`.
    pub fn next_try(
        &self,
        profile: RetryProfile,
        enqueued_at: UnixMillis,
        attempts: u32,
        retry_after_ms: Option<i64>,
        now: UnixMillis,
        random: f64,
    ) -> NextTry {
        let retry = attempts.saturating_sub(1);
        if self.profile_at(profile, enqueued_at, now) == RetryProfile::Interactive {
            let at = now.saturating_add_millis(self.delay_ms(&self.interactive, retry, retry_after_ms, random));
            if at.millis_since(enqueued_at) < self.interactive_window_ms {
                return NextTry { at, profile: RetryProfile::Interactive };
            }
            // A retry that would land past the pharmacist's patience belongs to the backlog.
        }
        let at = now.saturating_add_millis(self.delay_ms(&self.backlog, retry, retry_after_ms, random));
        NextTry { at, profile: RetryProfile::Backlog }
    }

    /// How long a device sends nothing, new requests included, after a 429 or 503 that gave
    /// `retry_after_ms`: that wait, plus up to a tenth of it and at least up to a second, for
    /// `random` in `[0, 1)`. The service books refused clients by the second (`Retry-After`
    /// counts whole seconds, RFC 9110 §10.2.3), so the devices it told the same second spread
    /// their return over that second, not over its first tenth: with a tenth only, the 3,600 a
    /// second's booking holds at capacity would arrive within 0.1 s, overflow the queue and be
    /// refused again (`bench/` issuer, outbox rows).
    pub fn hold_ms(&self, retry_after_ms: i64, random: f64) -> i64 {
        let hold = retry_after_ms.clamp(0, self.max_retry_after_ms);
        hold + scaled((hold / 10).max(1_000), random)
    }

    fn delay_ms(&self, backoff: &Backoff, retry: u32, retry_after_ms: Option<i64>, random: f64) -> i64 {
        let delay = backoff.delay_ms(retry, random);
        match retry_after_ms {
            None => delay,
            Some(retry_after) => {
                let retry_after = retry_after.clamp(0, self.max_retry_after_ms);
                // The floor is the service's; the jitter on top spreads the clients it told the same.
                let jitter_window = retry_after.max(backoff.base_ms);
                delay.max(retry_after + scaled(jitter_window, random))
            }
        }
    }
}

/// `random · window`, with `random` clamped into `[0, 1)`.
fn scaled(window: i64, random: f64) -> i64 {
    let random = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.0 };
    (window as f64 * random) as i64
}

/// What an attempt's answer means for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerClass {
    /// The pass (2xx).
    Success,
    /// Worth trying again with the same key: no answer, 408, 409 (still being signed), 425,
    /// 429, 5xx, and anything unexpected (a captive portal's redirect, a proxy's page).
    Retryable,
    /// The service refused the request itself (4xx other than 408/409/425/429): trying again
    /// would get the same answer.
    Terminal,
}

impl AnswerClass {
    /// The class of an HTTP status.
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=299 => Self::Success,
            408 | 409 | 425 | 429 => Self::Retryable,
            400..=499 => Self::Terminal,
            _ => Self::Retryable,
        }
    }
}

/// Reads `Retry-After` as delay-seconds (RFC 9110 §10.2.3); an HTTP-date or garbage is ignored
/// (the backoff applies), as the service only sends seconds.
pub fn parse_retry_after_ms(value: &str) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    value.parse::<i64>().ok().map(|seconds| seconds.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixMillis = UnixMillis::from_millis(1_628_930_400_000);

    #[test]
    fn full_jitter_spans_the_doubling_window_up_to_the_cap() {
        let interactive = RetryPolicy::default().interactive;
        assert_eq!(interactive.delay_ms(0, 0.0), 200);
        assert_eq!(interactive.delay_ms(0, 0.999_999), 699);
        assert_eq!(interactive.delay_ms(2, 0.5), 1_200);
        assert_eq!(interactive.delay_ms(30, 0.999_999), 3_999);
        let backlog = RetryPolicy::default().backlog;
        assert_eq!(backlog.delay_ms(0, 0.0), 30_000);
        assert_eq!(backlog.delay_ms(20, 0.999_999), 3_599_996);
        // Hostile randomness cannot escape the window.
        assert_eq!(backlog.delay_ms(0, f64::NAN), 30_000);
        assert_eq!(backlog.delay_ms(0, 7.0), 60_000);
    }

    #[test]
    fn retry_after_is_a_floor_with_jitter_on_top() {
        let policy = RetryPolicy::default();
        let low = policy.next_try(RetryProfile::Backlog, T0, 1, Some(120_000), T0, 0.0);
        let high = policy.next_try(RetryProfile::Backlog, T0, 1, Some(120_000), T0, 0.99);
        assert_eq!(low.at, T0.saturating_add_millis(120_000));
        assert!(high.at.millis_since(T0) > 230_000, "{high:?}");
        // A year-long Retry-After is cut to the policy's longest.
        let capped = policy.next_try(RetryProfile::Backlog, T0, 1, Some(365 * 86_400_000), T0, 0.0);
        assert_eq!(capped.at.millis_since(T0), 3_600_000);
    }

    #[test]
    fn a_hold_spreads_over_a_tenth_of_it_and_at_least_a_second() {
        let policy = RetryPolicy::default();
        // One second given: the return spreads over the whole next second.
        assert_eq!(policy.hold_ms(1_000, 0.0), 1_000);
        assert_eq!(policy.hold_ms(1_000, 0.5), 1_500);
        assert_eq!(policy.hold_ms(1_000, 0.999), 1_999);
        // A minute given: over six seconds.
        assert_eq!(policy.hold_ms(60_000, 0.999), 65_994);
        // Hostile values stay within bounds.
        assert_eq!(policy.hold_ms(-5, 0.5), 500);
        assert_eq!(policy.hold_ms(i64::MAX, 0.0), 3_600_000);
        assert_eq!(policy.hold_ms(1_000, f64::NAN), 1_000);
    }

    #[test]
    fn an_interactive_request_moves_to_the_backlog_after_its_window() {
        let policy = RetryPolicy::default();
        let early = policy.next_try(RetryProfile::Interactive, T0, 1, None, T0.saturating_add_millis(1_000), 0.5);
        assert_eq!(early.profile, RetryProfile::Interactive);
        assert!(early.at.millis_since(T0) < 2_000, "{early:?}");
        let late = policy.next_try(RetryProfile::Interactive, T0, 6, None, T0.saturating_add_millis(19_000), 0.9);
        assert_eq!(late.profile, RetryProfile::Backlog);
        assert!(late.at.millis_since(T0) >= 19_000 + 30_000);
    }

    #[test]
    fn the_interactive_profile_tries_about_twenty_seconds_then_gives_way() {
        // Simulated clock: every attempt fails at once; count the tries within the window.
        let policy = RetryPolicy::default();
        for random in [0.0, 0.5, 0.999] {
            let (mut now, mut attempts) = (T0, 1);
            loop {
                let next = policy.next_try(RetryProfile::Interactive, T0, attempts, None, now, random);
                if next.profile == RetryProfile::Backlog {
                    break;
                }
                now = next.at;
                attempts += 1;
            }
            assert!(now.millis_since(T0) <= 20_000 && attempts >= 5, "random {random}: {attempts} tries up to {now:?}");
        }
    }

    #[test]
    fn the_budget_lets_a_burst_through_then_paces_retries_by_new_traffic_and_a_floor() {
        let budget = RetryPolicy::default().budget;
        let mut state = budget.full(T0);
        for _ in 0..2 {
            state = budget.take(state, T0).unwrap();
        }
        let ready = budget.take(state, T0).unwrap_err();
        assert_eq!(ready.millis_since(T0), 1_200_000);
        assert!(budget.take(state, ready).is_ok());
        // Five new requests fund one retry at once.
        for _ in 0..5 {
            state = budget.deposit(state, budget.per_request, T0);
        }
        assert!(budget.take(state, T0).is_ok());
        // The bucket never holds more than its capacity.
        let idle = budget.full(T0);
        assert_eq!(budget.deposit(idle, budget.per_success, T0.saturating_add_millis(86_400_000)).tokens, 2.0);
    }

    #[test]
    fn statuses_are_classed_as_brief_section_5_says() {
        assert_eq!(AnswerClass::of_status(201), AnswerClass::Success);
        for status in [408, 409, 429, 500, 502, 503, 504, 302] {
            assert_eq!(AnswerClass::of_status(status), AnswerClass::Retryable, "{status}");
        }
        for status in [400, 401, 403, 404, 413, 422] {
            assert_eq!(AnswerClass::of_status(status), AnswerClass::Terminal, "{status}");
        }
        assert_eq!(parse_retry_after_ms(" 7 "), Some(7_000));
        assert_eq!(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after_ms("-1"), None);
        assert_eq!(parse_retry_after_ms("99999999999999"), None);
    }
}
