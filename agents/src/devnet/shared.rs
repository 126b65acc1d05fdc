//! What both devnet modes run the same way: anvil and its temporary directory, the deployment with the
//! provers funded, the in-process sequencer, the proving keys, the provers' settings, the transfers
//! fed block by block until every block is proven and finalized, the provers' stop, and the
//! summary's number formats. The modes differ only in the market their provers serve
//! ([`super::stored`], [`super::ledger`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::ext::AnvilApi;
use alloy::signers::local::PrivateKeySigner;
use eyre::WrapErr;
use proofmarket_bindings::Rollup;
use proofmarket_circuits::state::{
    GENESIS_ACCOUNTS, SignedTransaction, Transaction, devnet_genesis, devnet_key,
};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{DevnetArgs, DevnetError};
use crate::chain::addresses::Addresses;
use crate::chain::monitor::{ChainMonitor, MonitorConfig};
use crate::chain::submitter::{Submitter, SubmitterConfig};
use crate::chain::{ChainProvider, connect};
use crate::deploy::{DeployParams, TOKEN, deploy};
use crate::prover::cost::{Prices, ProvingSpeed};
use crate::prover::policy::StrategySection;
use crate::prover::service::ProverSettings;
use crate::sequencer::l1::{BlockPoster, BuildPolicy, RollupFollower, RootTasks, root_task_id};
use crate::sequencer::node::{L2Node, encode_hex};
use crate::store::Store;
use crate::supervisor::{Outcome, Supervisor};

/// Each devnet prover's stake, in token base units (100 tokens, the registry's minimum).
pub(super) const PROVER_STAKE: u128 = 100 * TOKEN;
/// How long the devnet waits at exit, after cancelling its provers, for them to finish what is in
/// flight (all of them together). On anvil a send settles within a second (a lost one is
/// rebroadcast within a poll interval) and a graceful stop makes at most a few (withdrawing the
/// standing offer); a prover still running after this is aborted and logged — safe, every
/// irreversible step is persisted first and the run's state dir is deleted anyway — so nothing in
/// flight can hold up the exit.
const PROVER_STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the sequencer and the provers poll the chain (anvil answers at once).
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A fresh directory under the OS temp dir, removed on drop.
pub(super) struct TempDir(PathBuf);

