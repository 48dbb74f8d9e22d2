//! Time: a monotonic clock for timeouts and a wall clock for record timestamps.
//!
//! Under madsim both are simulated (madsim intercepts the libc clock calls), so a seeded run sees
//! the same times on every replay. Nothing outside this module reads a clock.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use tokio::time::error::Elapsed;
pub use tokio::time::Instant;

/// The monotonic clock.
pub fn now() -> Instant {
    Instant::now()
}

/// Milliseconds since the Unix epoch, as Kafka stamps records (LogAppendTime) and answers
/// ListOffsets. A clock set before 1970 reads as 0 rather than failing.
pub fn unix_time_ms() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    // A simulated node may have a skewed clock (the nemesis sets it); real nodes add 0.
    now.saturating_add(super::node_context::clock_offset_ms())
}

/// Sleeps for `duration` of (possibly simulated) time.
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await
}

/// Sleeps until `deadline`.
pub async fn sleep_until(deadline: Instant) {
    tokio::time::sleep_until(deadline).await
}

/// Runs `future` until `deadline` at most.
pub async fn timeout_at<F: Future>(deadline: Instant, future: F) -> Result<F::Output, Elapsed> {
    // madsim has no `timeout_at`; the time left is the same bound.
    let left = deadline.saturating_duration_since(now());
    tokio::time::timeout(left, future).await
}

/// Runs `future` for at most `duration`.
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    tokio::time::timeout(duration, future).await
}
