//! The clocks of one block call: the guest's CPU time, the wall clock, and the time the call
//! spent waiting inside host imports.
//!
//! Guest CPU time is measured from the engine's epoch ticks: the time between two ticks is
//! the guest's, less the time it spent *waiting* in host calls (a model answer, a database
//! query, a WASI sleep). Host work done on the guest's behalf without waiting — rendering a
//! template, parsing its JSON, a cheap import called in a tight loop — is CPU time of the
//! guest and counts against its limit. Which part of a host call was waiting is said by the
//! import (`flag_wait`); a host call no import accounted for (a WASI call) is waiting when it
//! lasted [`UNACCOUNTED_WAIT`] or more (only `poll` and sleeps take that long), work otherwise.
//!
//! Where the guest ran without suspending between two marks (it stays on one thread then),
//! the thread's own CPU clock says how much CPU it used, so a guest descheduled by a busy
//! machine is not charged for the time it did not run; across a suspension (a wait, after
//! which the task may run on another thread) the wall-clock reckoning above is used.
//!
//! The wall clock is checked at every tick too, so a guest that never lets its task yield
//! still stops at its wall-clock limit. Time the call spent queued for a model provider (for
//! a concurrency slot, a rate limit, a `Retry-After` pause) is the provider's, not the
//! block's: it is left out of the wall clock ([`CallClock::exclude_from_wall_clock`],
//! [`within_wall_clock`]), so a rate-limited job slows down instead of failing; the run's
//! provider deadline (`LLM_RUN_DEADLINE_SECS`) bounds that time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A host call that no import accounted for and that lasted this long was waiting.
pub const UNACCOUNTED_WAIT: Duration = Duration::from_millis(1);

/// Which limit a tick found exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// Guest CPU time (host work on its behalf included) passed the limit.
    CpuTime {
        /// The limit.
        limit: Duration,
    },
    /// The call's wall clock passed the limit.
    WallClock {
        /// The limit.
        limit: Duration,
    },
}

/// What the epoch callback should do after a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickDecision {
    /// Stop the call: a limit was exceeded.
    Stop(Exceeded),
    /// Keep running without yielding: the task already yielded while it waited in this tick.
    Continue,
    /// Let other tasks run, then resume.
    Yield,
}

/// The clocks of one call.
#[derive(Debug)]
pub struct CallClock {
    cpu_limit: Duration,
    wall_limit: Duration,
    started: Instant,
    deadline: Instant,
    cpu_time: Duration,
    /// When the guest last resumed (after a yield) or was last charged, and its thread's CPU
    /// clock then; shared with the future that resumes the guest after a yield.
    last_mark: Arc<Mutex<Mark>>,
    /// The guest suspended (waited in a host call) since the last mark.
    suspended: bool,
    host_entered: Option<Instant>,
    host_depth: u32,
    call_wait: Duration,
    call_accounted: bool,
    call_elsewhere: bool,
    tick_wait: Duration,
    tick_longest_wait: Duration,
}

impl CallClock {
    /// A clock started at `now` with the call's limits.
    pub fn new(now: Instant, cpu_limit: Duration, wall_limit: Duration) -> Self {
        CallClock {
            cpu_limit,
            wall_limit,
            started: now,
            deadline: now + wall_limit,
            cpu_time: Duration::ZERO,
            last_mark: Arc::new(Mutex::new(Mark {
                at: now,
                thread_cpu: None,
            })),
            suspended: false,
            host_entered: None,
            host_depth: 0,
            call_wait: Duration::ZERO,
            call_accounted: false,
            call_elsewhere: false,
            tick_wait: Duration::ZERO,
            tick_longest_wait: Duration::ZERO,
        }
    }

    /// The wall clock leaves out `excluded`, the time the call spent queued for a provider so
    /// far: the deadline is the start plus the limit plus it.
    pub fn exclude_from_wall_clock(&mut self, excluded: Duration) {
        self.deadline = self.started + self.wall_limit + excluded;
    }

    /// Guest CPU time charged so far.
    pub fn cpu_time(&self) -> Duration {
        self.cpu_time
    }

    /// The guest called into the host.
    pub fn entering_host(&mut self, now: Instant) {
        if self.host_depth == 0 {
            self.host_entered = Some(now);
            self.call_wait = Duration::ZERO;
            self.call_accounted = false;
            self.call_elsewhere = false;
        }
        self.host_depth += 1;
    }

