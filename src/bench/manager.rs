//! The scenarios against a cflux manager, through the same client the
//! verbs and the agent use. Every run works in clusters named
//! `cflux-bench-<run>-…` and deregisters its nodes afterwards; metadata
//! written by `meta-write` and `fanout` stays (the API has no delete).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::load::{CpuNow, Stats, answers, closed_loop, for_each, progress, server_time};
use super::{BenchArgs, Scenario};
use crate::client::{Client, Connection, auth_headers};
use crate::exit::CliError;
use crate::wire::Registration;
use crate::wire::encode_cluster;

pub struct Target {
    client: Client,
    /// Sent by the raw HTTP clients of nodes-list and fanout.
    headers: reqwest::header::HeaderMap,
    /// The CA those clients trust, from `--cacert`.
    cacert: Option<std::path::PathBuf>,
    endpoint: String,
    run: String,
}

/// Long polls per source address: well under the ~28,000 ephemeral ports.
const POLLS_PER_ADDRESS: usize = 10_000;

fn node(hostname: String) -> Registration {
    Registration {
        hostname,
        ip: Some("127.0.0.1".into()),
        bind_address: Some("127.0.0.1:8088".into()),
        ..Registration::default()
    }
}

impl Target {
    /// The one manager of `connection`, with its token and CA.
    pub fn new(connection: &Connection) -> Result<Target, CliError> {
        let [endpoint] = connection.endpoint.as_slice() else {
            return Err(CliError::usage(
                "cflux bench loads one manager: give one --endpoint",
            ));
        };
        let setup = Connection {
            endpoint: vec![endpoint.clone()],
            timeout: Duration::from_secs(30),
            ..connection.clone()
        };
        Ok(Target {
            client: Client::new(&setup)?,
            headers: auth_headers(connection.token.as_deref())?,
            cacert: connection.cacert.clone(),
            endpoint: endpoint.trim_end_matches('/').to_string(),
            run: format!("cflux-bench-{}-{}", std::process::id(), fastrand::u32(..)),
        })
    }

    /// A plain HTTP client of the manager for the scenarios that time raw
    /// requests, connecting from `local` when given.
    fn raw_client(&self, local: Option<IpAddr>) -> Result<reqwest::Client, CliError> {
        let mut builder = crate::tls::http_client()
            .no_proxy()
            .default_headers(self.headers.clone())
            .local_address(local);
        if let Some(ca) = &self.cacert {
            builder = crate::tls::trusting(builder, ca)
                .map_err(|e| CliError::usage(format!("--cacert: {e:#}")))?;
        }
        builder.build().map_err(|e| CliError::other(e.to_string()))
    }

