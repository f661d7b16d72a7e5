//! The time a block call spends inside host imports, and the clock it is charged to. Every
//! import that waits or works for the guest accounts for it here, through its view.

use std::time::Duration;

use super::call_clock::CallClock;

/// A call's clock and the time it spent in host imports.
#[derive(Debug)]
pub struct ImportTime {
    /// The call's CPU time and wall clock.
    pub clock: CallClock,
    /// Time spent inside host imports (model calls, storage, rendering).
    pub in_imports: Duration,
}

impl ImportTime {
    /// No time in imports yet, charged to `clock`.
    pub fn new(clock: CallClock) -> Self {
        ImportTime {
            clock,
            in_imports: Duration::ZERO,
        }
    }

    /// Accounts `elapsed` as time spent inside a host import waiting (for a model, the
    /// database): reported with the call, and not guest CPU time.
    pub fn record_wait(&mut self, elapsed: Duration) {
        self.in_imports += elapsed;
        self.clock.flag_wait(elapsed);
    }

    /// Accounts `elapsed` as time spent inside a host import of which `work` was the host
    /// working for the block (rendering, parsing), on another thread when `elsewhere`:
    /// reported with the call, and the work is guest CPU time.
    pub fn record_work(&mut self, elapsed: Duration, work: Duration, elsewhere: bool) {
        self.in_imports += elapsed;
        self.clock.flag_work(elsewhere);
        self.clock.flag_wait(elapsed.saturating_sub(work));
    }
}
