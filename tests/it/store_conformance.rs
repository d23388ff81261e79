//! One suite, every `Store`: the embedded store must behave like etcd in
//! everything cflux relies on. Each test is a plain async function over a
//! `SharedStore`; the macro at the bottom runs it on both implementations.

use std::time::Duration;

use cflux::store::{
    Compare, Event, EventKind, Op, OpResult, SharedStore, StoreError, Txn, WatchStream,
};
use futures::StreamExt;

async fn put(s: &SharedStore, k: &str, v: &str) -> i64 {
    s.put(k.as_bytes(), v.as_bytes(), 0).await.expect("put")
}

async fn next_events(w: &mut WatchStream) -> Vec<Event> {
    tokio::time::timeout(Duration::from_secs(10), w.next())
        .await
        .expect("a watch event within 10s")
        .expect("the watch is open")
        .expect("no watch error")
}

/// Collects events until `n` have arrived.
async fn collect(w: &mut WatchStream, n: usize) -> Vec<Event> {
    let mut out = Vec::new();
    while out.len() < n {
        out.extend(next_events(w).await);
    }
    out
}

fn keys(events: &[Event]) -> Vec<(EventKind, String)> {
    events
        .iter()
        .map(|e| (e.kind, String::from_utf8_lossy(&e.kv.key).into_owned()))
        .collect()
}

async fn versions_and_revisions(s: SharedStore) {
    let r1 = put(&s, "k", "a").await;
    let (kv, rev) = s.get(b"k").await.unwrap();
    let kv = kv.expect("k exists");
    assert_eq!((kv.value.as_slice(), kv.version), (b"a".as_slice(), 1));
    assert_eq!((kv.create_revision, kv.mod_revision), (r1, r1));
    assert!(rev >= r1);

    let r2 = put(&s, "k", "b").await;
    assert!(r2 > r1, "revisions increase: {r1} then {r2}");
    let kv = s.get(b"k").await.unwrap().0.unwrap();
    assert_eq!(
        (kv.version, kv.create_revision, kv.mod_revision),
        (2, r1, r2)
    );

    assert!(s.delete(b"k").await.unwrap());
    assert!(
        !s.delete(b"k").await.unwrap(),
        "a second delete finds nothing"
    );
    assert_eq!(s.get(b"k").await.unwrap().0, None);

    let r3 = put(&s, "k", "c").await;
    let kv = s.get(b"k").await.unwrap().0.unwrap();
    assert_eq!(kv.version, 1, "deletion resets the version");
    assert_eq!(kv.create_revision, r3);
}

async fn compare_and_set(s: SharedStore) {
    let cas = |expected: i64, value: &str| {
        Txn::new()
            .when(Compare::VersionEquals(b"c".to_vec(), expected))
            .then(Op::put("c", value))
            .or_else(Op::get("c"))
    };
    let r = s.txn(cas(0, "first")).await.unwrap();
    assert!(r.succeeded, "an absent key has version 0");
    assert_eq!(r.results, vec![OpResult::Put]);

    let r = s.txn(cas(0, "stale")).await.unwrap();
    assert!(!r.succeeded);
    assert_eq!(r.got(0).unwrap().value, b"first", "the else branch reads");

    let r = s.txn(cas(1, "second")).await.unwrap();
    assert!(r.succeeded);

    let kv = s.get(b"c").await.unwrap().0.unwrap();
    let by_rev = Txn::new()
        .when(Compare::ModRevisionEquals(b"c".to_vec(), kv.mod_revision))
        .then(Op::put("c", "third"));
    assert!(s.txn(by_rev.clone()).await.unwrap().succeeded);
    assert!(
        !s.txn(by_rev).await.unwrap().succeeded,
        "mod revision moved on"
    );
    let absent = Txn::new().when(Compare::ModRevisionEquals(b"nope".to_vec(), 0));
    assert!(
        s.txn(absent).await.unwrap().succeeded,
        "absent keys have mod revision 0"
    );
}

