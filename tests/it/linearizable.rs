//! Linearizability of what the fault tests' clients saw, checked by
//! porcupine-rs (Porcupine's Wing–Gong–Lowe search with its cache of
//! visited states, the checker etcd's robustness tests use) against
//! sequential specifications:
//!
//! - [`Register`]: a cluster's metadata as compare-and-set writes and reads
//!   see it. A write based on the stored version (or on any version while
//!   nothing is stored) stores the next one; otherwise it is a conflict that
//!   answers the stored version and body. A read answers the stored version
//!   and body.
//! - [`Ids`]: registrations, each answered with an id no registration got
//!   before.
//!
//! Clients record each operation with its start and end ([`History`]). An
//! operation whose outcome is unknown (a 503, a cut connection, a timeout)
//! never returns: the checker may place it anywhere after its start. Its
//! effect may or may not have happened, so the models' states are sets of
//! possible register values, as in etcd's non-deterministic models.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Instant;

use porcupine_rs::{CheckResult, Model, Operation};

/// How long the checker may search before the test gives up on it.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Operations with their start, end and answer, from many clients.
pub struct History<Op, Ret> {
    done: Mutex<Vec<Done<Op, Ret>>>,
}

struct Done<Op, Ret> {
    client: usize,
    started: Instant,
    /// `None`: the outcome is unknown.
    ended: Option<(Instant, Ret)>,
    op: Op,
}

impl<Op: Clone + Debug, Ret: Clone + Debug + PartialEq> History<Op, Ret> {
    pub fn new() -> History<Op, Ret> {
        History {
            done: Mutex::new(Vec::new()),
        }
    }

    /// Records `op`, begun at `started` by `client`, with its answer.
    pub fn record(&self, client: usize, started: Instant, op: Op, ret: Option<Ret>) {
        let ended = ret.map(|r| (Instant::now(), r));
        self.done.lock().unwrap().push(Done {
            client,
            started,
            ended,
            op,
        });
    }

    /// `(operations, of which with an unknown outcome)`.
    pub fn len(&self) -> (usize, usize) {
        let done = self.done.lock().unwrap();
        let unknown = done.iter().filter(|d| d.ended.is_none()).count();
        (done.len(), unknown)
    }

    /// Whether some order of the operations, each taking effect at one
    /// moment between its start and end, is a run of model `M`.
    pub fn check<M>(&self) -> Result<(), String>
    where
        M: Model<Op = (Op, Option<Ret>), Metadata = ()>,
    {
        let done = self.done.lock().unwrap();
        let Some(t0) = done.iter().map(|d| d.started).min() else {
            return Ok(());
        };
        let ns = |t: Instant| t.duration_since(t0).as_nanos() as i64;
        let history: Vec<Operation<M>> = done
            .iter()
            .map(|d| Operation {
                client_id: Some(d.client as u32),
                call_time: ns(d.started),
                return_time: d.ended.as_ref().map_or(i64::MAX, |(at, _)| ns(*at)),
                op: (d.op.clone(), d.ended.as_ref().map(|(_, r)| r.clone())),
                metadata: None,
            })
            .collect();
        let unknown = done.iter().filter(|d| d.ended.is_none()).count();
        let said = |what| {
            format!(
                "{what}: {} operations, {unknown} with unknown outcomes",
                done.len()
            )
        };
        match porcupine_rs::check_operations_timeout(&history, CHECK_TIMEOUT) {
            CheckResult::Ok => Ok(()),
            CheckResult::Illegal => Err(said("not linearizable")),
            CheckResult::Unknown => Err(said("the checker found no answer in time")),
        }
    }
}

/// A metadata operation.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaOp {
    /// `POST /clusters/{c}/versions/{expected}` with `body`.
    Write { expected: u64, body: String },
    /// `GET /clusters/{c}`.
    Read,
}

/// What a metadata operation answered.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaRet {
    Written(u64),
    /// 409: the stored version and its body.
    Conflict(u64, String),
    /// The stored version and body (`0` and empty: none).
    Value(u64, String),
}

/// A cluster's metadata, sequentially.
#[derive(Clone, Debug, Default)]
struct Register {
    version: u64,
    body: String,
}

impl Register {
    fn apply(&mut self, op: &MetaOp) -> MetaRet {
        match op {
            MetaOp::Write { expected, body } if *expected == self.version || self.version == 0 => {
                self.version += 1;
                self.body = body.clone();
                MetaRet::Written(self.version)
            }
            MetaOp::Write { .. } => MetaRet::Conflict(self.version, self.body.clone()),
            MetaOp::Read => MetaRet::Value(self.version, self.body.clone()),
        }
    }
}

/// The model of [`Register`]: a state is every register value the history
/// so far allows (more than one once an outcome is unknown).
#[derive(Clone)]
pub struct Metadata;

