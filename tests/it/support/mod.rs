//! Test fixtures: real etcd processes, stores, in-process managers, and
//! HTTP helpers that print both sides on failure.

pub mod agent;
pub mod browser;
pub mod etcd;
pub mod influxd;
pub mod manager;
pub mod pki;
pub mod process;
pub mod relay;
pub mod serve;

use std::net::TcpListener;
use std::time::Duration;

pub use agent::Agent;
pub use etcd::Etcd;
pub use influxd::Influxd;
pub use manager::{Backend, Manager, TestStore, test_config};
pub use pki::Pki;
pub use process::Running;
pub use relay::RelayProcess;
pub use serve::{LoggedServe, ServeProcess};

/// Sends SIGTERM to a child process, as systemd or Ctrl-C would stop it.
pub fn sigterm(pid: u32) {
    signal(pid, "TERM")
}

/// Sends signal `name` (`TERM`, `INT`, …) to process `pid`.
pub fn signal(pid: u32, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(sent.success(), "kill -{name} {pid}");
}

/// Runs the `cflux` binary with `args`, the environment variables `env`
/// (no token, CA or NO_COLOR from the caller's environment) and `stdin`; returns
/// (exit code, stdout, stderr).
pub async fn run_cflux(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> (i32, String, String) {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("cflux");
    command
        .args(args)
        .env_remove("CFLUX_TOKEN")
        .env_remove("CFLUX_CACERT")
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .write_stdin(stdin.to_vec());
    tokio::task::spawn_blocking(move || {
        let out = command.output().expect("run cflux");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("cflux run")
}

/// Opens `n` connections to `addr`, each sending `GET path` and left
/// waiting for the answer (a parked long poll); dropping them is clients
/// vanishing.
pub async fn park_polls(
    addr: impl tokio::net::ToSocketAddrs + Copy,
    path: &str,
    n: usize,
) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(request.as_bytes())
            .await
            .expect("send the poll");
        clients.push(s);
    }
    clients
}

/// A loopback port for a child process to listen on, one that cannot
/// collide: below the kernel's ephemeral range (so no outgoing connection
/// and no `bind(…:0)` is ever given it), never handed out twice in this
/// process, claimed with a lock file that this process holds until it
/// exits (so two test runs at once never share one), and free when handed
/// out. In-process servers bind port 0 and keep their listener instead.
pub fn free_port() -> u16 {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU16, Ordering};
    // Within 20000..32000, below Linux's default ip_local_port_range.
    const LOW: u16 = 20_000;
    const SPAN: u16 = 12_000;
    static NEXT: AtomicU16 = AtomicU16::new(0);
    static CLAIMS: Mutex<Vec<std::fs::File>> = Mutex::new(Vec::new());
    let (low, _) = ephemeral_range();
    assert!(
        low >= LOW + SPAN,
        "the ephemeral port range starts at {low}; free_port needs it above {}",
        LOW + SPAN
    );
    let claims = std::env::temp_dir().join("cflux-test-ports");
    std::fs::create_dir_all(&claims).expect("the port claims folder");
    let start = (std::process::id() % u32::from(SPAN)) as u16;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = LOW + (start + n % SPAN) % SPAN;
        let claim = std::fs::File::create(claims.join(port.to_string())).expect("a port claim");
        if locked(&claim) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            CLAIMS.lock().unwrap().push(claim);
            return port;
        }
    }
    panic!("no free loopback port in {LOW}..{}", LOW + SPAN)
}

/// Takes `file`'s exclusive lock without waiting (flock: released when the
/// process exits, however it exits).
fn locked(file: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: flock takes a descriptor this process holds open.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Linux's range of ports for outgoing connections and `bind(…:0)`.
fn ephemeral_range() -> (u16, u16) {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .unwrap_or_else(|_| "32768 60999".into());
    let mut parts = text.split_whitespace().map(|p| p.parse().unwrap_or(32768));
    (parts.next().unwrap_or(32768), parts.next().unwrap_or(60999))
}

/// Writes `text` to `path` readable by its owner only (`0600`), as a
/// token file must be to be used without a warning.
pub fn secret_file(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Waits until at least `n` long polls of `kind` (`metadata`, `nodes`)
/// are parked in the manager at `base`, by its own count
/// (`cflux_parked_polls`): the condition a test means by "the poll is
/// parked", not a sleep.
pub async fn until_parked(base: &str, kind: &str, n: u64) {
    let series = format!("cflux_parked_polls{{kind=\"{kind}\"}}");
    let url = format!("{base}/metrics");
    eventually(
        Duration::from_secs(20),
        &format!("{n} parked {kind} polls"),
        async || {
            let Ok(r) = http().get(&url).send().await else {
                return false;
            };
            let text = r.text().await.unwrap_or_default();
            crate::metrics::sample(&text, &series).unwrap_or(0.0) as u64 >= n
        },
    )
    .await;
}

/// Polls `check` until it returns true or `within` passes.
pub async fn eventually(within: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = tokio::time::Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(
            start.elapsed() < within,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An HTTP client without a connection pool surprise: no proxy, a timeout
/// generous enough for long polls.
pub fn http() -> reqwest::Client {
    cflux::tls::http_client()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// A response read whole, for assertions.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub async fn from(resp: reqwest::Response) -> Reply {
        Reply {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.bytes().await.expect("body").to_vec(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ascii header").to_string())
    }

    pub fn version(&self) -> u64 {
        self.header("version")
            .unwrap_or_else(|| panic!("no Version header in {self:?}"))
            .parse()
            .expect("numeric Version")
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Reply {
        assert_eq!(
            self.status,
            status,
            "expected {status}, got {} with body {}",
            self.status,
            self.text()
        );
        self
    }

    /// Asserts a JSON error body with the given status and code.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> String {
        self.expect(status);
        let v = self.json();
        assert_eq!(v["error"]["code"], code, "error body: {v}");
        v["error"]["message"]
            .as_str()
            .expect("error message")
            .to_string()
    }
}

/// Runs each named `async fn(TestStore)` of the calling module once on
/// each store, as the tests `embedded::NAME` and `etcd::NAME`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            use crate::support::TestStore;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    super::$name(TestStore::embedded()).await;
                }
            )*
        }
        mod etcd {
            use crate::support::TestStore;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    super::$name(TestStore::etcd().await).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_stores;
