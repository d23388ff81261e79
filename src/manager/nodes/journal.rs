//! What the registry tells the operator. A node joining, coming back after
//! its TTL lapsed, going down, being deregistered and being forgotten are
//! logged at INFO: they are what an operator acts on (a going down or a
//! deregistration with who asked for it). Each kind says at most [`BURST`] lines per
//! [`WINDOW`]; past that the rest are logged at DEBUG and counted, and one
//! INFO line gives the count when the window ends, so ten thousand
//! registrations in a minute (a benchmark, a fleet restarting) are a few
//! lines, not ten thousand. Routine requests (heartbeats, metadata writes)
//! are DEBUG where they happen.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lines of one kind logged at INFO per window.
pub const BURST: u32 = 10;
/// How long a window lasts.
pub const WINDOW: Duration = Duration::from_secs(10);

/// The kinds of node events an operator hears about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Joined,
    Revived,
    Down,
    Deregistered,
    Forgotten,
}

impl Event {
    const ALL: [Event; 5] = [
        Event::Joined,
        Event::Revived,
        Event::Down,
        Event::Deregistered,
        Event::Forgotten,
    ];

    fn what(self) -> &'static str {
        match self {
            Event::Joined => "node joined",
            Event::Revived => "node alive again after its TTL lapsed",
            Event::Down => "node going down",
            Event::Deregistered => "node deregistered",
            Event::Forgotten => "forgot a node dead for longer than forget-after",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Event::Joined => "nodes joined",
            Event::Revived => "nodes came back after their TTL lapsed",
            Event::Down => "nodes went down",
            Event::Deregistered => "nodes were deregistered",
            Event::Forgotten => "nodes were forgotten",
        }
    }
}

#[derive(Clone, Copy)]
struct Budget {
    started: Instant,
    shown: u32,
    held: u64,
}

pub struct Journal {
    budgets: Mutex<[Budget; 5]>,
}

impl Default for Journal {
    fn default() -> Journal {
        let fresh = Budget {
            started: Instant::now(),
            shown: 0,
            held: 0,
        };
        Journal {
            budgets: Mutex::new([fresh; 5]),
        }
    }
}

impl Journal {
    /// Logs `event` for a node (`by`: who asked for it): at INFO within the
    /// budget, else at DEBUG.
    pub fn note(&self, event: Event, cluster: &str, id: u64, hostname: &str, by: Option<&str>) {
        let within = {
            let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
            let b = &mut budgets[event as usize];
            if b.shown < BURST {
                b.shown += 1;
                true
            } else {
                b.held += 1;
                false
            }
        };
        match (within, by) {
            (true, Some(by)) => {
                tracing::info!(?cluster, id, ?hostname, by = %by, "{}", event.what())
            }
            (true, None) => tracing::info!(?cluster, id, ?hostname, "{}", event.what()),
            (false, Some(by)) => {
                tracing::debug!(?cluster, id, ?hostname, by = %by, "{}", event.what())
            }
            (false, None) => tracing::debug!(?cluster, id, ?hostname, "{}", event.what()),
        }
    }

    /// Ends the windows that are over (every window when `closing`, at
    /// shutdown), logging how many events each held back. Called every
    /// second.
    pub fn roll(&self, closing: bool) {
        let now = Instant::now();
        let mut held = Vec::new();
        {
            let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
            for (event, b) in Event::ALL.iter().zip(budgets.iter_mut()) {
                if !closing && now.duration_since(b.started) < WINDOW {
                    continue;
                }
                if b.held > 0 {
                    held.push((*event, b.held, now.duration_since(b.started)));
                }
                *b = Budget {
                    started: now,
                    shown: 0,
                    held: 0,
                };
            }
        }
        for (event, n, over) in held {
            tracing::info!(
                "{n} more {} in the last {}s (CFLUX_LOG=cflux=debug logs each)",
                event.plural(),
                over.as_secs_f64().ceil()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_counted_past_its_budget_and_the_count_kept_per_kind() {
        let j = Journal::default();
        for i in 0..25 {
            j.note(Event::Joined, "c", i, "h", None);
        }
        j.note(Event::Down, "c", 1, "h", Some("ops"));
        let budgets = *j.budgets.lock().unwrap();
        assert_eq!(budgets[Event::Joined as usize].shown, BURST);
        assert_eq!(budgets[Event::Joined as usize].held, 25 - u64::from(BURST));
        assert_eq!(budgets[Event::Down as usize].shown, 1);
        // A window that is over starts afresh.
        j.budgets.lock().unwrap()[Event::Joined as usize].started -= WINDOW;
        j.roll(false);
        let budgets = *j.budgets.lock().unwrap();
        assert_eq!(budgets[Event::Joined as usize].held, 0);
        assert_eq!(budgets[Event::Joined as usize].shown, 0);
        assert_eq!(budgets[Event::Down as usize].shown, 1);
    }
}
