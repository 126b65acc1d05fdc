//! `proofmarket devnet`: the whole system on one machine, end to end.
//!
//! 1. Starts anvil (the repo's pinned binary from `node_modules`, else `anvil` on `PATH`) as a child
//!    process that is killed when the devnet returns (the `AnvilInstance` guard).
//! 2. Deploys every contract with [`crate::deploy::deploy`] (anvil account 0 deploys and is the
//!    sequencer) and mints stake tokens to the provers (anvil accounts 1..=n).
//! 3. Starts one sequencer (HTTP API, block poster, chain monitor and rollup follower under a
//!    [`Supervisor`]) and `--provers` [`ProverService`]s as in-process tokio tasks, each with its own
//!    key and its own SQLite file in a fresh temporary directory (removed on exit).
//! 4. Submits `--blocks × --txs-per-block` L2 transfers, signed with the circuits crate's devnet
//!    genesis keys, to the sequencer's `POST /tx`, one block's worth at a time; the sequencer builds
//!    and posts each block, which opens its root-proof task on L1.
//! 5. Waits until every block's task is proven on L1 (real Groth16 root proofs checked by the
//!    generated verifier), logging progress, then reads the `ProofAccepted` events and prints a
//!    summary table. A block not proven within `--timeout` seconds is an error (non-zero exit).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use clap::Args;
use eyre::WrapErr;
use proofmarket_bindings::{
    MechanismRouter, ProofRace, ProverRegistry, Rollup, TaskRegistry, TreeAssignment,
};
use proofmarket_circuits::state::{
    GENESIS_ACCOUNTS, SignedTransaction, Transaction, devnet_genesis, devnet_key,
};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::chain::addresses::Addresses;
use crate::chain::monitor::{ChainMonitor, MonitorConfig};
use crate::chain::submitter::{Submitter, SubmitterConfig};
use crate::chain::{ChainProvider, connect};
use crate::deploy::{DeployParams, TOKEN, deploy, devnet_genesis_root};
use crate::prover::cost::{Prices, ProvingSpeed};
use crate::prover::error::ProverError;
use crate::prover::mech::MechanismSettings;
use crate::prover::policy::StrategySection;
use crate::prover::service::{Outcomes, ProverService, ProverSettings};
use crate::sequencer::l1::{BlockPoster, BuildPolicy, RollupFollower, RootTasks};
use crate::sequencer::node::{L2Node, encode_hex};
use crate::sequencer::route::{self, ProvingRoute, RouteError};
use crate::store::Store;
use crate::supervisor::{Outcome, Supervisor};

/// Anvil's default mnemonic yields ten funded accounts: one deployer/sequencer, up to nine provers.
const MAX_PROVERS: usize = 9;
/// Each devnet prover's stake, in token base units (100 tokens, the registry's minimum).
const PROVER_STAKE: u128 = 100 * TOKEN;
/// How long the devnet waits at exit, after cancelling its provers, for them to finish what is in
/// flight (all of them together). On anvil a send settles within a second (a lost one is
/// rebroadcast within a poll interval) and a graceful stop makes at most a few (withdrawing the
/// standing offer); a prover still running after this is aborted and logged — safe, every
/// irreversible step is persisted first and the run's state dir is deleted anyway — so nothing in
/// flight can hold up the exit.
const PROVER_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A devnet failure.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    #[error("[V001] invalid flag --{flag}: {reason}")]
    InvalidFlag { flag: &'static str, reason: String },
    #[error("[V002] cannot start anvil ({binary}): {reason}")]
    Anvil { binary: String, reason: String },
    #[error("[V003] the sequencer rejected transfer {from}->{to} nonce {nonce}: {reason}")]
    Rejected {
        from: u32,
        to: u32,
        nonce: u64,
        reason: String,
    },
    #[error("[V004] block {block} was not {what} within {secs} s")]
    Timeout {
        block: u64,
        what: &'static str,
        secs: u64,
    },
    #[error("[V005] prover {prover} stopped early: {reason}")]
    ProverStopped { prover: Address, reason: String },
    #[error("[V006] the sequencer stopped early: {reason}")]
    SequencerStopped { reason: String },
}

/// `proofmarket devnet` arguments.
#[derive(Debug, Clone, Args)]
pub struct DevnetArgs {
    /// Number of blocks to prove end to end.
    #[arg(long, env = "PROOFMARKET_DEVNET_BLOCKS", default_value_t = 3)]
    pub blocks: u64,
    /// L2 transfers per block (a block of n transfers is a tree of 2n−1 proofs).
    #[arg(long, env = "PROOFMARKET_DEVNET_TXS_PER_BLOCK", default_value_t = 4)]
    pub txs_per_block: usize,
    /// Number of in-process provers (anvil accounts 1..=n), at most 9.
    #[arg(long, env = "PROOFMARKET_DEVNET_PROVERS", default_value_t = 3)]
    pub provers: usize,
    /// Seconds allowed for all blocks to be proven on L1 once the provers have started.
    #[arg(long, env = "PROOFMARKET_DEVNET_TIMEOUT", default_value_t = 300)]
    pub timeout: u64,
    /// Pin every block's root task to this mechanism instance (race, sealed-bid, sealed-bid-first,
    /// ascending, election-race, order-book, tree). Default: race, unless --qos is given.
    #[arg(long, env = "PROOFMARKET_MECHANISM", conflicts_with = "qos")]
    pub mechanism: Option<String>,
    /// Let the router choose each block's mechanism by this QoS profile: a persona (arbitrage,
    /// daily-rollup, cost-sensitive, rollup-block) or speed=…,cost=…,safety=…,censorship=….
    #[arg(long, env = "PROOFMARKET_QOS")]
    pub qos: Option<String>,
}

