//! Shared runs of one piece of work that each caller needs done *after* it
//! asked: a fence write, a sample of live leases. A caller that asks while a
//! run is out waits for the next one, and every caller that asked meanwhile
//! shares that next one — so a burst of lists costs two runs, not one each.

use std::sync::Mutex;

use tokio::sync::watch;

use crate::store::StoreError;

type Outcome = Result<(), StoreError>;

/// The bookkeeping of one kind of run; the caller told to lead does the work.
pub(super) struct Rounds {
    state: Mutex<State>,
    /// The number of the last run finished, and how it went.
    done: watch::Sender<(u64, Outcome)>,
}

#[derive(Default)]
struct State {
    /// Runs started so far; the one out, if any, is number `started`.
    started: u64,
    running: bool,
    /// The highest run number a waiting caller needs.
    wanted: u64,
}

/// What [`Rounds::ask`] tells a caller.
pub(super) enum Turn {
    /// Start run `n` (then [`Rounds::finish`] it), and wait for it.
    Lead(u64),
    /// Wait for run `n`, which the caller leading the one out will start.
    Wait(u64),
}

impl Rounds {
    pub(super) fn new() -> Rounds {
        Rounds {
            state: Mutex::default(),
            done: watch::Sender::new((0, Ok(()))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Which run this caller needs, and whether it is to start it.
    pub(super) fn ask(&self) -> Turn {
        let mut s = self.lock();
        let n = s.started + 1;
        if s.running {
            s.wanted = s.wanted.max(n);
            Turn::Wait(n)
        } else {
            s.started = n;
            s.running = true;
            Turn::Lead(n)
        }
    }

    /// Records how run `n` went; `true` when callers wait for another run,
    /// which the leader then starts as number `n + 1`.
    pub(super) fn finish(&self, n: u64, outcome: Outcome) -> bool {
        let mut s = self.lock();
        let again = s.wanted > n;
        if again {
            s.started = n + 1;
        } else {
            s.running = false;
        }
        drop(s);
        let _previous = self.done.send_replace((n, outcome));
        again
    }

    /// How run `n` (or a later one) went.
    pub(super) async fn wait(&self, n: u64) -> Outcome {
        let mut done = self.done.subscribe();
        let seen = done
            .wait_for(|(finished, _)| *finished >= n)
            .await
            .expect("the sender lives in self");
        seen.1.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_during_a_run_share_the_next_one() {
        let r = Rounds::new();
        let Turn::Lead(1) = r.ask() else {
            panic!("the first caller leads")
        };
        let (Turn::Wait(2), Turn::Wait(2)) = (r.ask(), r.ask()) else {
            panic!("callers during run 1 wait for run 2")
        };
        assert!(r.finish(1, Ok(())), "run 2 is wanted");
        let Turn::Wait(3) = r.ask() else {
            panic!("a caller during run 2 waits for run 3")
        };
        assert!(r.finish(2, Ok(())));
        assert!(!r.finish(3, Ok(())), "nobody waits for run 4");
        let Turn::Lead(4) = r.ask() else {
            panic!("with nothing out, the caller leads")
        };
    }

    #[tokio::test]
    async fn waiters_get_the_outcome_of_their_run() {
        let r = Rounds::new();
        let Turn::Lead(n) = r.ask() else { panic!() };
        r.finish(n, Err(StoreError::Unavailable("down".into())));
        assert!(r.wait(n).await.is_err());
        let Turn::Lead(m) = r.ask() else { panic!() };
        r.finish(m, Ok(()));
        assert!(r.wait(m).await.is_ok());
        assert!(
            r.wait(n).await.is_ok(),
            "a later run stands for an earlier one"
        );
    }
}
