//! When to tell a refused client to come back.
//!
//! A fixed `Retry-After` sends everyone refused in the same second back in the same second: the
//! service idles while they wait, then refuses most of them again when they return together
//! (measured with `bench/` issuer: with 3 s for everyone, 4,000 outboxes at 3x overload got
//! 53–74% of capacity). Instead each refusal books a place in the coming seconds, at most one
//! second's worth of issuances per second, as a clinic books appointments: the clients return
//! at about the rate the service completes, and the wait a client is given is the honest wait
//! for its turn. `Retry-After` counts whole seconds (RFC 9110 §10.2.3), so a second is the
//! unit; clients spread their return over that second themselves (`core/src/outbox/`).
//!
//! A device is booked once: refused again before its second (it did not wait, or it sent
//! another request while told to hold off), it is given the same second again, not a second
//! place. Clients that ignore `Retry-After` would otherwise fill the coming seconds with places
//! nobody takes, and the clients that do wait would be sent further out while the service
//! idles (measured: after a phase of such clients, 4,000 outboxes got 78% of capacity instead
//! of 95%).

use std::collections::HashMap;
use std::sync::Mutex;

use healthpass_core::protocol::DeviceId;

/// The longest wait given; a client never books further ahead than this.
pub const LONGEST_WAIT_SECONDS: u64 = 30;

/// Seconds the ring covers: the booked seconds and the current one.
const SECONDS: usize = LONGEST_WAIT_SECONDS as usize + 2;

/// Devices whose booking is remembered at most (the device named in a request is not yet
/// authenticated when it is refused, so a flood of invented ids must not grow memory).
const REMEMBERED_DEVICES: usize = 100_000;

/// The bookings of the coming seconds and the service's measured pace.
pub struct ReturnSchedule {
    state: Mutex<State>,
}

struct State {
    /// The second `completed` counts.
    current: u64,
    /// Issuances completed in `current`.
    completed: u64,
    /// Whether a request had to wait for a worker or was refused in `current`: its completions
    /// were then as many as the service could do, not as many as were asked.
    saturated: bool,
    /// Completions of the last saturated seconds, newest last.
    recent: [u64; PACE_SECONDS],
    /// The guess booked against until a saturated second is measured.
    initial_pace: u64,
    /// Clients told to return in a second, by second modulo [`SECONDS`]: (second, count).
    booked: [(u64, u64); SECONDS],
    /// The second each device was booked, while it is to come.
    devices: HashMap<DeviceId, u64>,
}

/// Saturated seconds the pace is taken from.
const PACE_SECONDS: usize = 8;

impl ReturnSchedule {
    /// A schedule that books `initial_pace` clients per second until it has measured its own.
    pub fn new(initial_pace: u64) -> Self {
        let state = State {
            current: 0,
            completed: 0,
            saturated: false,
            recent: [0; PACE_SECONDS],
            initial_pace: initial_pace.max(1),
            booked: [(u64::MAX, 0); SECONDS],
            devices: HashMap::new(),
        };
        Self { state: Mutex::new(state) }
    }

    /// One issuance completed during `second` (seconds since the service started).
    pub fn completed(&self, second: u64) {
        let mut state = self.lock();
        state.advance(second);
        state.completed += 1;
    }

    /// A request had to wait for a worker during `second`: the service was working at its pace.
    pub fn saturated(&self, second: u64) {
        let mut state = self.lock();
        state.advance(second);
        state.saturated = true;
    }

    /// A client refused during `second`, naming `device` if it did: the seconds it should wait,
    /// 1 to [`LONGEST_WAIT_SECONDS`] — the first second with room, booked for it, or the second
    /// already booked for its device.
    pub fn book(&self, second: u64, device: Option<DeviceId>) -> u64 {
        let mut state = self.lock();
        state.advance(second);
        state.saturated = true;
        if let Some(&booked) = device.as_ref().and_then(|device| state.devices.get(device))
            && booked > second
        {
            return booked - second;
        }
        let room = state.pace();
        // Every second full: the longest wait, booked over the others.
        let mut wait = LONGEST_WAIT_SECONDS;
        for ahead in 1..=LONGEST_WAIT_SECONDS {
            let target = second + ahead;
            let Some(slot) = state.booked.get_mut((target % SECONDS as u64) as usize) else { break };
            if slot.0 != target {
                *slot = (target, 0);
            }
            if slot.1 < room {
                slot.1 += 1;
                wait = ahead;
                break;
            }
        }
        if let Some(device) = device
            && (state.devices.len() < REMEMBERED_DEVICES || state.devices.contains_key(&device))
        {
            state.devices.insert(device, second + wait);
        }
        wait
    }

