//! `proofmarket prover`: stakes and declares capacity, follows the chain, decides per task with a
//! pure strategy and a measured cost model, fetches and checks block data, proves block trees on a
//! local worker pool, submits exactly once, and withdraws its earnings on request.
//!
//! Modules: [`strategy`] (pure decisions), [`cost`] (cost model), [`data`] (block data fetch and
//! checks), [`pool`] (worker pool, tree walk, node cache), [`circuit_job`] (the circuits behind the
//! walk, calibration), [`submit`] (idempotent transactions, revert decoding), [`service`] (the loop).

pub mod auctions;
pub mod circuit_job;
pub mod cost;
pub mod data;
pub mod error;
pub mod mech;
pub mod policy;
pub mod pool;
pub mod service;
pub mod strategy;
pub mod submit;

use std::path::PathBuf;
use std::time::Duration;

use alloy::primitives::U256;
use clap::{Args, Subcommand};
use eyre::WrapErr;
use serde::Deserialize;

use self::cost::{Prices, ProvingSpeed};
use self::service::{ProverService, ProverSettings};
use self::submit::Sender;
use crate::cli::{ChainArgs, KeyArgs};
use crate::config::{ChainConfig, MetricsConfig, StoreConfig};
use crate::store::Store;
use crate::supervisor::{Outcome, Supervisor};

/// `proofmarket prover` arguments.
#[derive(Debug, Clone, Args)]
pub struct ProverArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Prover config file (see agents/examples/prover.toml).
    #[arg(long, env = "PROOFMARKET_CONFIG")]
    pub config: Option<PathBuf>,
    /// Sequencer URL for block data (overrides `[prover].sequencer_url`).
    #[arg(long, env = "PROOFMARKET_SEQUENCER_URL")]
    pub sequencer_url: Option<String>,
    /// Prometheus listen address (overrides `[metrics].listen`).
    #[arg(long, env = "PROOFMARKET_METRICS")]
    pub metrics: Option<std::net::SocketAddr>,
    /// SQLite state file (overrides `[store].path`; default `prover.db`).
    #[arg(long, env = "PROOFMARKET_STORE")]
    pub store: Option<PathBuf>,
    /// Serve the deployment's one-word market (`deploy --ledger`): stake in the ledger's own
    /// ProverRegistry and prove the LedgerRollup's root tasks through the ledger's instances
    /// (docs/agents.md, "The ledger prover"); with `withdraw`, withdraw the ledger balance.
    #[arg(long, env = "PROOFMARKET_LEDGER", global = true)]
    pub ledger: bool,
    /// What to do (default: run the prover).
    #[command(subcommand)]
    pub action: Option<ProverAction>,
}

/// One-off prover commands.
#[derive(Debug, Clone, Subcommand)]
pub enum ProverAction {
    /// Withdraw everything the TaskRegistry credited to this prover, then exit.
    Withdraw,
}

/// `[prover]` in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProverSection {
    /// Sequencer base URL for block data. Default none: rebuild every block from L1 calldata.
    pub sequencer_url: Option<String>,
    /// Proofs computed at once. Default 1: arkworks already proves on every core, two proofs at once
    /// on a 2-core machine only interleave.
    pub workers: usize,
    /// Tasks worked on at once, declared on chain as capacity. Default 2: one proving, one fetching or
    /// submitting.
    pub max_concurrent: u16,
    /// Stake to register with, in token base units (decimal string). Default 100 tokens (1e20): the
    /// devnet registry's minimum is far below; enough to back a few assignments.
    pub stake: String,
    /// Declared hardware class (0 = cpu-small). Default 0.
    pub hardware_class: u8,
    /// Directory of the circuits' proving keys. Default: the circuits crate's cache directory.
    pub key_dir: Option<PathBuf>,
    /// Skip calibration and use these seconds per base/merge/root proof.
    pub speed: Option<ProvingSpeed>,
    /// Prices the cost model uses.
    pub prices: Prices,
}

impl Default for ProverSection {
    fn default() -> Self {
        Self {
            sequencer_url: None,
            workers: 1,
            max_concurrent: 2,
            stake: "100000000000000000000".into(),
            hardware_class: 0,
            key_dir: None,
            speed: None,
            prices: Prices::default(),
        }
    }
}

/// The prover's whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProverFile {
    /// `[chain]`.
    pub chain: ChainConfig,
    /// `[store]`.
    pub store: StoreConfig,
    /// `[metrics]`.
    pub metrics: MetricsConfig,
    /// `[prover]`.
    pub prover: ProverSection,
    /// `[strategy.*]`: per-mechanism strategy parameters.
    pub strategy: policy::StrategySection,
}

impl ProverSection {
    /// The service settings (chain polling from `chain`).
    pub fn settings(&self, chain: &ChainPolling) -> eyre::Result<ProverSettings> {
        let stake: U256 = self
            .stake
            .trim()
            .parse()
            .wrap_err_with(|| format!("[prover].stake {:?}", self.stake))?;
        if stake.is_zero() {
            eyre::bail!("[prover].stake must be positive");
        }
        Ok(ProverSettings {
            sequencer_url: self.sequencer_url.clone(),
            workers: self.workers.max(1),
            max_concurrent: self.max_concurrent.max(1),
            stake,
            hardware_class: self.hardware_class,
            poll_interval: chain.poll_interval,
            log_chunk_blocks: chain.log_chunk_blocks,
            reorg_depth: chain.reorg_depth,
            prices: self.prices,
            speed: self.speed,
            key_dir: self
                .key_dir
                .clone()
                .unwrap_or_else(proofmarket_circuits::keys::default_key_dir),
        })
    }
}

