//! Running a client_retry command: where its program is found, how it is started
//! (argv, no shell, stdin closed, in the manifest's folder, in its own process
//! group, with the env it is given), how its output is captured (the tail of each
//! stream, scrubbed), and how it and everything it started are ended when it exits,
//! overruns its time or is stopped ([`Running`], with [`super::family`] finding the
//! processes that left its group: SPEC 8.6).

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::family;

/// Most bytes of each output stream kept (the tail).
const OUTPUT_CAP: usize = 64 * 1024;
/// Lines of each stream shown in the evidence.
const OUTPUT_LINES: usize = 30;
/// How often golive asks whether the running command should be stopped, and
/// while ending it, whether anything it started is still alive.
const POLL: Duration = Duration::from_millis(20);
/// How long terminated processes get before SIGKILL.
const GRACE: Duration = Duration::from_millis(500);
/// The command's descendants are looked for every this many polls.
const OBSERVE_EVERY: u32 = 5;

// ---------------------------------------------------------------------------------
// Running the command

/// How a run of the command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal it did not get from golive ended it.
    Signalled(i32),
    /// golive stopped it: more order attempts than the phase's `stop_after`.
    Stopped,
    /// golive stopped it: its share of the check's time ran out.
    TimedOut(Duration),
    /// It could not be started.
    NotStarted(String),
}

impl Ended {
    pub(super) fn success(&self) -> bool {
        *self == Ended::Exited(0)
    }

    pub(super) fn by_itself(&self) -> bool {
        matches!(self, Ended::Exited(_) | Ended::Signalled(_))
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Ended::Exited(0) => "exited with status 0".into(),
            Ended::Exited(c) => format!("exited with status {c}"),
            Ended::Signalled(s) => format!("was killed by signal {s}"),
            Ended::Stopped => "was stopped by golive after too many order attempts".into(),
            Ended::TimedOut(d) => format!(
                "was stopped by golive after {} (its share of the check's time)",
                crate::duration::format(*d)
            ),
            Ended::NotStarted(why) => why.clone(),
        }
    }
}

/// The program to start: a name without a `/` as it is (looked up on PATH); a
/// relative path with one, against `dir`, made absolute so that it does not depend
/// on how the platform combines a relative program with a working directory.
fn program_path(program: &str, dir: &Path) -> PathBuf {
    let given = Path::new(program);
    if given.is_absolute() || !program.contains(['/', '\\']) {
        return given.to_path_buf();
    }
    let joined = dir.join(given);
    std::path::absolute(&joined).unwrap_or(joined)
}

/// Why `program` could not be started, saying where it was looked for.
fn not_started(program: &str, resolved: &Path, dir: &Path, e: &std::io::Error) -> String {
    let looked = if e.kind() != std::io::ErrorKind::NotFound {
        format!("{e} ({})", resolved.display())
    } else if resolved.is_absolute() && program.contains(['/', '\\']) {
        let folder = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        if Path::new(program).is_absolute() {
            format!("not found: there is no {}", resolved.display())
        } else {
            format!(
                "not found: there is no {} (a program given with a `/` resolves against the manifest's folder, {})",
                resolved.display(),
                folder.display()
            )
        }
    } else if !dir.is_dir() {
        format!(
            "the manifest's folder {} is not a folder to run it in",
            dir.display()
        )
    } else {
        match std::env::var_os("PATH") {
            Some(path) if !path.is_empty() => {
                format!("not found on PATH (looked in {})", path.to_string_lossy())
            }
            _ => "not found: PATH is not set, so only a program given with a `/` can be found"
                .to_string(),
        }
    };
    format!("could not start `{program}`: {looked}")
}