async fn concurrent_increments_never_collide(s: SharedStore) {
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut wins = 0;
            while wins < 10 {
                let (kv, _) = s.get(b"n").await.unwrap();
                let (n, rev) = kv.map_or((0, 0), |kv| {
                    (
                        String::from_utf8(kv.value).unwrap().parse::<u64>().unwrap(),
                        kv.mod_revision,
                    )
                });
                let txn = Txn::new()
                    .when(Compare::ModRevisionEquals(b"n".to_vec(), rev))
                    .then(Op::put("n", (n + 1).to_string()));
                if s.txn(txn).await.unwrap().succeeded {
                    wins += 1;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let kv = s.get(b"n").await.unwrap().0.unwrap();
    assert_eq!(kv.value, b"60", "every won increment is counted once");
}

async fn ranges_deletes_and_last(s: SharedStore) {
    for k in ["a/01", "a/02", "a/10", "ab/01", "b/01"] {
        put(&s, k, k).await;
    }
    let (kvs, rev) = s.range(b"a/").await.unwrap();
    let got: Vec<&[u8]> = kvs.iter().map(|kv| kv.key.as_slice()).collect();
    assert_eq!(
        got,
        vec![b"a/01".as_slice(), b"a/02", b"a/10"],
        "prefix only, in key order"
    );
    assert!(rev >= kvs.iter().map(|kv| kv.mod_revision).max().unwrap());

    assert_eq!(s.last(b"a/").await.unwrap().0.unwrap().key, b"a/10");
    assert_eq!(s.last(b"zz/").await.unwrap().0, None);

    let r = s
        .txn(Txn::new().then(Op::DeleteRange {
            start: b"a/".to_vec(),
            end: b"a/10".to_vec(),
        }))
        .await
        .unwrap();
    assert_eq!(
        r.results,
        vec![OpResult::Deleted(2)],
        "[start, end) is half-open"
    );
    let (kvs, _) = s.range(b"a").await.unwrap();
    let got: Vec<&[u8]> = kvs.iter().map(|kv| kv.key.as_slice()).collect();
    assert_eq!(got, vec![b"a/10".as_slice(), b"ab/01"]);
}

async fn leases_own_their_keys(s: SharedStore) {
    let lease = s.grant(10).await.unwrap();
    assert!(lease.ttl >= 10);
    assert!(s.leases().await.unwrap().contains(&lease.id));
    s.put(b"l/1", b"x", lease.id).await.unwrap();
    assert_eq!(s.get(b"l/1").await.unwrap().0.unwrap().lease, lease.id);
    assert!(s.keep_alive(lease.id).await.unwrap());

    assert!(s.revoke(lease.id).await.unwrap());
    assert_eq!(
        s.get(b"l/1").await.unwrap().0,
        None,
        "revoking deletes the lease's keys"
    );
    assert!(!s.keep_alive(lease.id).await.unwrap());
    assert!(!s.leases().await.unwrap().contains(&lease.id));
    assert!(
        !s.revoke(lease.id).await.unwrap(),
        "a second revoke finds nothing"
    );

    let txn = Txn::new()
        .then(Op::put("l/plain", "x"))
        .then(Op::put_leased("l/2", "x", lease.id));
    assert_eq!(s.txn(txn).await.unwrap_err(), StoreError::LeaseNotFound);
    assert_eq!(
        s.get(b"l/plain").await.unwrap().0,
        None,
        "a failed txn stores nothing"
    );
    assert!(!s.keep_alive(987_654_321).await.unwrap());
}

async fn leases_expire_unless_kept_alive(s: SharedStore) {
    let lapsing = s.grant(2).await.unwrap();
    let kept = s.grant(2).await.unwrap();
    s.put(b"e/lapsing", b"", lapsing.id).await.unwrap();
    s.put(b"e/kept", b"", kept.id).await.unwrap();
    let start = tokio::time::Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        assert!(s.keep_alive(kept.id).await.unwrap());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        s.get(b"e/lapsing").await.unwrap().0,
        None,
        "expired after 5s of a 2s TTL"
    );
    assert!(!s.keep_alive(lapsing.id).await.unwrap());
    assert!(s.get(b"e/kept").await.unwrap().0.is_some());
    let live = s.leases().await.unwrap();
    assert!(live.contains(&kept.id) && !live.contains(&lapsing.id));
}

async fn watches_replay_then_follow(s: SharedStore) {
    let from = put(&s, "w/1", "a").await;
    put(&s, "w/2", "b").await;
    put(&s, "other", "c").await;
    let mut w = s.watch(b"w/", from).await.unwrap();
    let replay = collect(&mut w, 2).await;
    assert_eq!(
        keys(&replay),
        vec![
            (EventKind::Put, "w/1".into()),
            (EventKind::Put, "w/2".into())
        ]
    );
    assert_eq!(replay[0].kv.mod_revision, from);

    let lease = s.grant(30).await.unwrap();
    s.put(b"w/3", b"leased", lease.id).await.unwrap();
    s.delete(b"w/1").await.unwrap();
    s.revoke(lease.id).await.unwrap();
    let live = collect(&mut w, 3).await;
    assert_eq!(
        keys(&live),
        vec![
            (EventKind::Put, "w/3".into()),
            (EventKind::Delete, "w/1".into()),
            (EventKind::Delete, "w/3".into()),
        ]
    );
    assert_eq!(live[0].kv.value, b"leased");
    let revs: Vec<i64> = live.iter().map(|e| e.kv.mod_revision).collect();
    assert!(
        revs.windows(2).all(|p| p[0] < p[1]),
        "events in revision order: {revs:?}"
    );
}

async fn one_txn_is_one_revision(s: SharedStore) {
    let mut w = s.watch(b"t/", 1).await.unwrap();
    let r = s
        .txn(
            Txn::new()
                .then(Op::put("t/a", "1"))
                .then(Op::put("t/b", "2")),
        )
        .await
        .unwrap();
    let events = collect(&mut w, 2).await;
    assert!(events.iter().all(|e| e.kv.mod_revision == r.revision));
    let reads = s.txn(Txn::new().then(Op::get("t/a"))).await.unwrap();
    assert_eq!(reads.revision, r.revision, "reads do not bump the revision");
}

async fn compacted_history_breaks_watches(s: SharedStore) {
    let old = put(&s, "h/1", "a").await;
    put(&s, "h/1", "b").await;
    let now = put(&s, "h/1", "c").await;
    s.compact(now).await.unwrap();
    let err = match s.watch(b"h/", old).await {
        Err(e) => e,
        Ok(mut w) => tokio::time::timeout(Duration::from_secs(10), w.next())
            .await
            .expect("an answer within 10s")
            .expect("an item")
            .expect_err("a watch from a compacted revision fails"),
    };
    assert!(matches!(err, StoreError::Compacted { .. }), "got {err:?}");
    // Watching from the compaction point still works.
    let mut w = s.watch(b"h/", now).await.unwrap();
    assert_eq!(next_events(&mut w).await[0].kv.value, b"c");
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            use crate::support::TestStore;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let t = TestStore::embedded();
                    super::$name(t.store.clone()).await;
                }
            )*
        }
        mod etcd {
            use crate::support::TestStore;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let t = TestStore::etcd().await;
                    super::$name(t.store.clone()).await;
                }
            )*
        }
    };
}

conformance!(
    versions_and_revisions,
    compare_and_set,
    concurrent_increments_never_collide,
    ranges_deletes_and_last,
    leases_own_their_keys,
    leases_expire_unless_kept_alive,
    watches_replay_then_follow,
    one_txn_is_one_revision,
    compacted_history_breaks_watches,
);
