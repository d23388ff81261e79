//! The processes `cflux bench relay` starts and reads: throwaway influxd,
//! `cflux relay` children, their folder (all gone on drop), and their
//! memory and CPU time from `/proc`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::Connection;
use crate::exit::CliError;

/// Child processes and their folder, gone on drop.
pub struct Scratch {
    pub dir: PathBuf,
    pub children: Vec<Child>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> Result<u16, CliError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| CliError::other(format!("no free port: {e}")))
}

pub fn fail(what: &str) -> impl Fn(&dyn std::fmt::Display) -> CliError + '_ {
    move |e| CliError::other(format!("{what}: {e}"))
}

/// Starts influxd in `dir`; its URL once `/ping` answers.
pub async fn influxd(
    bin: &str,
    dir: &Path,
    http: &reqwest::Client,
) -> Result<(Child, String), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| fail("bench folder")(&e))?;
    let (port, rpc) = (free_port()?, free_port()?);
    let p = |n: &str| dir.join(n).display().to_string();
    let config = format!(
        "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
         [meta]\n  dir = \"{}\"\n[data]\n  dir = \"{}\"\n  wal-dir = \"{}\"\n  query-log-enabled = false\n\
         [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n\
         [monitor]\n  store-enabled = false\n",
        p("meta"),
        p("data"),
        p("wal"),
    );
    std::fs::write(dir.join("influxdb.conf"), config).map_err(|e| fail("influxd config")(&e))?;
    let log =
        std::fs::File::create(dir.join("influxd.log")).map_err(|e| fail("influxd log")(&e))?;
    let child = Command::new(bin)
        .arg("-config")
        .arg(dir.join("influxdb.conf"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| fail("influxd log")(&e))?)
        .stderr(log)
        .spawn()
        .map_err(|e| {
            CliError::other(format!(
                "cannot run {bin} ({e}): cflux bench relay needs InfluxDB 1.x (Debian's influxdb)"
            ))
        })?;
    let url = format!("http://127.0.0.1:{port}");
    wait_for(http, &format!("{url}/ping"), "influxd").await?;
    let created = http
        .post(format!("{url}/query"))
        .form(&[("q", "CREATE DATABASE bench")])
        .send()
        .await
        .map_err(|e| fail("CREATE DATABASE bench")(&e))?;
    if !created.status().is_success() {
        return Err(CliError::other(format!(
            "CREATE DATABASE bench: {}",
            created.status()
        )));
    }
    Ok((child, url))
}

async fn wait_for(http: &reqwest::Client, url: &str, what: &str) -> Result<(), CliError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(CliError::other(format!(
                "{what} did not answer {url} in 30 s"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts `cflux relay` for `cluster`; its URL once it lists `members`
/// alive members.
pub async fn relay(
    connection: &Connection,
    cluster: &str,
    dir: &Path,
    http: &reqwest::Client,
    members: usize,
) -> Result<(Child, String), CliError> {
    let port = free_port()?;
    let exe = std::env::current_exe().map_err(|e| fail("this executable")(&e))?;
    let log =
        std::fs::File::create(dir.with_extension("log")).map_err(|e| fail("relay log")(&e))?;
    let mut cmd = Command::new(exe);
    cmd.args([
        "relay",
        "--cluster",
        cluster,
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
    .arg("--data-dir")
    .arg(dir)
    .args(["--endpoint", &connection.endpoint.join(",")])
    .env("CFLUX_LOG", "warn")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(log);
    if let Some(token) = &connection.token {
        cmd.env("CFLUX_TOKEN", token);
    }
    if let Some(ca) = &connection.cacert {
        cmd.env("CFLUX_CACERT", ca);
    }
    let child = cmd.spawn().map_err(|e| fail("cflux relay")(&e))?;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let alive = match http.get(format!("{url}/status")).send().await {
            Ok(r) => r
                .bytes()
                .await
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|s| {
                    s["members"]
                        .as_array()
                        .map(|m| m.iter().filter(|m| m["alive"] == true).count())
                })
                .unwrap_or(0),
            Err(_) => 0,
        };
        if alive == members {
            return Ok((child, url));
        }
        if Instant::now() > deadline {
            return Err(CliError::other(format!(
                "the relay of {cluster} never listed {members} members"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Resident memory of `pid`, in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// User + system CPU seconds of `pid` so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