impl TempDir {
    pub(super) fn new() -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("proofmarket-devnet-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts anvil: the repo's pinned binary when present, else `anvil` from `PATH`.
pub(super) fn start_anvil() -> Result<AnvilInstance, DevnetError> {
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

/// A deployed devnet: anvil account 0 deploys and sequences, accounts 1..=n are the provers.
pub(super) struct Deployed {
    pub admin: ChainProvider,
    pub deployer: PrivateKeySigner,
    pub prover_keys: Vec<PrivateKeySigner>,
    pub addresses: Addresses,
}

/// Deploys everything (with the one-word market and its LedgerRollup when `ledger`), minting 1 000
/// test tokens to each of the `provers`.
pub(super) async fn deploy_devnet(
    anvil: &AnvilInstance,
    provers: usize,
    ledger: bool,
) -> eyre::Result<Deployed> {
    let deployer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let prover_keys: Vec<PrivateKeySigner> = anvil.keys()[1..=provers]
        .iter()
        .map(|k| k.clone().into())
        .collect();
    let admin = connect(&anvil.endpoint(), Some(deployer.clone())).await?;
    let mut params = DeployParams::devnet(deployer.address());
    params.ledger = ledger;
    params.fund = prover_keys.iter().map(|k| k.address()).collect();
    params.fund_amount = U256::from(1_000 * TOKEN);
    let addresses = deploy(&admin, deployer.address(), &params)
        .await
        .wrap_err("deployment failed")?;
    Ok(Deployed {
        admin,
        deployer,
        prover_keys,
        addresses,
    })
}

/// Ends the run: lets the providers' background heartbeat tasks end before anvil does (they end on
/// their next tick once the last handle is gone), so the run ends without a spurious "failed to
/// poll" error, then stops anvil.
pub(super) async fn stop_anvil(admin: ChainProvider, anvil: AnvilInstance) {
    drop(admin);
    tokio::time::sleep(Duration::from_millis(600)).await;
    drop(anvil);
}

/// Deterministic transfers between the genesis accounts, with per-sender nonces.
pub(super) struct TransferGen {
    next: u64,
    nonces: BTreeMap<u32, u64>,
}

impl TransferGen {
    pub(super) fn new() -> Self {
        Self {
            next: 0,
            nonces: BTreeMap::new(),
        }
    }

    pub(super) fn next(&mut self) -> SignedTransaction {
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

pub(super) async fn submit_transfer(
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

/// The in-process sequencer: API on an ephemeral port, block poster, chain monitor and rollup
/// follower under one [`Supervisor`].
pub(super) struct RunningSequencer {
    pub store: Store,
    pub url: String,
    pub handle: JoinHandle<Outcome>,
    shutdown: CancellationToken,
    api: JoinHandle<()>,
}

impl RunningSequencer {
    /// Starts the sequencer of `rollup` (the stored Rollup or a LedgerRollup, as `root_tasks` says),
    /// cutting blocks of `txs_per_block`, its state in `dir`.
    pub(super) async fn start(
        dir: &Path,
        admin: &ChainProvider,
        deployer: PrivateKeySigner,
        addresses: &Addresses,
        rollup: Address,
        root_tasks: RootTasks,
        txs_per_block: usize,
    ) -> eyre::Result<Self> {
        let store = Store::open(&dir.join("sequencer.db"))?;
        let node = L2Node::restore(store.clone(), devnet_genesis(), 10_000)
            .wrap_err("cannot start the L2 node")?;
        let submitter = Submitter::new(
            admin.clone(),
            deployer,
            store.clone(),
            SubmitterConfig::default(),
            "sequencer",
        );
        let mut supervisor = Supervisor::new()
            .without_signals()
            .grace(Duration::from_secs(5));
        let shutdown = supervisor.shutdown_token();
        let (api_addr, api) = crate::sequencer::api::serve(
            node.clone(),
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            shutdown.clone(),
        )
        .await
        .wrap_err("cannot start the sequencer API")?;
        let url = format!("http://{api_addr}");
        let (events_tx, events_rx) = mpsc::channel(1024);
        let monitor = ChainMonitor::new(
            admin.clone(),
            store.clone(),
            addresses.clone(),
            MonitorConfig {
                cursor: "sequencer".into(),
                contracts: vec![rollup],
                start_block: addresses.deployed_block,
                reorg_depth: 0,
                poll_interval: POLL_INTERVAL,
                chunk_blocks: 1_000,
            },
            events_tx,
        );
        let follower = RollupFollower {
            node: node.clone(),
            submitter: submitter.clone(),
            provider: admin.clone(),
            rollup,
            root_tasks,
            reorg_depth: 0,
            events: std::sync::Arc::new(Mutex::new(events_rx)),
        };
        let poster = BlockPoster {
            node,
            submitter,
            rollup,
            policy: BuildPolicy {
                max_block_txs: txs_per_block,
                // Blocks are cut by size: the devnet submits exactly one block's worth at a time.
                block_interval: Duration::from_secs(30),
            },
        };
        supervisor.spawn(monitor).spawn(follower).spawn(poster);
        let handle = tokio::spawn(supervisor.run());
        tracing::info!(%url, "sequencer running");
        Ok(Self {
            store,
            url,
            handle,
            shutdown,
            api,
        })
    }

    /// Stops every sequencer service and the API, and waits for them.
    pub(super) async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.handle.await;
        let _ = self.api.await;
    }
}

/// Sets up (first run) or loads the proving keys once, so the provers only read the on-disk cache
/// instead of each running the same Groth16 setup concurrently. Returns their directory.
pub(super) async fn prepare_keys() -> eyre::Result<PathBuf> {
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
    Ok(key_dir)
}

/// A devnet prover's settings: block data from the sequencer, one worker, two tasks at a time, the
/// devnet stake, and a fixed proving speed instead of a calibration run per prover.
pub(super) fn prover_settings(sequencer_url: &str, key_dir: &Path) -> ProverSettings {
    ProverSettings {
        sequencer_url: Some(sequencer_url.to_string()),
        workers: 1,
        max_concurrent: 2,
        stake: U256::from(PROVER_STAKE),
        hardware_class: 0,
        poll_interval: POLL_INTERVAL,
        log_chunk_blocks: 1_000,
        // anvil never reorgs (as for the sequencer).
        reorg_depth: 0,
        prices: Prices::default(),
        // Seconds per node on this kind of machine.
        speed: Some(ProvingSpeed {
            base_secs: 2.0,
            merge_secs: 1.0,
            root_secs: 1.0,
            workers: 1,
        }),
        key_dir: key_dir.to_path_buf(),
    }
}

/// The provers' strategies: the defaults, plus a standing order-book offer priced for the devnet's
/// block size.
pub(super) fn devnet_strategies(txs_per_block: usize) -> StrategySection {
    let mut strategies = StrategySection::default();
    strategies.order_book.enabled = true;
    strategies.order_book.typical_txs = txs_per_block as u64;
    strategies
}

/// An in-process prover: its address and the task running it.
pub(super) struct RunningProver<R> {
    pub address: Address,
    pub handle: JoinHandle<R>,
}

/// Waits for cancelled provers for at most [`PROVER_STOP_TIMEOUT`] (all together), then aborts any
/// still running, naming it.
pub(super) async fn stop_provers<R>(provers: Vec<RunningProver<R>>) {
    let stopping = Instant::now();
    let stop_deadline = tokio::time::Instant::now() + PROVER_STOP_TIMEOUT;
    for RunningProver {
        address,
        mut handle,
    } in provers
    {
        if tokio::time::timeout_at(stop_deadline, &mut handle)
            .await
            .is_err()
        {
            tracing::warn!(prover = %address, timeout_secs = PROVER_STOP_TIMEOUT.as_secs(),
                           "prover did not stop in time; aborting it");
            handle.abort();
            let _ = handle.await;
        }
    }
    tracing::info!(
        ms = stopping.elapsed().as_millis() as u64,
        "provers stopped"
    );
}

fn check_alive<R>(
    provers: &[RunningProver<R>],
    sequencer: &JoinHandle<Outcome>,
) -> eyre::Result<()> {
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

/// Whether every prover is ready for the first block (each mode has its own test).
pub(super) trait ProversReady {
    async fn ready(&self) -> eyre::Result<bool>;
}

/// Submits the transfers block by block once the provers are ready, and waits until every block's
/// root task is proven on L1 and `rollup`'s proven tip covers them all. Returns each block's root
/// task id.
pub(super) async fn drive<R>(
    args: &DevnetArgs,
    admin: &ChainProvider,
    rollup: Address,
    sequencer: &RunningSequencer,
    provers: &[RunningProver<R>],
    ready_test: &impl ProversReady,
    deadline: tokio::time::Instant,
) -> eyre::Result<BTreeMap<u64, U256>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    // A LedgerRollup has the stored Rollup's ABI for everything read here.
    let rollup = Rollup::new(rollup, admin);
    let mut transfers = TransferGen::new();
    let mut tasks: BTreeMap<u64, U256> = BTreeMap::new();
    let mut proven: BTreeMap<u64, Duration> = BTreeMap::new();
    let since = Instant::now();
    let mut submitted_up_to = 0u64;
    let mut last_note = Instant::now();

    let mut last_mined = Instant::now();
    let mut ready = false;
    loop {
        check_alive(provers, &sequencer.handle)?;
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
        if !ready {
            ready = ready_test.ready().await?;
            if ready {
                tracing::info!(provers = provers.len(), "provers ready; feeding blocks");
            }
        }
        // Feed the next block once the previous one is posted.
        if ready && submitted_up_to < args.blocks && tasks.len() as u64 == submitted_up_to {
            for _ in 0..args.txs_per_block {
                submit_transfer(&http, &sequencer.url, &transfers.next()).await?;
            }
            submitted_up_to += 1;
            tracing::info!(
                block = submitted_up_to,
                txs = args.txs_per_block,
                "transfers submitted to the sequencer"
            );
        }
        // Posted blocks and their tasks (the header the poster stored holds the task id, which a
        // ledger task's 256 bits need).
        for number in 1..=submitted_up_to {
            if tasks.contains_key(&number) {
                continue;
            }
            if let Some(task) = root_task_id(&sequencer.store, number)?.filter(|t| !t.is_zero()) {
                tracing::info!(
                    block = number,
                    task = %format!("{task:#x}"),
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
                .isTaskProven(task)
                .call()
                .await
                .wrap_err("Rollup.isTaskProven")?
            {
                let at = since.elapsed();
                tracing::info!(
                    block = number,
                    task = %format!("{task:#x}"),
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

/// Token base units as tokens with four decimals.
pub(super) fn tokens(amount: U256) -> String {
    let unit = U256::from(TOKEN);
    let whole = amount / unit;
    let frac = (amount % unit) / U256::from(TOKEN / 10_000);
    format!("{whole}.{frac:0>4}")
}

pub(super) fn short_root(root: B256) -> String {
    let hex = root.to_string();
    format!("{}…{}", &hex[..10], &hex[hex.len() - 8..])
}

pub(super) fn short(address: Address) -> String {
    let s = address.to_string();
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

/// An instance's name among `mechanisms`, or its address.
pub(super) fn name_in(mechanisms: &BTreeMap<String, Address>, mechanism: Address) -> String {
    mechanisms
        .iter()
        .find(|(_, a)| **a == mechanism)
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| mechanism.to_string())
}
