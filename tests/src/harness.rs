//! Running the real `blockforge` binary in a scratch folder with a controlled environment.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::fake_llm::FakeLlm;

/// The `blockforge` binary: `$BLOCKFORGE_BIN`, or the one beside the test executable
/// (`<target>/debug/deps/<test>` → `<target>/debug/blockforge`; `make test` builds it first).
pub fn blockforge_bin() -> PathBuf {
    if let Ok(path) = std::env::var("BLOCKFORGE_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .ancestors()
        .find(|dir| dir.join("blockforge").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| {
            panic!(
                "no blockforge binary near {}: run `cargo build -p blockforge` (make test does)",
                exe.display()
            )
        });
    profile_dir.join("blockforge")
}

/// The checkout under test: cargo runs test binaries in their package's folder (`tests/`),
/// so this is read at run time — a path baked in at compile time could name another checkout
/// that shares the target directory.
pub fn checkout() -> PathBuf {
    let here = std::env::current_dir().expect("current_dir");
    here.parent().map(Path::to_path_buf).unwrap_or(here)
}

/// The web UI's build of the checkout under test (`make test` builds it first).
pub fn web_dist() -> PathBuf {
    checkout().join("web").join("dist")
}

/// A compile cache shared by every test of one build (`BLOCKFORGE_CACHE_DIR`), so each
/// component compiles once.
pub fn shared_cache_dir() -> PathBuf {
    blockforge_bin()
        .parent()
        .map(|p| p.join("test-component-cache"))
        .unwrap_or_else(std::env::temp_dir)
}

/// What a command printed and how it exited.
#[derive(Debug)]
pub struct CmdOutput {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CmdOutput {
    fn from(output: Output) -> Self {
        CmdOutput {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with the output unless the command succeeded.
    pub fn assert_success(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "command failed:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics with the output unless the command failed with a message on stderr.
    pub fn assert_failure(&self) -> &Self {
        assert!(
            self.code.is_some_and(|c| c != 0),
            "command should fail:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.trim().is_empty(),
            "a failing command must say why on stderr"
        );
        self
    }

    /// Standard output parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// A scratch folder with its own plugins folder and environment.
pub struct Workspace {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    /// A fresh workspace; no LLM is reachable until [`Workspace::with_llm`].
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("plugins")).expect("plugins dir");
        let env = vec![
            (
                "PLUGINS_DIR".to_owned(),
                dir.path().join("plugins").display().to_string(),
            ),
            (
                "BLOCKFORGE_CACHE_DIR".to_owned(),
                shared_cache_dir().display().to_string(),
            ),
            // Port 9 (discard) refuses connections: a test that forgot its fake LLM fails fast.
            (
                "LLM_ENDPOINT".to_owned(),
                "http://127.0.0.1:9/v1".to_owned(),
            ),
            ("LLM_MAX_RETRIES".to_owned(), "0".to_owned()),
            ("WEB_DIR".to_owned(), web_dist().display().to_string()),
            // The fixtures' plugins get what they declare, as before grants existed; the grants
            // tests set the production default (`conservative`) themselves.
            ("PLUGIN_DEFAULT_GRANT".to_owned(), "declared".to_owned()),
        ];
        Workspace { dir, env }
    }

    /// A fresh workspace whose LLM settings point at a new fake provider started with
    /// `config` (keep the fake alive as long as the workspace is used).
    pub async fn with_fake_llm(config: crate::fake_llm::FakeLlmConfig) -> (FakeLlm, Workspace) {
        let fake = FakeLlm::start(config).await;
        let mut ws = Workspace::new();
        ws.with_llm(&fake);
        (fake, ws)
    }

    /// Points the LLM settings at `fake`.
    pub fn with_llm(&mut self, fake: &FakeLlm) -> &mut Self {
        self.set_env("LLM_ENDPOINT", &fake.base_url());
        self.set_env("LLM_MODEL", "fake-model");
        self
    }

    /// Sets an environment variable for the commands.
    pub fn set_env(&mut self, name: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The plugins folder.
    pub fn plugins_dir(&self) -> PathBuf {
        self.dir.path().join("plugins")
    }

    /// Writes `contents` to `name` in the folder.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// `blockforge <args>` in the folder with a clean environment (PATH and the workspace's
    /// variables), ready to start.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(blockforge_bin());
        command.args(args).current_dir(self.dir.path()).env_clear();
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs `blockforge <args>` in the folder with a clean environment.
    pub async fn run(&self, args: &[&str]) -> CmdOutput {
        let output = self.command(args).output().await;
        CmdOutput::from(output.expect("cannot start blockforge"))
    }

    /// Writes `pipeline` (YAML or JSON text) and `seeds`, runs them, and returns the command
    /// output and the records.
    pub async fn run_pipeline(
        &self,
        pipeline: &str,
        seeds: &Value,
        extra: &[&str],
    ) -> (CmdOutput, Vec<Value>) {
        let pipeline_path = self.write("pipeline.yaml", pipeline);
        let seeds_path = self.write("seeds.json", &seeds.to_string());
        self.run_files(&pipeline_path, &seeds_path, extra).await
    }

    /// Runs the pipeline file `pipeline` over the seed file `seeds` (any format `blockforge
    /// run` reads), and returns the command output and the records.
    pub async fn run_files(
        &self,
        pipeline: &Path,
        seeds: &Path,
        extra: &[&str],
    ) -> (CmdOutput, Vec<Value>) {
        let out = self.dir.path().join("records.jsonl");
        let _ = std::fs::remove_file(&out);
        let mut args = vec![
            "run".to_owned(),
            "--pipeline".to_owned(),
            pipeline.display().to_string(),
            "--seeds".to_owned(),
            seeds.display().to_string(),
            "--out".to_owned(),
            out.display().to_string(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = self.run(&refs).await;
        let records = std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("record is not JSON ({e}): {line}"))
            })
            .collect();
        (output, records)
    }
}

/// Runs another program (`python3`, `node`, `tsc`...) with `args`, in `dir` when given, with
/// the extra environment `env`, and returns what it printed; panics when it cannot be started.
pub async fn run_tool(
    program: &str,
    args: &[&str],
    dir: Option<&Path>,
    env: &[(&str, &OsStr)],
) -> CmdOutput {
    let mut command = tokio::process::Command::new(program);
    command.args(args).envs(env.iter().copied());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    CmdOutput::from(output)
}

/// `n` seeds with one repetition each; `metadata(i)` gives seed i's metadata.
pub fn seeds(n: usize, metadata: impl Fn(usize) -> Value) -> Value {
    Value::Array(
        (0..n)
            .map(|i| serde_json::json!({"repetitions": 1, "metadata": metadata(i)}))
            .collect(),
    )
}

/// A `blockforge serve` process; killed when dropped.
pub struct Server {
    child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    stderr: StderrTail,
}

/// The last lines a process wrote on stderr, shown when a test fails while it runs (a server
/// that died mid-test says why).
#[derive(Clone, Default)]
struct StderrTail(std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>);

impl StderrTail {
    /// Lines kept.
    const LINES: usize = 200;

    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == Self::LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// Prints the tail when the current thread is panicking (a failing test).
    fn show_if_failing(&self, what: &str) {
        if std::thread::panicking() {
            let lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
            eprintln!("--- the last stderr lines of {what} ---");
            for line in lines.iter() {
                eprintln!("{line}");
            }
        }
    }
}

impl Server {
    /// The lines it wrote on stderr so far (the last 200), start-up included.
    pub fn stderr_lines(&self) -> Vec<String> {
        let lines = self.stderr.0.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().cloned().collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stderr
            .show_if_failing(&format!("blockforge serve at {}", self.base_url));
    }
}

impl Workspace {
    /// Starts `blockforge serve` on a free port with `database_url`, and waits until it listens.
    pub async fn serve(&self, database_url: &str) -> Server {
        let (child, line, stderr) = self
            .spawn("serve", database_url, "blockforge listening on ")
            .await;
        Server {
            child,
            base_url: line.trim().to_owned(),
            stderr,
        }
    }

    /// Starts `blockforge worker` on `database_url` and waits until it is ready.
    pub async fn worker(&self, database_url: &str) -> Worker {
        let (child, _, _) = self
            .spawn("worker", database_url, "blockforge worker ")
            .await;
        Worker { child }
    }

    /// Starts `blockforge <subcommand>` and waits for a stderr line starting with `ready`;
    /// returns the process, the rest of that line and the tail of its stderr from then on.
    async fn spawn(
        &self,
        subcommand: &str,
        database_url: &str,
        ready: &str,
    ) -> (tokio::process::Child, String, StderrTail) {
        use tokio::io::AsyncBufReadExt;
        let mut command = tokio::process::Command::new(blockforge_bin());
        command
            .arg(subcommand)
            .current_dir(self.dir.path())
            .env_clear()
            .kill_on_drop(true);
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command.env("PORT", "0").env("DATABASE_URL", database_url);
        command.stderr(std::process::Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start blockforge {subcommand}: {e}"));
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        let mut seen = String::new();
        let tail = StderrTail::default();
        let rest = loop {
            // The ready line is waited for as long as the process lives (a server exiting
            // fails at once, below); the bound only stops a hung start from hanging the suite.
            // A first start compiles the builtins, which on a loaded 2-core machine running
            // ten such starts at once took longer than a minute.
            let line = tokio::time::timeout(START_BOUND, lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("blockforge {subcommand} did not start in time: {seen}"))
                .expect("read stderr")
                .unwrap_or_else(|| panic!("blockforge {subcommand} exited: {seen}"));
            if let Some(rest) = line.strip_prefix(ready) {
                break rest.to_owned();
            }
            seen.push_str(&line);
            seen.push('\n');
            tail.push(line);
        };
        // Keep draining stderr so the process never blocks on a full pipe.
        let kept = tail.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                kept.push(line);
            }
        });
        (child, rest, tail)
    }
}

/// A running `blockforge worker`; killed when dropped.
pub struct Worker {
    child: tokio::process::Child,
}

impl Worker {
    /// Kills the process with SIGKILL, as a crash would, and waits for it.
    pub async fn kill9(mut self) {
        let _ = self.child.kill().await;
    }

    /// Sends SIGTERM, as an operator stopping the service would, and waits for the process to
    /// exit; returns its exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        self.child.wait().await.expect("wait for the worker")
    }

    /// The process id of the worker.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the worker is running")
    }

    /// Sends signal `name` (`STOP`, `CONT`, ...) to the process.
    pub fn signal(&self, name: &str) {
        let pid = self.pid();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{name} {pid} failed");
    }
}

