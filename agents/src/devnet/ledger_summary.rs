//! What `proofmarket devnet --ledger` reports, read back from L1 before anvil stops: per block the
//! ledger mechanism its root task went through and why (pinned, or the `LedgerMechanismRouter`'s
//! scores and skips from its `TaskRouted` event), who was assigned it (a lock, a match, a winning
//! bid), who proved it and what the ledger credited them (`ProofAccepted`), the sequencer's reward
//! (`BlockFinalized`); per prover its totals (ledger balance, stake in the ledger's registry); the
//! LedgerRollup's proven tip. And the table it prints.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use eyre::WrapErr;
use proofmarket_bindings::TaskLedger::LedgerTask;
use proofmarket_bindings::{LedgerMechanismRouter, LedgerRollup, ProverRegistry, TaskLedger};

use super::shared::{PROVER_STAKE, name_in, short, short_root, tokens};
use crate::chain::ChainProvider;
use crate::chain::addresses::{Addresses, LedgerAddresses};
use crate::deploy::{LEDGER_INSTANCES, devnet_genesis_root};
use crate::ledger::race::RaceTerms;
use crate::sequencer::route;
use crate::store::Store;

/// One accepted root proof of a block.
#[derive(Debug, Clone)]
pub struct LedgerProof {
    pub prover: Address,
    /// Credited to the prover's ledger balance (`ProofAccepted.credited`: the payment, plus the
    /// cover bounty on the fulfilling proof).
    pub credited: U256,
    /// The slot's unpaid part, credited back to the requester (the LedgerRollup).
    pub refunded: U256,
    /// Gas of the `submitProof` transaction.
    pub gas_used: u64,
    /// Timestamp of the L1 block that accepted it (what a race's decay is evaluated at).
    pub accepted_at: u64,
}

/// A prover the task's mechanism assigned it to (`ProverAssigned`: a lock, a match, a won auction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerAssignment {
    pub prover: Address,
    pub price: U256,
    pub collateral: U256,
}

/// What happened to one block on the ledger.
#[derive(Debug, Clone)]
pub struct LedgerBlockSummary {
    pub number: u64,
    pub txs: usize,
    /// The root task (`requester << 96 | nonce`).
    pub task_id: U256,
    /// The ledger instance's name (`race`), or its address when unknown.
    pub mechanism: String,
    /// Why the task went there: pinned, or the router's winning score against the runner-up and
    /// the instances it skipped.
    pub why: String,
    /// The task as last opened (`TaskCreated`, or a reopen's `TaskReopened`): its budget, window
    /// and mechanism state.
    pub task: LedgerTask,
    pub assignments: Vec<LedgerAssignment>,
    pub proofs: Vec<LedgerProof>,
    /// Gas of `postBlockAndRequestProof`.
    pub post_gas: u64,
    pub state_root: B256,
    /// What the LedgerRollup credited the sequencer when the block was finalised.
    pub sequencer_reward: U256,
}

/// One prover's totals on the ledger.
#[derive(Debug, Clone)]
pub struct LedgerProverSummary {
    pub address: Address,
    /// Blocks whose root proof it got accepted.
    pub blocks_won: Vec<u64>,
    /// Sum of what the ledger credited it for them.
    pub paid: U256,
    /// Its ledger balance at the end (`TaskLedger.balanceOf`).
    pub balance: U256,
    /// Its stake in the ledger's ProverRegistry at the end, and the record's slashes.
    pub stake: U256,
    pub slashed_count: u64,
}

/// The ledger race's terms and the LedgerRollup's reward split, as deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerTerms {
    /// The `LedgerProofRace` (`RaceTerms::payment_at` is its `paymentAt`).
    pub race: RaceTerms,
    /// `LedgerRollup.config().blockReward`, `.sequencerShareBps`.
    pub block_reward: U256,
    pub sequencer_share_bps: u16,
    /// The stake each devnet prover registers with.
    pub prover_stake: U256,
}

/// The ledger devnet's result.
#[derive(Debug, Clone)]
pub struct LedgerDevnetSummary {
    pub genesis_root: B256,
    /// The LedgerRollup's proven tip at the end (number, state root).
    pub proven_tip: (u64, B256),
    pub blocks: Vec<LedgerBlockSummary>,
    pub provers: Vec<LedgerProverSummary>,
    pub terms: LedgerTerms,
    /// The sequencer and its claimable balance in the LedgerRollup at the end.
    pub sequencer: Address,
    pub sequencer_claimable: U256,
    /// From the provers' start to the last block finalized.
    pub proving_wall: Duration,
    pub total_wall: Duration,
}

/// Every log of `address` with `signature` since the deployment.
async fn logs_of(
    admin: &ChainProvider,
    address: Address,
    signature: B256,
    from_block: u64,
    what: &'static str,
) -> eyre::Result<Vec<Log>> {
    admin
        .get_logs(
            &Filter::new()
                .address(address)
                .event_signature(signature)
                .from_block(from_block),
        )
        .await
        .wrap_err(what)
}

