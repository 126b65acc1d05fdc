//! The statements of the LedgerRollup's root tasks: a [`ProofSource`] that proves a posted rollup
//! block's root proof for a [`super::runner::LedgerProver`] (docs/agents.md, "The ledger runner").
//!
//! [`RollupSource::learn`] reads the LedgerRollup's `BlockPosted` logs from its cursor (each carries
//! the header; `BlockProofRequested` adds the block's task id, kept for the logs) and, block by block
//! in chain order, fetches and checks the block's transactions through
//! [`crate::prover::data::fetch_and_check`] — the prover service's one path: the sequencer's
//! `GET /blocks/:n` first, the posting transaction's calldata as the fallback, every check of
//! `prover::data` against the header on top of this source's own copy of the L2 state. Only a block
//! that passes them all has a witness; a refused block keeps its reason, and the blocks above it are
//! refused in turn (their parent state never enters the copy).
//!
//! A task is this source's when its requester is the LedgerRollup, its circuit is the root circuit
//! and its input commitment is `keccak256(abi.encodePacked(rootPublicInputs(header)))` of a learned
//! header (what `LedgerRollup.requestProof` opened it with). Its size is the block's transaction
//! count. [`RollupSource::prove`] walks the block's proof tree on the worker pool (base, merges,
//! root: [`BlockJob`] through [`WorkerPool::prove_tree`], each child verified before its parent,
//! on blocking threads) and returns the root proof bound to the prover with the header's public
//! inputs. Anything else is declined with a logged reason, never a panic.
//!
//! The cursor and the L2 copy are in memory: the copy can only be rebuilt by replaying the posted
//! blocks from the deployment, which a restarted source does (each block is then checked again).
//! Logs are read up to the head, with no reorg window (the runner's book has the same horizon).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolEvent, SolValue};
use proofmarket_bindings::LedgerRollup;
use proofmarket_bindings::TaskLedger::LedgerTask;
use proofmarket_circuits::{block::BlockWitness, circuits::CircuitKind, keys::Keys};

use super::runner::ProofSource;
use crate::chain::ChainProvider;
use crate::chain::monitor::get_logs_halving;
use crate::prover::circuit_job::BlockJob;
use crate::prover::data::{L2States, PostedBlock, SequencerClient, fetch_and_check};
use crate::prover::pool::WorkerPool;
use crate::store::Store;

/// The root circuit's public inputs (prover excluded) for a header, as
/// `LedgerRollup.rootPublicInputs(header)` returns them: previous and new state roots, transactions
/// commitment, block number.
pub fn root_public_inputs(block: &PostedBlock) -> Vec<U256> {
    vec![
        U256::from_be_bytes(block.prev_state_root.0),
        U256::from_be_bytes(block.new_state_root.0),
        U256::from_be_bytes(block.txs_commitment.0),
        U256::from(block.number),
    ]
}

/// The input commitment of a block's root task (`RollupBlocks.rootInputCommitment`).
pub fn root_input_commitment(block: &PostedBlock) -> B256 {
    keccak256(root_public_inputs(block).abi_encode_packed())
}

/// What the source knows of one posted block.
#[derive(Clone, Debug)]
pub struct LearnedBlock {
    /// The header as posted.
    pub posted: PostedBlock,
    /// Its root task, once `BlockProofRequested` was read.
    pub task_id: Option<U256>,
    /// The checked witness, or why the block was refused.
    pub data: Result<Arc<BlockWitness>, String>,
}

/// Proves the LedgerRollup's root tasks (see the module doc).
pub struct RollupSource {
    provider: ChainProvider,
    rollup: Address,
    sequencer: Option<SequencerClient>,
    keys: Arc<Keys>,
    pool: WorkerPool,
    store: Store,
    next_block: u64,
    chunk_blocks: u64,
    l2: L2States,
    /// Learned blocks by their root task's input commitment.
    blocks: HashMap<B256, LearnedBlock>,
    /// The latest posted block of each number (where `BlockProofRequested` attaches its task id).
    latest: BTreeMap<u64, B256>,
    /// Commitments already declined with a warning (later passes log at debug).
    warned: Mutex<HashSet<B256>>,
}

