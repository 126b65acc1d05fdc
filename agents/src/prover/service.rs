//! The prover service: follows the chain, feeds the strategy, and carries out its actions.
//!
//! One event loop owns all mutable state (strategy, L2 copy, block data); slow work runs in spawned
//! tasks that report back over a bounded channel:
//!
//! ```text
//!  ChainMonitor (Rollup, TaskRegistry, election, tree) ──► logs ┐
//!        checkpoint: commit cursor + processed logs ◄──────────┤
//!                                                              ▼
//!                                      events ──► ProverStrategy ──► actions
//!                                         ▲                             │
//!                                         │ ProofReady / SubmitFailed   ▼
//!                                         └──── worker pool (proofs), Sender (txs)
//! ```
//!
//! Logs come from the shared [`ChainMonitor`] (the sequencer's too): chunked backfill, a re-read of
//! the last `reorg_depth` blocks on every poll, ranges halved on a provider's error. The events up
//! to each checkpoint are one batch: handled, acted on, marked processed, then the cursor is
//! committed. A log re-included by a reorg (new block hash) is handled again; handlers are
//! idempotent (the L2 copy is keyed by state root, a known task is not restarted), and a task whose
//! accepted proof of ours was reorged out is proven again and the same signed submission revived.
//!
//! On start it registers (stake + capacity) if needed, then backfills from the deployment block: the
//! L2 copy is rebuilt by checking every posted block's data, tasks are re-decided, cached node proofs
//! make re-proving cheap, and the [`Sender`]'s idempotency keys make re-submitting impossible. Actions
//! produced during a backfill batch are executed only if the strategy still wants them after the whole
//! batch (a task fulfilled later in the same batch is not started). Each `run` is one life: an error
//! ends it, and the supervisor starts the next, which resumes the same way from the store. Every task
//! a life spawns (monitor, proving and range jobs, each transaction send) is in the life's `JoinSet`,
//! and `run` returns only once all of them have finished or been cancelled: a send of an ended life
//! never runs next to the next life's (which would sign a second transaction for the intent). The
//! [`Sender`]'s per-account lock, shared by every life in the process, covers a life that was dropped
//! rather than ended (its aborted tasks are dropped by the runtime shortly after).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use proofmarket_bindings::{IMechanism, IProverRegistry, IRollup, ITaskRegistry, ProofRace};
use proofmarket_circuits::{block::BlockWitness, keys::Keys};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::auctions::{self, AuctionIo};
use super::circuit_job::BlockJob;
use super::cost::{CostModel, Prices, ProvingSpeed};
use super::data::{L2States, PostedBlock, SequencerClient, fetch_and_check};
use super::error::ProverError;
use super::mech::{self, MechanismSettings};
use super::policy::StrategySection;
use super::pool::{NodeProof, TreeReport, WorkerPool};
use super::strategy::{
    Action, Event, MechanismKind, Phase, ProverStrategy, RaceSchedule, Strategy, StrategyConfig,
    SubmitFailure, TaskId, TaskView,
};
use super::submit::{SendError, Sender, error_name};
use crate::chain::ChainProvider;
use crate::chain::addresses::Addresses;
use crate::chain::events::ChainEvent;
use crate::chain::monitor::{
    ChainMonitor, MonitorConfig, MonitorMessage, get_logs_halving, mark_processed,
};
use crate::store::{Store, TaskRow, TaskState};
use crate::supervisor::Service;

alloy::sol! {
    /// The two ERC-20 calls registration needs (the stake token is a plain ERC-20).
    #[sol(rpc)]
    interface IStakeToken {
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }
}

/// The store cursor of the prover's log scan: the last L1 block whose logs were fully processed.
pub const CURSOR: &str = "prover";

/// Everything the service needs besides the chain connection.
#[derive(Clone, Debug)]
pub struct ProverSettings {
    /// Sequencer base URL for block data (L1 calldata is the fallback).
    pub sequencer_url: Option<String>,
    /// Proofs computed at once.
    pub workers: usize,
    /// Tasks worked on at once (declared as capacity on registration).
    pub max_concurrent: u16,
    /// Stake to register with (token base units).
    pub stake: U256,
    /// Declared hardware class.
    pub hardware_class: u8,
    /// Head poll interval.
    pub poll_interval: Duration,
    /// Blocks per `eth_getLogs` request (halved by the chain monitor on a provider's range error).
    pub log_chunk_blocks: u64,
    /// Blocks behind the head re-read on every poll (`[chain].reorg_depth`): a log re-included in
    /// a different block within this depth is handled again.
    pub reorg_depth: u64,
    /// Operator prices.
    pub prices: Prices,
    /// Measured speed; `None`: calibrate at start (and cache the result in the store).
    pub speed: Option<ProvingSpeed>,
    /// Where the circuits' proving keys are cached.
    pub key_dir: PathBuf,
}

/// The proving speed: `settings.speed` when configured, else the one cached in `store` (measured by
/// an earlier life, on this machine), else measured now with `keys` and cached. Both markets' provers
/// (the stored service and `prover --ledger`) share it.
pub fn proving_speed(
    store: &Store,
    settings: &ProverSettings,
    keys: &Keys,
) -> Result<ProvingSpeed, ProverError> {
    if let Some(speed) = settings.speed {
        return Ok(speed);
    }
    let cached = store
        .kv_get("prover", "speed")
        .map_err(|e| ProverError::Store(e.to_string()))?;
    if let Some(speed) = cached.and_then(|s| serde_json::from_str::<ProvingSpeed>(&s).ok()) {
        return Ok(ProvingSpeed {
            workers: settings.workers.max(1),
            ..speed
        });
    }
    let speed = super::circuit_job::calibrate(keys, settings.workers)?;
    let json = serde_json::to_string(&speed).map_err(|e| ProverError::Store(e.to_string()))?;
    store
        .kv_set("prover", "speed", &json)
        .map_err(|e| ProverError::Store(e.to_string()))?;
    info!(
        base_s = speed.base_secs,
        merge_s = speed.merge_secs,
        root_s = speed.root_secs,
        "calibrated"
    );
    Ok(speed)
}

/// One block's record in the prover's view.
#[derive(Clone)]
struct BlockEntry {
    /// The checked witnesses, or why the data was refused.
    checked: Result<Arc<BlockWitness>, String>,
}

