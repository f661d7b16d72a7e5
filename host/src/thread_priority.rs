//! The operating system's scheduling priority of the calling thread.
//!
//! On a small machine a running job and the people reading its records share the cores. The
//! threads that serve work able to wait a few milliseconds (pages of records) run at a lower
//! priority (a higher *nice* value) than the job's runners, block calls and record writer,
//! so when both want a core the job gets it; when the job leaves cores idle, readers use them
//! as before. Linux keeps a nice value per thread, and a thread starts with the nice value of
//! the thread that started it; other systems set it per process, so there this does nothing.

/// Raises the calling thread's nice value to `nice` (0 is the default, 19 the lowest
/// priority); a thread already at `nice` or above is left as it is. An unprivileged process
/// can raise its nice value but never lower it again, so only threads that serve nothing
/// else must be given it.
pub fn lower_current_thread(nice: i32) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // On Linux, `PRIO_PROCESS` with no pid is the calling thread, not the process.
        let current = rustix::process::getpriority_process(None)?;
        if current < nice {
            rustix::process::setpriority_process(None, nice)?;
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = nice;
        Ok(())
    }
}

/// The calling thread's nice value (0 where the system keeps none per thread).
pub fn current_thread_nice() -> std::io::Result<i32> {
    #[cfg(target_os = "linux")]
    {
        Ok(rustix::process::getpriority_process(None)?)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(0)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn only_the_calling_thread_is_lowered_and_threads_it_starts_inherit_it() {
        let before = current_thread_nice().unwrap();
        let (lowered, inherited) = std::thread::spawn(|| {
            lower_current_thread(7).unwrap();
            let lowered = current_thread_nice().unwrap();
            let inherited = std::thread::spawn(|| current_thread_nice().unwrap())
                .join()
                .unwrap();
            (lowered, inherited)
        })
        .join()
        .unwrap();
        assert_eq!(lowered, before.max(7));
        assert_eq!(inherited, before.max(7));
        assert_eq!(
            current_thread_nice().unwrap(),
            before,
            "this thread kept its own"
        );
    }

    #[test]
    fn a_thread_already_lower_stays_where_it_is() {
        let nice = std::thread::spawn(|| {
            lower_current_thread(12).unwrap();
            lower_current_thread(5).unwrap();
            current_thread_nice().unwrap()
        })
        .join()
        .unwrap();
        assert!(nice >= 12, "{nice}");
    }
}
