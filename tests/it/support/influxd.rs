//! A real, throwaway InfluxDB 1.x server (Debian's `influxdb`) on free
//! loopback ports in a temporary folder; killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cflux::agent::influx::Influx;
use cflux::schema::Schema;
use tempfile::TempDir;

pub struct Influxd {
    dir: TempDir,
    port: u16,
    child: Child,
    client: Influx,
}

impl Influxd {
    /// Starts influxd and waits until `/ping` answers.
    pub async fn start() -> Influxd {
        let mut last_error = String::new();
        for _ in 0..3 {
            match Influxd::spawn().await {
                Ok(i) => return i,
                Err(e) => last_error = e,
            }
        }
        panic!("influxd would not start: {last_error}");
    }

    async fn spawn() -> Result<Influxd, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = super::free_port();
        let p = |name: &str| dir.path().join(name).display().to_string();
        let config = format!(
            "reporting-disabled = true\n\
             bind-address = \"127.0.0.1:{rpc}\"\n\
             [meta]\n  dir = \"{meta}\"\n\
             [data]\n  dir = \"{data}\"\n  wal-dir = \"{wal}\"\n  query-log-enabled = false\n\
             [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n\
             [monitor]\n  store-enabled = false\n",
            rpc = super::free_port(),
            meta = p("meta"),
            data = p("data"),
            wal = p("wal"),
        );
        std::fs::write(dir.path().join("influxdb.conf"), config).expect("config");
        let mut child = launch(&dir);
        let url = format!("http://127.0.0.1:{port}");
        let client = Influx::new(&url, None).expect("client");
        match wait_for_ping(&client, &mut child, &dir).await {
            Ok(()) => Ok(Influxd {
                dir,
                port,
                child,
                client,
            }),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }

    /// SIGKILL: influxd dies wherever it is.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts influxd again on the same ports and data (after [`Influxd::kill`]).
    pub async fn restart(&mut self) {
        self.child = launch(&self.dir);
        if let Err(e) = wait_for_ping(&self.client, &mut self.child, &self.dir).await {
            panic!("influxd would not restart: {e}");
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs InfluxQL, panicking on any error.
    pub async fn query(&self, q: &str) {
        if let Err(e) = self.client.query(&[q.to_string()]).await {
            panic!("{q} on {}: {e}", self.url());
        }
    }

    /// Runs several statements in one request, panicking on any error.
    pub async fn query_all(&self, statements: &[String]) {
        if let Err(e) = self.client.query(statements).await {
            panic!("{} statements on {}: {e}", statements.len(), self.url());
        }
    }

    /// The server's schema as the agent reads it.
    pub async fn schema(&self) -> Schema {
        self.client.schema().await.expect("schema")
    }

    /// Writes line protocol into `db`, panicking unless InfluxDB answers 204.
    pub async fn write(&self, db: &str, lines: &str) {
        let url = reqwest::Url::parse_with_params(&format!("{}/write", self.url()), [("db", db)])
            .expect("url");
        let resp = super::http()
            .post(url)
            .body(lines.to_string())
            .send()
            .await
            .expect("write");
        let status = resp.status();
        assert_eq!(
            status,
            204,
            "write to {db}: {}",
            resp.text().await.unwrap_or_default()
        );
    }

    /// How many points `measurement` holds in `db`'s default policy.
    pub async fn count(&self, db: &str, measurement: &str) -> u64 {
        let q = format!(
            "SELECT count(*) FROM {}..{}",
            cflux::schema::quote(db),
            cflux::schema::quote(measurement)
        );
        let r = self.client.query(std::slice::from_ref(&q)).await;
        let series = r.unwrap_or_else(|e| panic!("{q}: {e}"));
        series[0]
            .first()
            .and_then(|s| s.values.first())
            .and_then(|row| row.get(1))
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    }

    pub async fn databases(&self) -> Vec<String> {
        self.schema().await.databases.into_keys().collect()
    }
}

/// Runs influxd on the config in `dir`, logging to `dir/influxd.log`.
fn launch(dir: &TempDir) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("influxd.log"))
        .expect("log file");
    Command::new("influxd")
        .arg("-config")
        .arg(dir.path().join("influxdb.conf"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `influxd` ({e}). The agent tests need a real InfluxDB 1.x: \
                 install Debian's influxdb package (scripts/install-deps --test, or \
                 apt-get install influxdb influxdb-client)"
            )
        })
}

/// Waits (at most 20 s) until `/ping` answers.
async fn wait_for_ping(client: &Influx, child: &mut Child, dir: &TempDir) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if client.ping().await.is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.path().join("influxd.log")).unwrap_or_default();
            return Err(format!("influxd exited with {status}: {log}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("influxd did not answer /ping within 20s".into())
}

impl Drop for Influxd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = &self.dir;
    }
}
