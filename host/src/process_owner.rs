//! Which process owns something in the database (a run's lease, an unfinished dataset
//! version), and whether that process is gone. On SQLite every process sharing the database
//! file runs on this machine (WAL needs shared memory), so an owner whose process id names no
//! live process died.
//!
//! A live process is never judged gone: an owner is gone only when it was started in this
//! process's PID namespace (processes in other containers sharing the database have ids this
//! one cannot see) and signal 0 to its process id fails with "no such process". A process id
//! reused by an unrelated live process counts as alive — the safe side; so does an owner named
//! without its namespace.

/// The lease owner name of this process: `<prefix><pid>.<pid namespace>-<instance>`.
pub fn owner_name(prefix: &str) -> String {
    format!(
        "{prefix}{}.{}-{}",
        std::process::id(),
        pid_namespace().unwrap_or(0),
        uuid::Uuid::new_v4().simple()
    )
}

/// The inode of this process's PID namespace (`/proc/self/ns/pid` reads `pid:[4026531836]`).
fn pid_namespace() -> Option<u64> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let text = link.to_str()?;
    text.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
}

/// The process id and PID namespace in a lease owner `<prefix><pid>.<namespace>-<instance>`
/// (as [`owner_name`] makes them; namespace 0 when it was unknown).
pub fn owner_process(owner: &str) -> Option<(i32, u64)> {
    let (head, _instance) = owner.rsplit_once('-')?;
    let (before, namespace) = head.rsplit_once('.')?;
    let namespace = namespace.parse().ok()?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()?
        .0;
    let pid = before[start..].parse().ok().filter(|pid| *pid > 0)?;
    Some((pid, namespace))
}

/// Whether process `pid` is gone (no process of that id exists on this machine).
fn gone(pid: i32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return false;
    };
    matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Whether `owner` (named by [`owner_name`]) is a process of this PID namespace, not this one,
/// that no longer exists.
pub fn owner_is_local_and_gone(owner: &str) -> bool {
    let Some((pid, namespace)) = owner_process(owner) else {
        return false;
    };
    let ours = namespace != 0 && Some(namespace) == pid_namespace();
    ours && pid != std::process::id() as i32 && gone(pid)
}

/// The owner name of this process for unfinished dataset versions, the same all its life.
pub fn this_process() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| owner_name("datasets-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_name_their_process_and_namespace() {
        for (owner, process) in [
            ("1234.4026531836-0f3a", Some((1234, 4026531836))),
            ("worker-77.5-abcdef", Some((77, 5))),
            ("worker-77.0-abcdef", Some((77, 0))),
            ("1234-0f3a", None),
            ("worker-.5-abc", None),
            ("w", None),
            ("0.5-abc", None),
            ("x99999999999.5-abc", None),
        ] {
            assert_eq!(owner_process(owner), process, "{owner}");
        }
        let mine = owner_name("worker-");
        let (pid, namespace) = owner_process(&mine).expect(&mine);
        assert_eq!(pid, std::process::id() as i32);
        assert_eq!(Some(namespace), pid_namespace().or(Some(0)));
    }

    #[test]
    fn this_process_is_not_gone() {
        assert!(!gone(std::process::id() as i32));
    }
}
