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
//!
//! What it watches is an estimate of what connections hold: about 3 KiB
//! for an open one, 16 KiB more while it is inside hyper (which holds its
//! buffers). So memory also comes back when a crowd of connections stays
//! but goes idle or parks its polls (`server::handoff`).

use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How often the connection count is looked at (an atomic read).
const EVERY: Duration = Duration::from_millis(250);
/// A trim is worth its few milliseconds once this many KiB were let go
/// since the high point...
const MIN_DROP: usize = 4096;
/// KiB an open connection holds, and the more it holds inside hyper.
const OPEN_KIB: usize = 3;
const HYPER_KIB: usize = 16;

/// Trims while `stop` is not fired; `slots` is the accept loop's semaphore
/// of `max` connection slots (open connections = max - available), and
/// `in_hyper` counts the connections inside hyper.
pub async fn run(
    slots: Arc<Semaphore>,
    max: usize,
    in_hyper: Arc<AtomicUsize>,
    stop: CancellationToken,
) {
    let mut high = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
        let open = max.saturating_sub(slots.available_permits()) * OPEN_KIB
            + in_hyper.load(Ordering::Relaxed) * HYPER_KIB;
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
