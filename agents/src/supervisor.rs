//! Supervised services with restart-on-failure and a two-phase graceful shutdown.
//!
//! A [`Service`] is a long-running task with `run(self, CancellationToken)`. The [`Supervisor`] clones
//! the service for each attempt, restarts it with exponential backoff when it fails (or returns early),
//! and stops everything when one fails with a [`Fatal`](crate::error::Fatal) error. The next attempt
//! starts only after the previous `run` has returned, so a service whose `run` returns only once the
//! tasks it spawned have stopped (the prover's lives do) never has two attempts' work running at once.
//!
//! Shutdown (Ctrl-C or SIGTERM, or [`Supervisor::shutdown_token`] cancelled):
//! 1. **drain** — the token is cancelled; services stop taking new work and finish (or persist and
//!    safely abandon) what is in flight, then return. The supervisor waits up to the grace period.
//! 2. **abort** — a second Ctrl-C, or the grace period running out, aborts whatever is still running.
//!    Nothing is lost: state that matters is in the store, written before each irreversible step.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::is_fatal;

/// A supervised service.
pub trait Service: Clone + Send + Sync + 'static {
    /// Name used in logs and metrics.
    fn name(&self) -> &'static str;
    /// Runs until `shutdown` is cancelled (then drains and returns `Ok`) or fails.
    fn run(self, shutdown: CancellationToken) -> impl Future<Output = eyre::Result<()>> + Send;
}

/// Restart policy: exponential backoff between `initial` and `max`, reset after a run of `stable`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// A run that lasted this long counts as healthy: the next failure starts again from `initial`.
    pub stable: Duration,
    /// Give up (and stop everything) after this many consecutive failures; `None` = never.
    pub max_restarts: Option<u32>,
}

impl Default for Backoff {
    /// 500 ms doubling to 30 s: fast enough to ride out an RPC blip, slow enough not to hammer a
    /// provider that is down; 60 s of healthy running resets it.
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            stable: Duration::from_secs(60),
            max_restarts: None,
        }
    }
}

impl Backoff {
    /// The delay before restart number `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// How the supervised set ended.
#[derive(Debug)]
pub enum Outcome {
    /// Shutdown requested; every service drained in time.
    Drained,
    /// Shutdown requested; these services were aborted after the grace period or a second signal.
    Aborted(Vec<&'static str>),
    /// A service failed fatally (or exhausted its restarts); the others were shut down.
    Failed {
        service: &'static str,
        error: eyre::Report,
    },
}

type BoxedRun = Box<
    dyn Fn(CancellationToken) -> Pin<Box<dyn Future<Output = eyre::Result<()>> + Send>>
        + Send
        + Sync,
>;

struct Entry {
    name: &'static str,
    make: Arc<BoxedRun>,
    backoff: Backoff,
}

/// Runs services, restarts them, shuts them down.
pub struct Supervisor {
    entries: Vec<Entry>,
    shutdown: CancellationToken,
    grace: Duration,
    handle_signals: bool,
}

impl Default for Supervisor {
    fn default() -> Self {
        Self::new()
    }
}

impl Supervisor {
    /// A supervisor with a 30 s drain grace period that listens for Ctrl-C / SIGTERM.
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
            shutdown: CancellationToken::new(),
            grace: Duration::from_secs(30),
            handle_signals: true,
        }
    }

    /// Sets the drain grace period.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Disables OS signal handling (tests and embedded use cancel [`Self::shutdown_token`] instead).
    pub fn without_signals(mut self) -> Self {
        self.handle_signals = false;
        self
    }

    /// The token that starts the drain phase; clone it to stop the set from outside.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Adds a service with the default backoff.
    pub fn spawn<S: Service>(&mut self, service: S) -> &mut Self {
        self.spawn_with(service, Backoff::default())
    }

    /// Adds a service with its own backoff.
    pub fn spawn_with<S: Service>(&mut self, service: S, backoff: Backoff) -> &mut Self {
        let name = service.name();
        let make: BoxedRun = Box::new(move |token| {
            let service = service.clone();
            Box::pin(async move { service.run(token).await })
        });
        self.entries.push(Entry {
            name,
            make: Arc::new(make),
            backoff,
        });
        self
    }