/// How the prover reads the chain (`[chain]` after flags and env).
#[derive(Debug, Clone, Copy)]
pub struct ChainPolling {
    /// Pause between head polls.
    pub poll_interval: Duration,
    /// Blocks per `eth_getLogs` request.
    pub log_chunk_blocks: u64,
    /// Blocks re-read behind the head on every poll.
    pub reorg_depth: u64,
}

impl From<&crate::config::ResolvedChain> for ChainPolling {
    fn from(chain: &crate::config::ResolvedChain) -> Self {
        Self {
            poll_interval: chain.poll_interval,
            log_chunk_blocks: chain.log_chunk_blocks,
            reorg_depth: chain.reorg_depth,
        }
    }
}

/// Runs the prover (or a one-off action).
pub async fn run(args: ProverArgs) -> eyre::Result<()> {
    let file: ProverFile = crate::config::load_or_default(args.config.as_deref())?;
    let chain = file.chain.resolve(&args.chain)?;
    let signer = crate::keys::load_signer(&args.key)?;
    let provider = crate::chain::connect_checked(&chain, Some(signer.clone())).await?;
    let store_path = args
        .store
        .clone()
        .or_else(|| file.store.path.clone())
        .unwrap_or_else(|| PathBuf::from("prover.db"));
    let store = Store::open(&store_path)?;
    let mut section = file.prover.clone();
    if args.sequencer_url.is_some() {
        section.sequencer_url = args.sequencer_url.clone();
    }
    let settings = section.settings(&ChainPolling::from(&chain))?;
    if args.ledger {
        return run_ledger(
            args,
            file,
            chain.addresses.clone(),
            provider,
            signer,
            store,
            settings,
        )
        .await;
    }
    let service = ProverService::new(
        provider.clone(),
        signer.clone(),
        chain.addresses.clone(),
        store.clone(),
        settings,
    )
    .with_chain_id(chain.chain_id)
    .with_auction_strategies(file.strategy.clone())
    .with_mechanisms(mech::MechanismSettings::from_config(
        file.strategy.election,
        &file.strategy.tree,
    )?);
    match args.action {
        Some(ProverAction::Withdraw) => {
            let sender = Sender::new(provider, signer, store);
            match service.withdraw(&sender).await? {
                Some(amount) => println!(
                    "withdrew {amount} token base units to {}",
                    service.address()
                ),
                None => println!(
                    "nothing to withdraw: {} has no claimable balance",
                    service.address()
                ),
            }
            Ok(())
        }
        None => {
            // Supervised like every agent: an RPC error past the retry layer ends one life of the
            // service and it is restarted with backoff (resuming from the store); a fatal error
            // (bad config, wrong chain, contracts missing) stops the prover with a non-zero exit.
            let mut supervisor = Supervisor::new();
            let shutdown = supervisor.shutdown_token();
            if let Some(addr) = args.metrics.or(file.metrics.listen) {
                crate::metrics::serve(addr, shutdown.clone()).await?;
            } else {
                crate::metrics::install()?;
            }
            tracing::info!(prover = %service.address(), store = %store_path.display(), "prover starting");
            supervisor.spawn(service);
            match supervisor.run().await {
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
    }
}

/// `proofmarket prover --ledger` (and `prover withdraw --ledger`): the one-word market's prover.
async fn run_ledger(
    args: ProverArgs,
    file: ProverFile,
    addresses: crate::chain::addresses::Addresses,
    provider: crate::chain::ChainProvider,
    signer: alloy::signers::local::PrivateKeySigner,
    store: Store,
    settings: ProverSettings,
) -> eyre::Result<()> {
    let service = crate::ledger::service::LedgerProverService::new(
        provider,
        signer,
        addresses,
        store,
        settings,
        file.strategy.clone(),
    )?;
    if let Some(ProverAction::Withdraw) = args.action {
        match service.withdraw().await? {
            Some(amount) => println!(
                "withdrew {amount} token base units from the ledger to {}",
                service.address()
            ),
            None => println!(
                "nothing to withdraw: {} has no ledger balance",
                service.address()
            ),
        }
        return Ok(());
    }
    let mut supervisor = Supervisor::new();
    let shutdown = supervisor.shutdown_token();
    if let Some(addr) = args.metrics.or(file.metrics.listen) {
        crate::metrics::serve(addr, shutdown.clone()).await?;
    } else {
        crate::metrics::install()?;
    }
    tracing::info!(prover = %service.address(), "ledger prover starting");
    supervisor.spawn(service);
    match supervisor.run().await {
        Outcome::Drained | Outcome::Aborted(_) => Ok(()),
        Outcome::Failed { service, error } => {
            Err(error.wrap_err(format!("service {service} failed")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_typos_are_errors() {
        let text = include_str!("../../examples/prover.toml");
        let file: ProverFile =
            crate::config::parse_str(text, std::path::Path::new("prover.toml")).expect("example");
        let polling = ChainPolling {
            poll_interval: Duration::from_millis(file.chain.poll_interval_ms),
            log_chunk_blocks: file.chain.log_chunk_blocks,
            reorg_depth: file.chain.reorg_depth,
        };
        let settings = file.prover.settings(&polling).expect("settings");
        assert_eq!(
            settings.reorg_depth, 12,
            "[chain].reorg_depth reaches the prover"
        );
        assert_eq!(settings.poll_interval, Duration::from_millis(1000));
        assert!(settings.stake > U256::ZERO);
        let typo = crate::config::parse_str::<ProverFile>(
            "[prover]\nworkerz = 2\n",
            std::path::Path::new("p.toml"),
        );
        assert!(typo.is_err());
        let bad_stake = ProverSection {
            stake: "lots".into(),
            ..Default::default()
        };
        assert!(bad_stake.settings(&polling).is_err());
    }
}
