//! Real, throwaway etcd members (Debian's `etcd-server`) on free loopback
//! ports in temporary folders, alone or as a cluster, in plain HTTP or with
//! TLS and client certificates; killed on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::Pki;

pub struct Etcd {
    dir: TempDir,
    name: String,
    client_port: u16,
    peer_port: u16,
    /// `--initial-cluster`: this member alone, or every member's peer URL.
    initial_cluster: String,
    /// With TLS: the client port speaks https and requires client
    /// certificates; health and metrics move to a plain port of their own.
    tls: Option<(PathBuf, PathBuf, PathBuf)>,
    metrics_port: u16,
    extra: Vec<String>,
    child: Option<Child>,
}

impl Etcd {
    /// Starts a single-member cluster and waits until it is healthy.
    pub fn start() -> Etcd {
        Etcd::start_with(None, &[])
    }

    /// [`Etcd::start`] serving clients over TLS with `pki`'s server
    /// certificate (and requiring its client certificate), and/or with
    /// `extra` command-line options.
    pub fn start_with(pki: Option<&Pki>, extra: &[&str]) -> Etcd {
        let mut last_error = String::new();
        for _ in 0..3 {
            let mut etcd = Etcd::member("t");
            etcd.tls = pki.map(|p| (p.ca.clone(), p.server_cert.clone(), p.server_key.clone()));
            etcd.extra = extra.iter().map(|s| s.to_string()).collect();
            etcd.initial_cluster = format!("t={}", etcd.peer_url());
            match etcd.spawn() {
                Ok(()) => return etcd,
                Err(e) => last_error = e,
            }
        }
        panic!("etcd would not start: {last_error}");
    }

    /// A cluster of `n` members, started together and healthy.
    pub fn cluster(n: usize) -> Vec<Etcd> {
        let mut members: Vec<Etcd> = (0..n).map(|i| Etcd::member(&format!("m{i}"))).collect();
        let initial: Vec<String> = members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url()))
            .collect();
        for m in &mut members {
            m.initial_cluster = initial.join(",");
            m.launch();
        }
        for m in &mut members {
            m.wait_healthy().expect("etcd cluster member healthy");
        }
        members
    }

    fn member(name: &str) -> Etcd {
        Etcd {
            dir: tempfile::tempdir().expect("temp dir"),
            name: name.to_string(),
            client_port: super::free_port(),
            peer_port: super::free_port(),
            initial_cluster: String::new(),
            tls: None,
            metrics_port: super::free_port(),
            extra: Vec::new(),
            child: None,
        }
    }

    fn peer_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer_port)
    }

    /// Whether this member is the raft leader now.
    pub fn is_leader(&self) -> bool {
        self.get("/metrics")
            .is_some_and(|body| body.lines().any(|l| l.trim() == "etcd_server_is_leader 1"))
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.client_port)
    }

    fn spawn(&mut self) -> Result<(), String> {
        self.launch();
        self.wait_healthy()
    }

    fn launch(&mut self) {
        let client = self.url();
        let peer = self.peer_url();
        let metrics = format!("http://127.0.0.1:{}", self.metrics_port);
        let mut tls_args: Vec<std::ffi::OsString> = Vec::new();
        if let Some((ca, cert, key)) = &self.tls {
            tls_args.extend(["--trusted-ca-file".into(), ca.into()]);
            tls_args.extend(["--cert-file".into(), cert.into()]);
            tls_args.extend(["--key-file".into(), key.into()]);
            tls_args.push("--client-cert-auth".into());
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("etcd.log"))
            .expect("log file");
        let child = Command::new("etcd")
            .args(["--name", &self.name, "--data-dir"])
            .arg(self.dir.path().join("data"))
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &self.initial_cluster])
            .args(["--listen-metrics-urls", &metrics])
            .args(&tls_args)
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `etcd` ({e}). The tests need a real etcd: install Debian's \
                     etcd-server package (scripts/install-deps --test, or apt-get install etcd-server)"
                )
            });
        self.child = Some(child);
    }

    fn wait_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.healthy() {
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let log =
                    std::fs::read_to_string(self.dir.path().join("etcd.log")).unwrap_or_default();
                self.child = None;
                return Err(format!("etcd exited with {status}: {log}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
        Err("etcd was not healthy within 15s".into())
    }

    /// `GET /health` answers `{"health":"true"}`.
    pub fn healthy(&self) -> bool {
        self.get("/health").is_some_and(|b| b.contains("\"true\""))
    }

    /// A plain HTTP GET of health or metrics, on the metrics port.
    pub fn get(&self, path: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.metrics_port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    }

    /// Reads a gauge from etcd's Prometheus metrics.
    pub fn metric(&self, name: &str) -> f64 {
        let body = self.get("/metrics").expect("etcd metrics");
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("etcd has no metric {name}"))
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("etcd is running").id();
        let ok = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig} {pid} failed");
    }

    /// Freezes the member (SIGSTOP): it accepts connections but never answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the member again on its old folder and ports.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn().expect("etcd restarts");
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A paused member must be resumed to die cleanly.
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.kill();
    }
}