    /// Completions per second the schedule books against now.
    pub fn pace(&self) -> u64 {
        self.lock().pace()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; counts stay usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    /// The most the service completed in one of its last saturated seconds. The most, not the
    /// mean: a saturated second can still hold idle moments (the queue filled and emptied
    /// within it), and booking against those would return fewer clients, idle the service
    /// more and lower the pace further. Over the last eight saturated seconds only, so a
    /// slower service (a stalled disk) is booked at its new pace eight busy seconds later.
    fn pace(&self) -> u64 {
        match self.recent.iter().max() {
            Some(&most) if most > 0 => most,
            _ => self.initial_pace,
        }
    }

    /// Moves to `second`, keeping the completions of the second that ended if it was saturated.
    fn advance(&mut self, second: u64) {
        if second <= self.current {
            return;
        }
        if self.saturated && self.completed > 0 {
            self.recent.rotate_left(1);
            self.recent[PACE_SECONDS - 1] = self.completed;
        }
        // Bookings whose second has come are done with.
        self.devices.retain(|_, booked| *booked > second);
        self.current = second;
        self.completed = 0;
        self.saturated = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_the_coming_seconds_at_the_pace_then_further() {
        let schedule = ReturnSchedule::new(3);
        let waits: Vec<u64> = (0..10).map(|_| schedule.book(100, None)).collect();
        assert_eq!(waits, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
        // A second later the bookings made for then are still there: one second fewer to wait.
        assert_eq!(schedule.book(101, None), 3);
    }

    #[test]
    fn learns_the_pace_from_saturated_seconds_only() {
        let schedule = ReturnSchedule::new(10);
        // A quiet second (nobody waited): 2 completions say nothing about capacity.
        schedule.completed(5);
        schedule.completed(5);
        schedule.completed(6);
        assert_eq!(schedule.pace(), 10);
        // A saturated second with 30 completions: the pace is 30.
        schedule.saturated(6);
        for _ in 0..29 {
            schedule.completed(6);
        }
        schedule.completed(7);
        assert_eq!(schedule.pace(), 30);
        // A saturated second that idled half of it does not lower the pace…
        schedule.saturated(7);
        for _ in 0..14 {
            schedule.completed(7);
        }
        schedule.book(8, None);
        assert_eq!(schedule.pace(), 30);
        // …but eight saturated seconds at a slower pace do.
        for second in 8..16 {
            for _ in 0..12 {
                schedule.completed(second);
            }
            schedule.saturated(second);
        }
        schedule.completed(16);
        assert_eq!(schedule.pace(), 12);
    }

    #[test]
    fn a_device_is_booked_once_until_its_second_comes() {
        let schedule = ReturnSchedule::new(1);
        let (eager, other) = (DeviceId::parse("t0Vt9V0nxQY"), DeviceId::parse("AAAAAAAAAAA"));
        assert_eq!(schedule.book(10, eager), 1);
        // Back at once, and again: the same second, nobody else pushed out.
        assert_eq!(schedule.book(10, eager), 1);
        assert_eq!(schedule.book(10, eager), 1);
        assert_eq!(schedule.book(10, other), 2);
        // Its second has come: refused again, it is booked anew.
        assert_eq!(schedule.book(11, eager), 2);
    }

    #[test]
    fn invented_device_ids_cannot_grow_memory_past_the_cap() {
        use base64::Engine as _;
        let schedule = ReturnSchedule::new(1_000_000);
        let invented = |n: u64| {
            DeviceId::parse(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n.to_be_bytes())).unwrap()
        };
        for n in 0..REMEMBERED_DEVICES as u64 + 500 {
            assert_eq!(schedule.book(0, Some(invented(n))), 1);
        }
        assert_eq!(schedule.lock().devices.len(), REMEMBERED_DEVICES);
        // Past the cap a device is still booked, only not remembered; once the second comes,
        // the remembered ones are let go.
        assert_eq!(schedule.book(1, Some(invented(0))), 1);
        assert_eq!(schedule.lock().devices.len(), 1);
    }

    #[test]
    fn never_asks_for_more_than_the_longest_wait() {
        let schedule = ReturnSchedule::new(1);
        let waits: Vec<u64> = (0..40).map(|_| schedule.book(0, None)).collect();
        assert_eq!(waits[..30], (1..=30).collect::<Vec<_>>()[..]);
        assert!(waits[30..].iter().all(|&wait| wait == LONGEST_WAIT_SECONDS));
    }

    #[test]
    fn seconds_that_passed_free_their_places() {
        let schedule = ReturnSchedule::new(1);
        assert_eq!(schedule.book(0, None), 1);
        assert_eq!(schedule.book(0, None), 2);
        // Far later, the ring's old bookings are not mistaken for new ones.
        assert_eq!(schedule.book(1_000, None), 1);
        assert_eq!(schedule.book(1_000 + SECONDS as u64, None), 1);
    }
}
