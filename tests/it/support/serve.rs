//! `cflux serve` as a real child process on a shared etcd, for the tests
//! that kill a manager the way a crash would.

use std::time::Duration;

/// A `cflux serve` process on etcd, killed when dropped.
pub struct ServeProcess {
    child: std::process::Child,
    pub url: String,
}

impl ServeProcess {
    /// `cflux serve --etcd …` on a free port with `extra` options, ready.
    pub async fn start(etcd: &super::Etcd, extra: &[&str]) -> ServeProcess {
        ServeProcess::with_args(&["--etcd", &etcd.url()], extra).await
    }

    /// `cflux serve` on the embedded store in `dir`.
    pub async fn embedded(dir: &std::path::Path) -> ServeProcess {
        ServeProcess::with_args(&["--data-dir", &dir.display().to_string()], &[]).await
    }

    async fn with_args(store: &[&str], extra: &[&str]) -> ServeProcess {
        ServeProcess::on_port(crate::support::free_port(), store, extra).await
    }

    /// `cflux serve` on `127.0.0.1:port` with the `store` options, ready.
    pub async fn on_port(port: u16, store: &[&str], extra: &[&str]) -> ServeProcess {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_cflux"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(store)
            .args(extra)
            .env("CFLUX_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let ready = format!("{url}/readyz");
        super::eventually(
            Duration::from_secs(10),
            "cflux serve to be ready",
            async || {
                super::http()
                    .get(&ready)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            },
        )
        .await;
        ServeProcess { child, url }
    }

    /// Writes `body` as the version after `base`; it must succeed.
    pub async fn write(&self, cluster: &str, base: u64, body: &'static str) {
        let r = super::http()
            .post(format!("{}/clusters/{cluster}/versions/{base}", self.url))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "write on {}", self.url);
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, and waits until it has exited.
    pub fn stop(&mut self) {
        super::sigterm(self.child.id());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "cflux serve exited with {status}");
    }

    /// SIGKILL: no deregistration, no goodbye.
    pub fn sigkill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cflux serve` on an embedded store in `dir`, at the default log filter,
/// its standard error kept for [`LoggedServe::stop`].
pub struct LoggedServe {
    child: tokio::process::Child,
    pub base: String,
}

impl LoggedServe {
    /// Started and ready, logging at the default level.
    pub async fn start(dir: &std::path::Path) -> LoggedServe {
        LoggedServe::start_with(dir, &[], None).await
    }

    /// Started with more flags, and `CFLUX_LOG=log` when given; ready.
    pub async fn start_with(
        dir: &std::path::Path,
        extra: &[&str],
        log: Option<&str>,
    ) -> LoggedServe {
        let port = crate::support::free_port();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cflux"));
        command
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir.join("data"))
            .args(extra);
        match log {
            Some(level) => command.env("CFLUX_LOG", level),
            None => command.env_remove("CFLUX_LOG"),
        };
        let child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = super::http();
        super::eventually(
            Duration::from_secs(10),
            "cflux serve to answer",
            async || client.get(format!("{base}/readyz")).send().await.is_ok(),
        )
        .await;
        LoggedServe { child, base }
    }

    /// SIGTERM, then everything it logged.
    pub async fn stop(self) -> String {
        super::sigterm(self.child.id().expect("running"));
        let out = tokio::time::timeout(Duration::from_secs(20), self.child.wait_with_output())
            .await
            .expect("cflux serve stops on SIGTERM")
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}
