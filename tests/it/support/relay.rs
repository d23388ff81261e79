//! A `cflux relay` child process on a free loopback port, its queue in a
//! folder the test keeps (so a restart finds it), its log in a file.
//! Killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct RelayProcess {
    child: Option<Child>,
    pub port: u16,
    endpoint: String,
    cluster: String,
    data_dir: PathBuf,
    log: PathBuf,
    extra: Vec<String>,
}

impl RelayProcess {
    /// `cflux relay --cluster CLUSTER --endpoint ENDPOINT --data-dir DIR`,
    /// once `/status` answers.
    pub async fn start(
        endpoint: &str,
        cluster: &str,
        data_dir: &Path,
        extra: &[&str],
    ) -> RelayProcess {
        let mut relay = RelayProcess {
            child: None,
            port: super::free_port(),
            endpoint: endpoint.to_string(),
            cluster: cluster.to_string(),
            data_dir: data_dir.to_path_buf(),
            log: data_dir.with_extension("log"),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        relay.launch().await;
        relay
    }

    async fn launch(&mut self) {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("relay log");
        let child = Command::new(env!("CARGO_BIN_EXE_cflux"))
            .args([
                "relay",
                "--cluster",
                &self.cluster,
                "--endpoint",
                &self.endpoint,
            ])
            .args([
                "--listen",
                &format!("127.0.0.1:{}", self.port),
                "--data-dir",
            ])
            .arg(&self.data_dir)
            .args(&self.extra)
            .env("CFLUX_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .expect("spawn cflux relay");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = super::http().get(self.url("/status")).send().await
                && r.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the relay did not answer /status within 20s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET /status`.
    pub async fn status(&self) -> Value {
        let r = super::http()
            .get(self.url("/status"))
            .send()
            .await
            .expect("relay status");
        serde_json::from_slice(&r.bytes().await.expect("status")).expect("status JSON")
    }

    /// SIGKILL, then the same relay again on the same port and data.
    pub async fn kill_and_restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
        self.launch().await;
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
