//! The etcd baseline: for each scenario, the least an implementation
//! directly on etcd must do, with the same number of clients.
//!
//! register = lease grant + put with the lease; refresh = one keepalive on
//! a long-lived keepalive stream per lease; meta-write = a txn comparing the
//! key's version, then put; nodes-list = a prefix range over N records;
//! fanout = N watches on one key, then a put.

use std::time::{Duration, Instant};

use etcd_client::{Client, Compare, CompareOp, GetOptions, PutOptions, Txn, TxnOp};

use super::load::{Stats, answers, closed_loop, for_each, progress};
use super::{BenchArgs, Scenario};
use crate::exit::CliError;

pub struct Target {
    client: Client,
    prefix: String,
}

/// About the size of a stored node record.
const RECORD: [u8; 250] = [b'x'; 250];

fn err(e: etcd_client::Error) -> String {
    e.to_string()
}

impl Target {
    pub async fn connect(endpoints: &[String]) -> Result<Target, CliError> {
        let client = Client::connect(endpoints, None)
            .await
            .map_err(|e| CliError::other(format!("etcd {}: {e}", endpoints.join(","))))?;
        Ok(Target {
            client,
            prefix: format!("/cflux-bench/{}-{}/", std::process::id(), fastrand::u32(..)),
        })
    }

    pub async fn run(&self, scenario: Scenario, args: &BenchArgs) -> Result<Stats, CliError> {
        let fail = |e: String| CliError::other(format!("bench setup on etcd: {e}"));
        let prefix = &self.prefix;
        let stats = match scenario {
            Scenario::Register => {
                let leases = std::sync::Mutex::new(Vec::new());
                let states: Vec<(Client, usize, u64)> = (0..args.clients)
                    .map(|i| (self.client.clone(), i, 0))
                    .collect();
                let stats = closed_loop(
                    "etcd register",
                    states,
                    args.duration,
                    async |s: &mut (Client, usize, u64)| {
                        s.2 += 1;
                        let lease = s.0.lease_grant(15, None).await.map_err(err)?;
                        leases
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(lease.id());
                        let key = format!("{prefix}register/{}-{}", s.1, s.2);
                        let options = PutOptions::new().with_lease(lease.id());
                        s.0.put(key, RECORD, Some(options))
                            .await
                            .map(drop)
                            .map_err(err)
                    },
                )
                .await;
                // Revoked now, so thousands of expiring leases do not load
                // etcd during the next scenario (cflux deregisters its nodes).
                let leases = leases.into_inner().unwrap_or_else(|p| p.into_inner());
                let client = &self.client;
                for_each("cleaning up", leases, 16, async |id| {
                    client.clone().lease_revoke(id).await.map(drop).map_err(err)
                })
                .await
                .map_err(fail)?;
                stats
            }
            Scenario::Refresh => {
                let mut states = Vec::new();
                let mut leases = Vec::new();
                for _ in 0..args.clients {
                    let mut c = self.client.clone();
                    let lease = c
                        .lease_grant(60, None)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                    let (keeper, stream) = c
                        .lease_keep_alive(lease.id())
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                    leases.push(lease.id());
                    states.push((keeper, stream));
                }
                let stats = closed_loop(
                    "etcd keepalive",
                    states,
                    args.duration,
                    async |s: &mut (
                        etcd_client::LeaseKeeper,
                        etcd_client::LeaseKeepAliveStream,
                    )| {
                        s.0.keep_alive().await.map_err(err)?;
                        match s.1.message().await.map_err(err)? {
                            Some(r) if r.ttl() > 0 => Ok(()),
                            _ => Err("lease gone".into()),
                        }
                    },
                )
                .await;
                let mut c = self.client.clone();
                for id in leases {
                    let _ = c.lease_revoke(id).await;
                }
                stats
            }
            Scenario::MetaWrite => {
                let states: Vec<(Client, String, i64)> = (0..args.clients)
                    .map(|i| (self.client.clone(), format!("{prefix}meta/{i}"), 0))
                    .collect();
                let body = vec![b'x'; 1024];
                closed_loop(
                    "etcd txn",
                    states,
                    args.duration,
                    async |s: &mut (Client, String, i64)| {
                        let txn = Txn::new()
                            .when([Compare::version(s.1.clone(), CompareOp::Equal, s.2)])
                            .and_then([TxnOp::put(s.1.clone(), body.clone(), None)]);
                        if s.0.txn(txn).await.map_err(err)?.succeeded() {
                            s.2 += 1;
                            Ok(())
                        } else {
                            Err("version conflict".into())
                        }
                    },
                )
                .await
            }
            Scenario::NodesList => {
                let list = format!("{prefix}list/");
                let client = &self.client;
                for_each(
                    "etcd records",
                    (0..args.nodes).collect(),
                    args.clients,
                    async |i: usize| {
                        client
                            .clone()
                            .put(format!("{list}{i:020}"), RECORD, None)
                            .await
                            .map(drop)
                            .map_err(err)
                    },
                )
                .await
                .map_err(fail)?;
                let want = args.nodes;
                let states: Vec<Client> = (0..args.clients).map(|_| self.client.clone()).collect();
                closed_loop(
                    "etcd range",
                    states,
                    args.duration,
                    async |c: &mut Client| {
                        let n = c
                            .get(list.clone(), Some(GetOptions::new().with_prefix()))
                            .await
                            .map_err(err)?
                            .kvs()
                            .len();
                        if n == want {
                            Ok(())
                        } else {
                            Err(format!("read {n} keys, not {want}"))
                        }
                    },
                )
                .await
            }
            Scenario::Fanout => self.fanout(args.parked).await.map_err(fail)?,
            Scenario::All | Scenario::Relay => unreachable!("run by the caller"),
        };
        let _ = self
            .client
            .clone()
            .delete(
                prefix.clone(),
                Some(etcd_client::DeleteOptions::new().with_prefix()),
            )
            .await;
        Ok(stats)
    }

    async fn fanout(&self, parked: usize) -> Result<Stats, String> {
        let key = format!("{}fanout", self.prefix);
        let bar = progress("etcd watches", parked as u64);
        let mut streams = Vec::new();
        for _ in 0..parked {
            streams.push(
                self.client
                    .clone()
                    .watch(key.clone(), None)
                    .await
                    .map_err(err)?,
            );
            bar.inc(1);
        }
        bar.finish_and_clear();
        let mut watches = tokio::task::JoinSet::new();
        for mut stream in streams {
            watches.spawn(async move {
                loop {
                    match stream.message().await {
                        Ok(Some(r)) if !r.events().is_empty() => return Ok(Instant::now()),
                        Ok(Some(_)) => continue,
                        Ok(None) => return Err("watch closed".to_string()),
                        Err(e) => return Err(e.to_string()),
                    }
                }
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let sent = Instant::now();
        self.client
            .clone()
            .put(key, "v2", None)
            .await
            .map_err(err)?;
        Ok(answers(watches, parked, sent).await)
    }
}