/// Messages from spawned work back to the loop.
enum Msg {
    Proven {
        task_id: TaskId,
        proof: NodeProof,
        report: TreeReport,
    },
    Event(Event),
}

/// What the prover did to a task, for reports and the devnet summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskOutcome {
    /// Block number the task proves.
    pub block: u64,
    /// Milliseconds of wall-clock proving (whole tree).
    pub prove_ms: u64,
    /// Nodes proven / reused.
    pub proven_nodes: usize,
    /// Nodes reused from the cache.
    pub reused_nodes: usize,
    /// Gas of our submission.
    pub gas_used: u64,
}

/// Shared view of what this prover did (read by `devnet`).
pub type Outcomes = Arc<std::sync::Mutex<BTreeMap<TaskId, TaskOutcome>>>;

/// The prover service.
#[derive(Clone)]
pub struct ProverService {
    provider: ChainProvider,
    signer: PrivateKeySigner,
    addresses: Addresses,
    store: Store,
    settings: ProverSettings,
    outcomes: Outcomes,
    mech: MechanismSettings,
    auction_config: StrategySection,
    /// The chain id the RPC must report at every (re)start; `None`: the deployment's.
    chain_id: Option<u64>,
    /// The proving keys, loaded once per process: a restarted service reuses them.
    keys: Arc<tokio::sync::OnceCell<Arc<Keys>>>,
}

struct Runtime {
    strategy: ProverStrategy,
    l2: L2States,
    blocks: BTreeMap<u64, BlockEntry>,
    task_block: HashMap<TaskId, u64>,
    mechanisms: HashMap<Address, (MechanismKind, Option<(u32, u64)>)>,
    proofs: HashMap<TaskId, NodeProof>,
    /// Every task this life spawned: the chain monitor, proving jobs, tree range jobs, and each
    /// transaction it sends (submissions, expiries, auction, election and tree calls). The life
    /// ends only once all of them have finished or been cancelled ([`ProverService::end_life`]),
    /// so nothing of it runs next to the next life; if the life itself is dropped (the run future
    /// aborted) the set aborts them all.
    tasks: JoinSet<()>,
    /// The proving job of each task (in `tasks`), to abort when the task is abandoned.
    jobs: HashMap<TaskId, AbortHandle>,
    /// Tree range jobs (several per task, in `tasks`), aborted at shutdown like proving jobs.
    range_jobs: Vec<AbortHandle>,
}

fn chain_err(context: &str, e: impl std::fmt::Display) -> ProverError {
    ProverError::Chain(format!("{context}: {e}"))
}

impl ProverService {
    /// A prover with its own key and store.
    pub fn new(
        provider: ChainProvider,
        signer: PrivateKeySigner,
        addresses: Addresses,
        store: Store,
        settings: ProverSettings,
    ) -> Self {
        Self {
            provider,
            signer,
            addresses,
            store,
            settings,
            outcomes: Outcomes::default(),
            mech: MechanismSettings::default(),
            auction_config: StrategySection::default(),
            chain_id: None,
            keys: Arc::default(),
        }
    }

