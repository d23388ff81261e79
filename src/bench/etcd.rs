//! The etcd baseline: for each scenario, the least an implementation
//! directly on etcd must do, with the same number of clients.
//!
//! register = lease grant + put with the lease; refresh = one keepalive on
//! a long-lived keepalive stream per lease; meta-write = a txn comparing the
//! key's version, then put; nodes-list = a prefix range over N records;
//! fanout = N watches on one key, then a put; and the same through etcd's
//! own HTTP gateway (`POST /v3/watch`, one HTTP/1.1 stream per watch), the
//! nearest thing etcd has to an HTTP long poll.

use std::time::{Duration, Instant};

use etcd_client::{Client, Compare, CompareOp, GetOptions, PutOptions, Txn, TxnOp};

use super::load::{CpuNow, Stats, answers, closed_loop, for_each, progress};
use super::{BenchArgs, Scenario};
use crate::exit::CliError;

pub struct Target {
    client: Client,
    endpoints: Vec<String>,
    prefix: String,
}

/// Gateway watch streams per source address: well under the ~28,000
/// ephemeral ports.
const STREAMS_PER_ADDRESS: usize = 10_000;

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
            endpoints: endpoints.to_vec(),
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
        let (http, metrics) = self.metrics().map_err(|e| e.to_string())?;
        let cpu = CpuNow::read(&http, &metrics).await;
        let sent = Instant::now();
        self.client
            .clone()
            .put(key, "v2", None)
            .await
            .map_err(err)?;
        let stats = answers(watches, parked, sent).await;
        Ok(stats.with_wake_cpu(cpu, CpuNow::read(&http, &metrics).await))
    }

    /// `parked` watch streams on one key through etcd's HTTP gateway, each
    /// its own HTTP/1.1 connection, then one put; each stream timed from
    /// sending the put to its event.
    pub async fn gateway_fanout(&self, parked: usize) -> Result<Stats, CliError> {
        use base64::Engine;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let fail = |e: String| CliError::other(format!("bench setup on etcd's gateway: {e}"));
        let key = format!("{}gateway-fanout", self.prefix);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&key);
        let body = format!(r#"{{"create_request":{{"key":"{encoded}"}}}}"#);
        let base = self.endpoints[0].trim_end_matches('/');
        let url = format!("{base}/v3/watch");
        let clients = (0..parked.div_ceil(STREAMS_PER_ADDRESS))
            .map(|i| {
                let local = std::net::Ipv4Addr::new(127, 0, 0, 1 + i as u8);
                crate::tls::http_client()
                    .no_proxy()
                    .local_address((i > 0).then_some(std::net::IpAddr::V4(local)))
                    .build()
                    .map_err(|e| fail(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Streams created, and streams that failed before they were.
        let created = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let bar = progress("etcd gateway watches", parked as u64);
        let mut watches = tokio::task::JoinSet::new();
        for i in 0..parked {
            let request = clients[i / STREAMS_PER_ADDRESS]
                .post(&url)
                .body(body.clone())
                .send();
            let (created, failed, bar) = (created.clone(), failed.clone(), bar.clone());
            watches.spawn(async move {
                let mut counted = false;
                let watched = async {
                    let mut resp = request.await.map_err(|e| e.to_string())?;
                    let mut seen = Vec::new();
                    loop {
                        let chunk = resp.chunk().await.map_err(|e| e.to_string())?;
                        let Some(chunk) = chunk else {
                            return Err("watch stream closed".to_string());
                        };
                        seen.extend_from_slice(&chunk);
                        let text = String::from_utf8_lossy(&seen);
                        if text.contains(r#""events""#) {
                            return Ok(Instant::now());
                        }
                        if !counted && text.contains(r#""created":true"#) {
                            counted = true;
                            created.fetch_add(1, Ordering::Relaxed);
                            bar.inc(1);
                        }
                    }
                };
                let result = watched.await;
                if result.is_err() && !counted {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                result
            });
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        // Streams that failed to be created count as errors below.
        while created.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < parked {
            if Instant::now() > deadline {
                watches.abort_all();
                return Err(fail(format!(
                    "only {} of {parked} watch streams created",
                    created.load(Ordering::Relaxed)
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bar.finish_and_clear();
        let (http, metrics) = self.metrics().map_err(|e| fail(e.to_string()))?;
        let cpu = CpuNow::read(&http, &metrics).await;
        let sent = Instant::now();
        self.client
            .clone()
            .put(key.clone(), "v2", None)
            .await
            .map_err(|e| fail(err(e)))?;
        let stats = answers(watches, parked, sent).await;
        let stats = stats.with_wake_cpu(cpu, CpuNow::read(&http, &metrics).await);
        let _ = self.client.clone().delete(key, None).await;
        Ok(stats)
    }

    /// A client of etcd's HTTP side, and its `/metrics` URL.
    fn metrics(&self) -> reqwest::Result<(reqwest::Client, String)> {
        let http = crate::tls::http_client().no_proxy().build()?;
        let url = format!("{}/metrics", self.endpoints[0].trim_end_matches('/'));
        Ok((http, url))
    }
}
