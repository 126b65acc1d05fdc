//! The sequencer's L1 side: the block poster (build by size or time, post to the Rollup, which opens
//! the block's root-proof task with the Rollup's QoS profile) and the follower (tracks each block to
//! proven and finalised, finalises proven blocks in order, prunes a block whose proof window closed,
//! and rolls the L2 back when L1 prunes).

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolCall, SolValue};
use proofmarket_bindings::rollup::IRollup::BlockHeader;
use proofmarket_bindings::{LedgerRollup, Rollup};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;

use super::node::{BlockBody, L2Node, status};
use crate::chain::ChainProvider;
use crate::chain::events::EventKind;
use crate::chain::monitor::{MonitorMessage, mark_processed};
use crate::chain::submitter::{SubmitError, Submitter};
use crate::ledger::call::{as_binding, task_as};
use crate::ledger::sync::rebuild_task;
use crate::store::Store;
use crate::supervisor::Service;

const HEADER_NS: &str = "rollup-header";

/// A block header as kept in the store (the Rollup keeps only its hash; callers re-supply it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredHeader {
    pub number: u64,
    pub posted_at: u64,
    pub proof_deadline: u64,
    pub sequencer: Address,
    pub prev_state_root: B256,
    pub new_state_root: B256,
    pub txs_commitment: B256,
    pub txs_data_hash: B256,
    pub task_id: U256,
    pub sequencer_reward: U256,
}

impl StoredHeader {
    fn from_abi(h: &BlockHeader) -> Self {
        Self {
            number: h.number,
            posted_at: h.postedAt,
            proof_deadline: h.proofDeadline,
            sequencer: h.sequencer,
            prev_state_root: h.prevStateRoot,
            new_state_root: h.newStateRoot,
            txs_commitment: h.txsCommitment,
            txs_data_hash: h.txsDataHash,
            task_id: h.taskId,
            sequencer_reward: U256::from(h.sequencerReward),
        }
    }

    fn to_abi(&self) -> BlockHeader {
        BlockHeader {
            number: self.number,
            postedAt: self.posted_at,
            proofDeadline: self.proof_deadline,
            sequencer: self.sequencer,
            prevStateRoot: self.prev_state_root,
            newStateRoot: self.new_state_root,
            txsCommitment: self.txs_commitment,
            txsDataHash: self.txs_data_hash,
            taskId: self.task_id,
            sequencerReward: alloy::primitives::Uint::<96, 2>::saturating_from(
                self.sequencer_reward,
            ),
        }
    }
}

fn load_header(store: &Store, number: u64) -> eyre::Result<Option<StoredHeader>> {
    Ok(match store.kv_get(HEADER_NS, &number.to_string())? {
        Some(json) => Some(serde_json::from_str(&json)?),
        None => None,
    })
}

/// Block `number`'s root task, from its stored header (the row's 64-bit task column cannot hold a
/// ledger task id, `requester << 96 | nonce`); `None` until its proof was requested.
pub fn root_task_id(store: &Store, number: u64) -> eyre::Result<Option<U256>> {
    Ok(load_header(store, number)?
        .map(|h| h.task_id)
        .filter(|id| !id.is_zero()))
}

fn save_header(store: &Store, header: &StoredHeader) -> eyre::Result<()> {
    store.kv_set(
        HEADER_NS,
        &header.number.to_string(),
        &serde_json::to_string(header)?,
    )?;
    Ok(())
}

/// Block building policy.
#[derive(Debug, Clone, Copy)]
pub struct BuildPolicy {
    /// Build as soon as this many transfers are queued.
    pub max_block_txs: usize,
    /// Build whatever is queued once this long has passed since the last block.
    pub block_interval: Duration,
}

/// Builds and posts blocks.
#[derive(Clone)]
pub struct BlockPoster {
    pub node: L2Node,
    pub submitter: Submitter,
    pub rollup: Address,
    pub policy: BuildPolicy,
}

