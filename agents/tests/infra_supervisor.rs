//! The supervisor: restarts a failing service with backoff, stops everything on a fatal error, drains
//! on shutdown, and aborts a service that will not stop within the grace period.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use proofmarket::error::fatal;
use proofmarket::supervisor::{Backoff, Outcome, Service, Supervisor};
use tokio_util::sync::CancellationToken;

fn fast() -> Backoff {
    Backoff {
        initial: Duration::from_millis(5),
        max: Duration::from_millis(20),
        stable: Duration::from_secs(60),
        max_restarts: None,
    }
}

/// Fails `failures` times, then runs until cancelled and counts a clean drain.
#[derive(Clone)]
struct Flaky {
    starts: Arc<AtomicU32>,
    failures: u32,
    drained: Arc<AtomicU32>,
}

impl Service for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }

    async fn run(self, shutdown: CancellationToken) -> eyre::Result<()> {
        let n = self.starts.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= self.failures {
            eyre::bail!("transient failure {n}");
        }
        shutdown.cancelled().await;
        // Drain: finish in-flight work before returning.
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.drained.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn restarts_with_backoff_then_drains() {
    let starts = Arc::new(AtomicU32::new(0));
    let drained = Arc::new(AtomicU32::new(0));
    let mut supervisor = Supervisor::new()
        .without_signals()
        .grace(Duration::from_secs(5));
    supervisor.spawn_with(
        Flaky {
            starts: starts.clone(),
            failures: 3,
            drained: drained.clone(),
        },
        fast(),
    );
    let token = supervisor.shutdown_token();
    let run = tokio::spawn(supervisor.run());
    // Wait until the fourth start (three failures restarted).
    for _ in 0..200 {
        if starts.load(Ordering::SeqCst) >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(starts.load(Ordering::SeqCst), 4);
    token.cancel();
    let outcome = run.await.unwrap();
    assert!(matches!(outcome, Outcome::Drained), "{outcome:?}");
    assert_eq!(drained.load(Ordering::SeqCst), 1);
}

#[derive(Clone)]
struct Doomed;

impl Service for Doomed {
    fn name(&self) -> &'static str {
        "doomed"
    }

    async fn run(self, _shutdown: CancellationToken) -> eyre::Result<()> {
        Err(fatal(eyre::eyre!("[C003] no RPC URL")))
    }
}

#[tokio::test]
async fn a_fatal_error_stops_everything() {
    let drained = Arc::new(AtomicU32::new(0));
    let mut supervisor = Supervisor::new()
        .without_signals()
        .grace(Duration::from_secs(5));
    supervisor
        .spawn_with(
            Flaky {
                starts: Arc::new(AtomicU32::new(0)),
                failures: 0,
                drained: drained.clone(),
            },
            fast(),
        )
        .spawn_with(Doomed, fast());
    let outcome = supervisor.run().await;
    match outcome {
        Outcome::Failed { service, error } => {
            assert_eq!(service, "doomed");
            assert!(format!("{error:#}").contains("[C003]"));
        }
        other => panic!("expected a fatal failure, got {other:?}"),
    }
    // The healthy service was asked to stop and drained.
    assert_eq!(drained.load(Ordering::SeqCst), 1);
}

#[derive(Clone)]
struct Stubborn;

impl Service for Stubborn {
    fn name(&self) -> &'static str {
        "stubborn"
    }

    async fn run(self, _shutdown: CancellationToken) -> eyre::Result<()> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_service_that_ignores_shutdown_is_aborted_after_the_grace_period() {
    let mut supervisor = Supervisor::new()
        .without_signals()
        .grace(Duration::from_millis(50));
    supervisor.spawn_with(Stubborn, fast());
    let token = supervisor.shutdown_token();
    token.cancel();
    let started = std::time::Instant::now();
    let outcome = supervisor.run().await;
    assert!(
        matches!(outcome, Outcome::Aborted(ref s) if s.len() == 1),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn backoff_doubles_and_caps() {
    let b = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
        ..Backoff::default()
    };
    assert_eq!(b.delay(1), Duration::from_millis(100));
    assert_eq!(b.delay(2), Duration::from_millis(200));
    assert_eq!(b.delay(4), Duration::from_millis(800));
    assert_eq!(b.delay(5), Duration::from_secs(1));
    assert_eq!(b.delay(40), Duration::from_secs(1));
}