/// Runs `argv` in its own process group, in `dir`, until it exits, `stop()` says
/// so, or `budget` runs out; then kills what is left of the group. Returns how it
/// ended and the tails of stdout and stderr.
pub(super) async fn run_command(
    argv: &[String],
    dir: &Path,
    env: &[(String, String)],
    budget: Duration,
    stop: impl Fn() -> bool,
) -> (Ended, String, String) {
    let program = program_path(&argv[0], dir);
    let mut cmd = Command::new(&program);
    cmd.args(&argv[1..])
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    // Started and registered as one step, so that another check looking for its
    // own command's orphans never mistakes this new command for one.
    let spawning = family::spawn_lock();
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return (
                Ended::NotStarted(not_started(&argv[0], &program, dir, &e)),
                String::new(),
                String::new(),
            );
        }
    };
    let mut running = Running::new(child);
    drop(spawning);
    let out = Capture::start(running.child.stdout.take());
    let err = Capture::start(running.child.stderr.take());
    let out_of_time = tokio::time::sleep(budget);
    tokio::pin!(out_of_time);
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut polls: u32 = 0;
    /// What woke the wait for the command.
    enum Wake {
        Exited(std::io::Result<ExitStatus>),
        OutOfTime,
        Tick,
    }
    let ended = loop {
        // `Child::wait` is cancel safe: a tick or the deadline loses nothing.
        let wake = tokio::select! {
            biased;
            status = running.child.wait() => Wake::Exited(status),
            () = &mut out_of_time => Wake::OutOfTime,
            _ = tick.tick() => Wake::Tick,
        };
        match wake {
            Wake::Exited(Ok(status)) => break from_status(status),
            Wake::Exited(Err(e)) => {
                running.stop().await;
                break Ended::NotStarted(format!("lost track of the command: {e}"));
            }
            // A stop asked for counts before the deadline, as it always did.
            Wake::OutOfTime | Wake::Tick if stop() => {
                running.stop().await;
                break Ended::Stopped;
            }
            Wake::OutOfTime => {
                running.stop().await;
                break Ended::TimedOut(budget);
            }
            Wake::Tick => {
                if polls.is_multiple_of(OBSERVE_EVERY) {
                    running.observe();
                }
                polls += 1;
            }
        }
    };
    // Whatever the command left behind goes too, in its group or not.
    running.finish().await;
    let (stdout, stderr) = (out.finish().await, err.finish().await);
    (ended, stdout, stderr)
}

fn from_status(status: ExitStatus) -> Ended {
    if let Some(code) = status.code() {
        return Ended::Exited(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Ended::Signalled(sig);
        }
    }
    Ended::Exited(-1)
}

/// A started command and every process it started. Dropping it (the check was
/// cancelled) kills them all at once.
///
/// What "every process" means depends on the system (SPEC 8.6):
/// - Linux: golive makes itself a child subreaper (`PR_SET_CHILD_SUBREAPER`), so a
///   process whose parent exits is re-parented to golive instead of init, and it
///   follows the command's family in `/proc` while the command runs: everything in
///   its process group, everything whose parent chain leads back to the command, and
///   every orphan re-parented to golive that left golive's group or session (the
///   `setsid` case). At the end all of them get SIGTERM, a short grace, SIGKILL, and
///   are reaped.
/// - Other Unix systems (macOS, the BSDs): the command's process group gets SIGTERM,
///   a grace, then SIGKILL. A process that left the group (`setsid`, `setpgid`)
///   survives: these systems have no subreaper and no `/proc` to find it by.
/// - Windows: only the command itself is killed; processes it started survive (that
///   would need a job object).
struct Running {
    child: Child,
    done: bool,
    family: family::Family,
}

impl Running {
    fn new(child: Child) -> Self {
        // A child not yet waited for always has its id.
        let family = family::Family::new(child.id().unwrap_or_default());
        Running {
            child,
            done: false,
            family,
        }
    }

    /// Notes the processes the command has started so far.
    fn observe(&mut self) {
        self.family.observe();
    }

    /// Ends the command and everything it started: SIGTERM, a grace period while
    /// anything is left, then SIGKILL; reaps the command.
    async fn stop(&mut self) {
        self.terminate().await;
        let _ = self.child.kill().await;
    }

    /// The command ended: whatever it left behind goes too, and is reaped.
    async fn finish(&mut self) {
        self.terminate().await;
        self.done = true;
    }

    async fn terminate(&mut self) {
        self.family.observe();
        self.family.signal_all(family::Sig::Term);
        let until = Instant::now() + GRACE;
        loop {
            self.family.reap();
            let command_gone = !matches!(self.child.try_wait(), Ok(None));
            if command_gone && !self.family.any_alive() {
                break;
            }
            if Instant::now() >= until {
                break;
            }
            tokio::time::sleep(POLL).await;
            self.family.observe();
        }
        self.family.signal_all(family::Sig::Kill);
        self.family.reap_all().await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.done {
            self.family.observe();
            self.family.signal_all(family::Sig::Kill);
            // Killed now; tokio reaps it in the background (`kill_on_drop`).
            let _ = self.child.start_kill();
            self.family.reap();
        }
    }
}

