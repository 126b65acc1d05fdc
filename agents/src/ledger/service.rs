//! `proofmarket prover --ledger`: the prover an operator runs against the one-word market — one
//! [`LedgerProver`] over the deployment's ledger instances, proving the `LedgerRollup`'s root tasks
//! with its circuits through a [`RollupSource`].
//!
//! Each life (the supervisor restarts a failed one with backoff) resumes from the store: the ledger
//! book and its cursor (`LedgerSync::restore`), the sealed bids, the Submitter's sent transactions
//! (keys are idempotent, so nothing is sent twice after a crash), the cached proving speed. A life:
//! checks the chain id and that every deployed contract has code; loads the proving keys once per
//! process; takes the proving speed (configured, cached, or calibrated now); stakes in the ledger's
//! own ProverRegistry with the configured stake and capacity unless already registered there; then
//! runs a pass (`LedgerProver::step`: sync, learn the rollup's new blocks, decide and act per task)
//! every `[chain].poll_interval_ms`. On shutdown it takes its order-book offers off (a match already
//! made stays bound and is proven by the next life).
//!
//! Served: every ledger instance with a strategy (race, sealed-bid, ascending, election-race, order
//! book). The ledger tree is left out by name: its tasks are a rollup block's proof ranges, which no
//! ledger strategy serves yet. Withdrawing the ledger balance is `proofmarket prover withdraw
//! --ledger`.

use std::sync::Arc;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use proofmarket_bindings::{IProverRegistry, ProofToken, TaskLedger};
use proofmarket_circuits::keys::Keys;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::rollup_source::RollupSource;
use super::runner::LedgerProver;
use super::sync::LedgerSync;
use crate::chain::ChainProvider;
use crate::chain::addresses::{Addresses, LedgerAddresses};
use crate::chain::submitter::{Submitter, SubmitterConfig};
use crate::prover::cost::CostModel;
use crate::prover::data::{L2States, SequencerClient};
use crate::prover::policy::StrategySection;
use crate::prover::pool::WorkerPool;
use crate::prover::service::{ProverSettings, proving_speed};
use crate::store::Store;
use crate::supervisor::Service;

/// The ledger instance no strategy serves yet (router id 5).
const UNSERVED: &str = "tree";

/// `proofmarket prover --ledger` (see the module doc).
#[derive(Clone)]
pub struct LedgerProverService {
    provider: ChainProvider,
    signer: PrivateKeySigner,
    addresses: Addresses,
    store: Store,
    settings: ProverSettings,
    strategy: StrategySection,
    /// Loaded once per process, shared by every later life.
    keys: Arc<tokio::sync::OnceCell<Arc<Keys>>>,
}

impl LedgerProverService {
    /// A ledger prover for `addresses`' one-word market; `[C014]` when the deployment has none and
    /// `[C015]` when it has no LedgerRollup (whose root tasks are what this prover proves).
    pub fn new(
        provider: ChainProvider,
        signer: PrivateKeySigner,
        addresses: Addresses,
        store: Store,
        settings: ProverSettings,
        strategy: StrategySection,
    ) -> eyre::Result<Self> {
        let market = addresses.ledger.as_ref().ok_or_else(|| {
            eyre::eyre!(
                "[C014] the deployment has no one-word task market: deploy it with `proofmarket deploy --ledger`"
            )
        })?;
        if market.rollup.is_none() {
            eyre::bail!(
                "[C015] the deployment has no LedgerRollup (deploy with --ledger, without --no-rollup)"
            );
        }
        Ok(Self {
            provider,
            signer,
            addresses,
            store,
            settings,
            strategy,
            keys: Arc::new(tokio::sync::OnceCell::new()),
        })
    }

