//! The time source behind relaxed durability's one-second bound.
//!
//! Commits and the flush thread read a [`Clock`] rather than `Instant::now`
//! so that the crash simulation can move time forward by hand and cut the
//! power inside a commit made durable by the timer, a path a test run in real
//! time would reach only by sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A clock that moves only when told to (for tests). Clones share the time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> ManualClock {
        ManualClock::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(nanos, Ordering::SeqCst);
    }

    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

/// Two handles are equal when they move together (options compare equal when
/// they would behave the same).
impl PartialEq for ManualClock {
    fn eq(&self, other: &ManualClock) -> bool {
        Arc::ptr_eq(&self.nanos, &other.nanos)
    }
}

impl Eq for ManualClock {}

/// Monotonic time since the database opened.
pub(crate) enum Clock {
    System(Instant),
    Manual(ManualClock),
}

impl Clock {
    pub fn new(manual: Option<&ManualClock>) -> Clock {
        match manual {
            Some(m) => Clock::Manual(m.clone()),
            None => Clock::System(Instant::now()),
        }
    }

    pub fn now(&self) -> Duration {
        match self {
            Clock::System(start) => start.elapsed(),
            Clock::Manual(m) => m.now(),
        }
    }
}