impl Server {
    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Kills the process with SIGKILL, as a crash would, and waits for it.
    pub async fn kill9(mut self) {
        let _ = self.child.kill().await;
    }

    /// Sends SIGTERM, as an operator stopping the service would, and waits for the process to
    /// exit; returns its exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.pid().expect("the server is running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        self.child.wait().await.expect("wait for the server")
    }
}

impl Server {
    /// The process id of the server.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The server's resident set size in bytes (`VmRSS` of `/proc/<pid>/status`).
    pub fn rss_bytes(&self) -> u64 {
        let pid = self.pid().expect("the server is running");
        rss_of(pid).unwrap_or_else(|| panic!("cannot read the RSS of process {pid}"))
    }

    /// Waits (up to a minute: freed memory goes back to the system shortly after a job, not
    /// at once) until the server's RSS is at most `limit` bytes; returns the last reading.
    pub async fn wait_rss_at_most(&self, limit: u64) -> u64 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let rss = self.rss_bytes();
            if rss <= limit || std::time::Instant::now() > deadline {
                return rss;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// `VmRSS` of process `pid`, in bytes.
pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Polls a server's `/health` in the background (one request at a time, a new one every
/// 50 ms) and keeps each answer's latency: proof that a job did not stall the server.
pub struct HealthProbe {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<HealthReport>,
}

/// What a [`HealthProbe`] saw.
#[derive(Debug, Default, Clone)]
pub struct HealthReport {
    /// Latency of each probe that got an answer, in order.
    pub latencies: Vec<std::time::Duration>,
    /// Probes that got no `200` answer (error, other status, or no answer within 30 s).
    pub failures: Vec<String>,
}

/// The longest a `blockforge` process may take to print its ready line: a safety net against a
/// hung start, not a speed check (a crashed start fails at once).
pub const START_BOUND: std::time::Duration = std::time::Duration::from_secs(600);

/// The answer time `/health` must keep while a job runs (the bound).
pub const HEALTH_BOUND: std::time::Duration = std::time::Duration::from_millis(100);

impl HealthProbe {
    /// Starts probing `server`.
    pub fn start(server: &Server) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = server.url("/health");
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("http client");
            let mut report = HealthReport::default();
            loop {
                let started = std::time::Instant::now();
                match client.get(&url).send().await {
                    Ok(response) if response.status().is_success() => {
                        report.latencies.push(started.elapsed())
                    }
                    Ok(response) => report
                        .failures
                        .push(format!("status {}", response.status())),
                    Err(e) => report
                        .failures
                        .push(format!("{e} after {} ms", started.elapsed().as_millis())),
                }
                if *stopped.borrow() {
                    return report;
                }
                let _ =
                    tokio::time::timeout(std::time::Duration::from_millis(50), stopped.changed())
                        .await;
                if *stopped.borrow() {
                    return report;
                }
            }
        });
        HealthProbe { stop, task }
    }

    /// Stops probing (after one last probe) and returns what was seen.
    pub async fn finish(self) -> HealthReport {
        let _ = self.stop.send(true);
        self.task.await.expect("the health probe panicked")
    }
}

impl HealthReport {
    /// The slowest answer.
    pub fn max(&self) -> std::time::Duration {
        self.latencies.iter().copied().max().unwrap_or_default()
    }

    /// Panics unless every probe was answered and the server answered within
    /// [`HEALTH_BOUND`] throughout. A loaded test machine can deschedule the server for a
    /// moment, so up to 5% of the probes (at least one) may be slower, but none past 2 s: a
    /// server stalled by a block misses the bound for seconds on end and fails this.
    pub fn assert_responsive(&self) {
        assert!(
            self.failures.is_empty(),
            "/health went unanswered: {:?}",
            self.failures
        );
        assert!(!self.latencies.is_empty(), "/health was never probed");
        let slow: Vec<u128> = self
            .latencies
            .iter()
            .filter(|l| **l > HEALTH_BOUND)
            .map(|l| l.as_millis())
            .collect();
        let allowed = (self.latencies.len() / 20).max(1);
        assert!(
            slow.len() <= allowed && self.max() < std::time::Duration::from_secs(2),
            "/health answered slower than {} ms {} times of {} (allowed {allowed}): {slow:?} ms",
            HEALTH_BOUND.as_millis(),
            slow.len(),
            self.latencies.len()
        );
    }
}