impl Model for Metadata {
    type State = Vec<(u64, String)>;
    type Op = (MetaOp, Option<MetaRet>);
    type Metadata = ();

    fn init() -> Self::State {
        vec![(0, String::new())]
    }

    fn step(states: &Self::State, (op, ret): &Self::Op) -> (bool, Self::State) {
        let mut next = Vec::new();
        for (version, body) in states {
            let mut r = Register {
                version: *version,
                body: body.clone(),
            };
            let got = r.apply(op);
            match ret {
                Some(want) if *want != got => {}
                Some(_) => next.push((r.version, r.body)),
                // Maybe it happened, maybe not.
                None => {
                    next.push((*version, body.clone()));
                    next.push((r.version, r.body));
                }
            }
        }
        next.sort();
        next.dedup();
        (!next.is_empty(), next)
    }
}

/// A registration.
#[derive(Clone, Debug, PartialEq)]
pub struct Register1;

/// The model of id allocation: every id a registration is answered with
/// is one no registration had before. (One whose answer was lost took some
/// id nobody saw, which constrains nothing.)
#[derive(Clone)]
pub struct Ids;

impl Model for Ids {
    type State = std::collections::BTreeSet<u64>;
    type Op = (Register1, Option<u64>);
    type Metadata = ();

    fn init() -> Self::State {
        Default::default()
    }

    fn step(given: &Self::State, (_, id): &Self::Op) -> (bool, Self::State) {
        match id {
            Some(id) if given.contains(id) => (false, given.clone()),
            Some(id) => {
                let mut next = given.clone();
                next.insert(*id);
                (true, next)
            }
            None => (true, given.clone()),
        }
    }
}

/// A history from rows of (client, start ms, end ms and answer or `None`
/// for an unknown outcome, operation), times counted from `t0`.
fn history<Op: Clone + Debug, Ret: Clone + Debug + PartialEq>(
    t0: Instant,
    rows: impl IntoIterator<Item = (usize, u64, Option<(u64, Ret)>, Op)>,
) -> History<Op, Ret> {
    let at = |ms| t0 + std::time::Duration::from_millis(ms);
    let h = History::new();
    h.done
        .lock()
        .unwrap()
        .extend(rows.into_iter().map(|(client, started, ended, op)| Done {
            client,
            started: at(started),
            ended: ended.map(|(ms, ret)| (at(ms), ret)),
            op,
        }));
    h
}

#[test]
fn the_checker_tells_linearizable_histories_from_others() {
    use MetaRet::{Value, Written};
    let t0 = Instant::now();
    let later = |ms| t0 + std::time::Duration::from_millis(ms);
    let write = |expected, body: &str| MetaOp::Write {
        expected,
        body: body.into(),
    };
    let read = || MetaOp::Read;
    // Two overlapping writes from version 0: one wins, the other sees it.
    let ok = history(
        t0,
        [
            (1, 0, Some((10, Written(1))), write(0, "a")),
            (2, 1, Some((12, Written(2))), write(1, "b")),
            (3, 20, Some((21, Value(2, "b".into()))), read()),
        ],
    );
    assert_eq!(ok.check::<Metadata>(), Ok(()));

    // A read after a write finished sees the older value: stale.
    let stale = history(
        t0,
        [
            (1, 0, Some((5, Written(1))), write(0, "a")),
            (1, 6, Some((7, Written(2))), write(1, "b")),
            (2, 10, Some((11, Value(1, "a".into()))), read()),
        ],
    );
    assert!(stale.check::<Metadata>().is_err(), "a stale read passed");

    // Two winners of one version.
    let split = history(
        t0,
        [
            (1, 0, Some((5, Written(1))), write(0, "a")),
            (2, 0, Some((5, Written(1))), write(0, "b")),
        ],
    );
    assert!(split.check::<Metadata>().is_err(), "two winners passed");

    // A write with an unknown outcome may have landed: a read sees it.
    let unknown = history(
        t0,
        [
            (1, 0, None, write(0, "maybe")),
            (2, 10, Some((11, Value(1, "maybe".into()))), read()),
        ],
    );
    assert_eq!(unknown.check::<Metadata>(), Ok(()));

    // The same id twice is refused; fresh ids pass.
    let twice: History<Register1, u64> = History::new();
    twice.record(1, t0, Register1, Some(7));
    twice.record(2, t0, Register1, Some(7));
    assert!(twice.check::<Ids>().is_err());
    let fresh: History<Register1, u64> = History::new();
    fresh.record(1, t0, Register1, Some(7));
    fresh.record(2, t0, Register1, Some(103));
    fresh.record(2, later(1), Register1, None);
    assert_eq!(fresh.check::<Ids>(), Ok(()));
}