impl RollupSource {
    /// A source for `rollup`'s root tasks: the rollup's logs read from `from_block` (its
    /// deployment), block data from `sequencer` (else only L1 calldata), checked on top of `l2`
    /// (the genesis the rollup was deployed with), proven with `keys` on `pool`, node proofs
    /// cached in `store`.
    #[allow(clippy::too_many_arguments)] // the source's parts, each named
    pub fn new(
        provider: ChainProvider,
        rollup: Address,
        from_block: u64,
        sequencer: Option<SequencerClient>,
        l2: L2States,
        keys: Arc<Keys>,
        pool: WorkerPool,
        store: Store,
    ) -> Self {
        Self {
            provider,
            rollup,
            sequencer,
            keys,
            pool,
            store,
            next_block: from_block,
            chunk_blocks: 5_000,
            l2,
            blocks: HashMap::new(),
            latest: BTreeMap::new(),
            warned: Mutex::new(HashSet::new()),
        }
    }

    /// The learned block whose root task has input commitment `commitment`.
    pub fn block(&self, commitment: &B256) -> Option<&LearnedBlock> {
        self.blocks.get(commitment)
    }

    /// The latest learned block numbered `number`.
    pub fn latest(&self, number: u64) -> Option<&LearnedBlock> {
        self.latest.get(&number).and_then(|c| self.blocks.get(c))
    }

    /// Reads the rollup's logs from the cursor up to the head, learning each posted block.
    async fn learn_to_head(&mut self) -> Result<(), String> {
        let head = self
            .provider
            .get_block_number()
            .await
            .map_err(|e| format!("eth_blockNumber: {e}"))?;
        let base = Filter::new().address(self.rollup).event_signature(vec![
            LedgerRollup::BlockPosted::SIGNATURE_HASH,
            LedgerRollup::BlockProofRequested::SIGNATURE_HASH,
        ]);
        while self.next_block <= head {
            let (logs, end) = get_logs_halving(
                &self.provider,
                &base,
                self.next_block,
                head,
                &mut self.chunk_blocks,
            )
            .await
            .map_err(|e| format!("LedgerRollup logs: {e}"))?;
            for log in &logs {
                if let Ok(posted) = log.log_decode::<LedgerRollup::BlockPosted>() {
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
                    self.learn_block(block).await;
                } else if let Ok(requested) = log.log_decode::<LedgerRollup::BlockProofRequested>()
                {
                    let (number, task_id) =
                        (requested.inner.data.number, requested.inner.data.taskId);
                    if let Some(learned) = self
                        .latest
                        .get(&number)
                        .and_then(|c| self.blocks.get_mut(c))
                    {
                        learned.task_id = Some(task_id);
                        tracing::debug!(block = number, task = %format!("{task_id:#x}"), "root task requested");
                    }
                }
            }
            self.next_block = end + 1;
        }
        Ok(())
    }

    /// Fetches and checks one posted block (once per header: a re-read log is ignored).
    async fn learn_block(&mut self, block: PostedBlock) {
        let commitment = root_input_commitment(&block);
        if self.blocks.contains_key(&commitment) {
            self.latest.insert(block.number, commitment);
            return;
        }
        let data = fetch_and_check(
            &self.provider,
            &mut self.l2,
            &block,
            self.sequencer.as_ref(),
        )
        .await;
        if let Ok(witness) = &data {
            tracing::info!(
                block = block.number,
                txs = witness.plan.tx_count(),
                "rollup block learned and checked"
            );
        }
        self.latest.insert(block.number, commitment);
        self.blocks.insert(
            commitment,
            LearnedBlock {
                posted: block,
                task_id: None,
                data,
            },
        );
    }

    /// The checked witness behind `task`, or why this source declines it.
    fn witness_for(&self, task: &LedgerTask) -> Result<(&LearnedBlock, Arc<BlockWitness>), String> {
        if task.requester != self.rollup {
            return Err(format!(
                "requester {} is not the LedgerRollup {}",
                task.requester, self.rollup
            ));
        }
        if task.circuitId != CircuitKind::Root.id() {
            return Err(format!(
                "circuit {} is not the root circuit",
                task.circuitId
            ));
        }
        let learned = self.blocks.get(&task.inputCommitment).ok_or_else(|| {
            format!(
                "no posted block has input commitment {} (not learned yet)",
                task.inputCommitment
            )
        })?;
        match &learned.data {
            Ok(witness) => Ok((learned, witness.clone())),
            Err(reason) => Err(format!(
                "block {}'s data was refused: {reason}",
                learned.posted.number
            )),
        }
    }