impl BlockPoster {
    /// Posts every built-but-unposted block in order; stops at the first that cannot be posted yet.
    pub async fn post_pending(&self) -> eyre::Result<()> {
        let store = self.node.store().clone();
        for row in store
            .blocks()?
            .into_iter()
            .filter(|b| b.status == status::BUILT)
        {
            let body: BlockBody = serde_json::from_str(&row.body)?;
            let call = Rollup::postBlockAndRequestProofCall {
                number: body.number,
                prevStateRoot: body.prev_state_root,
                newStateRoot: body.new_state_root,
                txsCommitment: body.txs_commitment,
                txs: body.txs.clone(),
            };
            // The key names the block's content and the posting epoch: a block rebuilt after a
            // prune is a new intent even with the same number and content (its transfers are
            // requeued in order, so it usually has both).
            let epoch = self.node.post_epoch()?;
            let key = if epoch == 0 {
                format!("post-block:{}:{}", body.number, body.new_state_root)
            } else {
                format!(
                    "post-block:{}:{}:e{epoch}",
                    body.number, body.new_state_root
                )
            };
            let sent = self
                .submitter
                .send(
                    "postBlockAndRequestProof",
                    Some(&key),
                    None,
                    self.rollup,
                    call.abi_encode().into(),
                    U256::ZERO,
                )
                .await;
            let sent = match sent {
                Ok(sent) => sent,
                Err(SubmitError::WouldRevert { revert, .. }) => {
                    // PendingChainFull / InsufficientRewardPool drain over time; a parent mismatch
                    // means L1 pruned and the follower will roll us back. Retry on the next tick.
                    tracing::warn!(block = body.number, %revert, "block not postable yet");
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            let mut header = None;
            let mut task_id = None;
            for log in sent.receipt.inner.logs() {
                if log.address() != self.rollup {
                    continue;
                }
                if let Ok(posted) = log.log_decode::<Rollup::BlockPosted>() {
                    header = Some(StoredHeader::from_abi(&posted.inner.data.header));
                } else if let Ok(requested) = log.log_decode::<Rollup::BlockProofRequested>() {
                    let e = &requested.inner.data;
                    task_id = Some(e.taskId);
                    if let Some(h) = header.as_mut() {
                        h.task_id = e.taskId;
                        h.sequencer_reward = U256::from(e.sequencerReward);
                    }
                }
            }
            let header = header.ok_or_else(|| {
                eyre::eyre!("block {} posted without a BlockPosted event", body.number)
            })?;
            save_header(&store, &header)?;
            let task = task_id.and_then(|t| u64::try_from(t).ok());
            store.update_block(body.number, status::POSTED, Some(sent.tx_hash), task)?;
            crate::metrics::l2_block("posted");
            tracing::info!(block = body.number, task = ?task, tx = %sent.tx_hash, gas = sent.gas_used, "block posted; proof requested");
        }
        Ok(())
    }
}

impl Service for BlockPoster {
    fn name(&self) -> &'static str {
        "block-poster"
    }

    async fn run(self, shutdown: CancellationToken) -> eyre::Result<()> {
        // Whatever a previous life built but did not post goes first.
        self.post_pending().await?;
        let mut last_build = tokio::time::Instant::now();
        let tick = Duration::from_millis(100).min(self.policy.block_interval);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(tick) => {}
            }
            let queued = self.node.mempool_len()?;
            let due = last_build.elapsed() >= self.policy.block_interval;
            if queued == 0 || (queued < self.policy.max_block_txs && !due) {
                continue;
            }
            if let Some(block) = self.node.build_block(self.policy.max_block_txs)? {
                last_build = tokio::time::Instant::now();
                tracing::info!(
                    block = block.body.number,
                    txs = block.body.tx_hashes.len(),
                    "block built"
                );
            }
            // Drain phase: a cancelled token still lets the post in flight finish (the submitter
            // persisted it before broadcasting, so even an abort is resumed safely).
            self.post_pending().await?;
        }
    }
}

/// Where the Rollup opens its blocks' root tasks. The two rollups share their posting, finalising
/// and event ABI (a `LedgerRollup` emits the stored Rollup's events with the same signatures, so one
/// follower reads both); only `prune` differs: a `LedgerRollup` must be handed each pending block's
/// root task in its current version, which only the ledger's logs hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootTasks {
    /// The stored `Rollup`: root tasks in the TaskRegistry.
    Registry,
    /// A `LedgerRollup` over this TaskLedger; its logs are read from `from_block` (the deployment's).
    Ledger { ledger: Address, from_block: u64 },
}