impl DevnetArgs {
    /// How the devnet's blocks are proven.
    pub fn route(&self) -> Result<ProvingRoute, RouteError> {
        match (&self.qos, &self.mechanism) {
            (Some(qos), _) => Ok(ProvingRoute::Qos(qos.parse()?)),
            (None, Some(name)) => Ok(ProvingRoute::Pinned(name.clone())),
            (None, None) => Ok(ProvingRoute::Pinned("race".into())),
        }
    }
}

impl Default for DevnetArgs {
    fn default() -> Self {
        Self {
            blocks: 3,
            txs_per_block: 4,
            provers: 3,
            timeout: 300,
            mechanism: None,
            qos: None,
        }
    }
}

/// One prover's accepted proof of one block.
#[derive(Debug, Clone)]
pub struct AcceptedProof {
    pub prover: Address,
    /// Paid by the task registry for the proof (claimable), in token wei.
    pub payment: U256,
    /// Gas of the `submitProof` transaction.
    pub gas_used: u64,
    /// Timestamp of the L1 block that accepted it (what a race's decay is evaluated at).
    pub accepted_at: u64,
}

/// A root task's budget as the task registry holds it at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskBudget {
    pub max_payment: U256,
    pub paid: U256,
    pub redundancy: u8,
    /// When the task opened under its mechanism (a race's decay starts here).
    pub opened_at: u64,
    pub deadline: u64,
}

/// What happened to one block.
#[derive(Debug, Clone)]
pub struct BlockSummary {
    pub number: u64,
    pub txs: usize,
    pub task_id: u64,
    /// Mechanism name from the deployment (`race`), or its address when unknown.
    pub mechanism: String,
    /// Why the task went there (pinned, or the router's winning score against the runner-up).
    pub why: String,
    pub proofs: Vec<AcceptedProof>,
    /// Wall-clock proving of the whole tree by the first accepted prover, in ms.
    pub prove_ms: Option<u64>,
    /// Gas of `postBlockAndRequestProof`.
    pub post_gas: u64,
    pub state_root: B256,
    /// The root task's budget (the Rollup's block reward minus the sequencer's share).
    pub budget: TaskBudget,
    /// What the Rollup credited the sequencer when the block was finalised (`BlockFinalized`).
    pub sequencer_reward: U256,
}

/// One prover's totals.
#[derive(Debug, Clone)]
pub struct ProverSummary {
    pub address: Address,
    /// Blocks whose root proof it got accepted.
    pub blocks_won: Vec<u64>,
    /// Sum of its `ProofAccepted` payments, in token wei.
    pub paid: U256,
    /// Its claimable balance in the task registry at the end.
    pub claimable: U256,
    /// Its stake in the prover registry at the end, and the record's slashes.
    pub stake: U256,
    pub slashed_count: u64,
}

/// The terms of the race instance and the Rollup's reward split, as deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// `ProofRace.floorBps`, `ProofRace.decayWindow` (0: the task's whole window).
    pub race_floor_bps: u16,
    pub race_decay_window: u32,
    /// `Rollup.config().blockReward`, `.sequencerShareBps`.
    pub block_reward: U256,
    pub sequencer_share_bps: u16,
    /// The stake each devnet prover registers with.
    pub prover_stake: U256,
}

/// The devnet's result.
#[derive(Debug, Clone)]
pub struct DevnetSummary {
    pub genesis_root: B256,
    /// The Rollup's proven tip at the end (number, state root).
    pub proven_tip: (u64, B256),
    pub blocks: Vec<BlockSummary>,
    pub provers: Vec<ProverSummary>,
    pub terms: Terms,
    /// The sequencer (anvil account 0) and its claimable balance in the Rollup at the end.
    pub sequencer: Address,
    pub sequencer_claimable: U256,
    /// From the provers' start to the last block proven.
    pub proving_wall: Duration,
    pub total_wall: Duration,
}

/// A fresh directory under the OS temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("proofmarket-devnet-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts anvil: the repo's pinned binary when present, else `anvil` from `PATH`.
fn start_anvil() -> Result<AnvilInstance, DevnetError> {
    let pinned = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    let (launcher, binary) = if pinned.exists() {
        (Anvil::at(&pinned), pinned.display().to_string())
    } else {
        (Anvil::new(), "anvil on PATH".to_string())
    };
    launcher.try_spawn().map_err(|e| DevnetError::Anvil {
        binary,
        reason: e.to_string(),
    })
}

