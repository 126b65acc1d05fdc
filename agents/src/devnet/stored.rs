//! The devnet on the stored-task market (`TaskRegistry`, the stored `Rollup`, its `MechanismRouter`
//! and instances): `--provers` [`ProverService`]s, each running every strategy, and the summary read
//! back from the registry's and the Rollup's events.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use eyre::WrapErr;
use proofmarket_bindings::{
    MechanismRouter, ProofRace, ProverRegistry, Rollup, TaskRegistry, TreeAssignment,
};
use tokio_util::sync::CancellationToken;

use super::shared::{
    PROVER_STAKE, ProversReady, RunningProver, RunningSequencer, TempDir, deploy_devnet,
    devnet_strategies, drive, name_in, prepare_keys, prover_settings, short, short_root,
    start_anvil, stop_anvil, stop_provers, tokens,
};
use super::{DevnetArgs, DevnetError, validate};
use crate::chain::addresses::Addresses;
use crate::chain::{ChainProvider, connect};
use crate::deploy::{TOKEN, devnet_genesis_root};
use crate::prover::mech::MechanismSettings;
use crate::prover::service::{Outcomes, ProverService};
use crate::sequencer::l1::RootTasks;
use crate::sequencer::route;
use crate::store::Store;

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

/// Runs the devnet on the stored market and returns what happened (the command prints it; tests
/// assert on it).
pub async fn run_devnet(args: &DevnetArgs) -> eyre::Result<DevnetSummary> {
    validate(args)?;
    if args.ledger {
        return Err(DevnetError::InvalidFlag {
            flag: "ledger",
            reason: "the stored market's devnet; run_ledger_devnet runs the one-word market".into(),
        }
        .into());
    }
    args.route()?;
    let started = Instant::now();
    let anvil = start_anvil()?;
    let endpoint = anvil.endpoint();
    let dir = TempDir::new().wrap_err("cannot create the devnet's temporary directory")?;
    tracing::info!(rpc = %endpoint, dir = %dir.path().display(), "anvil started");

    let deployed = deploy_devnet(&anvil, args.provers, false).await?;
    let rollup = deployed
        .addresses
        .rollup
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no rollup"))?;
    tracing::info!(%rollup, task_registry = %deployed.addresses.task_registry, "contracts deployed");
    let route = route::apply(
        &deployed.admin,
        rollup,
        deployed.deployer.address(),
        &route::Market::stored(&deployed.addresses),
        &args.route()?,
        args.txs_per_block,
    )
    .await?;
    tracing::info!(%route, "blocks are proven");

    let result = run_deployed(args, &endpoint, dir.path(), &deployed, rollup, started).await;
    stop_anvil(deployed.admin, anvil).await;
    result
}

async fn run_deployed(
    args: &DevnetArgs,
    endpoint: &str,
    dir: &Path,
    deployed: &super::shared::Deployed,
    rollup: Address,
    started: Instant,
) -> eyre::Result<DevnetSummary> {
    let (admin, addresses) = (&deployed.admin, &deployed.addresses);
    let sequencer = RunningSequencer::start(
        dir,
        admin,
        deployed.deployer.clone(),
        addresses,
        rollup,
        RootTasks::Registry,
        args.txs_per_block,
    )
    .await?;
    let key_dir = prepare_keys().await?;

    // The provers.
    let shutdown = CancellationToken::new();
    let mut provers = Vec::new();
    let mut outcomes = Vec::new();
    for (i, key) in deployed.prover_keys.iter().enumerate() {
        let provider = connect(endpoint, Some(key.clone())).await?;
        let store = Store::open(&dir.join(format!("prover-{}.db", i + 1)))?;
        let settings = prover_settings(&sequencer.url, &key_dir);
        // Every devnet prover joins the tree's bonded pool and posts a standing order-book offer (an
        // operator opts in to both), so a block routed to either mechanism finds provers.
        let service = ProverService::new(provider, key.clone(), addresses.clone(), store, settings)
            .with_mechanisms(MechanismSettings {
                tree_pool_bond: U256::from(40 * TOKEN),
                ..MechanismSettings::default()
            })
            .with_auction_strategies(devnet_strategies(args.txs_per_block));
        outcomes.push((key.address(), service.outcomes()));
        let handle = tokio::spawn(service.run(shutdown.clone()));
        tracing::info!(prover = i + 1, address = %key.address(), "prover started");
        provers.push(RunningProver {
            address: key.address(),
            handle,
        });
    }
    let proving_started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout);
    let ready = StoredReady {
        admin,
        addresses,
        provers: &outcomes,
    };
    let outcome = drive(args, admin, rollup, &sequencer, &provers, &ready, deadline).await;
    let proving_wall = proving_started.elapsed();

    // Stop everything we started, whatever happened.
    shutdown.cancel();
    let seq_store = sequencer.store.clone();
    sequencer.stop().await;
    stop_provers(provers).await;

    let tasks = outcome?
        .into_iter()
        .map(|(number, task)| Ok((number, u64::try_from(task)?)))
        .collect::<eyre::Result<BTreeMap<u64, u64>>>()?;
    collect(
        admin,
        addresses,
        &seq_store,
        &tasks,
        &outcomes,
        proving_wall,
        started,
    )
    .await
}

/// Every prover is registered and, if the deployment has a tree, holds free bond in its pool: a
/// tree draw passes over members whose bond changed after its task opened (the seed may be public
/// by then), so provers still joining when the first block opens would miss its draw.
struct StoredReady<'a> {
    admin: &'a ChainProvider,
    addresses: &'a Addresses,
    provers: &'a [(Address, Outcomes)],
}

impl ProversReady for StoredReady<'_> {
    async fn ready(&self) -> eyre::Result<bool> {
        let registry = ProverRegistry::new(self.addresses.prover_registry, self.admin);
        let tree = self
            .addresses
            .mechanisms
            .get("tree")
            .map(|&address| TreeAssignment::new(address, self.admin));
        for (prover, _) in self.provers {
            if !registry
                .isRegistered(*prover)
                .call()
                .await
                .wrap_err("ProverRegistry.isRegistered")?
            {
                return Ok(false);
            }
            if let Some(tree) = &tree {
                let bond = tree
                    .bondOf(*prover)
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

/// A mechanism's name in the deployment, or its address.
fn name_of(addresses: &Addresses, mechanism: Address) -> String {
    name_in(&addresses.mechanisms, mechanism)
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
