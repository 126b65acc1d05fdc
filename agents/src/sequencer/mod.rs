//! `proofmarket sequencer`: accepts signed L2 transfers over HTTP (validated against the native state
//! machine, rejected with a reason), keeps a persistent mempool, builds blocks by size or time, posts
//! them to the Rollup (which opens each block's root-proof task with the Rollup's QoS profile), serves
//! block data to provers, and follows every block to proven and finalised — or pruned, rolling the L2
//! back and requeueing the transfers.
//!
//! Services (supervised, restarted with backoff): `chain-monitor` → bounded channel →
//! `rollup-follower`; `block-poster`; the HTTP API. State lives in SQLite: a restarted sequencer
//! replays its stored blocks and mempool and resumes posting where it stopped.

pub mod api;
pub mod l1;
pub mod node;
pub mod relay;
pub mod route;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use eyre::WrapErr;
use serde::Deserialize;
use tokio::sync::{Mutex, mpsc};

use self::l1::{BlockPoster, BuildPolicy, RollupFollower, RootTasks};
use self::node::L2Node;
use crate::chain::monitor::{ChainMonitor, MonitorConfig};
use crate::chain::submitter::{Submitter, SubmitterConfig};
use crate::cli::{ChainArgs, KeyArgs};
use crate::config::{ChainConfig, ConfigError, MetricsConfig, StoreConfig};
use crate::store::Store;
use crate::supervisor::{Outcome, Supervisor};

/// `proofmarket sequencer` arguments (each overrides the config file).
#[derive(Debug, Clone, Args)]
pub struct SequencerArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Config file (see agents/examples/sequencer.toml).
    #[arg(long, env = "PROOFMARKET_CONFIG")]
    pub config: Option<PathBuf>,
    /// HTTP listen address for the transfer and block-data API.
    #[arg(long, env = "PROOFMARKET_SEQUENCER_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// State file.
    #[arg(long, env = "PROOFMARKET_STORE")]
    pub store: Option<PathBuf>,
    /// Prometheus listen address.
    #[arg(long, env = "PROOFMARKET_METRICS")]
    pub metrics: Option<SocketAddr>,
    /// Most transfers per block.
    #[arg(long, env = "PROOFMARKET_MAX_BLOCK_TXS")]
    pub max_block_txs: Option<usize>,
    /// Milliseconds after which whatever is queued is built into a block.
    #[arg(long, env = "PROOFMARKET_BLOCK_INTERVAL_MS")]
    pub block_interval_ms: Option<u64>,
    /// Prove blocks through this mechanism instance of the deployment (e.g. `race`, `sealed-bid`,
    /// `tree`), pinned at the router. Exclusive with --qos.
    #[arg(long, env = "PROOFMARKET_MECHANISM", conflicts_with = "qos")]
    pub mechanism: Option<String>,
    /// Let the router choose by this QoS profile: a persona (`arbitrage`, `daily-rollup`,
    /// `cost-sensitive`, `rollup-block`) or `speed=…,cost=…,safety=…,censorship=…` (0–10 each).
    #[arg(long, env = "PROOFMARKET_QOS")]
    pub qos: Option<String>,
    /// Post to the deployment's LedgerRollup (root tasks on the one-word TaskLedger; deployed by
    /// `proofmarket deploy --ledger`) instead of the stored Rollup; --mechanism and --qos then name
    /// the ledger's instances and router.
    #[arg(long, env = "PROOFMARKET_LEDGER")]
    pub ledger: bool,
}

/// `[sequencer]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequencerSection {
    /// API address. Default 127.0.0.1:8547 (next to a local node's 8545/8546).
    pub listen: SocketAddr,
    /// Most transfers per block. Default 8: a block of 8 is a 15-node proof tree, a few seconds of
    /// proving per node on the devnet's 2-core machines.
    pub max_block_txs: usize,
    /// Build whatever is queued after this many ms. Default 2000.
    pub block_interval_ms: u64,
    /// Most queued transfers. Default 10 000: bounded memory; clients get `mempool_full` beyond.
    pub max_mempool: usize,
    /// Mechanism instance to pin root tasks to (see `route.rs`). Default none: keep the Rollup's.
    pub mechanism: Option<String>,
    /// QoS profile the router chooses by (persona or weights). Default none: keep the Rollup's.
    pub qos: Option<String>,
    /// Post to the LedgerRollup (root tasks on the one-word TaskLedger). Default false: the stored
    /// Rollup, which the prover service proves; the ledger's provers are `LedgerProver`s.
    pub ledger: bool,
}