fn validate(args: &DevnetArgs) -> Result<(), DevnetError> {
    if args.blocks == 0 {
        return Err(DevnetError::InvalidFlag {
            flag: "blocks",
            reason: "must be at least 1".into(),
        });
    }
    if args.txs_per_block == 0 || args.txs_per_block > 64 {
        return Err(DevnetError::InvalidFlag {
            flag: "txs-per-block",
            reason: format!("{} is outside 1..=64", args.txs_per_block),
        });
    }
    if args.provers == 0 || args.provers > MAX_PROVERS {
        return Err(DevnetError::InvalidFlag {
            flag: "provers",
            reason: format!("{} is outside 1..={MAX_PROVERS}", args.provers),
        });
    }
    if args.timeout == 0 {
        return Err(DevnetError::InvalidFlag {
            flag: "timeout",
            reason: "must be at least 1 second".into(),
        });
    }
    Ok(())
}

/// Deterministic transfers between the genesis accounts, with per-sender nonces.
struct TransferGen {
    next: u64,
    nonces: BTreeMap<u32, u64>,
}

impl TransferGen {
    fn new() -> Self {
        Self {
            next: 0,
            nonces: BTreeMap::new(),
        }
    }

    fn next(&mut self) -> SignedTransaction {
        let k = self.next;
        self.next += 1;
        let n = u64::from(GENESIS_ACCOUNTS);
        // Sender walks the accounts; receiver is a different account further along.
        let from = u32::try_from(k % n).unwrap_or(0);
        let to = u32::try_from((k + 1 + k / n) % n).unwrap_or(1);
        let to = if to == from {
            (from + 1) % GENESIS_ACCOUNTS
        } else {
            to
        };
        let nonce = self.nonces.entry(from).or_insert(0);
        let tx = Transaction {
            from,
            to,
            amount: 1_000 + k,
            nonce: *nonce,
        };
        *nonce += 1;
        tx.sign(&devnet_key(from))
    }
}

async fn submit_transfer(
    http: &reqwest::Client,
    url: &str,
    tx: &SignedTransaction,
) -> eyre::Result<()> {
    let response = http
        .post(format!("{url}/tx"))
        .json(&serde_json::json!({ "tx": encode_hex(tx) }))
        .send()
        .await
        .wrap_err("POST /tx")?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.wrap_err("POST /tx response")?;
    if status.is_success() && body["accepted"] == serde_json::Value::Bool(true) {
        return Ok(());
    }
    Err(DevnetError::Rejected {
        from: tx.tx.from,
        to: tx.tx.to,
        nonce: tx.tx.nonce,
        reason: format!("HTTP {status}: {body}"),
    }
    .into())
}

fn tokens(amount: U256) -> String {
    let unit = U256::from(TOKEN);
    let whole = amount / unit;
    let frac = (amount % unit) / U256::from(TOKEN / 10_000);
    format!("{whole}.{frac:0>4}")
}

fn short_root(root: B256) -> String {
    let hex = root.to_string();
    format!("{}…{}", &hex[..10], &hex[hex.len() - 8..])
}

