//! `proofmarket status`: what an integrator wants to see at a glance — the deployment, the prover
//! registry (stake, capacity, record of each prover), the tasks (open ones first), and the rollup's
//! proven and pending tips; with a one-word task market deployed, its router's instances and where
//! each QoS persona would be routed now ([`ledger`]). `--json` prints the same as one JSON document.

pub mod ledger;

use alloy::primitives::{Address, U256};
use clap::Args;
use proofmarket_bindings::{ProverRegistry, Rollup, TaskRegistry};
use serde::Serialize;

use crate::chain::ChainProvider;
use crate::chain::addresses::Addresses;
use crate::chain::revert::describe_contract_error;
use crate::cli::ChainArgs;
use crate::config::ChainConfig;

/// `proofmarket status` arguments.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Show at most this many of the most recent tasks.
    #[arg(long, env = "PROOFMARKET_STATUS_TASKS", default_value_t = 20)]
    pub tasks: u64,
    /// Print JSON instead of tables.
    #[arg(long, env = "PROOFMARKET_STATUS_JSON")]
    pub json: bool,
}

/// Task status names, by the `TaskStatus` enum's order in contracts/types/Task.sol.
pub const TASK_STATUS: [&str; 6] = [
    "none",
    "open",
    "assigned",
    "fulfilled",
    "expired",
    "cancelled",
];

/// A prover as the registry records it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProverView {
    pub address: Address,
    pub stake: U256,
    pub locked: U256,
    pub max_concurrent: u16,
    pub active_assignments: u16,
    /// Slots its capacity holders (a tree's locked ranges) report: with the assignments, its load.
    pub held_capacity: u64,
    pub hardware_class: u8,
    pub completed: u64,
    pub missed: u64,
    pub slashed_count: u64,
    pub slashed_amount: U256,
}

/// A task as the registry records it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    pub id: u64,
    pub status: String,
    pub circuit: String,
    pub mechanism: String,
    pub requester: Address,
    pub max_payment: U256,
    pub paid: U256,
    pub deadline: u64,
    pub proofs: String,
}

/// The rollup's progress.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RollupView {
    pub proven_block: u64,
    pub pending_block: u64,
    pub reward_pool: U256,
}

/// Everything `status` shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub chain_id: u64,
    pub head_block: u64,
    pub addresses: Addresses,
    pub provers: Vec<ProverView>,
    pub task_count: u64,
    pub tasks: Vec<TaskView>,
    pub rollup: Option<RollupView>,
    /// The one-word task market (when the deployment has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<ledger::LedgerView>,
}

fn err(what: &str, e: &alloy::contract::Error) -> eyre::Report {
    eyre::eyre!("{what}: {}", describe_contract_error(e))
}

fn circuit_name(id: alloy::primitives::B256) -> String {
    proofmarket_circuits::circuits::CircuitKind::from_id(id)
        .map_or_else(|| format!("{id}"), |k| k.name().to_string())
}

fn mechanism_name(addresses: &Addresses, mechanism: Address) -> String {
    addresses
        .mechanisms
        .iter()
        .find(|(_, a)| **a == mechanism)
        .map_or_else(|| mechanism.to_string(), |(name, _)| name.clone())
}