    /// Logs a decline: a warning the first time for a task of this rollup, then at debug.
    fn declined(&self, task: &LedgerTask, reason: &str) {
        let ours = task.requester == self.rollup;
        let first = ours
            && self
                .warned
                .lock()
                .map(|mut w| w.insert(task.inputCommitment))
                .unwrap_or(false);
        if first {
            tracing::warn!(commitment = %task.inputCommitment, %reason, "root task declined");
        } else {
            tracing::debug!(commitment = %task.inputCommitment, %reason, "task declined");
        }
    }
}

impl ProofSource for RollupSource {
    async fn learn(&mut self) {
        if let Err(reason) = self.learn_to_head().await {
            tracing::warn!(rollup = %self.rollup, %reason, "rollup blocks not learned this pass");
        }
    }

    fn statement_size(&self, task: &LedgerTask) -> Option<u64> {
        match self.witness_for(task) {
            Ok((_, witness)) => u64::try_from(witness.plan.tx_count()).ok(),
            Err(reason) => {
                self.declined(task, &reason);
                None
            }
        }
    }

    async fn prove(&self, task: &LedgerTask, prover: Address) -> Option<(Vec<U256>, Bytes)> {
        let (learned, witness) = match self.witness_for(task) {
            Ok(found) => found,
            Err(reason) => {
                self.declined(task, &reason);
                return None;
            }
        };
        let number = learned.posted.number;
        let inputs = root_public_inputs(&learned.posted);
        let job = Arc::new(BlockJob::new(self.keys.clone(), witness));
        if job.root_public_inputs() != inputs {
            // check_block compared the witness with the header; this is a second look, not a path.
            tracing::error!(
                block = number,
                "the witness's root inputs differ from the header's"
            );
            return None;
        }
        match self.pool.prove_tree(job, self.store.clone(), prover).await {
            Ok((top, report)) => {
                tracing::info!(
                    block = number,
                    task = ?learned.task_id.map(|t| format!("{t:#x}")),
                    proven = report.proven,
                    reused = report.reused,
                    wall_ms = report.wall_ms,
                    "root proof built"
                );
                Some((top.public_inputs, Bytes::from(top.proof)))
            }
            Err(e) => {
                tracing::warn!(block = number, error = %e, "root proof not built");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proofmarket_circuits::evm::fr_to_b256;
    use proofmarket_circuits::state::{self, Transaction, devnet_key, encode_transactions};

    /// The header's inputs are the root statement's: what the circuits prove is what the
    /// LedgerRollup opened the task with.
    #[test]
    fn the_header_inputs_are_the_root_statements() {
        let genesis = state::devnet_genesis();
        let txs = encode_transactions(&[Transaction {
            from: 1,
            to: 2,
            amount: 5,
            nonce: 0,
        }
        .sign(&devnet_key(1))]);
        let decoded = state::decode_transactions(&txs).expect("decode");
        let (block, _) = BlockWitness::build(&genesis, &decoded, 7).expect("block");
        let posted = PostedBlock {
            number: 7,
            prev_state_root: fr_to_b256(genesis.root()),
            new_state_root: fr_to_b256(block.new_state_root()),
            txs_commitment: fr_to_b256(block.txs_commitment()),
            txs_data_hash: keccak256(&txs),
            post_tx: None,
            proof_deadline: 0,
        };
        let statement: Vec<U256> = block
            .root_statement()
            .public_inputs()
            .into_iter()
            .map(proofmarket_circuits::evm::fr_to_u256)
            .collect();
        assert_eq!(root_public_inputs(&posted), statement);
        let mut packed = Vec::new();
        for word in &statement {
            packed.extend_from_slice(&word.to_be_bytes::<32>());
        }
        assert_eq!(root_input_commitment(&posted), keccak256(packed));
    }
}