    /// Waits until the manager counts `n` parked metadata polls
    /// (`cflux_parked_polls` on its `/metrics`), at most a minute.
    async fn until_parked(&self, client: &reqwest::Client, n: usize) -> Result<(), CliError> {
        let url = format!("{}/metrics", self.endpoint);
        let series = r#"cflux_parked_polls{kind="metadata"}"#;
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = None;
        while Instant::now() < deadline {
            let text = match client.get(&url).send().await {
                Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
                Ok(r) => {
                    return Err(CliError::other(format!(
                        "reading {url} to see the polls parked: HTTP {}",
                        r.status()
                    )));
                }
                Err(e) => return Err(CliError::other(format!("reading {url}: {e}"))),
            };
            last = crate::metrics::sample(&text, series);
            if last.is_some_and(|p| p >= n as f64) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(CliError::other(format!(
            "only {} of {n} polls parked on {} after a minute",
            last.unwrap_or(0.0),
            self.endpoint
        )))
    }

    fn cluster(&self, what: &str) -> String {
        format!("{}-{what}", self.run)
    }

    pub async fn run(&self, scenario: Scenario, args: &BenchArgs) -> Result<Stats, CliError> {
        let c = &self.client;
        let fail = |e: String| CliError::other(format!("bench setup on {}: {e}", self.endpoint));
        Ok(match scenario {
            Scenario::Register => {
                let cluster = self.cluster("register");
                let states: Vec<(usize, u64)> = (0..args.clients).map(|i| (i, 0)).collect();
                let stats = closed_loop(
                    "cflux register",
                    states,
                    args.duration,
                    async |s: &mut (usize, u64)| {
                        s.1 += 1;
                        let new = node(format!("h{}-{}", s.0, s.1));
                        c.register(&cluster, &new)
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string())
                    },
                )
                .await;
                self.forget(&cluster).await.map_err(fail)?;
                stats
            }
            Scenario::Refresh => {
                let cluster = self.cluster("refresh");
                let mut ids = Vec::new();
                for i in 0..args.clients {
                    ids.push(
                        c.register(&cluster, &node(format!("h{i}")))
                            .await
                            .map_err(|e| fail(e.to_string()))?
                            .id,
                    );
                }
                let stats =
                    closed_loop("cflux refresh", ids, args.duration, async |id: &mut u64| {
                        c.refresh(&cluster, *id, None)
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string())
                    })
                    .await;
                self.forget(&cluster).await.map_err(fail)?;
                stats
            }
            Scenario::MetaWrite => {
                let body = Bytes::from(vec![b'x'; 1024]);
                let states: Vec<(String, u64)> = (0..args.clients)
                    .map(|i| (self.cluster(&format!("meta-{i}")), 0))
                    .collect();
                let stats = closed_loop(
                    "cflux meta-write",
                    states,
                    args.duration,
                    async |s: &mut (String, u64)| {
                        let v = c
                            .write(&s.0, s.1, body.clone(), None)
                            .await
                            .map_err(|e| e.to_string())?;
                        s.1 = v;
                        Ok(())
                    },
                )
                .await;
                let clusters = (0..args.clients).map(|i| self.cluster(&format!("meta-{i}")));
                for cluster in clusters {
                    self.delete(&cluster).await.map_err(fail)?;
                }
                stats
            }
            Scenario::NodesList => {
                let cluster = self.cluster("list");
                for_each(
                    "registering nodes",
                    (0..args.nodes).collect(),
                    args.clients,
                    async |i: usize| {
                        c.register(&cluster, &node(format!("h{i}")))
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string())
                    },
                )
                .await
                .map_err(fail)?;
                let want = args.nodes;
                let url = format!("{}/nodes/{}", self.endpoint, encode_cluster(&cluster));
                let http = self.raw_client(None)?;
                let server_times = std::sync::Mutex::new(Vec::new());
                let stats = closed_loop(
                    "cflux nodes-list",
                    vec![(); args.clients],
                    args.duration,
                    async |_: &mut ()| {
                        let resp = http.get(&url).send().await.map_err(|e| e.to_string())?;
                        let took = resp
                            .headers()
                            .get("server-timing")
                            .and_then(|v| server_time(v.to_str().ok()?));
                        let body = resp.bytes().await.map_err(|e| e.to_string())?;
                        let n = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&body)
                            .map_err(|e| format!("not a node list: {e}"))?
                            .len();
                        if n != want {
                            return Err(format!("listed {n} nodes, not {want}"));
                        }
                        let took = took.ok_or("no Server-Timing header")?;
                        server_times
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(took);
                        Ok(())
                    },
                )
                .await
                .with_server_times(server_times.into_inner().unwrap_or_else(|p| p.into_inner()));
                self.forget(&cluster).await.map_err(fail)?;
                stats
            }
            Scenario::Fanout => self.fanout(args.parked, args.hold).await?,
            Scenario::All | Scenario::Relay => unreachable!("run by the caller"),
        })
    }

    /// Deletes the metadata the bench wrote in `cluster` (it has no alive
    /// nodes of its own, but force anyway: nobody else writes there).
    async fn delete(&self, cluster: &str) -> Result<(), String> {
        match self.client.delete_metadata(cluster, true).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Deregisters every node of `cluster`.
    async fn forget(&self, cluster: &str) -> Result<(), String> {
        let nodes = self
            .client
            .cluster_nodes(cluster)
            .await
            .map_err(|e| e.to_string())?;
        let ids: Vec<u64> = nodes.iter().map(|n| n.id).collect();
        for_each("cleaning up", ids, 16, async |id| {
            self.client
                .deregister(cluster, id)
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Parks `parked` long polls on one cluster, writes once, and times each
    /// poll's answer from the moment the write was acknowledged.
    async fn fanout(&self, parked: usize, hold: Duration) -> Result<Stats, CliError> {
        let cluster = self.cluster("fanout");
        let version = self
            .client
            .write(&cluster, 0, Bytes::from_static(b"v1"), None)
            .await?;
        let url = format!(
            "{}/clusters/{}/versions/{version}?wait=120s",
            self.endpoint,
            encode_cluster(&cluster)
        );
        // The first POLLS_PER_ADDRESS connect from an address the kernel
        // picks: binding each socket to an address first makes the kernel
        // search its bound ports on every connect, which took seconds.
        let clients = (0..parked.div_ceil(POLLS_PER_ADDRESS))
            .map(|i| match i {
                0 => self.raw_client(None),
                i => self.raw_client(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + i as u8)))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Connect first: with thousands of recently closed sockets about,
        // connects can take seconds, and polls still connecting when the
        // write lands would be timed as slow answers. The connections wait
        // idle in each client's pool for the polls.
        let health = format!("{}/healthz", self.endpoint);
        let bar = progress("connecting", parked as u64);
        let mut connects = tokio::task::JoinSet::new();
        for i in 0..parked {
            let request = clients[i / POLLS_PER_ADDRESS].get(&health).send();
            let bar = bar.clone();
            connects.spawn(async move {
                let r = request.await?.bytes().await;
                bar.inc(1);
                r
            });
        }
        while let Some(done) = connects.join_next().await {
            done.map_err(|e| CliError::other(e.to_string()))?
                .map_err(|e| CliError::other(format!("connecting to {health}: {e}")))?;
        }
        bar.finish_and_clear();
        let bar = progress("parking polls", parked as u64);
        let mut polls = tokio::task::JoinSet::new();
        for i in 0..parked {
            let request = clients[i / POLLS_PER_ADDRESS].get(&url).send();
            let bar = bar.clone();
            polls.spawn(async move {
                bar.inc(1);
                let resp = request.await.map_err(|e| e.to_string())?;
                let answered = Instant::now();
                let status = resp.status();
                resp.bytes().await.map_err(|e| e.to_string())?;
                if status == 200 {
                    Ok(answered)
                } else {
                    Err(format!("HTTP {status}"))
                }
            });
        }
        // Every poll parked, by the manager's own count.
        self.until_parked(&clients[0], parked).await?;
        bar.finish_and_clear();
        tokio::time::sleep(hold).await;
        // Timed from sending the write, not from its answer: the manager
        // wakes its polls before it answers the writer.
        let metrics = format!("{}/metrics", self.endpoint);
        let cpu = CpuNow::read(&clients[0], &metrics).await;
        let sent = Instant::now();
        self.client
            .write(&cluster, version, Bytes::from_static(b"v2"), None)
            .await?;
        let stats = answers(polls, parked, sent).await;
        let stats = stats.with_wake_cpu(cpu, CpuNow::read(&clients[0], &metrics).await);
        self.delete(&cluster)
            .await
            .map_err(|e| CliError::other(format!("bench cleanup on {}: {e}", self.endpoint)))?;
        Ok(stats)
    }
}