    /// The host call returned to the guest.
    pub fn leaving_host(&mut self, now: Instant) {
        self.host_depth = self.host_depth.saturating_sub(1);
        if self.host_depth > 0 {
            return;
        }
        let Some(entered) = self.host_entered.take() else {
            return;
        };
        let spent = now.saturating_duration_since(entered);
        let wait = if self.call_accounted {
            self.call_wait.min(spent)
        } else if spent >= UNACCOUNTED_WAIT {
            spent
        } else {
            Duration::ZERO
        };
        self.tick_wait += wait;
        self.tick_longest_wait = self.tick_longest_wait.max(wait);
        self.suspended |= wait > Duration::ZERO || self.call_elsewhere;
    }

    /// The host starts the guest (the call begins) at `now` on a thread whose CPU clock reads
    /// `thread_cpu`.
    pub fn entering_guest(&mut self, now: Instant, thread_cpu: Option<Duration>) {
        if self.host_depth == 0 {
            self.mark(now, thread_cpu);
        }
    }

    fn mark(&mut self, now: Instant, thread_cpu: Option<Duration>) {
        *self.last_mark.lock().unwrap_or_else(|p| p.into_inner()) = Mark {
            at: now,
            thread_cpu,
        };
        self.suspended = false;
    }

    /// An import says the current host call waited `wait` (for the network, the database or
    /// a queue) rather than worked; call it once per wait, possibly several times per call.
    pub fn flag_wait(&mut self, wait: Duration) {
        self.call_wait += wait;
        self.call_accounted = true;
    }

    /// An import says the current host call was work for the guest (apart from the waits it
    /// flags); `elsewhere` when that work ran on another thread, which the guest waited for.
    pub fn flag_work(&mut self, elsewhere: bool) {
        self.call_accounted = true;
        self.call_elsewhere |= elsewhere;
    }

    /// The epoch ticked at `now` while the guest ran on a thread whose CPU clock reads
    /// `thread_cpu`: charge its CPU time and decide.
    pub fn tick(&mut self, now: Instant, thread_cpu: Option<Duration>) -> TickDecision {
        let last = std::mem::replace(
            &mut *self.last_mark.lock().unwrap_or_else(|p| p.into_inner()),
            Mark {
                at: now,
                thread_cpu,
            },
        );
        let since = now.saturating_duration_since(last.at);
        self.settle_host_call(now);
        let waited = std::mem::take(&mut self.tick_wait);
        let longest_wait = std::mem::take(&mut self.tick_longest_wait);
        let by_wall_clock = since.saturating_sub(waited);
        let charged = match (last.thread_cpu, thread_cpu) {
            (Some(before), Some(after)) if !self.suspended => {
                after.saturating_sub(before).min(by_wall_clock)
            }
            _ => by_wall_clock,
        };
        self.suspended = false;
        self.cpu_time += charged;
        if self.cpu_time > self.cpu_limit {
            return TickDecision::Stop(Exceeded::CpuTime {
                limit: self.cpu_limit,
            });
        }
        if now >= self.deadline {
            return TickDecision::Stop(Exceeded::WallClock {
                limit: self.wall_limit,
            });
        }
        // A wait of a whole tick in one host call means the task was parked meanwhile: the
        // runtime already ran others, and yielding right after an answer would only queue the
        // run behind every other task. Work, however long, does not count as having yielded.
        if longest_wait >= super::limits::EPOCH_TICK {
            TickDecision::Continue
        } else {
            TickDecision::Yield
        }
    }

    /// A tick inside a host call: the host called back into the guest (its allocator, to
    /// return the answer) after waiting. The wait so far is the tick's, and the rest of the
    /// host call is measured from `now` — else a long wait (a model queued for minutes) would
    /// be charged as CPU time by a tick before the call returned.
    fn settle_host_call(&mut self, now: Instant) {
        let Some(entered) = self.host_entered else {
            return;
        };
        let spent = now.saturating_duration_since(entered);
        let wait = if self.call_accounted {
            std::mem::take(&mut self.call_wait).min(spent)
        } else if spent >= UNACCOUNTED_WAIT {
            spent
        } else {
            return;
        };
        // What follows in this host call runs guest code (ticks only fire there): it is
        // work, never a wait, however long — else a guest spinning in its allocator inside
        // an unaccounted call (a WASI import) would be charged nothing at every tick.
        self.call_accounted = true;
        self.host_entered = Some(now);
        self.tick_wait += wait;
        self.tick_longest_wait = self.tick_longest_wait.max(wait);
        self.suspended |= wait > Duration::ZERO || self.call_elsewhere;
    }

    /// A handle the yield future uses to restart the guest's clock when it resumes.
    pub fn resume_handle(&self) -> ResumeHandle {
        ResumeHandle(self.last_mark.clone())
    }
}

