//! The one way the agent integration tests wait for the system under test: poll a condition (an L1
//! query against anvil, a store row, an API answer) until it holds, and fail with a named message
//! when it does not hold within the timeout, so a hung test says what it was waiting for instead
//! of being killed without a word.
//!
//! Every test binary that waits declares `mod poll_support;` next to its other support modules;
//! `mechanism_support` calls it as `crate::poll_support::wait_for`, so its binaries declare it too.

// A binary may include this only for a support module's helper it never calls.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

/// How often [`wait_for`] checks: short next to a chain's block time, light on anvil.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Polls `check` every 100 ms until it holds; panics with `what` after `timeout`.
///
/// The last check is made after the deadline, so a condition that comes true as time runs out still
/// passes. `check` may itself assert (e.g. that a service has not stopped) to fail fast instead of
/// waiting out the timeout.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for: {what}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