    /// Runs every service until shutdown or a fatal failure.
    pub async fn run(self) -> Outcome {
        let Supervisor {
            entries,
            shutdown,
            grace,
            handle_signals,
        } = self;
        let mut set: JoinSet<(&'static str, Result<(), eyre::Report>)> = JoinSet::new();
        for entry in entries {
            let token = shutdown.clone();
            set.spawn(async move { (entry.name, supervise(entry, token).await) });
        }
        if handle_signals {
            let token = shutdown.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = shutdown_signal() => {
                        tracing::info!("shutdown requested: draining in-flight work (Ctrl-C again to abort)");
                        token.cancel();
                    }
                    _ = token.cancelled() => {}
                }
            });
        }

        let mut failure: Option<(&'static str, eyre::Report)> = None;
        // Phase 0: run until the shutdown token fires or a service gives up.
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                joined = set.join_next() => match joined {
                    None => return failure.map_or(Outcome::Drained, |(service, error)| Outcome::Failed { service, error }),
                    Some(Ok((name, Err(error)))) => {
                        tracing::error!(service = name, error = %format!("{error:#}"), "service stopped for good; shutting down");
                        failure = Some((name, error));
                        shutdown.cancel();
                        break;
                    }
                    Some(Ok((name, Ok(())))) => tracing::debug!(service = name, "service finished"),
                    Some(Err(join)) => tracing::error!(error = %join, "supervision task panicked"),
                }
            }
        }

        // Phase 1: drain, bounded by the grace period and a second signal.
        let second_signal = async {
            if handle_signals {
                shutdown_signal().await
            } else {
                std::future::pending::<()>().await
            }
        };
        tokio::pin!(second_signal);
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                joined = set.join_next() => match joined {
                    None => break,
                    Some(Ok((name, Err(error)))) if failure.is_none() => failure = Some((name, error)),
                    Some(_) => {}
                },
                _ = &mut deadline => { tracing::warn!("grace period over: aborting"); break; }
                _ = &mut second_signal => { tracing::warn!("second signal: aborting"); break; }
            }
        }
        // Phase 2: abort the rest.
        let remaining = set.len();
        set.abort_all();
        let mut aborted = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok((name, _)) = joined {
                aborted.push(name);
            }
        }
        if let Some((service, error)) = failure {
            return Outcome::Failed { service, error };
        }
        if remaining == 0 {
            Outcome::Drained
        } else {
            // Names of aborted tasks are not recoverable from a cancelled JoinSet entry.
            Outcome::Aborted(if aborted.is_empty() {
                vec!["(aborted)"; remaining]
            } else {
                aborted
            })
        }
    }
}

/// Runs one service, restarting it with backoff, until shutdown or a fatal error.
async fn supervise(entry: Entry, shutdown: CancellationToken) -> eyre::Result<()> {
    let mut failures = 0u32;
    loop {
        let started = tokio::time::Instant::now();
        let result = (entry.make)(shutdown.child_token()).await;
        if shutdown.is_cancelled() {
            return result;
        }
        if started.elapsed() >= entry.backoff.stable {
            failures = 0;
        }
        let error = match result {
            Ok(()) => eyre::eyre!("service {} returned before shutdown", entry.name),
            Err(error) if is_fatal(&error) => return Err(error),
            Err(error) => error,
        };
        failures += 1;
        crate::metrics::service_restarted(entry.name);
        if entry.backoff.max_restarts.is_some_and(|max| failures > max) {
            return Err(
                error.wrap_err(format!("{} failed {} times in a row", entry.name, failures))
            );
        }
        let delay = entry.backoff.delay(failures);
        tracing::warn!(
            service = entry.name,
            attempt = failures,
            delay_ms = delay.as_millis() as u64,
            error = %format!("{error:#}"),
            "service failed; restarting"
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => return Ok(()),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