/// Runs `call`, started at `started`, until it ends — `Some` of its output — or until its
/// wall clock less the time `excluded` says it spent queued for a provider passes `limit` —
/// `None`. The deadline is looked at again when it comes, since queued time moves it.
pub async fn within_wall_clock<F: std::future::Future>(
    started: Instant,
    limit: Duration,
    excluded: impl Fn(Instant) -> Duration,
    call: F,
) -> Option<F::Output> {
    tokio::pin!(call);
    loop {
        let deadline = started + limit + excluded(Instant::now());
        tokio::select! {
            biased;
            output = &mut call => return Some(output),
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {
                let now = Instant::now();
                if now >= started + limit + excluded(now) {
                    return None;
                }
            }
        }
    }
}

/// A point the guest's CPU time is counted from.
#[derive(Debug, Clone, Copy)]
struct Mark {
    at: Instant,
    thread_cpu: Option<Duration>,
}

/// Restarts a call's CPU clock when the guest resumes after a yield (time spent queued is not
/// the guest's), on whichever thread it resumes.
pub struct ResumeHandle(Arc<Mutex<Mark>>);

impl ResumeHandle {
    /// The guest resumes now, on the current thread.
    pub fn resumed(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Mark {
            at: Instant::now(),
            thread_cpu: thread_cpu_time(),
        };
    }
}

/// The CPU time the current thread has used, where the platform says.
pub fn thread_cpu_time() -> Option<Duration> {
    cpu_clock(CpuClock::Thread)
}

/// The CPU time the whole process (every thread, user and system) has used, where the
/// platform says.
pub fn process_cpu_time() -> Option<Duration> {
    cpu_clock(CpuClock::Process)
}

/// Whose CPU time [`cpu_clock`] reads.
enum CpuClock {
    Thread,
    Process,
}