/// Blocks per `eth_getLogs` when a root task is rebuilt from the ledger's logs.
const LEDGER_LOG_CHUNK: u64 = 5_000;

/// Follows the Rollup's events for our blocks.
#[derive(Clone)]
pub struct RollupFollower {
    pub node: L2Node,
    pub submitter: Submitter,
    pub provider: ChainProvider,
    pub rollup: Address,
    pub root_tasks: RootTasks,
    pub reorg_depth: u64,
    pub events: Arc<Mutex<mpsc::Receiver<MonitorMessage>>>,
}

impl RollupFollower {
    fn store(&self) -> &Store {
        self.node.store()
    }

    async fn handle(&self, kind: &EventKind) -> eyre::Result<()> {
        let store = self.store();
        match kind {
            EventKind::BlockProofRequested(e) => {
                if let Ok(task) = u64::try_from(e.taskId)
                    && let Some(row) = store.block(e.number)?
                    && (row.status == status::BUILT || row.status == status::POSTED)
                {
                    store.update_block(e.number, status::POSTED, None, Some(task))?;
                }
            }
            EventKind::RootTaskFulfilled(e) => {
                if let Some(number) = self.posted_block_of_task(e.taskId)? {
                    store.update_block(number, status::PROVEN, None, None)?;
                    crate::metrics::l2_block("proven");
                    tracing::info!(block = number, task = %e.taskId, prover = %e.lastProver, "block proven");
                }
                self.finalize_proven().await?;
            }
            EventKind::BlockFinalized(e) => {
                if let Some(row) = store.block(e.number)?
                    && row.status != status::FINALIZED
                {
                    store.update_block(e.number, status::FINALIZED, None, None)?;
                    crate::metrics::l2_block("finalized");
                    tracing::info!(block = e.number, state_root = %e.stateRoot, "block finalized on L1");
                }
            }
            EventKind::BlocksPruned(e) if store.block(e.fromBlock)?.is_some() => {
                let requeued = self.node.rollback(e.fromBlock)?;
                crate::metrics::l2_block("pruned");
                tracing::warn!(
                    from = e.fromBlock,
                    to = e.toBlock,
                    requeued,
                    "L1 pruned blocks; L2 rolled back"
                );
            }
            _ => {}
        }
        Ok(())
    }

    /// The posted (not yet proven) block whose root task is `task_id`, by the stored headers: a
    /// ledger task id (`requester << 96 | nonce`) does not fit the block row's 64-bit task column.
    fn posted_block_of_task(&self, task_id: U256) -> eyre::Result<Option<u64>> {
        for row in self.store().blocks()? {
            if row.status == status::POSTED
                && load_header(self.store(), row.number)?.is_some_and(|h| h.task_id == task_id)
            {
                return Ok(Some(row.number));
            }
        }
        Ok(None)
    }

