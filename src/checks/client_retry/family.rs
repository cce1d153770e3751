//! Finding and ending a client_retry command's descendants (SPEC 8.6): on Linux
//! golive becomes a child subreaper and follows the command's family through `/proc`,
//! so that processes which leave the command's process group are still ended; on
//! other Unix systems the process group is all it can find; elsewhere, nothing
//! beyond the command itself. See [`super::process`] for how it is used.

/// The signals golive sends.
#[derive(Debug, Clone, Copy)]
pub enum Sig {
    Term,
    Kill,
}

#[cfg(target_os = "linux")]
pub use linux::Family;

#[cfg(all(unix, not(target_os = "linux")))]
pub use unix::Family;

#[cfg(not(unix))]
pub use other::Family;

/// Held while a command is started and registered, and while a family is
/// looked for: a new command is never taken for another's orphan.
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn spawn_lock() -> std::sync::MutexGuard<'static, ()> {
    SPAWNING.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(unix)]
fn to_signal(sig: Sig) -> rustix::process::Signal {
    match sig {
        Sig::Term => rustix::process::Signal::TERM,
        Sig::Kill => rustix::process::Signal::KILL,
    }
}

/// SIGTERM/SIGKILL to the command's process group; errors (it is gone) ignored.
#[cfg(unix)]
fn signal_group(root: i32, sig: Sig) {
    if let Some(pid) = rustix::process::Pid::from_raw(root) {
        let _ = rustix::process::kill_process_group(pid, to_signal(sig));
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::sync::{Mutex, Once};
    use std::time::{Duration, Instant};

    use rustix::process::{Pid, WaitOptions};

    use super::{Sig, signal_group, to_signal};

    /// Every process some running command's family holds, by (pid, start
    /// time), with the root of that family: an orphan already claimed by one
    /// check is not taken by another running at the same time.
    static CLAIMED: Mutex<Option<HashMap<(i32, u64), i32>>> = Mutex::new(None);

    fn claimed<T>(f: impl FnOnce(&mut HashMap<(i32, u64), i32>) -> T) -> T {
        let mut guard = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
        f(guard.get_or_insert_with(HashMap::new))
    }

    /// One line of `/proc/PID/stat`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Stat {
        pub pid: i32,
        pub ppid: i32,
        pub pgid: i32,
        pub sid: i32,
        pub start: u64,
        pub zombie: bool,
    }

    /// Parses `/proc/PID/stat` (`pid (comm) state ppid pgrp session ...
    /// starttime` as field 22); `comm` may hold spaces and parentheses.
    pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
        let open = text.find('(')?;
        let close = text.rfind(')')?;
        let pid = text.get(..open)?.trim().parse().ok()?;
        let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
        Some(Stat {
            pid,
            zombie: matches!(*rest.first()?, "Z" | "X"),
            ppid: rest.get(1)?.parse().ok()?,
            pgid: rest.get(2)?.parse().ok()?,
            sid: rest.get(3)?.parse().ok()?,
            start: rest.get(19)?.parse().ok()?,
        })
    }

    fn stat_of(pid: i32) -> Option<Stat> {
        parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    }

    /// Every process this machine shows in `/proc`, by pid.
    fn snapshot() -> HashMap<i32, Stat> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return HashMap::new();
        };
        dir.flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(stat_of)
            .map(|s| (s.pid, s))
            .collect()
    }

    /// The processes a command started, followed through `/proc`.
    pub struct Family {
        root: i32,
        root_start: Option<u64>,
        me: Stat,
        /// Descendants seen so far (not the command itself), with start times.
        members: HashMap<i32, u64>,
    }

    impl Family {
        pub fn new(root: u32) -> Family {
            static SUBREAPER: Once = Once::new();
            SUBREAPER.call_once(|| {
                // Safe wrapper of prctl(PR_SET_CHILD_SUBREAPER, 1): orphans of the
                // commands golive starts are re-parented to golive, not to init.
                if let Err(e) =
                    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
                {
                    tracing::debug!("cannot become a child subreaper: {e}");
                }
            });
            let root = i32::try_from(root).unwrap_or(i32::MAX);
            let me = stat_of(rustix::process::getpid().as_raw_nonzero().get()).unwrap_or(Stat {
                pid: rustix::process::getpid().as_raw_nonzero().get(),
                ppid: 0,
                pgid: 0,
                sid: 0,
                start: 0,
                zombie: false,
            });
            let root_start = stat_of(root).map(|s| s.start);
            claimed(|c| c.insert((root, root_start.unwrap_or(0)), root));
            Family {
                root,
                root_start,
                me,
                members: HashMap::new(),
            }
        }

        fn is_root(&self, s: &Stat) -> bool {
            s.pid == self.root && self.root_start.is_none_or(|t| t == s.start)
        }

        fn is_member(&self, s: &Stat) -> bool {
            self.members.get(&s.pid) == Some(&s.start)
        }

        /// Adds every process of the command's family to `members`: its process
        /// group, its descendants (through members already known, so a
        /// descendant of a re-parented orphan counts), and orphans re-parented
        /// to golive that left golive's group or session and that no other
        /// running command holds.
        pub fn observe(&mut self) {
            let _registered = super::spawn_lock();
            let procs = snapshot();
            let mut new = Vec::new();
            // A few passes reach a fixpoint: each finds the children of the last.
            for _ in 0..8 {
                let before = new.len();
                for s in procs.values() {
                    if s.pid == self.me.pid || s.pid <= 1 || self.is_root(s) || self.is_member(s) {
                        continue;
                    }
                    let owner = claimed(|c| c.get(&(s.pid, s.start)).copied());
                    if owner.is_some_and(|o| o != self.root) {
                        continue;
                    }
                    let parent_in_family = procs
                        .get(&s.ppid)
                        .is_some_and(|p| self.is_root(p) || self.is_member(p));
                    let stray_orphan = s.ppid == self.me.pid
                        && owner.is_none()
                        && (s.pgid != self.me.pgid || s.sid != self.me.sid);
                    if s.pgid == self.root || parent_in_family || stray_orphan {
                        self.members.insert(s.pid, s.start);
                        new.push((s.pid, s.start));
                    }
                }
                if new.len() == before {
                    break;
                }
            }
            if !new.is_empty() {
                claimed(|c| {
                    for key in new {
                        c.insert(key, self.root);
                    }
                });
            }
        }

        /// Members still present (and the same process), zombies included.
        fn present(&self) -> Vec<Stat> {
            self.members
                .iter()
                .filter_map(|(pid, start)| stat_of(*pid).filter(|s| s.start == *start))
                .collect()
        }

        pub fn any_alive(&self) -> bool {
            self.present().iter().any(|s| !s.zombie)
        }

        /// `sig` to the command's process group and to every member.
        pub fn signal_all(&self, sig: Sig) {
            signal_group(self.root, sig);
            for s in self.present().iter().filter(|s| !s.zombie) {
                if let Some(pid) = Pid::from_raw(s.pid) {
                    let _ = rustix::process::kill_process(pid, to_signal(sig));
                }
            }
        }

        /// Reaps the members that are golive's children (re-parented orphans)
        /// and have exited, without waiting. Never waits for any other child.
        pub fn reap(&mut self) {
            for s in self.present() {
                if s.ppid == self.me.pid
                    && let Some(pid) = Pid::from_raw(s.pid)
                {
                    let _ = rustix::process::waitpid(Some(pid), WaitOptions::NOHANG);
                }
            }
            let gone: Vec<i32> = self
                .members
                .iter()
                .filter(|(pid, start)| stat_of(**pid).is_none_or(|s| s.start != **start))
                .map(|(pid, _)| *pid)
                .collect();
            for pid in gone {
                if let Some(start) = self.members.remove(&pid) {
                    claimed(|c| c.remove(&(pid, start)));
                }
            }
        }

        /// Reaps until every member is gone (after SIGKILL), for at most a second.
        pub async fn reap_all(&mut self) {
            let until = Instant::now() + Duration::from_secs(1);
            loop {
                self.reap();
                if self.members.is_empty() || Instant::now() >= until {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }

    impl Drop for Family {
        fn drop(&mut self) {
            let root = self.root;
            claimed(|c| c.retain(|_, owner| *owner != root));
        }
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
mod unix {
    use super::{Sig, signal_group};

    /// Without `/proc` or a subreaper, the command's process group is all golive
    /// can find.
    pub struct Family {
        root: i32,
    }

    impl Family {
        pub fn new(root: u32) -> Family {
            Family {
                root: i32::try_from(root).unwrap_or(i32::MAX),
            }
        }
        pub fn observe(&mut self) {}
        pub fn any_alive(&self) -> bool {
            rustix::process::Pid::from_raw(self.root)
                .is_some_and(|p| rustix::process::test_kill_process_group(p).is_ok())
        }
        pub fn signal_all(&self, sig: Sig) {
            signal_group(self.root, sig);
        }
        pub fn reap(&mut self) {}
        pub async fn reap_all(&mut self) {}
    }
}

#[cfg(not(unix))]
mod other {
    use super::Sig;

    /// No process groups: only the command itself is killed (by its `Child`).
    pub struct Family;

    impl Family {
        pub fn new(_root: u32) -> Family {
            Family
        }
        pub fn observe(&mut self) {}
        pub fn any_alive(&self) -> bool {
            false
        }
        pub fn signal_all(&self, _sig: Sig) {}
        pub fn reap(&mut self) {}
        pub async fn reap_all(&mut self) {}
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::parse_stat;

    #[test]
    fn stat_lines_parse_even_with_odd_command_names() {
        let line = "4242 (we ird) (name)) S 4000 4242 4100 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100 18446744073709551615";
        let s = parse_stat(line).unwrap();
        assert_eq!(
            (s.pid, s.ppid, s.pgid, s.sid, s.start, s.zombie),
            (4242, 4000, 4242, 4100, 987654, false)
        );
        let zombie = "7 (sh) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0";
        assert!(parse_stat(zombie).unwrap().zombie);
        assert!(parse_stat("garbage").is_none());
        assert!(parse_stat("12 (x) S 1 2").is_none());
    }
}
