//! Replaying each member's queue, oldest first, once the member can take
//! it: alive, and with the cluster's schema applied by its agent, so a
//! replay never meets "database not found".
//!
//! An entry leaves the queue only when the member took it, or when it
//! refused it for a reason replaying cannot change (bad line protocol:
//! logged and counted). A missing database or retention policy, refused
//! credentials, a 5xx or no answer keep it, and it is tried again with a
//! growing pause. A queued write into a database or retention policy the
//! cluster has dropped since is dropped too (logged): every member that
//! took it dropped it with the database. A member that has been missing
//! from the cluster's lists for [`FORGET_AFTER`] (deregistered, or
//! forgotten by the manager) has its queue dropped, logged; an empty list
//! never drops one.
//!
//! Removals of delivered entries ride the next group commit without being
//! waited for; a cursor keeps the replayer from sending them again, and a
//! crash before the commit only delivers a few twice, which stores each
//! point once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Relay;
use super::forward::{self, Outcome};
use super::queue::Kind;
use crate::backoff::Backoff;

/// The longest pause between looks when nothing wakes a replayer.
const IDLE: Duration = Duration::from_secs(1);
/// How long a member must be missing from the cluster's lists before its
/// queue is dropped.
const FORGET_AFTER: Duration = Duration::from_secs(30);

/// Keeps one replayer per member with a queue until `shutdown`.
pub async fn run(relay: Arc<Relay>, shutdown: CancellationToken) {
    let mut replayers: HashMap<u64, JoinHandle<()>> = HashMap::new();
    let mut view = relay.view.clone();
    view.borrow_and_update();
    loop {
        replayers.retain(|_, task| !task.is_finished());
        for id in relay.queue.members() {
            replayers
                .entry(id)
                .or_insert_with(|| tokio::spawn(replay(relay.clone(), id, shutdown.clone())));
        }
        tokio::select! {
            _ = view.changed() => {}
            _ = relay.queued.notified() => {}
            _ = tokio::time::sleep(IDLE) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    for (_, task) in replayers {
        let _ = task.await;
    }
}

/// Waits for a change of the view, a push, a second, or shutdown (`true`).
async fn pause(relay: &Relay, longest: Duration, shutdown: &CancellationToken) -> bool {
    let mut view = relay.view.clone();
    view.borrow_and_update();
    tokio::select! {
        _ = view.changed() => false,
        _ = relay.queued.notified() => false,
        _ = tokio::time::sleep(longest) => false,
        _ = shutdown.cancelled() => true,
    }
}

async fn replay(relay: Arc<Relay>, id: u64, shutdown: CancellationToken) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    let mut waiting = false;
    let mut failing: Option<String> = None;
    let mut absent_since: Option<Instant> = None;
    // Entries before this were delivered; their removal is on its way.
    let mut cursor = 0;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let view = relay.snapshot();
        let depth = relay.queue.depth(id);
        let member = match view.member(id) {
            Some(m) => {
                absent_since = None;
                m.clone()
            }
            // Gone from the cluster: deregistered, or forgotten by the
            // manager. Only a list that names other members counts, and
            // only for a while, so a wrong --cluster or a store that went
            // back drops nothing at once.
            None if view.known && !view.members.is_empty() => {
                let since = *absent_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= FORGET_AFTER {
                    tracing::warn!(
                        member = id,
                        points = depth.points,
                        entries = depth.entries,
                        "the member left the cluster: dropping its queue"
                    );
                    relay.queue.forget(id);
                    return;
                }
                if pause(&relay, IDLE, &shutdown).await {
                    return;
                }
                continue;
            }
            None => {
                if pause(&relay, IDLE, &shutdown).await {
                    return;
                }
                continue;
            }
        };
        if depth.entries == 0 {
            if pause(&relay, IDLE, &shutdown).await {
                return;
            }
            continue;
        }
        if !view.ready(&member) {
            if !waiting {
                tracing::info!(
                    member = id,
                    alive = member.alive,
                    applied = ?member.applied,
                    cluster_version = view.version,
                    points = depth.points,
                    "the member's queue waits until it is alive with the cluster's schema"
                );
                waiting = true;
            }
            if pause(&relay, IDLE, &shutdown).await {
                return;
            }
            continue;
        }
        if waiting {
            tracing::info!(
                member = id,
                points = depth.points,
                "replaying the member's queue"
            );
            waiting = false;
        }
        let queue = relay.queue.clone();
        let first = tokio::task::spawn_blocking(move || queue.first_from(id, cursor)).await;
        let (seq, entry) = match first {
            Ok(Ok(Some(found))) => found,
            // Everything was sent; the removals are being committed.
            Ok(Ok(None)) => {
                if pause(&relay, Duration::from_millis(50), &shutdown).await {
                    return;
                }
                continue;
            }
            Ok(Err(e)) => {
                tracing::error!(member = id, "cannot read the queue: {e}");
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => continue,
                    _ = shutdown.cancelled() => return,
                }
            }
            Err(_) => return,
        };
        // The cluster dropped the database or policy since: so did every
        // member that took these points. Replaying cannot succeed.
        if entry.kind == Kind::Write && view.admits(&entry.db, entry.rp.as_deref()).is_err() {
            tracing::warn!(
                member = id,
                db = %entry.db,
                rp = ?entry.rp,
                points = entry.points,
                "the cluster no longer has the database or retention policy of a queued write; dropping it"
            );
            relay.queue.remove_later(id, seq);
            cursor = seq + 1;
            continue;
        }
        let timeout = relay.timeout_of(&entry);
        let send = forward::send(&relay.http, &member.url, &entry, timeout);
        let outcome = relay.tracked(id, &entry, send).await;
        let keep = match outcome {
            Outcome::Taken(_) => None,
            Outcome::Refused(a) if a.is_missing_schema() || matches!(a.status, 401 | 403) => {
                Some(format!(
                    "HTTP {}: {}",
                    a.status,
                    String::from_utf8_lossy(&a.body).trim()
                ))
            }
            Outcome::Refused(a) => {
                tracing::warn!(
                    member = id,
                    points = entry.points,
                    status = a.status,
                    body = %String::from_utf8_lossy(&a.body).trim(),
                    "the member refuses a queued entry for good; dropping it"
                );
                None
            }
            Outcome::Failed(reason) => Some(reason),
        };
        match keep {
            None => {
                relay.queue.remove_later(id, seq);
                cursor = seq + 1;
                relay.replayed(id);
                if failing.take().is_some() {
                    tracing::info!(member = id, "replays reach the member again");
                }
                backoff.reset();
            }
            Some(reason) => {
                if failing.as_deref() != Some(reason.as_str()) {
                    tracing::warn!(member = id, %reason, "replay failed; keeping the entry and trying again");
                    failing = Some(reason);
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
        }
    }
}
