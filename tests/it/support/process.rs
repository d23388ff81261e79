//! A `cflux` child process that runs until dropped, with its stdout read
//! line by line (for verbs that never exit: `meta watch`, `nodes list -w`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    /// Starts `cflux ARGS` with `CFLUX_ENDPOINT=endpoint`.
    pub fn start(endpoint: &str, args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cflux"))
            .args(args)
            .env("CFLUX_ENDPOINT", endpoint)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
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
        Running { child, lines }
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