/// The captured tail of one output stream, read by a task of its own so that a
/// chatty command never blocks on a full pipe.
struct Capture {
    buf: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Capture {
    fn start(pipe: Option<impl AsyncRead + Unpin + Send + 'static>) -> Capture {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let reader = pipe.map(|mut pipe| {
            let buf = buf.clone();
            tokio::spawn(async move {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    let mut b = buf.lock().unwrap_or_else(|e| e.into_inner());
                    b.extend_from_slice(&chunk[..n]);
                    if b.len() > 2 * OUTPUT_CAP {
                        let cut = b.len() - OUTPUT_CAP;
                        b.drain(..cut);
                    }
                }
            })
        });
        Capture { buf, reader }
    }

    /// The last [`OUTPUT_LINES`] lines, once the stream closed (or after a second,
    /// if a stray process still holds it open: then the reading stops there).
    async fn finish(mut self) -> String {
        if let Some(mut reader) = self.reader.take()
            && tokio::time::timeout(Duration::from_secs(1), &mut reader)
                .await
                .is_err()
        {
            reader.abort();
        }
        let b = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        // The command's output enters golive here: cleaned of terminal control and
        // scrubbed whole (it holds the simulator's credentials), then shortened.
        tail(&crate::secret::scrub(&crate::text::sanitize_lines(
            &String::from_utf8_lossy(&b),
        )))
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(OUTPUT_LINES);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("[... {start} earlier lines]\n"));
    }
    for line in &lines[start..] {
        if line.chars().count() > 300 {
            out.extend(line.chars().take(297));
            out.push_str("...");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

pub(super) fn last_line(text: &str) -> Option<String> {
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty())?;
    Some(if line.chars().count() > 160 {
        line.chars().take(157).collect::<String>() + "..."
    } else {
        line.to_string()
    })
}

/// `NO_PROXY`/`no_proxy` with loopback added, so that an HTTP proxy configured in
/// golive's environment does not carry the command's requests away from golive's.
pub(super) fn no_proxy_env() -> Vec<(String, String)> {
    ["NO_PROXY", "no_proxy"]
        .iter()
        .map(|name| {
            let value = match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => format!("{v},127.0.0.1,localhost"),
                _ => "127.0.0.1,localhost".to_string(),
            };
            (name.to_string(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_tails() {
        let text: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let t = tail(&text);
        assert!(t.starts_with("[... 10 earlier lines]\nline 11\n"), "{t}");
        assert_eq!(last_line("a\nb\n\n  \n"), Some("b".into()));
        assert_eq!(last_line(""), None);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn an_overrunning_command_is_killed_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-survived");
        // The shell starts a grandchild that would write the marker after 1.5s.
        let script = format!(
            "(sleep 1.5; touch '{}') & echo started; sleep 30",
            marker.display()
        );
        let argv = vec!["sh".to_string(), "-c".to_string(), script];
        let started = Instant::now();
        let (ended, stdout, _) = run_command(
            &argv,
            Path::new("."),
            &[],
            Duration::from_millis(300),
            || false,
        )
        .await;
        assert_eq!(ended, Ended::TimedOut(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(stdout, "started\n");
        tokio::time::sleep(Duration::from_millis(2000)).await;
        assert!(!marker.exists(), "the grandchild was killed with the group");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn exit_codes_output_and_a_missing_program() {
        let argv = |s: &str| vec!["sh".to_string(), "-c".to_string(), s.to_string()];
        let env = [("GOLIVE_T".to_string(), "v1".to_string())];
        let (ended, out, err) = run_command(
            &argv("echo $GOLIVE_T; echo oops >&2; exit 3"),
            Path::new("."),
            &env,
            Duration::from_secs(20),
            || false,
        )
        .await;
        assert_eq!(
            (ended, out.as_str(), err.as_str()),
            (Ended::Exited(3), "v1\n", "oops\n")
        );
        let (ended, _, _) = run_command(
            &argv("sleep 5"),
            Path::new("."),
            &[],
            Duration::from_secs(20),
            || true,
        )
        .await;
        assert_eq!(ended, Ended::Stopped);
        let (ended, _, _) = run_command(
            &["/nonexistent/golive-smoke".to_string()],
            Path::new("."),
            &[],
            Duration::from_secs(5),
            || false,
        )
        .await;
        assert!(
            matches!(&ended, Ended::NotStarted(m) if m.starts_with("could not start `/nonexistent/golive-smoke`")),
            "{ended:?}"
        );
    }
}