fn short(address: Address) -> String {
    let s = address.to_string();
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

struct RunningProver {
    address: Address,
    outcomes: Outcomes,
    handle: JoinHandle<Result<(), ProverError>>,
}

/// Runs the devnet and prints its summary.
pub async fn run(args: DevnetArgs) -> eyre::Result<()> {
    let summary = run_devnet(&args).await?;
    println!("{}", render(&summary));
    Ok(())
}

/// Runs the devnet and returns what happened (the command prints it; tests assert on it).
pub async fn run_devnet(args: &DevnetArgs) -> eyre::Result<DevnetSummary> {
    validate(args)?;
    args.route()?;
    let started = Instant::now();
    let anvil = start_anvil()?;
    let endpoint = anvil.endpoint();
    let dir = TempDir::new().wrap_err("cannot create the devnet's temporary directory")?;
    tracing::info!(rpc = %endpoint, dir = %dir.path().display(), "anvil started");

    // Deploy, minting stake to the provers.
    let deployer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let prover_keys: Vec<PrivateKeySigner> = anvil.keys()[1..=args.provers]
        .iter()
        .map(|k| k.clone().into())
        .collect();
    let admin = connect(&endpoint, Some(deployer.clone())).await?;
    let mut params = DeployParams::devnet(deployer.address());
    params.fund = prover_keys.iter().map(|k| k.address()).collect();
    params.fund_amount = U256::from(1_000 * TOKEN);
    let addresses = deploy(&admin, deployer.address(), &params)
        .await
        .wrap_err("deployment failed")?;
    let rollup = addresses
        .rollup
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no rollup"))?;
    tracing::info!(%rollup, task_registry = %addresses.task_registry, "contracts deployed");
    let route = route::apply(
        &admin,
        rollup,
        deployer.address(),
        &route::Market::stored(&addresses),
        &args.route()?,
        args.txs_per_block,
    )
    .await?;
    tracing::info!(%route, "blocks are proven");

    let shutdown = CancellationToken::new();
    let result = run_deployed(
        args,
        &endpoint,
        dir.path(),
        &admin,
        deployer,
        &prover_keys,
        &addresses,
        shutdown.clone(),
        started,
    )
    .await;
    shutdown.cancel();
    // Providers poll anvil from background heartbeat tasks that end on their next tick once the
    // last handle is gone: let them end before anvil does, so the run ends without a spurious
    // "failed to poll" error.
    drop(admin);
    tokio::time::sleep(Duration::from_millis(600)).await;
    drop(anvil);
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_deployed(
    args: &DevnetArgs,
    endpoint: &str,
    dir: &Path,
    admin: &ChainProvider,
    deployer: PrivateKeySigner,
    prover_keys: &[PrivateKeySigner],
    addresses: &Addresses,
    shutdown: CancellationToken,
    started: Instant,
) -> eyre::Result<DevnetSummary> {
    let rollup = addresses
        .rollup
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no rollup"))?;

    // The sequencer: API on an ephemeral port, poster, monitor and follower.
    let seq_store = Store::open(&dir.join("sequencer.db"))?;
    let node = L2Node::restore(seq_store.clone(), devnet_genesis(), 10_000)
        .wrap_err("cannot start the L2 node")?;
    let submitter = Submitter::new(
        admin.clone(),
        deployer,
        seq_store.clone(),
        SubmitterConfig::default(),
        "sequencer",
    );
    let (api_addr, api) = crate::sequencer::api::serve(
        node.clone(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        shutdown.clone(),
    )
    .await
    .wrap_err("cannot start the sequencer API")?;
    let sequencer_url = format!("http://{api_addr}");
    let (events_tx, events_rx) = mpsc::channel(1024);
    let poll_interval = Duration::from_millis(250);
    let monitor = ChainMonitor::new(
        admin.clone(),
        seq_store.clone(),
        addresses.clone(),
        MonitorConfig {
            cursor: "sequencer".into(),
            contracts: vec![rollup],
            start_block: addresses.deployed_block,
            reorg_depth: 0,
            poll_interval,
            chunk_blocks: 1_000,
        },
        events_tx,
    );
    let follower = RollupFollower {
        node: node.clone(),
        submitter: submitter.clone(),
        provider: admin.clone(),
        rollup,
        root_tasks: RootTasks::Registry,
        reorg_depth: 0,
        events: std::sync::Arc::new(Mutex::new(events_rx)),
    };
    let poster = BlockPoster {
        node: node.clone(),
        submitter,
        rollup,
        policy: BuildPolicy {
            max_block_txs: args.txs_per_block,
            // Blocks are cut by size: the devnet submits exactly one block's worth at a time.
            block_interval: Duration::from_secs(30),
        },
    };
    let mut supervisor = Supervisor::new()
        .without_signals()
        .grace(Duration::from_secs(5));
    let seq_shutdown = supervisor.shutdown_token();
    supervisor.spawn(monitor).spawn(follower).spawn(poster);
    let sequencer = tokio::spawn(supervisor.run());
    tracing::info!(url = %sequencer_url, "sequencer running");

    // Proving keys: set up (first run) or loaded once here, so the provers below only read the
    // on-disk cache instead of each running the same Groth16 setup concurrently.
    let key_dir = proofmarket_circuits::keys::default_key_dir();
    let setup_started = Instant::now();
    let setup_dir = key_dir.clone();
    tokio::task::spawn_blocking(move || {
        proofmarket_circuits::keys::Keys::load_or_setup(&setup_dir)
    })
    .await
    .wrap_err("proving-key setup panicked")?
    .wrap_err_with(|| {
        format!(
            "cannot load or set up the proving keys in {}",
            key_dir.display()
        )
    })?;
    tracing::info!(
        dir = %key_dir.display(),
        secs = format!("{:.1}", setup_started.elapsed().as_secs_f64()),
        "proving keys ready"
    );

    // The provers.
    let mut provers = Vec::new();
    for (i, key) in prover_keys.iter().enumerate() {
        let provider = connect(endpoint, Some(key.clone())).await?;
        let store = Store::open(&dir.join(format!("prover-{}.db", i + 1)))?;
        let settings = ProverSettings {
            sequencer_url: Some(sequencer_url.clone()),
            workers: 1,
            max_concurrent: 2,
            stake: U256::from(PROVER_STAKE),
            hardware_class: 0,
            poll_interval,
            log_chunk_blocks: 1_000,
            // anvil never reorgs (as for the sequencer above).
            reorg_depth: 0,
            prices: Prices::default(),
            // A fixed estimate instead of a calibration run per prover (seconds per node here).
            speed: Some(ProvingSpeed {
                base_secs: 2.0,
                merge_secs: 1.0,
                root_secs: 1.0,
                workers: 1,
            }),
            key_dir: key_dir.clone(),
        };
        // Every devnet prover joins the tree's bonded pool and posts a standing order-book offer (an
        // operator opts in to both), so a block routed to either mechanism finds provers.
        let service = ProverService::new(provider, key.clone(), addresses.clone(), store, settings)
            .with_mechanisms(MechanismSettings {
                tree_pool_bond: U256::from(40 * TOKEN),
                ..MechanismSettings::default()
            })
            .with_auction_strategies(devnet_strategies(args.txs_per_block));
        let outcomes = service.outcomes();
        let handle = tokio::spawn(service.run(shutdown.clone()));
        tracing::info!(prover = i + 1, address = %key.address(), "prover started");
        provers.push(RunningProver {
            address: key.address(),
            outcomes,
            handle,
        });
    }
    let proving_started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout);

    let outcome = drive(
        args,
        &sequencer_url,
        &seq_store,
        admin,
        addresses,
        &provers,
        &sequencer,
        deadline,
    )
    .await;
    let proving_wall = proving_started.elapsed();

    // Stop everything we started, whatever happened.
    seq_shutdown.cancel();
    shutdown.cancel();
    let mut stopped = Vec::new();
    let stopping = Instant::now();
    let stop_deadline = tokio::time::Instant::now() + PROVER_STOP_TIMEOUT;
    for prover in provers {
        let RunningProver {
            address,
            outcomes,
            mut handle,
        } = prover;
        let result = match tokio::time::timeout_at(stop_deadline, &mut handle).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(prover = %address, timeout_secs = PROVER_STOP_TIMEOUT.as_secs(),
                               "prover did not stop in time; aborting it");
                handle.abort();
                handle.await
            }
        };
        stopped.push((address, outcomes, result));
    }
    tracing::info!(
        ms = stopping.elapsed().as_millis() as u64,
        "provers stopped"
    );
    let _ = sequencer.await;
    let _ = api.await;

    let task_ids = outcome?;
    let summary = collect(
        admin,
        addresses,
        &seq_store,
        &task_ids,
        &stopped
            .iter()
            .map(|(a, o, _)| (*a, o.clone()))
            .collect::<Vec<_>>(),
        proving_wall,
        started,
    )
    .await?;
    Ok(summary)
}

