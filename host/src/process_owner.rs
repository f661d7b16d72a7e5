//! Which process owns something in the database (a run's lease, an unfinished dataset
//! version), and whether that process is gone. On SQLite every process sharing the database
//! file runs on this machine (WAL needs shared memory), so an owner whose process id names no
//! live process died.
//!
//! A live process is never judged gone: an owner is gone only when it was started on this
//! machine since its last boot (a PostgreSQL database is shared by processes of other machines,
//! whose process ids and even PID namespace numbers may equal ours: the root namespace has the
//! same number on every Linux host) and in this process's PID namespace (processes in other
//! containers have ids this one cannot see), and signal 0 to its process id fails with "no
//! such process". A process id reused by an unrelated live process counts as alive — the safe
//! side; so does an owner named without its namespace or machine.

/// The lease owner name of this process:
/// `<prefix><pid>.<pid namespace>.<boot id>-<instance>`.
pub fn owner_name(prefix: &str) -> String {
    format!(
        "{prefix}{}.{}.{}-{}",
        std::process::id(),
        pid_namespace().unwrap_or(0),
        boot_id().unwrap_or_else(|| "0".to_owned()),
        uuid::Uuid::new_v4().simple()
    )
}

/// This machine's boot id (`/proc/sys/kernel/random/boot_id`, a UUID drawn at every boot,
/// shared by the containers of one kernel), as 32 hex digits.
fn boot_id() -> Option<String> {
    let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let hex: String = text.trim().chars().filter(|c| *c != '-').collect();
    (hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

/// The inode of this process's PID namespace (`/proc/self/ns/pid` reads `pid:[4026531836]`).
fn pid_namespace() -> Option<u64> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let text = link.to_str()?;
    text.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
}

/// Where an owner's process ran, as its name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerProcess {
    /// Its process id.
    pub pid: i32,
    /// Its PID namespace (0: unknown).
    pub namespace: u64,
    /// Its machine's boot id ("0": unknown).
    pub machine: String,
}

/// The process in a lease owner `<prefix><pid>.<namespace>.<boot id>-<instance>` (as
/// [`owner_name`] makes them); `None` for any other form, such as names of earlier versions.
pub fn owner_process(owner: &str) -> Option<OwnerProcess> {
    let (head, _instance) = owner.rsplit_once('-')?;
    let (head, machine) = head.rsplit_once('.')?;
    let (before, namespace) = head.rsplit_once('.')?;
    let namespace = namespace.parse().ok()?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()?
        .0;
    let pid = before[start..].parse().ok().filter(|pid| *pid > 0)?;
    Some(OwnerProcess {
        pid,
        namespace,
        machine: machine.to_owned(),
    })
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

/// Whether `owner` (named by [`owner_name`]) is a process of this machine's current boot and
/// this PID namespace, not this one, that no longer exists.
pub fn owner_is_local_and_gone(owner: &str) -> bool {
    owner_process(owner).is_some_and(|owner| {
        is_local(&owner, pid_namespace(), boot_id().as_deref())
            && owner.pid != std::process::id() as i32
            && gone(owner.pid)
    })
}

/// Whether `owner` ran in the PID namespace `namespace` of the machine booted as `machine`
/// (unknown values are never local).
fn is_local(owner: &OwnerProcess, namespace: Option<u64>, machine: Option<&str>) -> bool {
    owner.namespace != 0
        && Some(owner.namespace) == namespace
        && owner.machine != "0"
        && Some(owner.machine.as_str()) == machine
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
        let process = |pid, namespace, machine: &str| {
            Some(OwnerProcess {
                pid,
                namespace,
                machine: machine.to_owned(),
            })
        };
        for (owner, expected) in [
            (
                "1234.4026531836.ab12-0f3a",
                process(1234, 4026531836, "ab12"),
            ),
            ("worker-77.5.0-abcdef", process(77, 5, "0")),
            ("worker-77.0.ab-abcdef", process(77, 0, "ab")),
            // Names without a machine, as earlier versions made them: never local.
            ("1234.4026531836-0f3a", None),
            ("worker-77.5-abcdef", None),
            ("1234-0f3a", None),
            ("worker-.5.ab-abc", None),
            ("w", None),
            ("0.5.ab-abc", None),
            ("x99999999999.5.ab-abc", None),
        ] {
            assert_eq!(owner_process(owner), expected, "{owner}");
        }
        let mine = owner_name("worker-");
        let owner = owner_process(&mine).expect(&mine);
        assert_eq!(owner.pid, std::process::id() as i32);
        assert_eq!(Some(owner.namespace), pid_namespace().or(Some(0)));
        assert_eq!(Some(owner.machine), boot_id().or(Some("0".to_owned())));
    }

    #[test]
    fn only_owners_of_this_namespace_on_this_boot_of_this_machine_are_local() {
        let owner = |namespace, machine: &str| OwnerProcess {
            pid: 77,
            namespace,
            machine: machine.to_owned(),
        };
        let here = (Some(4026531836), Some("ab12"));
        assert!(is_local(&owner(4026531836, "ab12"), here.0, here.1));
        // Another machine (or this one before a reboot) with the same namespace number.
        assert!(!is_local(&owner(4026531836, "cd34"), here.0, here.1));
        // Another container of this machine.
        assert!(!is_local(&owner(4026532000, "ab12"), here.0, here.1));
        // Unknown on either side.
        assert!(!is_local(&owner(0, "ab12"), here.0, here.1));
        assert!(!is_local(&owner(4026531836, "0"), here.0, here.1));
        assert!(!is_local(&owner(4026531836, "ab12"), None, here.1));
        assert!(!is_local(&owner(4026531836, "ab12"), here.0, None));
    }

    #[test]
    fn a_gone_process_of_this_machine_is_gone_and_one_of_another_is_not() {
        // A child that has exited and been reaped: its process id names no process.
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("true runs");
        let pid = child.id();
        child.wait().expect("true ends");
        let name = owner_name("worker-").replacen(
            &format!("worker-{}.", std::process::id()),
            &format!("worker-{pid}."),
            1,
        );
        assert!(owner_is_local_and_gone(&name), "{name}");
        let elsewhere = match owner_process(&name) {
            Some(owner) => name.replacen(
                &format!(".{}-", owner.machine),
                ".0123456789abcdef0123456789abcdef-",
                1,
            ),
            None => panic!("{name} does not parse"),
        };
        assert!(!owner_is_local_and_gone(&elsewhere), "{elsewhere}");
    }

    #[test]
    fn this_process_is_not_gone() {
        assert!(!gone(std::process::id() as i32));
    }
}