fn cpu_clock(whose: CpuClock) -> Option<Duration> {
    #[cfg(unix)]
    {
        use rustix::time::ClockId;
        let id = match whose {
            CpuClock::Thread => ClockId::ThreadCPUTime,
            CpuClock::Process => ClockId::ProcessCPUTime,
        };
        let now = rustix::time::clock_gettime(id);
        Some(Duration::new(
            u64::try_from(now.tv_sec).ok()?,
            u32::try_from(now.tv_nsec).ok()?,
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = whose;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn clock(start: Instant) -> CallClock {
        CallClock::new(start, 100 * MS, 1000 * MS)
    }

    /// One host call from `at` lasting `spent`, during which the import flagged `wait`
    /// (`None`: no import accounted for it, as for a WASI call).
    fn host_call(c: &mut CallClock, at: Instant, spent: Duration, wait: Option<Duration>) {
        c.entering_host(at);
        if let Some(wait) = wait {
            c.flag_wait(wait);
        }
        c.leaving_host(at + spent);
    }

    #[test]
    fn host_time_is_cpu_time_unless_it_was_waiting() {
        // (what the host call was, its length, what the import flagged, CPU charged of a
        // 10 ms tick, the decision)
        let cases: &[(&str, Duration, Option<Duration>, Duration, TickDecision)] = &[
            (
                "no host call",
                Duration::ZERO,
                None,
                10 * MS,
                TickDecision::Yield,
            ),
            (
                "llm answer",
                10 * MS,
                Some(10 * MS),
                Duration::ZERO,
                TickDecision::Continue,
            ),
            (
                "short db query",
                2 * MS,
                Some(2 * MS),
                8 * MS,
                TickDecision::Yield,
            ),
            (
                "template render",
                9 * MS,
                Some(Duration::ZERO),
                10 * MS,
                TickDecision::Yield,
            ),
            (
                "render queued 4 ms",
                9 * MS,
                Some(4 * MS),
                6 * MS,
                TickDecision::Yield,
            ),
            (
                "wasi sleep",
                10 * MS,
                None,
                Duration::ZERO,
                TickDecision::Continue,
            ),
            (
                "cheap wasi call",
                Duration::from_micros(200),
                None,
                10 * MS,
                TickDecision::Yield,
            ),
        ];
        for (what, spent, wait, charged, decision) in cases {
            let start = Instant::now();
            let mut c = clock(start);
            host_call(&mut c, start, *spent, *wait);
            assert_eq!(c.tick(start + 10 * MS, None), *decision, "{what}");
            assert_eq!(c.cpu_time(), *charged, "{what}");
        }
    }

    #[test]
    fn many_short_waits_still_yield() {
        let start = Instant::now();
        let mut c = clock(start);
        for i in 0..10 {
            host_call(&mut c, start + i * MS, MS, Some(MS));
        }
        assert_eq!(c.tick(start + 10 * MS, None), TickDecision::Yield);
        assert_eq!(c.cpu_time(), Duration::ZERO);
    }

    #[test]
    fn a_render_loop_hits_the_cpu_limit() {
        let start = Instant::now();
        let mut c = clock(start);
        let mut now = start;
        let mut decision = TickDecision::Yield;
        for _ in 0..20 {
            host_call(&mut c, now, 10 * MS, Some(Duration::ZERO));
            now += 10 * MS;
            decision = c.tick(now, None);
            if matches!(decision, TickDecision::Stop(_)) {
                break;
            }
        }
        assert_eq!(
            decision,
            TickDecision::Stop(Exceeded::CpuTime { limit: 100 * MS })
        );
        assert!(now <= start + 110 * MS, "stopped at the limit");
    }

    #[test]
    fn a_waiting_guest_hits_the_wall_clock_not_the_cpu_limit() {
        let start = Instant::now();
        let mut c = clock(start);
        let mut now = start;
        loop {
            host_call(&mut c, now, 50 * MS, None);
            now += 50 * MS;
            match c.tick(now, None) {
                TickDecision::Stop(exceeded) => {
                    assert_eq!(exceeded, Exceeded::WallClock { limit: 1000 * MS });
                    break;
                }
                _ => assert!(now < start + 2000 * MS),
            }
        }
        assert_eq!(c.cpu_time(), Duration::ZERO);
    }

    #[test]
    fn the_thread_clock_is_used_while_the_guest_did_not_suspend() {
        let start = Instant::now();
        // Descheduled: 10 ms passed, the thread ran 3 ms.
        let mut c = clock(start);
        c.entering_guest(start, Some(100 * MS));
        assert_eq!(c.tick(start + 10 * MS, Some(103 * MS)), TickDecision::Yield);
        assert_eq!(c.cpu_time(), 3 * MS);
        // A render (work, same thread) is counted by the thread clock too.
        host_call(&mut c, start + 11 * MS, 5 * MS, Some(Duration::ZERO));
        c.tick(start + 20 * MS, Some(112 * MS));
        assert_eq!(c.cpu_time(), 12 * MS);
        // A render on another thread is not on this thread's clock: by the wall clock.
        c.entering_host(start + 21 * MS);
        c.flag_work(true);
        c.leaving_host(start + 29 * MS);
        c.tick(start + 30 * MS, Some(113 * MS));
        assert_eq!(c.cpu_time(), 22 * MS);
        // After a wait the thread may be another: the wall-clock reckoning applies.
        host_call(&mut c, start + 31 * MS, 4 * MS, Some(4 * MS));
        c.tick(start + 40 * MS, Some(500 * MS));
        assert_eq!(c.cpu_time(), 28 * MS);
    }

    #[test]
    fn a_tick_in_the_allocator_after_a_long_wait_charges_no_wait() {
        let start = Instant::now();
        let mut c = clock(start);
        // A model call queued 60 s (far past the 100 ms CPU limit) ...
        c.entering_host(start);
        c.flag_wait(60_000 * MS);
        // ... (queued for the provider: out of the 1 s wall clock too), whose answer is
        // lowered through the guest's allocator, where the epoch ticks.
        c.exclude_from_wall_clock(60_000 * MS);
        c.entering_guest(start + 60_000 * MS, None);
        assert_eq!(
            c.tick(start + 60_002 * MS, None),
            TickDecision::Continue,
            "the wait is not CPU time"
        );
        assert_eq!(c.cpu_time(), 2 * MS);
        c.leaving_host(start + 60_003 * MS);
        c.tick(start + 60_010 * MS, None);
        assert_eq!(c.cpu_time(), 10 * MS, "not counted twice either");
    }

    #[test]
    fn a_guest_spinning_in_its_allocator_inside_an_unaccounted_call_is_charged() {
        let start = Instant::now();
        let mut c = clock(start);
        // A WASI call no import accounts for calls the guest's allocator, which spins: the
        // first tick finds 10 ms in the host call (taken as its wait), every later tick is
        // the guest's CPU time, until the 100 ms limit stops it.
        c.entering_host(start);
        c.entering_guest(start, None);
        assert_eq!(c.tick(start + 10 * MS, None), TickDecision::Continue);
        assert_eq!(c.cpu_time(), Duration::ZERO);
        let stopped = (2..=30u32)
            .find(|n| matches!(c.tick(start + n * 10 * MS, None), TickDecision::Stop(_)));
        assert_eq!(stopped, Some(12), "charged {:?}", c.cpu_time());
    }

    #[test]
    fn nested_host_calls_count_once() {
        let start = Instant::now();
        let mut c = clock(start);
        c.entering_host(start);
        c.flag_wait(6 * MS);
        // The host calls back into the guest (its allocator) and that calls the host again.
        c.entering_host(start + MS);
        c.leaving_host(start + 2 * MS);
        c.leaving_host(start + 8 * MS);
        assert_eq!(c.tick(start + 10 * MS, None), TickDecision::Yield);
        assert_eq!(c.cpu_time(), 4 * MS);
    }
}