/// Submits the transfers block by block and waits for every block to be proven on L1.
#[allow(clippy::too_many_arguments)]
async fn drive(
    args: &DevnetArgs,
    sequencer_url: &str,
    seq_store: &Store,
    admin: &ChainProvider,
    addresses: &Addresses,
    provers: &[RunningProver],
    sequencer: &JoinHandle<Outcome>,
    deadline: tokio::time::Instant,
) -> eyre::Result<BTreeMap<u64, u64>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let rollup = Rollup::new(addresses.rollup.unwrap_or_default(), admin);
    let mut transfers = TransferGen::new();
    let mut tasks: BTreeMap<u64, u64> = BTreeMap::new();
    let mut proven: BTreeMap<u64, Duration> = BTreeMap::new();
    let since = Instant::now();
    let mut submitted_up_to = 0u64;
    let mut last_note = Instant::now();

    let mut last_mined = Instant::now();
    let mut ready = false;
    loop {
        check_alive(provers, sequencer)?;
        // A real L1 makes a block every 12 s whether or not anyone transacts; anvil mines only on a
        // transaction, so without this the chain's clock would stand still while every prover waits
        // for a commit window to end or a ramp to rise. One empty block a second keeps time moving
        // and leaves transactions mined at once.
        if last_mined.elapsed() >= Duration::from_secs(1) {
            last_mined = Instant::now();
            admin
                .anvil_mine(Some(1), None)
                .await
                .wrap_err("anvil_mine (the devnet's L1 clock)")?;
        }
        // Feed nothing until every prover is registered and bonded in the tree's pool: a tree draw
        // passes over members whose bond changed after its task opened (the seed may be public by
        // then), so provers still joining when the first block opens would miss its draw.
        if !ready {
            ready = provers_ready(admin, addresses, provers).await?;
            if ready {
                tracing::info!(
                    provers = provers.len(),
                    "provers registered and bonded; feeding blocks"
                );
            }
        }
        // Feed the next block once the previous one is posted.
        if ready && submitted_up_to < args.blocks && tasks.len() as u64 == submitted_up_to {
            for _ in 0..args.txs_per_block {
                submit_transfer(&http, sequencer_url, &transfers.next()).await?;
            }
            submitted_up_to += 1;
            tracing::info!(
                block = submitted_up_to,
                txs = args.txs_per_block,
                "transfers submitted to the sequencer"
            );
        }
        // Posted blocks and their tasks.
        for number in 1..=submitted_up_to {
            if tasks.contains_key(&number) {
                continue;
            }
            if let Some(task) = seq_store.block(number)?.and_then(|row| row.task_id) {
                tracing::info!(
                    block = number,
                    task,
                    "block posted on L1; root-proof task open"
                );
                tasks.insert(number, task);
            }
        }
        // Proven tasks.
        for (&number, &task) in &tasks {
            if proven.contains_key(&number) {
                continue;
            }
            if rollup
                .isTaskProven(U256::from(task))
                .call()
                .await
                .wrap_err("Rollup.isTaskProven")?
            {
                let at = since.elapsed();
                tracing::info!(
                    block = number,
                    task,
                    secs = format!("{:.1}", at.as_secs_f64()),
                    proven = proven.len() + 1,
                    of = args.blocks,
                    "block proven on L1 (Groth16 root proof verified)"
                );
                proven.insert(number, at);
            }
        }
        // Done once every block is proven and the Rollup's proven tip has moved over all of them
        // (through a router the registry's callback goes to the router, so the sequencer finalizes
        // in a transaction of its own right after the proof).
        if proven.len() as u64 == args.blocks
            && rollup
                .provenTip()
                .call()
                .await
                .wrap_err("Rollup.provenTip")?
                .number
                >= args.blocks
        {
            return Ok(tasks);
        }
        if tokio::time::Instant::now() >= deadline {
            let block = (1..=args.blocks)
                .find(|b| !proven.contains_key(b))
                .unwrap_or(args.blocks);
            let what = if proven.len() as u64 == args.blocks {
                "finalized on L1"
            } else if tasks.contains_key(&block) {
                "proven on L1"
            } else {
                "posted on L1"
            };
            return Err(DevnetError::Timeout {
                block,
                what,
                secs: args.timeout,
            }
            .into());
        }
        if last_note.elapsed() >= Duration::from_secs(10) {
            last_note = Instant::now();
            tracing::info!(
                posted = tasks.len(),
                proven = proven.len(),
                of = args.blocks,
                elapsed_s = since.elapsed().as_secs(),
                "devnet progress"
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Whether every prover is registered and, if the deployment has a tree, holds free bond in its pool.
async fn provers_ready(
    admin: &ChainProvider,
    addresses: &Addresses,
    provers: &[RunningProver],
) -> eyre::Result<bool> {
    let registry = ProverRegistry::new(addresses.prover_registry, admin);
    let tree = addresses
        .mechanisms
        .get("tree")
        .map(|&address| TreeAssignment::new(address, admin));
    for prover in provers {
        if !registry
            .isRegistered(prover.address)
            .call()
            .await
            .wrap_err("ProverRegistry.isRegistered")?
        {
            return Ok(false);
        }
        if let Some(tree) = &tree {
            let bond = tree
                .bondOf(prover.address)
                .call()
                .await
                .wrap_err("TreeAssignment.bondOf")?;
            if bond.freeBond.is_zero() {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

fn check_alive(provers: &[RunningProver], sequencer: &JoinHandle<Outcome>) -> eyre::Result<()> {
    for prover in provers {
        if prover.handle.is_finished() {
            return Err(DevnetError::ProverStopped {
                prover: prover.address,
                reason: "its service returned (see the log above)".into(),
            }
            .into());
        }
    }
    if sequencer.is_finished() {
        return Err(DevnetError::SequencerStopped {
            reason: "a sequencer service failed (see the log above)".into(),
        }
        .into());
    }
    Ok(())
}

/// Reads the L1 record of every block into the summary.
async fn collect(
    admin: &ChainProvider,
    addresses: &Addresses,
    seq_store: &Store,
    tasks: &BTreeMap<u64, u64>,
    provers: &[(Address, Outcomes)],
    proving_wall: Duration,
    started: Instant,
) -> eyre::Result<DevnetSummary> {
    let registry_logs = admin
        .get_logs(
            &Filter::new()
                .address(addresses.task_registry)
                .from_block(addresses.deployed_block),
        )
        .await
        .wrap_err("eth_getLogs (task registry)")?;
    let mut mechanism_of: BTreeMap<u64, Address> = BTreeMap::new();
    let mut accepted: BTreeMap<u64, Vec<AcceptedProof>> = BTreeMap::new();
    for log in &registry_logs {
        match log.topic0() {
            Some(t) if *t == TaskRegistry::TaskCreated::SIGNATURE_HASH => {
                let e = log.log_decode::<TaskRegistry::TaskCreated>()?;
                if let Ok(id) = u64::try_from(e.inner.data.taskId) {
                    mechanism_of.insert(id, e.inner.data.mechanism);
                }
            }
            Some(t) if *t == TaskRegistry::ProofAccepted::SIGNATURE_HASH => {
                let e = log.log_decode::<TaskRegistry::ProofAccepted>()?;
                let gas_used = match log.transaction_hash {
                    Some(hash) => admin
                        .get_transaction_receipt(hash)
                        .await?
                        .map(|r| r.gas_used)
                        .unwrap_or_default(),
                    None => 0,
                };
                let accepted_at = match log.block_number {
                    Some(n) => admin
                        .get_block_by_number(alloy::eips::BlockNumberOrTag::Number(n))
                        .await?
                        .map(|b| b.header.timestamp)
                        .unwrap_or_default(),
                    None => 0,
                };
                if let Ok(id) = u64::try_from(e.inner.data.taskId) {
                    accepted.entry(id).or_default().push(AcceptedProof {
                        prover: e.inner.data.prover,
                        payment: e.inner.data.payment,
                        gas_used,
                        accepted_at,
                    });
                }
            }
            _ => {}
        }
    }

    // Why each task went where it did: the router's TaskRouted event (pinned, or every score).
    let mut why_of: BTreeMap<u64, String> = BTreeMap::new();
    if let Some(router_address) = addresses.router {
        let router = MechanismRouter::new(router_address, admin);
        let count: u64 = router
            .instanceCount()
            .call()
            .await
            .wrap_err("MechanismRouter.instanceCount")?
            .try_into()
            .unwrap_or(0);
        let mut names = Vec::new();
        for id in 0..count {
            let instance = router
                .instanceOf(U256::from(id))
                .call()
                .await
                .wrap_err("MechanismRouter.instanceOf")?;
            names.push(name_of(addresses, instance.mechanism));
        }
        let routed = admin
            .get_logs(
                &Filter::new()
                    .address(router_address)
                    .event_signature(MechanismRouter::TaskRouted::SIGNATURE_HASH)
                    .from_block(addresses.deployed_block),
            )
            .await
            .wrap_err("eth_getLogs (router)")?;
        for log in &routed {
            let e = log.log_decode::<MechanismRouter::TaskRouted>()?;
            let d = &e.inner.data;
            if let (Ok(id), Ok(chosen)) = (u64::try_from(d.taskId), usize::try_from(d.instanceId)) {
                why_of.insert(
                    id,
                    route::explain_routing(d.pinned, chosen, &d.scores, &names),
                );
            }
        }
    }

    let rollup_address = addresses
        .rollup
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no rollup"))?;
    let rollup = Rollup::new(rollup_address, admin);
    let mut finalized_reward: BTreeMap<u64, U256> = BTreeMap::new();
    // The sequencer as L1 credited it (every devnet block has the same one).
    let mut sequencer = Address::ZERO;
    for log in admin
        .get_logs(
            &Filter::new()
                .address(rollup_address)
                .event_signature(Rollup::BlockFinalized::SIGNATURE_HASH)
                .from_block(addresses.deployed_block),
        )
        .await
        .wrap_err("eth_getLogs (rollup)")?
    {
        let e = log.log_decode::<Rollup::BlockFinalized>()?;
        sequencer = e.inner.data.sequencer;
        finalized_reward.insert(
            e.inner.data.number,
            U256::from(e.inner.data.sequencerReward),
        );
    }
    let registry = TaskRegistry::new(addresses.task_registry, admin);
    let mut blocks = Vec::new();
    for (&number, &task_id) in tasks {
        let row = seq_store
            .block(number)?
            .ok_or_else(|| eyre::eyre!("block {number} vanished from the sequencer store"))?;
        let body: crate::sequencer::node::BlockBody = serde_json::from_str(&row.body)?;
        let post_gas = match row.l1_tx {
            Some(hash) => admin
                .get_transaction_receipt(hash)
                .await?
                .map(|r| r.gas_used)
                .unwrap_or_default(),
            None => 0,
        };
        let mechanism = mechanism_of
            .get(&task_id)
            .map(|m| name_of(addresses, *m))
            .unwrap_or_else(|| "?".into());
        let why = why_of
            .remove(&task_id)
            .unwrap_or_else(|| "pinned by the sequencer".into());
        let proofs = accepted.remove(&task_id).unwrap_or_default();
        let prove_ms = proofs.first().and_then(|first| {
            provers
                .iter()
                .find(|(a, _)| *a == first.prover)
                .and_then(|(_, o)| o.lock().ok()?.get(&task_id).map(|o| o.prove_ms))
        });
        let b = registry
            .budgetOf(U256::from(task_id))
            .call()
            .await
            .wrap_err("TaskRegistry.budgetOf")?;
        let budget = TaskBudget {
            max_payment: U256::from(b.maxPayment),
            paid: U256::from(b.paid),
            redundancy: b.redundancy,
            opened_at: b.openedAt,
            deadline: b.deadline,
        };
        blocks.push(BlockSummary {
            budget,
            sequencer_reward: finalized_reward.get(&number).copied().unwrap_or_default(),
            number,
            txs: body.tx_hashes.len(),
            task_id,
            mechanism,
            why,
            proofs,
            prove_ms,
            post_gas,
            state_root: body.new_state_root,
        });
    }

    let prover_registry = ProverRegistry::new(addresses.prover_registry, admin);
    let mut prover_summaries = Vec::new();
    for (address, _) in provers {
        let mut blocks_won = Vec::new();
        let mut paid = U256::ZERO;
        for block in &blocks {
            for proof in block.proofs.iter().filter(|p| p.prover == *address) {
                blocks_won.push(block.number);
                paid += proof.payment;
            }
        }
        let claimable = registry
            .claimable(*address)
            .call()
            .await
            .wrap_err("TaskRegistry.claimable")?;
        let stake = U256::from(
            prover_registry
                .proverOf(*address)
                .call()
                .await
                .wrap_err("ProverRegistry.proverOf")?
                .stake,
        );
        let slashed_count = prover_registry
            .recordOf(*address)
            .call()
            .await
            .wrap_err("ProverRegistry.recordOf")?
            .slashedCount;
        prover_summaries.push(ProverSummary {
            address: *address,
            blocks_won,
            paid,
            claimable,
            stake,
            slashed_count,
        });
    }

    let tip = rollup
        .provenTip()
        .call()
        .await
        .wrap_err("Rollup.provenTip")?;
    let config = rollup.config().call().await.wrap_err("Rollup.config")?;
    let race = ProofRace::new(
        addresses
            .mechanisms
            .get("race")
            .copied()
            .ok_or_else(|| eyre::eyre!("the devnet deployment has no race"))?,
        admin,
    );
    let terms = Terms {
        race_floor_bps: race
            .floorBps()
            .call()
            .await
            .wrap_err("ProofRace.floorBps")?,
        race_decay_window: race
            .decayWindow()
            .call()
            .await
            .wrap_err("ProofRace.decayWindow")?,
        block_reward: U256::from(config.blockReward),
        sequencer_share_bps: config.sequencerShareBps,
        prover_stake: U256::from(PROVER_STAKE),
    };
    let sequencer_claimable = rollup
        .claimable(sequencer)
        .call()
        .await
        .wrap_err("Rollup.claimable")?;
    Ok(DevnetSummary {
        genesis_root: devnet_genesis_root(),
        proven_tip: (tip.number, tip.stateRoot),
        blocks,
        provers: prover_summaries,
        terms,
        sequencer,
        sequencer_claimable,
        proving_wall,
        total_wall: started.elapsed(),
    })
}

/// The provers' strategies: the defaults, plus a standing order-book offer priced for the devnet's
/// block size.
fn devnet_strategies(txs_per_block: usize) -> StrategySection {
    let mut strategies = StrategySection::default();
    strategies.order_book.enabled = true;
    strategies.order_book.typical_txs = txs_per_block as u64;
    strategies
}

/// A mechanism's name in the deployment, or its address.
fn name_of(addresses: &Addresses, mechanism: Address) -> String {
    addresses
        .mechanisms
        .iter()
        .find(|(_, a)| **a == mechanism)
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| mechanism.to_string())
}

/// The summary as printed: one row per block, then one per prover.
pub fn render(summary: &DevnetSummary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:>5}  {:>3}  {:>4}  {:<16}  {:<14}  {:>9}  {:>9}  {:>10}  {:>10}  {:<20}  why",
        "block",
        "txs",
        "task",
        "mechanism",
        "prover(s)",
        "prove s",
        "post gas",
        "proof gas",
        "paid",
        "state root"
    );
    for b in &summary.blocks {
        let provers = b
            .proofs
            .iter()
            .map(|p| short(p.prover))
            .collect::<Vec<_>>()
            .join(",");
        let proof_gas: u64 = b.proofs.iter().map(|p| p.gas_used).sum();
        let paid: U256 = b.proofs.iter().map(|p| p.payment).sum();
        let prove = b
            .prove_ms
            .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "{:>5}  {:>3}  {:>4}  {:<16}  {:<14}  {:>9}  {:>9}  {:>10}  {:>10}  {:<20}  {}",
            b.number,
            b.txs,
            b.task_id,
            b.mechanism,
            provers,
            prove,
            b.post_gas,
            proof_gas,
            tokens(paid),
            short_root(b.state_root),
            b.why
        );
    }
    let _ = writeln!(
        out,
        "\n{:<42}  {:<12}  {:>10}  {:>10}",
        "prover", "blocks won", "paid", "claimable"
    );
    for p in &summary.provers {
        let won = if p.blocks_won.is_empty() {
            "-".to_string()
        } else {
            p.blocks_won
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let _ = writeln!(
            out,
            "{:<42}  {:<12}  {:>10}  {:>10}",
            p.address.to_string(),
            won,
            tokens(p.paid),
            tokens(p.claimable)
        );
    }
    let _ = writeln!(
        out,
        "\ngenesis root {}\nproven tip   block {} root {}\nproving {:.1} s, total {:.1} s (paid amounts in tokens)",
        summary.genesis_root,
        summary.proven_tip.0,
        summary.proven_tip.1,
        summary.proving_wall.as_secs_f64(),
        summary.total_wall.as_secs_f64()
    );
    out
}
