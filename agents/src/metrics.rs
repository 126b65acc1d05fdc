//! Prometheus metrics. The recorder is installed once per process (several agents may share one
//! process on the devnet; the `agent` label tells them apart) and `/metrics` is served on the
//! configured address by [`serve`].
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `proofmarket_tasks_seen_total` | counter | agent | tasks observed on chain |
//! | `proofmarket_tasks_won_total` | counter | agent | tasks assigned to us or raced by us |
//! | `proofmarket_tasks_proven_total` | counter | agent | our proofs accepted on chain |
//! | `proofmarket_tasks_failed_total` | counter | agent, reason | tasks given up |
//! | `proofmarket_proving_seconds` | histogram | agent, circuit | wall time per proof |
//! | `proofmarket_gas_spent_total` | counter | agent | gas units of our mined transactions |
//! | `proofmarket_gas_spent_wei_total` | counter | agent | their fee in wei (saturating at u64) |
//! | `proofmarket_earnings_tokens_total` | gauge | agent | payouts credited, in whole tokens |
//! | `proofmarket_l2_txs_total` | counter | outcome | transfers accepted / rejected by the sequencer |
//! | `proofmarket_l2_blocks_total` | counter | status | blocks built / posted / proven / pruned |
//! | `proofmarket_chain_cursor_block` | gauge | cursor | last L1 block a monitor processed |
//! | `proofmarket_service_restarts_total` | counter | service | supervisor restarts |

use std::net::SocketAddr;
use std::sync::OnceLock;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

/// A metrics setup problem.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("[X001] cannot install the metrics recorder: {0}")]
    Install(String),
    #[error("[X002] cannot listen for /metrics on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Proving-time buckets (seconds): from a 1 k-constraint node to a big tree on a slow box.
const PROVING_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0];

/// Installs the process-wide recorder (idempotent) and returns its handle.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("proofmarket_proving_seconds".into()),
            PROVING_BUCKETS,
        )
        .map_err(|e| MetricsError::Install(e.to_string()))?
        .build_recorder();
    let handle = recorder.handle();
    // Losing the race to another thread is fine: use the handle that won.
    if metrics::set_global_recorder(recorder).is_err() {
        return HANDLE
            .get()
            .cloned()
            .ok_or_else(|| MetricsError::Install("another metrics recorder is installed".into()));
    }
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// The current metrics in Prometheus text format (empty before [`install`]).
pub fn render() -> String {
    HANDLE
        .get()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// Serves `GET /metrics` on `addr` until `shutdown`. Returns once the listener is bound, with the
/// bound address (port 0 picks a free one).
pub async fn serve(
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> Result<SocketAddr, MetricsError> {
    let handle = install()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                handle.run_upkeep();
                handle.render()
            }
        }),
    );
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "metrics server stopped");
        }
    });
    tracing::info!(%bound, "metrics on http://{bound}/metrics");
    Ok(bound)
}

/// A task was observed on chain.
pub fn task_seen(agent: &str) {
    counter!("proofmarket_tasks_seen_total", "agent" => agent.to_string()).increment(1);
}

/// A task was assigned to us, or we entered its race.
pub fn task_won(agent: &str) {
    counter!("proofmarket_tasks_won_total", "agent" => agent.to_string()).increment(1);
}

/// Our proof for a task was accepted.
pub fn task_proven(agent: &str) {
    counter!("proofmarket_tasks_proven_total", "agent" => agent.to_string()).increment(1);
}

/// We gave up a task.
pub fn task_failed(agent: &str, reason: &'static str) {
    counter!("proofmarket_tasks_failed_total", "agent" => agent.to_string(), "reason" => reason)
        .increment(1);
}

/// One proof took `seconds`.
pub fn proving_seconds(agent: &str, circuit: &'static str, seconds: f64) {
    histogram!("proofmarket_proving_seconds", "agent" => agent.to_string(), "circuit" => circuit)
        .record(seconds);
}

/// A mined transaction of ours used `gas` at `effective_gas_price` wei.
pub fn gas_spent(agent: &str, gas: u64, effective_gas_price: u128) {
    counter!("proofmarket_gas_spent_total", "agent" => agent.to_string()).increment(gas);
    let wei = u128::from(gas).saturating_mul(effective_gas_price);
    counter!("proofmarket_gas_spent_wei_total", "agent" => agent.to_string())
        .increment(u64::try_from(wei).unwrap_or(u64::MAX));
}

/// We were credited `amount` token base units (18 decimals).
pub fn earnings(agent: &str, amount: alloy::primitives::U256) {
    let tokens = f64::from(amount) / 1e18;
    gauge!("proofmarket_earnings_tokens_total", "agent" => agent.to_string()).increment(tokens);
}

/// The sequencer accepted (`"accepted"`) or rejected (the reason) a transfer.
pub fn l2_tx(outcome: &'static str) {
    counter!("proofmarket_l2_txs_total", "outcome" => outcome).increment(1);
}

/// An L2 block reached `status` (`built`, `posted`, `proven`, `pruned`).
pub fn l2_block(status: &'static str) {
    counter!("proofmarket_l2_blocks_total", "status" => status).increment(1);
}

/// A chain monitor processed up to `block`.
pub fn cursor(name: &str, block: u64) {
    gauge!("proofmarket_chain_cursor_block", "cursor" => name.to_string()).set(block as f64);
}

/// The supervisor restarted `service`.
pub fn service_restarted(service: &'static str) {
    counter!("proofmarket_service_restarts_total", "service" => service).increment(1);
}