impl Default for SequencerSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8547)),
            max_block_txs: 8,
            block_interval_ms: 2000,
            max_mempool: 10_000,
            mechanism: None,
            qos: None,
            ledger: false,
        }
    }
}

/// The sequencer's config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequencerFile {
    pub chain: ChainConfig,
    pub store: StoreConfig,
    pub metrics: MetricsConfig,
    pub sequencer: SequencerSection,
}

/// Runs the sequencer until Ctrl-C.
pub async fn run(args: SequencerArgs) -> eyre::Result<()> {
    let file: SequencerFile = crate::config::load_or_default(args.config.as_deref())?;
    let chain = file.chain.resolve(&args.chain)?;
    let mut section = file.sequencer.clone();
    if let Some(listen) = args.listen {
        section.listen = listen;
    }
    if let Some(n) = args.max_block_txs {
        section.max_block_txs = n;
    }
    if let Some(ms) = args.block_interval_ms {
        section.block_interval_ms = ms;
    }
    if args.mechanism.is_some() || args.qos.is_some() {
        section.mechanism = args.mechanism.clone();
        section.qos = args.qos.clone();
    }
    let route = match (&section.mechanism, &section.qos) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::Invalid {
                key: "sequencer.mechanism",
                message: "set either mechanism or qos, not both".into(),
            }
            .into());
        }
        (Some(name), None) => Some(route::ProvingRoute::Pinned(name.clone())),
        (None, Some(qos)) => Some(route::ProvingRoute::Qos(qos.parse()?)),
        (None, None) => None,
    };
    if section.max_block_txs == 0 {
        return Err(ConfigError::Invalid {
            key: "sequencer.max_block_txs",
            message: "must be at least 1".into(),
        }
        .into());
    }
    if args.ledger {
        section.ledger = true;
    }
    let (rollup, root_tasks, market) = if section.ledger {
        let ledger = chain.addresses.ledger.as_ref();
        let rollup = ledger.and_then(|l| l.rollup).ok_or_else(|| {
            eyre::eyre!(
                "[C015] the deployment in {} has no LedgerRollup (deploy with --ledger, without --no-rollup)",
                chain.addresses_path.display()
            )
        })?;
        let ledger = ledger.expect("a ledger rollup belongs to a ledger deployment");
        let root_tasks = RootTasks::Ledger {
            ledger: ledger.ledger,
            from_block: chain.addresses.deployed_block,
        };
        if matches!(&route, Some(route::ProvingRoute::Pinned(name)) if name == "tree") {
            return Err(route::RouteError::UnservedOnLedger {
                name: "tree".into(),
            }
            .into());
        }
        // No ledger prover serves the tree yet, so routed blocks carry no tree shape and the
        // router skips it (as `devnet --ledger` does) instead of sending blocks nobody proves.
        (
            rollup,
            root_tasks,
            route::Market::ledger(ledger).without_tree(),
        )
    } else {
        let rollup = chain.addresses.rollup.ok_or_else(|| {
            eyre::eyre!(
                "[C009] the deployment in {} has no rollup (deploy without --no-rollup)",
                chain.addresses_path.display()
            )
        })?;
        (
            rollup,
            RootTasks::Registry,
            route::Market::stored(&chain.addresses),
        )
    };
    let signer = crate::keys::load_signer(&args.key)?;
    let me = signer.address();
    let provider = crate::chain::connect_checked(&chain, Some(signer.clone())).await?;
    if let Some(route) = &route {
        let applied =
            route::apply(&provider, rollup, me, &market, route, section.max_block_txs).await?;
        tracing::info!(route = %applied, "blocks are proven");
    }
    let store_path = args
        .store
        .or(file.store.path)
        .unwrap_or_else(|| PathBuf::from("sequencer.db"));
    let store = Store::open(&store_path)?;
    let node = L2Node::restore(
        store.clone(),
        proofmarket_circuits::state::devnet_genesis(),
        section.max_mempool,
    )
    .wrap_err("cannot restore the L2 from the state file")?;
    tracing::info!(sequencer = %me, rollup = %rollup, tip = node.tip()?, store = %store_path.display(), "sequencer starting");

    let submitter = Submitter::new(
        provider.clone(),
        signer,
        store.clone(),
        SubmitterConfig::default(),
        "sequencer",
    );
    let supervisor = Supervisor::new();
    let shutdown = supervisor.shutdown_token();
    if let Some(addr) = args.metrics.or(file.metrics.listen) {
        crate::metrics::serve(addr, shutdown.clone()).await?;
    } else {
        crate::metrics::install()?;
    }
    let (_bound, api) = self::api::serve(node.clone(), section.listen, shutdown.clone())
        .await
        .wrap_err_with(|| format!("cannot listen on {}", section.listen))?;

    let (events_tx, events_rx) = mpsc::channel(1024);
    let monitor = ChainMonitor::new(
        provider.clone(),
        store.clone(),
        chain.addresses.clone(),
        MonitorConfig {
            cursor: "sequencer".into(),
            contracts: vec![rollup],
            start_block: chain.addresses.deployed_block,
            reorg_depth: chain.reorg_depth,
            poll_interval: chain.poll_interval,
            chunk_blocks: chain.log_chunk_blocks,
        },
        events_tx,
    );
    let follower = RollupFollower {
        node: node.clone(),
        submitter: submitter.clone(),
        provider: provider.clone(),
        rollup,
        root_tasks,
        reorg_depth: chain.reorg_depth,
        events: Arc::new(Mutex::new(events_rx)),
    };
    let poster = BlockPoster {
        node,
        submitter,
        rollup,
        policy: BuildPolicy {
            max_block_txs: section.max_block_txs,
            block_interval: Duration::from_millis(section.block_interval_ms.max(1)),
        },
    };
    let mut supervisor = supervisor;
    supervisor.spawn(monitor).spawn(follower).spawn(poster);
    let outcome = supervisor.run().await;
    shutdown.cancel();
    let _ = api.await;
    match outcome {
        Outcome::Drained => Ok(()),
        Outcome::Aborted(services) => {
            tracing::warn!(
                ?services,
                "aborted after the grace period; state is consistent in the store"
            );
            Ok(())
        }
        Outcome::Failed { service, error } => {
            Err(error.wrap_err(format!("service {service} failed")))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn example_config_parses_and_typos_are_errors() {
        let text = include_str!("../../examples/sequencer.toml");
        let file: SequencerFile =
            crate::config::parse_str(text, Path::new("sequencer.toml")).expect("example");
        assert_eq!(file.chain.rpc_url.as_deref(), Some("http://127.0.0.1:8545"));
        assert_eq!(file.chain.reorg_depth, 12);
        assert_eq!(file.chain.poll_interval_ms, 1000);
        assert_eq!(file.chain.log_chunk_blocks, 2000);
        assert_eq!(file.store.path.as_deref(), Some(Path::new("sequencer.db")));
        assert_eq!(
            file.metrics.listen,
            Some(SocketAddr::from(([127, 0, 0, 1], 9101)))
        );
        let s = &file.sequencer;
        assert_eq!(s.listen, SocketAddr::from(([127, 0, 0, 1], 8547)));
        assert_eq!(
            (s.max_block_txs, s.block_interval_ms, s.max_mempool),
            (8, 2000, 10_000)
        );
        assert_eq!((s.mechanism.as_deref(), s.qos.as_deref()), (None, None));
        let typo = crate::config::parse_str::<SequencerFile>(
            "[sequencer]\nmax_block_tx = 4\n",
            Path::new("s.toml"),
        )
        .expect_err("an unknown key");
        assert!(typo.to_string().contains("max_block_tx"), "{typo}");
    }
}