async fn gas_of(admin: &ChainProvider, log: &Log) -> eyre::Result<u64> {
    Ok(match log.transaction_hash {
        Some(hash) => admin
            .get_transaction_receipt(hash)
            .await?
            .map(|r| r.gas_used)
            .unwrap_or_default(),
        None => 0,
    })
}

async fn timestamp_of(admin: &ChainProvider, log: &Log) -> eyre::Result<u64> {
    Ok(match log.block_number {
        Some(n) => admin
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Number(n))
            .await?
            .map(|b| b.header.timestamp)
            .unwrap_or_default(),
        None => 0,
    })
}

/// Why each routed task went where it did (pinned tasks go straight to their instance: no event).
async fn routing(
    admin: &ChainProvider,
    market: &LedgerAddresses,
    from_block: u64,
) -> eyre::Result<BTreeMap<U256, String>> {
    let names: Vec<String> = LEDGER_INSTANCES.iter().map(|s| s.to_string()).collect();
    let mut why_of = BTreeMap::new();
    for log in logs_of(
        admin,
        market.router,
        LedgerMechanismRouter::TaskRouted::SIGNATURE_HASH,
        from_block,
        "eth_getLogs (ledger router)",
    )
    .await?
    {
        let d = log
            .log_decode::<LedgerMechanismRouter::TaskRouted>()?
            .inner
            .data;
        let chosen = usize::try_from(d.instanceId).unwrap_or(usize::MAX);
        let mut why = route::explain_routing(d.pinned, chosen, &d.scores, &names);
        if let Some(skipped) = route::explain_skips(&d.reasons, &names) {
            why = format!("{why}; skipped {skipped}");
        }
        why_of.insert(d.taskId, why);
    }
    Ok(why_of)
}

