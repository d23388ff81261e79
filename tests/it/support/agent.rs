//! A `cflux agent` child process beside an [`super::Influxd`]; its log is
//! kept in a file so failures can show it. Killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct Agent {
    child: Option<Child>,
    log: PathBuf,
}

impl Agent {
    /// `cflux agent --cluster CLUSTER` for the influxd at `influx_url`,
    /// keeping its state in `state_dir`, checking the schema every 200 ms.
    pub fn start(endpoint: &str, cluster: &str, influx_url: &str, state_dir: &Path) -> Agent {
        Agent::start_with(endpoint, cluster, influx_url, state_dir, &[])
    }

    /// [`Agent::start`] with more options.
    pub fn start_with(
        endpoint: &str,
        cluster: &str,
        influx_url: &str,
        state_dir: &Path,
        extra: &[&str],
    ) -> Agent {
        std::fs::create_dir_all(state_dir).expect("state dir");
        let log = state_dir.with_extension("log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("agent log");
        let child = Command::new(env!("CARGO_BIN_EXE_cflux"))
            .args(["agent", "--cluster", cluster, "--endpoint", endpoint])
            .args(["--influx-url", influx_url, "--poll", "200ms", "--state-dir"])
            .arg(state_dir)
            .args(extra)
            .env("CFLUX_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .expect("spawn cflux agent");
        Agent {
            child: Some(child),
            log,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().expect("try_wait").is_none())
    }

    /// SIGKILL: the agent dies wherever it is, writing nothing more.
    pub fn sigkill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
    }

    /// SIGTERM, then waits (at most 10 s) for the exit.
    pub async fn stop(self) -> ExitStatus {
        self.stop_with("TERM").await
    }

    /// Signal `name` (`TERM`, `INT`), then waits (at most 10 s) for the exit.
    pub async fn stop_with(mut self, name: &str) -> ExitStatus {
        super::signal(self.child.as_ref().expect("running").id(), name);
        self.exit(Duration::from_secs(10)).await
    }

    /// Waits at most `within` for the agent to exit on its own.
    pub async fn exit(&mut self, within: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the agent did not exit within {within:?}:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
