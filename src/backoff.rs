//! Jittered, capped exponential backoff for clients that must outlast a
//! manager restart (`meta watch`, `nodes list --watch`, the agent).

use std::time::Duration;

/// Delays grow `base, 2·base, 4·base, …` up to `cap`; each is drawn at
/// random from its upper half, so clients that lost the same manager do not
/// come back in step.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            attempt: 0,
        }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        half + Duration::from_millis(fastrand::u64(0..=half.as_millis() as u64))
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Whether the last attempt succeeded (no delay handed out since).
    pub fn is_fresh(&self) -> bool {
        self.attempt == 0
    }
}

/// Runs `watch` — a read then a watch, returning only once the watch broke —
/// again and again until `shutdown`, with `backoff` between runs; a run that
/// lasted a while (10 s) earns a quick retry. `broke` hears each break.
pub async fn rewatch<T, Fut>(
    shutdown: &tokio_util::sync::CancellationToken,
    mut backoff: Backoff,
    mut watch: impl FnMut() -> Fut,
    mut broke: impl FnMut(T),
) where
    Fut: Future<Output = T>,
{
    loop {
        let started = tokio::time::Instant::now();
        let ended = tokio::select! {
            _ = shutdown.cancelled() => return,
            ended = watch() => ended,
        };
        broke(ended);
        if started.elapsed() > Duration::from_secs(10) {
            backoff.reset();
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(backoff.next_delay()) => {}
        }
    }
}

impl Default for Backoff {
    /// 250 ms doubling up to 10 s.
    fn default() -> Backoff {
        Backoff::new(Duration::from_millis(250), Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_jittered_and_capped() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<Duration> = (0..8).map(|_| b.next_delay()).collect();
        let ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
        for (d, c) in delays.iter().zip(ceilings) {
            let c = Duration::from_millis(c);
            assert!(*d >= c / 2 && *d <= c, "{d:?} not in [{:?}, {c:?}]", c / 2);
        }
        assert!(!b.is_fresh());
        b.reset();
        assert!(b.is_fresh());
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