/// Reads the L1 record of every block (`tasks`: block → root task) into the summary.
pub(super) async fn collect(
    admin: &ChainProvider,
    addresses: &Addresses,
    seq_store: &Store,
    tasks: &BTreeMap<u64, U256>,
    provers: &[Address],
    proving_wall: Duration,
    started: Instant,
) -> eyre::Result<LedgerDevnetSummary> {
    let market = addresses
        .ledger
        .as_ref()
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no one-word market"))?;
    let rollup_address = market
        .rollup
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no LedgerRollup"))?;
    let from = addresses.deployed_block;

    // The ledger's record of each task: as opened, assigned, proven.
    let ledger_logs = admin
        .get_logs(&Filter::new().address(market.ledger).from_block(from))
        .await
        .wrap_err("eth_getLogs (ledger)")?;
    let mut opened: BTreeMap<U256, (Address, LedgerTask)> = BTreeMap::new();
    let mut assigned: BTreeMap<U256, Vec<LedgerAssignment>> = BTreeMap::new();
    let mut accepted: BTreeMap<U256, Vec<LedgerProof>> = BTreeMap::new();
    for log in &ledger_logs {
        match log.topic0() {
            Some(t) if *t == TaskLedger::TaskCreated::SIGNATURE_HASH => {
                let d = log.log_decode::<TaskLedger::TaskCreated>()?.inner.data;
                opened.insert(d.taskId, (d.mechanism, d.task));
            }
            Some(t) if *t == TaskLedger::TaskReopened::SIGNATURE_HASH => {
                let d = log.log_decode::<TaskLedger::TaskReopened>()?.inner.data;
                opened.insert(d.taskId, (d.mechanism, d.task));
            }
            Some(t) if *t == TaskLedger::ProverAssigned::SIGNATURE_HASH => {
                let d = log.log_decode::<TaskLedger::ProverAssigned>()?.inner.data;
                assigned
                    .entry(d.taskId)
                    .or_default()
                    .push(LedgerAssignment {
                        prover: d.prover,
                        price: U256::from(d.price),
                        collateral: U256::from(d.collateral),
                    });
            }
            Some(t) if *t == TaskLedger::ProofAccepted::SIGNATURE_HASH => {
                let d = log.log_decode::<TaskLedger::ProofAccepted>()?.inner.data;
                accepted.entry(d.taskId).or_default().push(LedgerProof {
                    prover: d.prover,
                    credited: d.credited,
                    refunded: d.refunded,
                    gas_used: gas_of(admin, log).await?,
                    accepted_at: timestamp_of(admin, log).await?,
                });
            }
            _ => {}
        }
    }
    let mut why_of = routing(admin, market, from).await?;

    // The sequencer's reward per finalised block, and the sequencer as L1 credited it.
    let mut finalized_reward: BTreeMap<u64, U256> = BTreeMap::new();
    let mut sequencer = Address::ZERO;
    for log in logs_of(
        admin,
        rollup_address,
        LedgerRollup::BlockFinalized::SIGNATURE_HASH,
        from,
        "eth_getLogs (LedgerRollup)",
    )
    .await?
    {
        let d = log.log_decode::<LedgerRollup::BlockFinalized>()?.inner.data;
        sequencer = d.sequencer;
        finalized_reward.insert(d.number, U256::from(d.sequencerReward));
    }

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
        let (mechanism, task) = opened.remove(&task_id).ok_or_else(|| {
            eyre::eyre!("block {number}'s root task {task_id:#x} has no TaskCreated")
        })?;
        blocks.push(LedgerBlockSummary {
            number,
            txs: body.tx_hashes.len(),
            task_id,
            mechanism: name_in(&market.mechanisms, mechanism),
            why: why_of
                .remove(&task_id)
                .unwrap_or_else(|| "pinned by the sequencer".into()),
            task,
            assignments: assigned.remove(&task_id).unwrap_or_default(),
            proofs: accepted.remove(&task_id).unwrap_or_default(),
            post_gas,
            state_root: body.new_state_root,
            sequencer_reward: finalized_reward.get(&number).copied().unwrap_or_default(),
        });
    }

    let ledger = TaskLedger::new(market.ledger, admin);
    let registry = ProverRegistry::new(market.prover_registry, admin);
    let mut prover_summaries = Vec::new();
    for &address in provers {
        let mut blocks_won = Vec::new();
        let mut paid = U256::ZERO;
        for block in &blocks {
            for proof in block.proofs.iter().filter(|p| p.prover == address) {
                blocks_won.push(block.number);
                paid += proof.credited;
            }
        }
        prover_summaries.push(LedgerProverSummary {
            address,
            blocks_won,
            paid,
            balance: ledger
                .balanceOf(address)
                .call()
                .await
                .wrap_err("TaskLedger.balanceOf")?,
            stake: U256::from(
                registry
                    .proverOf(address)
                    .call()
                    .await
                    .wrap_err("ProverRegistry.proverOf (the ledger's)")?
                    .stake,
            ),
            slashed_count: registry
                .recordOf(address)
                .call()
                .await
                .wrap_err("ProverRegistry.recordOf (the ledger's)")?
                .slashedCount,
        });
    }

    let rollup = LedgerRollup::new(rollup_address, admin);
    let tip = rollup
        .provenTip()
        .call()
        .await
        .wrap_err("LedgerRollup.provenTip")?;
    let config = rollup
        .config()
        .call()
        .await
        .wrap_err("LedgerRollup.config")?;
    let race = market
        .mechanisms
        .get("race")
        .copied()
        .ok_or_else(|| eyre::eyre!("the ledger deployment has no race"))?;
    let terms = LedgerTerms {
        race: RaceTerms::read(admin, race).await?,
        block_reward: U256::from(config.blockReward),
        sequencer_share_bps: config.sequencerShareBps,
        prover_stake: U256::from(PROVER_STAKE),
    };
    let sequencer_claimable = rollup
        .claimable(sequencer)
        .call()
        .await
        .wrap_err("LedgerRollup.claimable")?;
    Ok(LedgerDevnetSummary {
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

/// The summary as printed: one row per block, then one per prover.
pub fn render(summary: &LedgerDevnetSummary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\none-word market (TaskLedger, LedgerRollup)\n{:>5}  {:>3}  {:<14}  {:<14}  {:<14}  {:>9}  {:>9}  {:>10}  {:>10}  {:<20}  why",
        "block",
        "txs",
        "task",
        "mechanism",
        "prover(s)",
        "post gas",
        "proof gas",
        "paid",
        "seq reward",
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
        let paid: U256 = b.proofs.iter().map(|p| p.credited).sum();
        let mut why = b.why.clone();
        for a in &b.assignments {
            let _ = write!(
                why,
                "; assigned to {} at {} ({} collateral)",
                short(a.prover),
                tokens(a.price),
                tokens(a.collateral)
            );
        }
        let _ = writeln!(
            out,
            "{:>5}  {:>3}  {:<14}  {:<14}  {:<14}  {:>9}  {:>9}  {:>10}  {:>10}  {:<20}  {}",
            b.number,
            b.txs,
            short_task(b.task_id),
            b.mechanism,
            provers,
            b.post_gas,
            proof_gas,
            tokens(paid),
            tokens(b.sequencer_reward),
            short_root(b.state_root),
            why
        );
    }
    let _ = writeln!(
        out,
        "\n{:<42}  {:<12}  {:>10}  {:>14}  {:>12}",
        "prover", "blocks won", "paid", "ledger balance", "ledger stake"
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
            "{:<42}  {:<12}  {:>10}  {:>14}  {:>12}",
            p.address.to_string(),
            won,
            tokens(p.paid),
            tokens(p.balance),
            tokens(p.stake)
        );
    }
    let _ = writeln!(
        out,
        "\nsequencer    {} claimable {} in the LedgerRollup\ngenesis root {}\nproven tip   block {} root {}\nproving {:.1} s, total {:.1} s (paid amounts in tokens)",
        summary.sequencer,
        tokens(summary.sequencer_claimable),
        summary.genesis_root,
        summary.proven_tip.0,
        summary.proven_tip.1,
        summary.proving_wall.as_secs_f64(),
        summary.total_wall.as_secs_f64()
    );
    out
}

/// A ledger task id (`requester << 96 | nonce`) as its requester's tail and its nonce: `…a3f2#1`.
fn short_task(id: U256) -> String {
    let hex = format!("{:x}", id >> 96);
    let nonce = id & ((U256::from(1u8) << 96) - U256::from(1u8));
    format!("…{}#{nonce}", &hex[hex.len().saturating_sub(4)..])
}