    /// Sets the chain id the RPC must report whenever the service (re)starts (default: the
    /// deployment's).
    pub fn with_chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = Some(chain_id);
        self
    }

    /// Sets how this prover takes part in elections and trees (default: draws, open races and
    /// covers on, no tree pool bond).
    pub fn with_mechanisms(mut self, mech: MechanismSettings) -> Self {
        self.mech = mech;
        self
    }

    /// Sets how this prover bids, locks and offers (`[strategy.*]`; default: sealed bids and locks
    /// on, no standing offer).
    pub fn with_auction_strategies(mut self, config: StrategySection) -> Self {
        self.auction_config = config;
        self
    }

    fn auction_io(&self, sender: &Sender) -> AuctionIo {
        AuctionIo {
            provider: self.provider.clone(),
            sender: sender.clone(),
            store: self.store.clone(),
            token: self.addresses.token,
            book: auctions::book_address(&self.addresses, &self.auction_config.order_book),
        }
    }

    /// What this prover has done so far (shared, live).
    pub fn outcomes(&self) -> Outcomes {
        self.outcomes.clone()
    }

    /// This prover's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The `agent` label of this prover's metrics (its checksummed address).
    fn agent(&self) -> String {
        self.address().to_string()
    }

    fn rollup(&self) -> Result<Address, ProverError> {
        self.addresses
            .rollup
            .ok_or_else(|| ProverError::Config("the deployment has no rollup".into()))
    }

    /// Registers with stake and capacity unless already registered. Returns whether it registered now.
    pub async fn ensure_registered(&self, sender: &Sender) -> Result<bool, ProverError> {
        let me = self.address();
        let registry = IProverRegistry::new(self.addresses.prover_registry, &self.provider);
        if registry
            .isRegistered(me)
            .call()
            .await
            .map_err(|e| chain_err("isRegistered", e))?
        {
            return Ok(false);
        }
        let stake = self.settings.stake;
        let approve = IStakeToken::approveCall {
            spender: self.addresses.prover_registry,
            amount: stake,
        };
        sender
            .send_once(
                "register:approve",
                None,
                "approve",
                self.addresses.token,
                approve.abi_encode().into(),
            )
            .await
            .map_err(|e| ProverError::Chain(format!("approving the stake: {e}")))?;
        let register = IProverRegistry::registerCall {
            amount: stake,
            hardwareClass: self.settings.hardware_class,
            maxConcurrent: self.settings.max_concurrent.max(1),
        };
        sender
            .send_once(
                "register",
                None,
                "register",
                self.addresses.prover_registry,
                register.abi_encode().into(),
            )
            .await
            .map_err(|e| ProverError::Chain(format!("registering: {e}")))?;
        info!(prover = %me, %stake, "registered");
        Ok(true)
    }

    /// Withdraws everything the TaskRegistry credited to this prover; returns the amount, or `None`
    /// when nothing is claimable (then nothing is sent).
    pub async fn withdraw(&self, sender: &Sender) -> Result<Option<U256>, ProverError> {
        let registry = ITaskRegistry::new(self.addresses.task_registry, &self.provider);
        let claimable = registry
            .claimable(self.address())
            .call()
            .await
            .map_err(|e| chain_err("claimable", e))?;
        if claimable.is_zero() {
            return Ok(None);
        }
        let head = self
            .provider
            .get_block_number()
            .await
            .map_err(|e| chain_err("block number", e))?;
        // One withdrawal per head block and amount: a retry of the same request is not sent twice.
        let key = format!("withdraw:{head}:{claimable}");
        sender
            .send_once(
                &key,
                None,
                "withdraw",
                self.addresses.task_registry,
                ITaskRegistry::withdrawCall {}.abi_encode().into(),
            )
            .await
            .map_err(|e| ProverError::Chain(format!("withdrawing: {e}")))?;
        Ok(Some(claimable))
    }

    /// The proving speed: configured, cached in the store, or measured now.
    fn speed(&self, keys: &Keys) -> Result<ProvingSpeed, ProverError> {
        proving_speed(&self.store, &self.settings, keys)
    }

    /// The proving keys: loaded (or set up) once, then shared by every later life of the service.
    async fn proving_keys(&self) -> Result<Arc<Keys>, ProverError> {
        let key_dir = self.settings.key_dir.clone();
        self.keys
            .get_or_try_init(|| async move {
                let keys = tokio::task::spawn_blocking(move || Keys::load_or_setup(&key_dir))
                    .await
                    .map_err(|e| ProverError::Prove(format!("key loading panicked: {e}")))?
                    .map_err(|e| ProverError::Prove(format!("proving keys: {e}")))?;
                Ok::<_, ProverError>(Arc::new(keys))
            })
            .await
            .cloned()
    }

    /// The checks every life starts with: the RPC reports the expected chain and the deployment's
    /// contracts have code. A restart against a chain that lost the deployment (a node reset
    /// without its state) stops the prover instead of proving into the void.
    async fn check_chain(&self, url: &str) -> Result<(), ProverError> {
        let expected = self.chain_id.unwrap_or(self.addresses.chain_id);
        crate::chain::check_chain_id(&self.provider, url, expected)
            .await
            .map_err(ProverError::from_chain)?;
        crate::chain::check_deployed(&self.provider, &self.addresses)
            .await
            .map_err(ProverError::from_chain)
    }

    /// Runs until `shutdown` is cancelled, or fails (see [`ProverError::is_fatal`]). Each call is
    /// one life: it resumes from the store, so the supervisor restarts it after a transient error
    /// (the `Service` impl); it returns only after every task it spawned has stopped
    /// ([`Self::end_life`]).
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ProverError> {
        let me = self.address();
        let rollup = self.rollup()?;
        self.check_chain("the prover's RPC").await?;
        let keys = self.proving_keys().await?;
        let speed = {
            let (this, k) = (self.clone(), keys.clone());
            tokio::task::spawn_blocking(move || this.speed(&k))
                .await
                .map_err(|e| ProverError::Prove(format!("calibration panicked: {e}")))??
        };
        // A transaction a reorg took is noticed (and rebroadcast) on the chain monitor's clock.
        let sender = Sender::new(
            self.provider.clone(),
            self.signer.clone(),
            self.store.clone(),
        )
        .with_presence_interval(self.settings.poll_interval);
        match sender.reconcile().await {
            Ok(0) => {}
            Ok(settled) => {
                info!(prover = %me, settled, "settled transactions an earlier run left pending")
            }
            Err(e) => warn!(prover = %me, error = %e, "cannot settle earlier transactions yet"),
        }
        self.ensure_registered(&sender).await?;
        if let Some(tree) = self.addresses.mechanisms.get(mech::TREE) {
            mech::tree::ensure_pool_bond(
                &self.provider,
                &sender,
                self.addresses.token,
                *tree,
                me,
                self.mech.tree_pool_bond,
            )
            .await?;
        }
        let gas_price = self
            .provider
            .get_gas_price()
            .await
            .map_err(|e| chain_err("gas price", e))?;
        let cost = CostModel {
            speed,
            prices: self.settings.prices,
            gas_price_wei: gas_price,
        };
        let config = StrategyConfig {
            max_concurrent: usize::from(self.settings.max_concurrent.max(1)),
            ..Default::default()
        };
        let mut rt = Runtime {
            strategy: ProverStrategy::new(me, cost, config)
                .with_mechanism_config(self.mech.election, self.mech.tree)
                .with_auctions(
                    self.auction_config.sealed_bid,
                    self.auction_config.ascending,
                    auctions::book_offer(
                        &self.provider,
                        &self.addresses,
                        &self.auction_config.order_book,
                        &cost,
                        config.max_concurrent,
                    )
                    .await?,
                ),
            l2: L2States::devnet(),
            blocks: BTreeMap::new(),
            task_block: HashMap::new(),
            mechanisms: HashMap::new(),
            proofs: HashMap::new(),
            tasks: JoinSet::new(),
            jobs: HashMap::new(),
            range_jobs: Vec::new(),
        };
        let pool = WorkerPool::new(self.settings.workers);
        let sequencer = self
            .settings
            .sequencer_url
            .as_deref()
            .map(SequencerClient::new)
            .transpose()?;
        let result = self
            .live(
                &mut rt,
                &shutdown,
                &pool,
                &keys,
                &sender,
                sequencer.as_ref(),
                rollup,
            )
            .await;
        // However the life ended, it ends with everything it spawned.
        self.end_life(&mut rt, &pool, shutdown.is_cancelled()).await;
        result
    }

    /// Ends a life: waits until no task it spawned runs any more. On a graceful stop (`drain`,
    /// the shutdown token cancelled) proving is cancelled (the next start resumes it from the node
    /// cache) and transactions in flight finish — the supervisor's grace period bounds the wait and
    /// its abort drops the rest. After a failure everything is cancelled at once: the next life
    /// settles an interrupted send from the store (a send records its signed transaction before
    /// the broadcast). Then it waits for proofs still running on the worker pool's blocking
    /// threads (they cannot be interrupted; their results are dropped).
    async fn end_life(&self, rt: &mut Runtime, pool: &WorkerPool, drain: bool) {
        let me = self.address();
        if drain {
            for (_, job) in rt.jobs.drain() {
                job.abort();
            }
            for job in rt.range_jobs.drain(..) {
                job.abort();
            }
        } else {
            rt.tasks.abort_all();
        }
        let (mut finished, mut cancelled) = (0usize, 0usize);
        while let Some(joined) = rt.tasks.join_next().await {
            match joined {
                Ok(()) => finished += 1,
                Err(e) if e.is_panic() => {
                    warn!(prover = %me, error = %e, "a task of this life panicked")
                }
                Err(_) => cancelled += 1,
            }
        }
        pool.idle().await;
        info!(prover = %me, drain, finished, cancelled, "life ended: none of its tasks runs any more");
    }

    /// The body of one life: resume, follow the chain, decide and act, until shutdown or an error.
    /// Everything it spawns goes into `rt.tasks`; the channels its tasks report on close when it
    /// returns, so a task still finishing afterwards does not wait for a reader.
    #[allow(clippy::too_many_arguments)]
    async fn live(
        &self,
        rt: &mut Runtime,
        shutdown: &CancellationToken,
        pool: &WorkerPool,
        keys: &Arc<Keys>,
        sender: &Sender,
        sequencer: Option<&SequencerClient>,
        rollup: Address,
    ) -> Result<(), ProverError> {
        let me = self.address();
        let (tx, mut rx) = mpsc::channel::<Msg>(256);
        // Events of a resume (the open tasks of an earlier life) join the first batch.
        let mut batch = self.resume(rt, sequencer).await?;
        // The shared chain monitor reads the logs: chunked backfill from the stored cursor (minus
        // the reorg window), a re-read of the last `reorg_depth` blocks on every poll, ranges halved
        // on a provider's error. It lives and dies with this life of the service.
        let mut contracts = vec![rollup, self.addresses.task_registry];
        contracts.extend(mech::log_sources(&self.addresses));
        let (monitor_tx, mut monitor_rx) = mpsc::channel::<MonitorMessage>(256);
        let monitor = ChainMonitor::new(
            self.provider.clone(),
            self.store.clone(),
            self.addresses.clone(),
            MonitorConfig {
                cursor: CURSOR.into(),
                contracts,
                start_block: self.addresses.deployed_block,
                reorg_depth: self.settings.reorg_depth,
                poll_interval: self.settings.poll_interval,
                chunk_blocks: self.settings.log_chunk_blocks.max(1),
            },
            monitor_tx,
        );
        let (monitor_done, mut monitor_result) = oneshot::channel();
        let token = shutdown.child_token();
        rt.tasks.spawn(async move {
            let _ = monitor_done.send(monitor.run(token).await);
        });
        let mut handled: Vec<ChainEvent> = Vec::new();
        info!(prover = %me, reorg_depth = self.settings.reorg_depth, "prover running");
        loop {
            tokio::select! {
                // Shutdown first: the monitor stops with the same token, and its closed channel
                // must not read as a failure.
                biased;
                _ = shutdown.cancelled() => {
                    // The offer is withdrawn first; `end_life` then cancels proving and lets the
                    // sends in flight finish.
                    if rt.strategy.stop_offering()
                        && let Err(e) = self.auction_io(sender).withdraw_offer().await
                    {
                        warn!(prover = %me, error = %e, "offer not withdrawn at shutdown");
                    }
                    info!(prover = %me, "prover stopped");
                    return Ok(());
                }
                message = monitor_rx.recv() => match message {
                    Some(MonitorMessage::Event(event)) => {
                        self.on_log(rt, &event.log, sequencer, &mut batch).await?;
                        handled.push(*event);
                    }
                    Some(MonitorMessage::Checkpoint(checkpoint)) => {
                        // 1. Chain: every log up to the checkpoint, in order, then (when caught
                        // up) the head, the clock and the gas price.
                        let mut events = Vec::with_capacity(batch.len() + 3);
                        let caught_up = checkpoint.caught_up();
                        if caught_up {
                            events.push(Event::Head { block: checkpoint.head });
                        }
                        events.append(&mut batch);
                        if caught_up {
                            if let Some(block) = self
                                .provider
                                .get_block_by_number(BlockNumberOrTag::Number(checkpoint.head))
                                .await
                                .map_err(|e| chain_err("head block", e))?
                            {
                                events.push(Event::Clock { now: block.header.timestamp });
                            }
                            if let Ok(wei) = self.provider.get_gas_price().await {
                                events.push(Event::GasPrice { wei });
                            }
                        }
                        let mut actions = Vec::new();
                        for event in events {
                            actions.extend(rt.strategy.process_event(event));
                        }
                        self.execute(rt, actions, pool, keys, sender, &tx).await?;
                        // Handled and acted on: a restart does not hand these logs out again.
                        let store_err = |e: crate::store::StoreError| ProverError::Store(e.to_string());
                        for event in handled.drain(..) {
                            mark_processed(&self.store, &event).map_err(store_err)?;
                        }
                        checkpoint
                            .commit(&self.store, self.settings.reorg_depth)
                            .map_err(store_err)?;
                    }
                    None if shutdown.is_cancelled() => continue,
                    None => {
                        // The monitor stopped: its error (an RPC failure past the retry layer)
                        // ends this life; the supervisor restarts it from the store.
                        let reason = match (&mut monitor_result).await {
                            Ok(Ok(())) => "stopped".to_string(),
                            Ok(Err(e)) => format!("{e:#}"),
                            Err(_) => "ended without a result (it panicked)".to_string(),
                        };
                        return Err(ProverError::Chain(format!("chain monitor: {reason}")));
                    }
                },
                // 2. Results of spawned work.
                Some(msg) = rx.recv() => {
                    let event = match msg {
                        Msg::Proven { task_id, proof, report } => {
                            rt.jobs.remove(&task_id);
                            rt.proofs.insert(task_id, proof);
                            crate::metrics::proving_seconds(&self.agent(), "block_tree", report.wall_ms as f64 / 1e3);
                            let block = rt.task_block.get(&task_id).copied().unwrap_or_default();
                            info!(prover = %me, task_id, block, proven = report.proven, reused = report.reused,
                                  verified_children = report.children_verified, ms = report.wall_ms, "tree proven");
                            if let Ok(mut outcomes) = self.outcomes.lock() {
                                let o = outcomes.entry(task_id).or_default();
                                o.block = block;
                                o.prove_ms = report.wall_ms;
                                o.proven_nodes = report.proven;
                                o.reused_nodes = report.reused;
                            }
                            Event::ProofReady { task_id }
                        }
                        Msg::Event(event) => event,
                    };
                    let actions = rt.strategy.process_event(event);
                    self.execute(rt, actions, pool, keys, sender, &tx).await?;
                }
                // 3. Finished tasks leave the set (an aborted proving job, a panic is logged).
                Some(joined) = rt.tasks.join_next(), if !rt.tasks.is_empty() => {
                    if let Err(e) = joined
                        && e.is_panic()
                    {
                        warn!(prover = %me, error = %e, "a spawned task panicked");
                    }
                }
            }
        }
    }

    /// The events that restore an earlier life's open tasks (none on a first start).
    ///
    /// First start (no cursor in the store): the monitor reads from the deployment block, nothing to
    /// restore. Restart: the monitor resumes behind the persisted cursor. What an earlier life learnt
    /// before the cursor is rebuilt from the three events that carry data rather than progress:
    /// `BlockPosted` (the L2 copy, which is held in memory only), `BlockProofRequested` (the task's
    /// block) and `ProverAssigned`. A task reopened this way must still be open on chain and not yet
    /// proven by us; everything that happened to it after the cursor arrives from the monitor.
    async fn resume(
        &self,
        rt: &mut Runtime,
        sequencer: Option<&SequencerClient>,
    ) -> Result<Vec<Event>, ProverError> {
        let first = self.addresses.deployed_block;
        let cursor = self
            .store
            .cursor(CURSOR)
            .map_err(|e| ProverError::Store(e.to_string()))?;
        let Some(cursor) = cursor.filter(|c| *c >= first) else {
            return Ok(Vec::new());
        };
        let rollup = self.rollup()?;
        let mut topics = vec![
            IRollup::BlockPosted::SIGNATURE_HASH,
            IRollup::BlockProofRequested::SIGNATURE_HASH,
            ITaskRegistry::ProverAssigned::SIGNATURE_HASH,
        ];
        topics.extend(mech::resume_topics());
        let mut sources = vec![rollup, self.addresses.task_registry];
        sources.extend(mech::log_sources(&self.addresses));
        let mut replayed = Vec::new();
        let base = Filter::new().address(sources).event_signature(topics);
        let mut chunk = self.settings.log_chunk_blocks.max(1);
        let mut from = first;
        while from <= cursor {
            let (logs, to) = get_logs_halving(&self.provider, &base, from, cursor, &mut chunk)
                .await
                .map_err(|e| chain_err("eth_getLogs (resume)", e))?;
            for log in &logs {
                self.on_log(rt, log, sequencer, &mut replayed).await?;
            }
            from = to + 1;
        }
        let registry = ITaskRegistry::new(self.addresses.task_registry, &self.provider);
        let mut events = Vec::new();
        let mut reopened = 0usize;
        for event in replayed {
            let task_id = match &event {
                Event::TaskOpened(view) => view.task_id,
                Event::Assigned { task_id, .. } => *task_id,
                other => match mech::event_task(other) {
                    Some(task_id) => task_id,
                    None => continue,
                },
            };
            let task = registry
                .taskOf(U256::from(task_id))
                .call()
                .await
                .map_err(|e| chain_err("taskOf", e))?;
            if !matches!(task.status, 1 | 2) {
                continue; // closed (fulfilled, expired, cancelled) before the cursor
            }
            if matches!(event, Event::TaskOpened(_)) {
                if registry
                    .hasProven(U256::from(task_id), self.address())
                    .call()
                    .await
                    .map_err(|e| chain_err("hasProven", e))?
                {
                    continue;
                }
                reopened += 1;
            }
            events.push(event);
        }
        info!(prover = %self.address(), cursor, reopened, l2_states = rt.l2.len(), "resumed from the stored cursor");
        Ok(events)
    }

    /// Turns one log into strategy events (and keeps the block data up to date).
    async fn on_log(
        &self,
        rt: &mut Runtime,
        log: &Log,
        sequencer: Option<&SequencerClient>,
        events: &mut Vec<Event>,
    ) -> Result<(), ProverError> {
        let Some(topic) = log.topic0().copied() else {
            return Ok(());
        };
        if let Some(event) = mech::decode_log(&self.provider, &self.addresses, log).await? {
            events.push(event);
            return Ok(());
        }
        if topic == IRollup::BlockPosted::SIGNATURE_HASH {
            let posted = log
                .log_decode::<IRollup::BlockPosted>()
                .map_err(|e| chain_err("BlockPosted", e))?;
            let h = &posted.inner.data.header;
            let block = PostedBlock {
                number: h.number,
                prev_state_root: h.prevStateRoot,
                new_state_root: h.newStateRoot,
                txs_commitment: h.txsCommitment,
                txs_data_hash: h.txsDataHash,
                post_tx: log.transaction_hash,
                proof_deadline: h.proofDeadline,
            };
            let checked = self.fetch_and_check(rt, &block, sequencer).await;
            rt.blocks.insert(block.number, BlockEntry { checked });
        } else if topic == IRollup::BlockProofRequested::SIGNATURE_HASH {
            let req = log
                .log_decode::<IRollup::BlockProofRequested>()
                .map_err(|e| chain_err("BlockProofRequested", e))?;
            let (number, task_id) = (req.inner.data.number, req.inner.data.taskId);
            let task_id: TaskId = task_id
                .try_into()
                .map_err(|_| ProverError::Chain("task id over u64".into()))?;
            rt.task_block.insert(task_id, number);
            if rt.strategy.phase(task_id) == Some(Phase::Done) {
                // The task's opening log again, in another block: a reorg. If our accepted proof
                // went with the old blocks, the task is owed again (the sender revives the same
                // signed submission rather than signing a second one).
                let proven = ITaskRegistry::new(self.addresses.task_registry, &self.provider)
                    .hasProven(U256::from(task_id), self.address())
                    .call()
                    .await
                    .map_err(|e| chain_err("hasProven", e))?;
                if !proven {
                    warn!(prover = %self.address(), task_id, block = number, "our accepted proof was reorged out; proving the task again");
                    events.push(Event::ProofReorgedOut { task_id });
                }
            }
            if let Some(view) = self
                .task_view(rt, task_id, number, log.block_number.unwrap_or_default())
                .await?
            {
                events.push(Event::TaskOpened(view));
            }
        } else if topic == ITaskRegistry::ProofAccepted::SIGNATURE_HASH {
            let e = log
                .log_decode::<ITaskRegistry::ProofAccepted>()
                .map_err(|e| chain_err("ProofAccepted", e))?;
            let d = &e.inner.data;
            let Ok(task_id) = TaskId::try_from(d.taskId) else {
                return Ok(());
            };
            if d.prover == self.address() {
                crate::metrics::task_proven(&self.agent());
                crate::metrics::earnings(&self.agent(), d.payment);
                let detail = format!("paid {}", d.payment);
                let _ = self
                    .store
                    .set_task_state(task_id, TaskState::Proven, Some(&detail));
            }
            events.push(Event::ProofAccepted {
                task_id,
                prover: d.prover,
                proofs_accepted: d.proofsAccepted,
            });
        } else if topic == ITaskRegistry::ProverAssigned::SIGNATURE_HASH {
            let e = log
                .log_decode::<ITaskRegistry::ProverAssigned>()
                .map_err(|e| chain_err("ProverAssigned", e))?;
            if let Ok(task_id) = TaskId::try_from(e.inner.data.taskId) {
                events.push(Event::Assigned {
                    task_id,
                    prover: e.inner.data.prover,
                });
            }
        } else if (topic == ITaskRegistry::TaskFulfilled::SIGNATURE_HASH
            || topic == ITaskRegistry::TaskExpiredFinal::SIGNATURE_HASH
            || topic == ITaskRegistry::TaskCancelled::SIGNATURE_HASH)
            && let Some(id) = log.topics().get(1)
            && let Ok(task_id) = TaskId::try_from(U256::from_be_bytes(id.0))
        {
            events.push(Event::TaskClosed { task_id });
        }
        Ok(())
    }

    /// Fetches a posted block's data (sequencer first, L1 calldata as fallback) and checks it.
    async fn fetch_and_check(
        &self,
        rt: &mut Runtime,
        block: &PostedBlock,
        sequencer: Option<&SequencerClient>,
    ) -> Result<Arc<BlockWitness>, String> {
        fetch_and_check(&self.provider, &mut rt.l2, block, sequencer).await
    }

    /// The strategy's view of a root task (reads the task, its mechanism's kind and race terms).
    async fn task_view(
        &self,
        rt: &mut Runtime,
        task_id: TaskId,
        block: u64,
        seen_block: u64,
    ) -> Result<Option<TaskView>, ProverError> {
        let registry = ITaskRegistry::new(self.addresses.task_registry, &self.provider);
        let task = registry
            .taskOf(U256::from(task_id))
            .call()
            .await
            .map_err(|e| chain_err("taskOf", e))?;
        let new = self.store.insert_task(&TaskRow {
            task_id,
            circuit_id: task.circuitId,
            input_commitment: task.inputCommitment,
            mechanism: task.mechanism,
            requester: task.requester,
            max_payment: U256::from(task.maxPayment),
            deadline: task.deadline,
            redundancy: task.redundancy,
            seen_block,
            state: TaskState::Seen,
            detail: Some(format!("block {block}")),
        });
        if matches!(new, Ok(true)) {
            crate::metrics::task_seen(&self.agent());
        }
        let (kind, race) = match rt.mechanisms.get(&task.mechanism) {
            Some(known) => *known,
            None => {
                let mechanism = IMechanism::new(task.mechanism, &self.provider);
                let profile = mechanism
                    .profile()
                    .call()
                    .await
                    .map_err(|e| chain_err("profile", e))?;
                let kind = MechanismKind::from(profile.kind);
                let race = if kind == MechanismKind::Race {
                    let race = ProofRace::new(task.mechanism, &self.provider);
                    let floor = race
                        .floorBps()
                        .call()
                        .await
                        .map_err(|e| chain_err("floorBps", e))?;
                    let window = race
                        .decayWindow()
                        .call()
                        .await
                        .map_err(|e| chain_err("decayWindow", e))?;
                    Some((u32::from(floor), u64::from(window)))
                } else {
                    None
                };
                rt.mechanisms.insert(task.mechanism, (kind, race));
                (kind, race)
            }
        };
        let terms =
            auctions::read_terms(&self.provider, &self.store, kind, task.mechanism, task_id)
                .await?;
        let block_txs = rt.blocks.get(&block).map(|b| match &b.checked {
            Ok(witness) => witness.plan.tx_count() as u64,
            // Refused data: the size is unknown; the strategy will drop it when the check says no.
            Err(_) => 1,
        });
        Ok(Some(TaskView {
            task_id,
            mechanism: task.mechanism,
            kind,
            block_txs,
            max_payment: task.maxPayment.to::<u128>(),
            created_at: task.createdAt,
            deadline: task.deadline,
            redundancy: task.redundancy,
            proofs_accepted: task.proofsAccepted,
            race: race.map(|(floor_bps, window)| RaceSchedule {
                start: task.openedAt,
                window: if window == 0 {
                    task.deadline.saturating_sub(task.openedAt)
                } else {
                    window
                },
                floor_bps,
            }),
            collateral: auctions::collateral_of(&terms),
            terms,
        }))
    }

    fn record(&self, task_id: TaskId, state: TaskState, detail: &str) {
        if let Err(e) = self.store.set_task_state(task_id, state, Some(detail)) {
            warn!(task_id, error = %e, "cannot record task state");
        }
    }

    /// Carries out the strategy's actions.
    async fn execute(
        &self,
        rt: &mut Runtime,
        actions: Vec<Action>,
        pool: &WorkerPool,
        keys: &Arc<Keys>,
        sender: &Sender,
        tx: &mpsc::Sender<Msg>,
    ) -> Result<(), ProverError> {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::FetchData { task_id } => {
                    if rt.strategy.phase(task_id) != Some(Phase::Fetching) {
                        continue;
                    }
                    let ok = rt
                        .task_block
                        .get(&task_id)
                        .and_then(|n| rt.blocks.get(n))
                        .is_some_and(|b| b.checked.is_ok());
                    self.record(task_id, TaskState::Committed, "racing");
                    crate::metrics::task_won(&self.agent());
                    queue.extend(
                        rt.strategy
                            .process_event(Event::DataChecked { task_id, ok }),
                    );
                }
                Action::Prove { task_id } => {
                    if rt.strategy.phase(task_id) != Some(Phase::Proving)
                        || rt.jobs.contains_key(&task_id)
                    {
                        continue;
                    }
                    let Some(witness) = rt
                        .task_block
                        .get(&task_id)
                        .and_then(|n| rt.blocks.get(n))
                        .and_then(|b| b.checked.clone().ok())
                    else {
                        queue.extend(rt.strategy.process_event(Event::ProveFailed {
                            task_id,
                            reason: "block data vanished".into(),
                        }));
                        continue;
                    };
                    self.record(task_id, TaskState::Proving, "proving the tree");
                    if let Some(tree) = rt
                        .strategy
                        .view(task_id)
                        .filter(|v| v.kind == MechanismKind::TreeAssignment)
                        .map(|v| v.mechanism)
                    {
                        let ctx = self.tree_ctx(pool, keys, sender);
                        let tx = tx.clone();
                        rt.jobs.insert(
                            task_id,
                            rt.tasks.spawn(async move {
                                let msg =
                                    match mech::tree::root_job(ctx, tree, witness, task_id).await {
                                        Ok((proof, report)) => Msg::Proven {
                                            task_id,
                                            proof,
                                            report,
                                        },
                                        Err(e) => Msg::Event(Event::ProveFailed {
                                            task_id,
                                            reason: e.to_string(),
                                        }),
                                    };
                                let _ = tx.send(msg).await;
                            }),
                        );
                        continue;
                    }
                    let job = Arc::new(BlockJob::new(keys.clone(), witness));
                    let (pool, store, tx, me) =
                        (pool.clone(), self.store.clone(), tx.clone(), self.address());
                    rt.jobs.insert(
                        task_id,
                        rt.tasks.spawn(async move {
                            let msg = match pool.prove_tree(job, store, me).await {
                                Ok((proof, report)) => Msg::Proven {
                                    task_id,
                                    proof,
                                    report,
                                },
                                Err(e) => Msg::Event(Event::ProveFailed {
                                    task_id,
                                    reason: e.to_string(),
                                }),
                            };
                            let _ = tx.send(msg).await;
                        }),
                    );
                }
                Action::Submit { task_id } => {
                    let Some(proof) = rt.proofs.get(&task_id).cloned() else {
                        queue.extend(rt.strategy.process_event(Event::ProveFailed {
                            task_id,
                            reason: "no proof in memory to submit".into(),
                        }));
                        continue;
                    };
                    self.record(task_id, TaskState::Submitted, "submitting");
                    let (this, sender, tx) = (self.clone(), sender.clone(), tx.clone());
                    rt.tasks.spawn(async move {
                        if let Some(failure) = this.submit(&sender, task_id, proof).await {
                            let _ = tx
                                .send(Msg::Event(Event::SubmitFailed { task_id, failure }))
                                .await;
                        }
                    });
                }
                Action::Abandon { task_id, reason } => {
                    crate::metrics::task_failed(&self.agent(), "abandoned");
                    if let Some(job) = rt.jobs.remove(&task_id) {
                        job.abort();
                    }
                    info!(prover = %self.address(), task_id, %reason, "abandoned");
                    self.record(task_id, TaskState::Lost, &reason);
                }
                Action::Decline { task_id, reason } => {
                    info!(prover = %self.address(), task_id, %reason, "declined");
                    self.record(task_id, TaskState::Declined, &reason);
                }
                Action::Expire { task_id } => {
                    let call = ITaskRegistry::expireCall {
                        taskId: U256::from(task_id),
                    };
                    let sender = sender.clone();
                    let to = self.addresses.task_registry;
                    rt.tasks.spawn(async move {
                        match sender
                            .send_once(
                                &format!("expire:{task_id}"),
                                Some(task_id),
                                "expire",
                                to,
                                call.abi_encode().into(),
                            )
                            .await
                        {
                            Ok(_) => info!(task_id, "expired an overdue task"),
                            Err(e) => debug!(task_id, error = %e, "expire not sent"),
                        }
                    });
                }
                Action::Await { task_id, reason } => {
                    info!(prover = %self.address(), task_id, %reason, "awaiting the draw");
                    self.record(task_id, TaskState::Seen, &reason);
                }
                Action::Election(action) => {
                    let Some(election) = self.addresses.mechanisms.get(mech::ELECTION).copied()
                    else {
                        continue;
                    };
                    let (provider, sender, me) =
                        (self.provider.clone(), sender.clone(), self.address());
                    rt.tasks.spawn(async move {
                        match mech::election::execute(&provider, &sender, election, action).await {
                            Ok(line) => info!(prover = %me, "{line}"),
                            Err(e) => debug!(prover = %me, error = %e, "election call not sent"),
                        }
                    });
                }
                Action::Tree(action) => {
                    self.execute_tree(rt, action, pool, keys, sender, tx);
                }
                action @ (Action::Bid { .. }
                | Action::Lock { .. }
                | Action::Reveal { .. }
                | Action::Finalize { .. }
                | Action::SlashLock { .. }
                | Action::MatchTask { .. }
                | Action::PostOffer(_)
                | Action::WithdrawOffer) => {
                    let mechanism = action_task(&action)
                        .and_then(|id| rt.strategy.view(id))
                        .map(|v| v.mechanism);
                    let (io, tx) = (self.auction_io(sender), tx.clone());
                    rt.tasks.spawn(async move {
                        for event in io.execute(action, mechanism).await {
                            let _ = tx.send(Msg::Event(event)).await;
                        }
                    });
                }
            }
        }
        Ok(())
    }

    fn tree_ctx(
        &self,
        pool: &WorkerPool,
        keys: &Arc<Keys>,
        sender: &Sender,
    ) -> mech::tree::TreeCtx {
        mech::tree::TreeCtx {
            provider: self.provider.clone(),
            sender: sender.clone(),
            store: self.store.clone(),
            me: self.address(),
            relay: self
                .settings
                .sequencer_url
                .as_deref()
                .and_then(|url| crate::sequencer::relay::RelayClient::new(url).ok()),
            pool: pool.clone(),
            keys: keys.clone(),
            poll: self.settings.poll_interval,
        }
    }

    /// Carries out a tree action: `draw`, or a range job reporting back `RangeDone`.
    fn execute_tree(
        &self,
        rt: &mut Runtime,
        action: super::policy::tree::TreeAction,
        pool: &WorkerPool,
        keys: &Arc<Keys>,
        sender: &Sender,
        tx: &mpsc::Sender<Msg>,
    ) {
        let Some(tree) = self.addresses.mechanisms.get(mech::TREE).copied() else {
            return;
        };
        let me = self.address();
        match action {
            super::policy::tree::TreeAction::Draw {
                task_id,
                draw_block,
            } => {
                let (provider, sender) = (self.provider.clone(), sender.clone());
                rt.tasks.spawn(async move {
                    match mech::tree::draw(&provider, &sender, tree, task_id, draw_block).await {
                        Ok(line) => info!(prover = %me, task_id, "{line}"),
                        Err(e) => debug!(prover = %me, task_id, error = %e, "tree draw not sent"),
                    }
                });
            }
            range @ super::policy::tree::TreeAction::ProveRange { task_id, .. } => {
                let witness = rt
                    .task_block
                    .get(&task_id)
                    .and_then(|n| rt.blocks.get(n))
                    .and_then(|b| b.checked.clone().ok());
                let ctx = self.tree_ctx(pool, keys, sender);
                let tx = tx.clone();
                rt.range_jobs.retain(|job| !job.is_finished());
                let job = rt.tasks.spawn(async move {
                    let done = match witness {
                        Some(witness) => mech::tree::range_job(ctx, tree, witness, range).await,
                        None => super::policy::tree::TreeEvent::RangeDone {
                            task_id,
                            range: 0,
                            result: Err("no checked block data for the task".into()),
                        },
                    };
                    let _ = tx.send(Msg::Event(Event::Tree(done))).await;
                });
                rt.range_jobs.push(job);
            }
        }
    }

    /// Submits our root proof once; returns the failure, if any, for the strategy.
    async fn submit(
        &self,
        sender: &Sender,
        task_id: TaskId,
        proof: NodeProof,
    ) -> Option<SubmitFailure> {
        let registry = ITaskRegistry::new(self.addresses.task_registry, &self.provider);
        match registry
            .hasProven(U256::from(task_id), self.address())
            .call()
            .await
        {
            Ok(true) => return Some(SubmitFailure::AlreadyProvenByUs),
            Ok(false) => {}
            Err(e) => return Some(SubmitFailure::Transient(e.to_string())),
        }
        let call = ITaskRegistry::submitProofCall {
            taskId: U256::from(task_id),
            publicInputs: proof.public_inputs.clone(),
            proof: proof.proof.clone().into(),
        };
        let started = Instant::now();
        match sender
            .send_once(
                &format!("submit:{task_id}"),
                Some(task_id),
                "submitProof",
                self.addresses.task_registry,
                call.abi_encode().into(),
            )
            .await
        {
            Ok(sent) => {
                info!(prover = %self.address(), task_id, tx = %sent.tx_hash, gas = sent.gas_used, fresh = sent.fresh,
                      ms = started.elapsed().as_millis() as u64, "proof submitted");
                if let Ok(mut outcomes) = self.outcomes.lock() {
                    outcomes.entry(task_id).or_default().gas_used = sent.gas_used;
                }
                None
            }
            Err(SendError::Reverted(reason)) => {
                warn!(prover = %self.address(), task_id, %reason, "submission refused");
                Some(classify(&reason))
            }
            Err(e) => Some(SubmitFailure::Transient(e.to_string())),
        }
    }
}