/// Reads the status from chain.
pub async fn collect(
    provider: &ChainProvider,
    addresses: &Addresses,
    max_tasks: u64,
) -> eyre::Result<Status> {
    use alloy::providers::Provider;
    let head_block = provider.get_block_number().await?;
    let chain_id = provider.get_chain_id().await?;
    let registry = ProverRegistry::new(addresses.prover_registry, provider);
    let count = registry
        .proverCount()
        .call()
        .await
        .map_err(|e| err("proverCount", &e))?;
    let mut provers = Vec::new();
    for index in 0..count.to::<u64>() {
        let address = registry
            .proverAt(U256::from(index))
            .call()
            .await
            .map_err(|e| err("proverAt", &e))?;
        let p = registry
            .proverOf(address)
            .call()
            .await
            .map_err(|e| err("proverOf", &e))?;
        let r = registry
            .recordOf(address)
            .call()
            .await
            .map_err(|e| err("recordOf", &e))?;
        let held = registry
            .heldCapacityOf(address)
            .call()
            .await
            .map_err(|e| err("heldCapacityOf", &e))?;
        provers.push(ProverView {
            address,
            stake: U256::from(p.stake),
            locked: U256::from(p.locked),
            max_concurrent: p.maxConcurrent,
            active_assignments: p.activeAssignments,
            held_capacity: held.saturating_to(),
            hardware_class: p.hardwareClass,
            completed: r.completed,
            missed: r.missed,
            slashed_count: r.slashedCount,
            slashed_amount: U256::from(r.slashedAmount),
        });
    }
    let tasks_contract = TaskRegistry::new(addresses.task_registry, provider);
    let task_count = tasks_contract
        .taskCount()
        .call()
        .await
        .map_err(|e| err("taskCount", &e))?
        .to::<u64>();
    let mut tasks = Vec::new();
    let first = task_count.saturating_sub(max_tasks) + 1;
    for id in (first..=task_count).rev() {
        let t = tasks_contract
            .taskOf(U256::from(id))
            .call()
            .await
            .map_err(|e| err("taskOf", &e))?;
        tasks.push(TaskView {
            id,
            status: TASK_STATUS
                .get(t.status as usize)
                .copied()
                .unwrap_or("unknown")
                .to_string(),
            circuit: circuit_name(t.circuitId),
            mechanism: mechanism_name(addresses, t.mechanism),
            requester: t.requester,
            max_payment: U256::from(t.maxPayment),
            paid: U256::from(t.paid),
            deadline: t.deadline,
            proofs: format!("{}/{}", t.proofsAccepted, t.redundancy),
        });
    }
    // Open and assigned tasks first, then the rest, newest first within each group.
    tasks.sort_by_key(|t| !(t.status == "open" || t.status == "assigned"));
    let rollup = match addresses.rollup {
        None => None,
        Some(address) => {
            let rollup = Rollup::new(address, provider);
            let proven = rollup
                .provenTip()
                .call()
                .await
                .map_err(|e| err("provenTip", &e))?;
            let pending = rollup
                .pendingTip()
                .call()
                .await
                .map_err(|e| err("pendingTip", &e))?;
            let pool = rollup
                .rewardPool()
                .call()
                .await
                .map_err(|e| err("rewardPool", &e))?;
            Some(RollupView {
                proven_block: proven.number,
                pending_block: pending.number,
                reward_pool: pool,
            })
        }
    };
    let ledger = match &addresses.ledger {
        None => None,
        Some(l) => {
            let now = crate::ledger::chain_time(provider).await?;
            Some(ledger::collect(provider, l, now).await?)
        }
    };
    Ok(Status {
        chain_id,
        head_block,
        addresses: addresses.clone(),
        provers,
        task_count,
        tasks,
        rollup,
        ledger,
    })
}

/// Formats token base units as tokens with up to 4 decimals.
pub fn tokens(amount: U256) -> String {
    let unit = U256::from(crate::deploy::TOKEN);
    let whole = amount / unit;
    let frac = (amount % unit) / U256::from(100_000_000_000_000u64);
    if frac.is_zero() {
        format!("{whole}")
    } else {
        format!("{whole}.{:04}", frac.to::<u64>())
    }
}

/// Renders the human-readable report.
pub fn render(status: &Status) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let a = &status.addresses;
    let _ = writeln!(
        out,
        "chain {} at block {}",
        status.chain_id, status.head_block
    );
    for (label, address) in a.labelled() {
        let _ = writeln!(out, "  {label:<22} {address}");
    }
    let _ = writeln!(out, "\nprovers ({})", status.provers.len());
    let _ = writeln!(
        out,
        "  {:<42} {:>12} {:>10} {:>9} {:>6} {:>6} {:>8}",
        "address", "stake", "locked", "load/cap", "done", "missed", "slashed"
    );
    for p in &status.provers {
        let _ = writeln!(
            out,
            "  {:<42} {:>12} {:>10} {:>9} {:>6} {:>6} {:>8}",
            p.address.to_string(),
            tokens(p.stake),
            tokens(p.locked),
            format!(
                "{}/{}",
                u64::from(p.active_assignments) + p.held_capacity,
                p.max_concurrent
            ),
            p.completed,
            p.missed,
            p.slashed_count
        );
    }
    let _ = writeln!(
        out,
        "\ntasks ({} total, latest {} shown)",
        status.task_count,
        status.tasks.len()
    );
    let _ = writeln!(
        out,
        "  {:>5} {:<10} {:<8} {:<12} {:>10} {:>10} {:>7} {:>12}",
        "id", "status", "circuit", "mechanism", "max", "paid", "proofs", "deadline"
    );
    for t in &status.tasks {
        let _ = writeln!(
            out,
            "  {:>5} {:<10} {:<8} {:<12} {:>10} {:>10} {:>7} {:>12}",
            t.id,
            t.status,
            t.circuit,
            t.mechanism,
            tokens(t.max_payment),
            tokens(t.paid),
            t.proofs,
            t.deadline
        );
    }
    if let Some(r) = &status.rollup {
        let _ = writeln!(
            out,
            "\nrollup: last proven block {}, pending tip {}, reward pool {} tokens",
            r.proven_block,
            r.pending_block,
            tokens(r.reward_pool)
        );
    }
    if let Some(l) = &status.ledger {
        ledger::render(&mut out, l);
    }
    out
}

/// Runs `proofmarket status`.
pub async fn run(args: StatusArgs) -> eyre::Result<()> {
    let chain = ChainConfig::default().resolve(&args.chain)?;
    let provider = crate::chain::connect_checked(&chain, None).await?;
    let status = collect(&provider, &chain.addresses, args.tasks).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render(&status));
    }
    Ok(())
}
