//! Open files: each connection takes a descriptor, so `--max-connections`
//! above the process's limit would leave new clients hanging in the accept
//! queue while every accept fails. At start the soft limit is raised to the
//! hard one, as far as it goes, and the connection cap is lowered to what
//! fits, with a warning saying so.

/// Descriptors kept for the store, the listener, logs and the like.
const RESERVED: u64 = 256;

/// The connections this process can hold open at once, at most `wanted`.
pub fn connection_cap(wanted: usize) -> usize {
    let Some(limit) = raise_soft_limit() else {
        return wanted;
    };
    let fits = limit.saturating_sub(RESERVED).max(1) as usize;
    if fits < wanted {
        tracing::warn!(
            "--max-connections {wanted} exceeds what {limit} open files allow; serving at most {fits} \
             (raise the limit, e.g. LimitNOFILE= in the unit, to serve more)"
        );
        return fits;
    }
    wanted
}

/// Raises `RLIMIT_NOFILE`'s soft limit to its hard one; the limit now in
/// force, `None` where it cannot be read.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn raise_soft_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn raise_soft_limit() -> Option<u64> {
    None
}