    /// Finalises the proven prefix of the pending chain (anyone may; the sequencer does it for its
    /// reward and so that the proven root advances).
    pub async fn finalize_proven(&self) -> eyre::Result<()> {
        let rollup = Rollup::new(self.rollup, &self.provider);
        let proven_tip = rollup
            .provenTip()
            .call()
            .await
            .map_err(|e| eyre::eyre!(crate::chain::revert::describe_contract_error(&e)))?
            .number;
        let mut headers = Vec::new();
        let mut next = proven_tip + 1;
        while let Some(row) = self.store().block(next)? {
            if row.status != status::PROVEN {
                break;
            }
            let Some(header) = load_header(self.store(), next)? else {
                break;
            };
            headers.push(header.to_abi());
            next += 1;
        }
        if headers.is_empty() {
            return Ok(());
        }
        let key = format!("finalize:{}-{}", proven_tip + 1, next - 1);
        let call = Rollup::finalizeCall { headers };
        match self
            .submitter
            .send(
                "finalize",
                Some(&key),
                None,
                self.rollup,
                call.abi_encode().into(),
                U256::ZERO,
            )
            .await
        {
            Ok(_) => Ok(()),
            // Someone else finalised first: the BlockFinalized events will tell us.
            Err(SubmitError::WouldRevert { revert, .. }) => {
                tracing::debug!(%revert, "finalize not needed");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Prunes when the first pending block's proof window has closed without a proof.
    pub async fn prune_if_overdue(&self) -> eyre::Result<()> {
        let rollup = Rollup::new(self.rollup, &self.provider);
        let proven_tip = rollup
            .provenTip()
            .call()
            .await
            .map_err(|e| eyre::eyre!(crate::chain::revert::describe_contract_error(&e)))?
            .number;
        let pending: Vec<_> = self
            .store()
            .blocks()?
            .into_iter()
            .filter(|b| b.number > proven_tip && b.status != status::BUILT)
            .collect();
        let Some(first) = pending.first() else {
            return Ok(());
        };
        let Some(first_header) = load_header(self.store(), first.number)? else {
            return Ok(());
        };
        let now = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .map(|b| b.header.timestamp)
            .unwrap_or_default();
        if now <= first_header.proof_deadline || first.status == status::PROVEN {
            return Ok(());
        }
        let mut headers = Vec::new();
        for row in &pending {
            match load_header(self.store(), row.number)? {
                Some(h) => headers.push(h.to_abi()),
                None => return Ok(()),
            }
        }
        let key = format!("prune:{}:{}", first.number, first_header.posted_at);
        let calldata = match self.root_tasks {
            RootTasks::Registry => Rollup::pruneCall { pending: headers }.abi_encode(),
            RootTasks::Ledger { ledger, from_block } => {
                ledger_prune_call(&self.provider, ledger, from_block, &headers)
                    .await?
                    .abi_encode()
            }
        };
        match self
            .submitter
            .send(
                "prune",
                Some(&key),
                None,
                self.rollup,
                calldata.into(),
                U256::ZERO,
            )
            .await
        {
            Ok(sent) => {
                tracing::warn!(block = first.number, tx = %sent.tx_hash, "proof window closed: pruned");
                Ok(())
            }
            Err(SubmitError::WouldRevert { revert, .. }) => {
                tracing::debug!(%revert, "prune not possible");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// A `LedgerRollup.prune` of `headers`: each pending block's root task in its current version,
/// rebuilt from the ledger's logs (a block without a task, or whose task has ended, passes an empty
/// one, which the Rollup does not read).
async fn ledger_prune_call(
    provider: &ChainProvider,
    ledger: Address,
    from_block: u64,
    headers: &[BlockHeader],
) -> eyre::Result<LedgerRollup::pruneCall> {
    let head = provider.get_block_number().await?;
    let mut tasks = Vec::with_capacity(headers.len());
    for header in headers {
        let live = if header.taskId.is_zero() {
            None
        } else {
            rebuild_task(
                provider,
                ledger,
                header.taskId,
                from_block,
                head,
                LEDGER_LOG_CHUNK,
            )
            .await?
            .filter(|t| t.is_live())
        };
        tasks.push(live.map_or_else(empty_task, |t| task_as(&t.task)));
    }
    Ok(LedgerRollup::pruneCall {
        pending: headers.iter().map(as_binding).collect(),
        tasks,
    })
}

/// The all-zero `LedgerTask` (its 17 static fields), passed for a block whose root task is not live.
fn empty_task() -> LedgerRollup::LedgerTask {
    <LedgerRollup::LedgerTask as SolValue>::abi_decode(&[0u8; 17 * 32])
        .expect("17 zero words decode as a LedgerTask")
}

impl Service for RollupFollower {
    fn name(&self) -> &'static str {
        "rollup-follower"
    }

    async fn run(self, shutdown: CancellationToken) -> eyre::Result<()> {
        let mut events = self.events.lock().await;
        loop {
            let message = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                m = events.recv() => m,
            };
            let Some(message) = message else {
                return Ok(());
            };
            match message {
                MonitorMessage::Event(event) => {
                    if event.meta.address != self.rollup {
                        continue;
                    }
                    if !matches!(event.kind, EventKind::Other) {
                        self.handle(&event.kind).await?;
                    }
                    mark_processed(self.store(), &event)?;
                }
                MonitorMessage::Checkpoint(checkpoint) => {
                    checkpoint.commit(self.store(), self.reorg_depth)?;
                    if checkpoint.caught_up() {
                        self.finalize_proven().await?;
                        self.prune_if_overdue().await?;
                    }
                }
            }
        }
    }
}
