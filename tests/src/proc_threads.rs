//! A process's threads as Linux's `/proc/PID/task/*/stat` shows them: name, CPU time used
//! and nice value. The bench prints where the cores went (the job's threads, the API's,
//! SQLite's connections, the bench's own clients) without a profiler; tests check which
//! threads run at a lower priority.

use std::collections::BTreeMap;

/// `/proc` counts CPU time in `USER_HZ` ticks, which Linux fixes at 100 a second for every
/// architecture's user-space ABI.
const TICKS_PER_SEC: f64 = 100.0;

/// One thread: its name (as the kernel keeps it: at most 15 bytes), CPU seconds, nice value.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadStat {
    /// The thread's name.
    pub name: String,
    /// User + system CPU seconds.
    pub secs: f64,
    /// Its nice value (0 by default, 19 the lowest priority).
    pub nice: i32,
}

/// Each thread of process `pid` now, by thread id (so in the order the
/// threads were started). Empty where `/proc` cannot be read (not Linux, the process is gone).
pub fn by_thread(pid: u32) -> BTreeMap<u32, ThreadStat> {
    let mut threads = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return threads;
    };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        if let Some(thread) = parse_stat(&stat) {
            threads.insert(tid, thread);
        }
    }
    threads
}

/// The CPU seconds process `pid` has used so far, every thread's (those that have ended
/// included), or `None` where `/proc` cannot be read.
pub fn process_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat).map(|process| process.secs)
}

/// One `stat` line: `pid (comm) state …`, where `comm` may hold spaces and parentheses, so
/// the fields are counted after the last `)`.
fn parse_stat(stat: &str) -> Option<ThreadStat> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_owned();
    // After `)`: state is field 3 of the line, utime 14, stime 15, nice 19.
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3);
    let utime: u64 = field(14)?.parse().ok()?;
    let stime: u64 = field(15)?.parse().ok()?;
    Some(ThreadStat {
        name,
        secs: (utime + stime) as f64 / TICKS_PER_SEC,
        nice: field(19)?.parse().ok()?,
    })
}

/// What each thread used between two readings (a thread started in between counts from 0),
/// summed by name: the name, the total, and each thread's share in thread-id order.
pub fn used_between(
    before: &BTreeMap<u32, ThreadStat>,
    after: &BTreeMap<u32, ThreadStat>,
) -> Vec<(String, f64, Vec<f64>)> {
    let mut by_name: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (tid, thread) in after {
        let earlier = before.get(tid).map_or(0.0, |t| t.secs);
        by_name
            .entry(&thread.name)
            .or_default()
            .push(thread.secs - earlier);
    }
    let mut used: Vec<(String, f64, Vec<f64>)> = by_name
        .into_iter()
        .map(|(name, each)| (name.to_owned(), each.iter().sum(), each))
        .filter(|(_, total, _)| *total > 0.0)
        .collect();
    used.sort_by(|a, b| b.1.total_cmp(&a.1));
    used
}

/// One line per thread name: total seconds, and each thread's when there are several.
pub fn describe(used: &[(String, f64, Vec<f64>)]) -> Vec<String> {
    used.iter()
        .map(|(name, total, each)| {
            if each.len() > 1 {
                let each: Vec<String> = each.iter().map(|s| format!("{s:.2}")).collect();
                format!(
                    "{name:<16} {total:>7.2} s  ({} threads: {})",
                    each.len(),
                    each.join(" ")
                )
            } else {
                format!("{name:<16} {total:>7.2} s")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_the_name_cpu_time_and_nice_value() {
        let line = "4242 (sqlx (worker) 1) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                    731 69 0 0 30 10 9 0 100 0 0";
        assert_eq!(
            parse_stat(line),
            Some(ThreadStat {
                name: "sqlx (worker) 1".to_owned(),
                secs: 8.0,
                nice: 10
            })
        );
    }

    #[test]
    fn use_is_summed_by_name_and_counted_from_the_first_reading() {
        let thread = |name: &str, secs| ThreadStat {
            name: name.to_owned(),
            secs,
            nice: 0,
        };
        let before = BTreeMap::from([(1, thread("api", 1.0)), (2, thread("api", 2.0))]);
        let after = BTreeMap::from([
            (1, thread("api", 1.5)),
            (2, thread("api", 3.0)),
            (3, thread("job", 0.25)),
        ]);
        assert_eq!(
            used_between(&before, &after),
            vec![
                ("api".to_owned(), 1.5, vec![0.5, 1.0]),
                ("job".to_owned(), 0.25, vec![0.25])
            ]
        );
    }
}