impl Service for ProverService {
    fn name(&self) -> &'static str {
        "prover"
    }

    /// One life of the prover. A fatal error (bad config, wrong chain, contracts missing) is marked
    /// so the supervisor stops instead of restarting; anything else is restarted with backoff.
    async fn run(self, shutdown: CancellationToken) -> eyre::Result<()> {
        ProverService::run(self, shutdown).await.map_err(|e| {
            if e.is_fatal() {
                crate::error::fatal(e)
            } else {
                eyre::Report::new(e)
            }
        })
    }
}

/// The task an auction action is about (none for offers).
fn action_task(action: &Action) -> Option<TaskId> {
    match action {
        Action::Bid { task_id, .. }
        | Action::Lock { task_id, .. }
        | Action::Reveal { task_id }
        | Action::Finalize { task_id }
        | Action::SlashLock { task_id, .. }
        | Action::MatchTask { task_id } => Some(*task_id),
        _ => None,
    }
}

/// Maps a decoded revert of `submitProof` to what the strategy does about it.
pub fn classify(reason: &str) -> SubmitFailure {
    match error_name(reason) {
        "AlreadyProven" => SubmitFailure::AlreadyProvenByUs,
        "TaskNotOpen" | "TaskExpired" | "RedundancyFilled" | "TaskNotFound" | "NotAssigned"
        | "BudgetExceeded" => SubmitFailure::Closed(reason.to_string()),
        "InvalidProof"
        | "MalformedProof"
        | "PublicInputCount"
        | "PublicInputNotInField"
        | "InputCommitmentMismatch"
        | "UnknownCircuit" => SubmitFailure::Rejected(reason.to_string()),
        _ if reason.contains("reverted on chain") => SubmitFailure::Closed(reason.to_string()),
        _ => SubmitFailure::Rejected(reason.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverts_map_to_strategy_failures() {
        assert_eq!(
            classify("AlreadyProven { taskId: 1, prover: 0x.. }"),
            SubmitFailure::AlreadyProvenByUs
        );
        assert!(matches!(
            classify("TaskNotOpen { taskId: 1, status: 3 }"),
            SubmitFailure::Closed(_)
        ));
        assert!(matches!(
            classify("InvalidProof"),
            SubmitFailure::Rejected(_)
        ));
        assert!(matches!(
            classify("InputCommitmentMismatch { .. }"),
            SubmitFailure::Rejected(_)
        ));
    }
}
