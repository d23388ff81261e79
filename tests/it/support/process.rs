//! A `cflux` child process that runs until dropped, with its stdout read
//! line by line (for verbs that never exit: `meta watch`, `nodes list -w`)
//! and its stderr kept (and echoed) for what it says about retries.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    /// Starts `cflux ARGS` with `CFLUX_ENDPOINT=endpoint`.
    pub fn start(endpoint: &str, args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cflux"))
            .args(args)
            .env("CFLUX_ENDPOINT", endpoint)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cflux");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let said = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let keep = said.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                eprintln!("{line}");
                let mut kept = keep.lock().unwrap();
                kept.push_str(&line);
                kept.push('\n');
            }
        });
        Running {
            child,
            lines,
            stderr: said,
        }
    }

    /// Waits until its stderr has said `needle` `times` times; panics with
    /// all it said if that does not happen within `within`.
    pub async fn until_said(&self, within: Duration, needle: &str, times: usize) {
        let said = || self.stderr.lock().unwrap().matches(needle).count() >= times;
        let deadline = std::time::Instant::now() + within;
        while !said() {
            assert!(
                std::time::Instant::now() < deadline,
                "cflux did not say {needle:?} {times} times within {within:?}:\n{}",
                self.stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The next line printed within `within`; panics naming `what` if none.
    pub async fn line(&self, within: Duration, what: &str) -> String {
        let deadline = std::time::Instant::now() + within;
        loop {
            match self.lines.try_recv() {
                Ok(line) => return line,
                Err(mpsc::TryRecvError::Disconnected) => panic!("cflux exited before {what}"),
                Err(mpsc::TryRecvError::Empty) => {}
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no line within {within:?}: waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM, then everything it printed and nobody read yet: the whole
    /// rest of its output, without guessing how long to wait for it.
    pub async fn stop(mut self) -> Vec<String> {
        super::sigterm(self.child.id());
        let status = tokio::task::spawn_blocking(move || {
            let status = self.child.wait().expect("wait for cflux");
            (status, self.lines.iter().collect::<Vec<_>>())
        })
        .await
        .unwrap();
        assert!(status.0.success(), "cflux exited with {}", status.0);
        status.1
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
