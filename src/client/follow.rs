//! Following a cluster's metadata version by version, through manager
//! restarts and outages: the loop behind `cflux meta watch` and the agent.
//!
//! A [`Follower`] long-polls for the version after the last one it handed
//! out. When several versions were stored while it was away, it fetches the
//! ones in between from the manager's history, so none is skipped while the
//! manager still retains it, and none is repeated.

use std::time::Duration;

use crate::backoff::Backoff;
use crate::client::{Client, ClientError, Version};

/// What the follower reports besides versions.
#[derive(Debug)]
pub enum Notice<'a> {
    /// A request failed in a way that may pass; the next try is in `retry_in`.
    Retrying {
        error: &'a ClientError,
        retry_in: Duration,
    },
    /// The manager answered again after failures.
    Recovered,
    /// A version between two fetched ones is no longer retained.
    Skipped { version: u64 },
    /// The stored version went back (the store was replaced or wiped).
    WentBack { from: u64, to: u64 },
}

pub struct Follower<'c> {
    client: &'c Client,
    cluster: String,
    /// The version handed out last (`None` before the first).
    last: Option<u64>,
    /// The newest version seen, not handed out yet because older ones come first.
    newest: Option<Version>,
    /// How long each long poll waits on the manager.
    poll: Duration,
    backoff: Backoff,
    notify: Box<dyn FnMut(Notice<'_>) + Send + 'c>,
}

impl<'c> Follower<'c> {
    /// Follows `cluster`. With `from: None` the first version handed out is
    /// the current one; with `Some(n)` the first is `n + 1` (or the first
    /// retained after it).
    pub fn new(client: &'c Client, cluster: &str, from: Option<u64>) -> Follower<'c> {
        Follower {
            client,
            cluster: cluster.to_string(),
            last: from,
            newest: None,
            poll: Duration::from_secs(60),
            backoff: Backoff::default(),
            notify: Box::new(|_| {}),
        }
    }

    /// How long one long poll may wait (default 60 s); shorter polls notice
    /// a silently vanished manager sooner.
    pub fn poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Receives retries, recoveries and skipped versions, e.g. to log them.
    pub fn on_notice(mut self, notify: impl FnMut(Notice<'_>) + Send + 'c) -> Self {
        self.notify = Box::new(notify);
        self
    }

    /// The version handed out last.
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// The next version. Waits as long as it takes; fails only on answers
    /// that retrying cannot change (a 4xx such as an invalid cluster name).
    pub async fn next(&mut self) -> Result<Version, ClientError> {
        loop {
            match self.step().await {
                Ok(Some(m)) => {
                    self.succeeded();
                    self.last = Some(m.version);
                    return Ok(m);
                }
                Ok(None) => self.succeeded(),
                Err(e) if e.is_transient() => {
                    let retry_in = self.backoff.next_delay();
                    (self.notify)(Notice::Retrying {
                        error: &e,
                        retry_in,
                    });
                    tokio::time::sleep(retry_in).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn succeeded(&mut self) {
        if !self.backoff.is_fresh() {
            self.backoff.reset();
            (self.notify)(Notice::Recovered);
        }
    }

    /// One request: `Some` when a version is ready to hand out.
    async fn step(&mut self) -> Result<Option<Version>, ClientError> {
        let Some(last) = self.last else {
            return match self.client.latest(&self.cluster).await {
                Ok(m) => Ok(Some(m)),
                Err(e) if e.is_not_found() => {
                    self.last = Some(0);
                    Ok(None)
                }
                Err(e) => Err(e),
            };
        };
        if let Some(newest) = &self.newest {
            let wanted = last + 1;
            if wanted >= newest.version {
                return Ok(self.newest.take());
            }
            return match self.client.at(&self.cluster, wanted).await {
                Ok(m) => Ok(Some(m)),
                Err(e) if e.is_not_found() => {
                    (self.notify)(Notice::Skipped { version: wanted });
                    self.last = Some(wanted);
                    Ok(None)
                }
                Err(e) => Err(e),
            };
        }
        let Some(m) = self.client.wait(&self.cluster, last, self.poll).await? else {
            return Ok(None);
        };
        if m.version < last {
            (self.notify)(Notice::WentBack {
                from: last,
                to: m.version,
            });
            if m.version == 0 {
                self.last = Some(0);
                return Ok(None);
            }
            return Ok(Some(m));
        }
        if m.version == last + 1 {
            return Ok(Some(m));
        }
        self.newest = Some(m);
        Ok(None)
    }
}