    /// This prover's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    fn market(&self) -> &LedgerAddresses {
        self.addresses
            .ledger
            .as_ref()
            .expect("checked when the service was built")
    }

    fn submitter(&self) -> Submitter {
        Submitter::new(
            self.provider.clone(),
            self.signer.clone(),
            self.store.clone(),
            SubmitterConfig::default(),
            "prover-ledger",
        )
    }

    /// The served instances: every ledger instance but the tree, in router-id order of the names.
    pub fn served(&self) -> Vec<Address> {
        self.market()
            .mechanisms
            .iter()
            .filter(|(name, _)| name.as_str() != UNSERVED)
            .map(|(_, address)| *address)
            .collect()
    }

    /// Stakes in the ledger's ProverRegistry with the configured stake, hardware class and capacity
    /// unless registered there already. Returns whether it registered now.
    pub async fn ensure_registered(&self, submitter: &Submitter) -> eyre::Result<bool> {
        let market = self.market();
        let me = self.address();
        let registry = IProverRegistry::new(market.prover_registry, &self.provider);
        if registry.isRegistered(me).call().await? {
            return Ok(false);
        }
        let stake = self.settings.stake;
        let approve = ProofToken::approveCall {
            spender: market.prover_registry,
            value: stake,
        };
        submitter
            .send(
                "approve",
                Some("ledger:register:approve"),
                None,
                self.addresses.token,
                approve.abi_encode().into(),
                U256::ZERO,
            )
            .await?;
        let register = IProverRegistry::registerCall {
            amount: stake,
            hardwareClass: self.settings.hardware_class,
            maxConcurrent: self.settings.max_concurrent.max(1),
        };
        submitter
            .send(
                "register",
                Some("ledger:register"),
                None,
                market.prover_registry,
                register.abi_encode().into(),
                U256::ZERO,
            )
            .await?;
        info!(prover = %me, %stake, registry = %market.prover_registry, "registered in the ledger's ProverRegistry");
        Ok(true)
    }

    /// Withdraws this prover's whole ledger balance (payments, refunds, cover shares); `None` when
    /// it is zero (then nothing is sent).
    pub async fn withdraw(&self) -> eyre::Result<Option<U256>> {
        let ledger = self.market().ledger;
        let balance = TaskLedger::new(ledger, &self.provider)
            .balanceOf(self.address())
            .call()
            .await?;
        if balance.is_zero() {
            return Ok(None);
        }
        let head = self.provider.get_block_number().await?;
        let call = TaskLedger::withdrawCall { amount: balance };
        self.submitter()
            .send(
                "withdraw",
                Some(&format!("ledger:withdraw:{head}:{balance}")),
                None,
                ledger,
                call.abi_encode().into(),
                U256::ZERO,
            )
            .await?;
        Ok(Some(balance))
    }

    async fn proving_keys(&self) -> eyre::Result<Arc<Keys>> {
        let key_dir = self.settings.key_dir.clone();
        let keys = self
            .keys
            .get_or_try_init(|| async move {
                let keys = tokio::task::spawn_blocking(move || Keys::load_or_setup(&key_dir))
                    .await
                    .map_err(|e| eyre::eyre!("key loading panicked: {e}"))?
                    .map_err(|e| eyre::eyre!("proving keys: {e}"))?;
                Ok::<_, eyre::Report>(Arc::new(keys))
            })
            .await?;
        Ok(keys.clone())
    }

    /// One life (see the module doc).
    async fn life(self, shutdown: CancellationToken) -> eyre::Result<()> {
        let me = self.address();
        crate::chain::check_chain_id(&self.provider, "the prover's RPC", self.addresses.chain_id)
            .await?;
        crate::chain::check_deployed(&self.provider, &self.addresses).await?;
        let keys = self.proving_keys().await?;
        let speed = {
            let (store, settings, keys) = (self.store.clone(), self.settings.clone(), keys.clone());
            tokio::task::spawn_blocking(move || proving_speed(&store, &settings, &keys))
                .await
                .map_err(|e| eyre::eyre!("calibration panicked: {e}"))??
        };
        let submitter = self.submitter();
        self.ensure_registered(&submitter).await?;
        let gas_price_wei = self.provider.get_gas_price().await?;
        let cost = CostModel {
            speed,
            prices: self.settings.prices,
            gas_price_wei,
        };
        let market = self.market().clone();
        let sync = LedgerSync::restore(
            self.provider.clone(),
            market.ledger,
            self.store.clone(),
            self.addresses.deployed_block,
            self.settings.log_chunk_blocks,
        )?;
        let sequencer = self
            .settings
            .sequencer_url
            .as_deref()
            .map(SequencerClient::new)
            .transpose()?;
        let source = RollupSource::new(
            self.provider.clone(),
            market.rollup.expect("checked when the service was built"),
            self.addresses.deployed_block,
            sequencer,
            L2States::devnet(),
            keys,
            WorkerPool::new(self.settings.workers),
            self.store.clone(),
        );
        let mut prover = LedgerProver::start(
            sync,
            submitter,
            self.store.clone(),
            &self.served(),
            cost,
            &self.strategy,
            usize::from(self.settings.max_concurrent.max(1)),
            source,
        )
        .await?;
        let families: Vec<&str> = prover.families().values().map(|f| f.name()).collect();
        info!(prover = %me, ledger = %market.ledger, ?families, "ledger prover running");
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
            for (task, acted) in prover.step().await? {
                info!(task = %format!("{task:#x}"), ?acted, "ledger task");
            }
        }
        match prover.withdraw_offers().await {
            Ok(offers) if !offers.is_empty() => info!(count = offers.len(), "offers withdrawn"),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "offers not withdrawn; the next life finds them posted"),
        }
        Ok(())
    }
}

impl Service for LedgerProverService {
    fn name(&self) -> &'static str {
        "ledger-prover"
    }

    async fn run(self, shutdown: CancellationToken) -> eyre::Result<()> {
        self.life(shutdown).await
    }
}
