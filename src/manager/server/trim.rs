//! Giving memory back after a crowd leaves.
//!
//! Thousands of parked long polls take tens of MiB of buffers and task
//! state. When their clients go, the allocator (glibc's malloc) keeps the
//! freed pages for later instead of returning them, so the process stays at
//! its peak size for good (scripts measured 9 → 53 → 80 MiB over rounds of
//! 3,000 vanished polls). This task watches the number of open connections
//! and, once it has fallen well below its recent high, asks malloc to hand
//! free pages back (`malloc_trim`), which brought the same process back to
//! 10 MiB. Other allocators and platforms return memory on their own, so
//! there it does nothing.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How often the connection count is looked at (an atomic read).
const EVERY: Duration = Duration::from_millis(250);
/// A trim is worth its few milliseconds once this many connections closed
/// since the high point (roughly 4 MiB of buffers)...
const MIN_DROP: usize = 256;

/// Trims while `stop` is not fired; `slots` is the accept loop's semaphore
/// of `max` connection slots, so open connections = max - available.
pub async fn run(slots: Arc<Semaphore>, max: usize, stop: CancellationToken) {
    let mut high = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
        let open = max.saturating_sub(slots.available_permits());
        high = high.max(open);
        // ...and when at least half of them are gone.
        if high - open >= MIN_DROP && open <= high / 2 {
            let started = std::time::Instant::now();
            // It locks each arena while it walks it: off the workers.
            let released = tokio::task::spawn_blocking(release_free_memory)
                .await
                .unwrap_or(false);
            tracing::debug!(high, open, released, took = ?started.elapsed(), "returned free memory");
            high = open;
        }
    }
}

/// Asks the allocator to return free pages to the system; whether it did.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() -> bool {
    // SAFETY: malloc_trim takes no pointers and is thread-safe (it locks
    // each arena while it walks it).
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() -> bool {
    false
}
