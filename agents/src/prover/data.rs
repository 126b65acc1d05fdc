//! Block data: fetch a posted block's transactions (from the sequencer over HTTP, or rebuilt from
//! the L1 calldata of the posting transaction), check them against what the Rollup committed on
//! chain, and build the block's witnesses on top of the prover's own copy of the L2 state. The
//! prover service and the ledger's rollup source (`ledger::rollup_source`) both go through
//! [`fetch_and_check`].
//!
//! Checks, all of which must pass before any proof is built on the data:
//! 1. `keccak256(txs) == header.txsDataHash` — the data is what the sequencer published on L1;
//! 2. every transaction decodes, is signed by its sender and applies to the parent state;
//! 3. the parent state's root is `header.prevStateRoot`;
//! 4. the Poseidon commitment of the transactions is `header.txsCommitment`, and the state after them
//!    has root `header.newStateRoot`.
//!
//! A sequencer that serves other bytes than it posted fails (1) and the prover falls back to L1
//! calldata; a sequencer that posted a header its own transactions do not produce fails (3)/(4)
//! whatever the source, and no proof is ever built for that block (nor for blocks on top of it: their
//! parent state is unknown to the prover).

use std::collections::HashMap;
use std::sync::Arc;

use alloy::primitives::{B256, Bytes, TxHash, keccak256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use proofmarket_bindings::IRollup;
use proofmarket_circuits::{
    block::BlockWitness,
    evm::fr_to_b256,
    state::{self, State},
};
use serde::Deserialize;

use super::error::ProverError;
use crate::chain::ChainProvider;

/// What the Rollup committed to for a posted block (from its `BlockPosted` event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostedBlock {
    /// Block number.
    pub number: u64,
    /// Parent state root.
    pub prev_state_root: B256,
    /// Claimed state root after the block.
    pub new_state_root: B256,
    /// Poseidon commitment to the transactions.
    pub txs_commitment: B256,
    /// keccak256 of the transactions' calldata.
    pub txs_data_hash: B256,
    /// The L1 transaction that posted it (for the calldata fallback).
    pub post_tx: Option<TxHash>,
    /// The proof deadline.
    pub proof_deadline: u64,
}

/// Where a block's data came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// The sequencer's HTTP API.
    Sequencer,
    /// The posting transaction's calldata on L1.
    L1Calldata,
}

/// Checks `txs` against `posted` on top of `parent` and builds the block's witnesses.
/// Returns the witnesses and the post-state.
pub fn check_block(
    parent: &State,
    posted: &PostedBlock,
    txs: &[u8],
) -> Result<(BlockWitness, State), ProverError> {
    let mismatch = |reason: String| ProverError::DataMismatch {
        block: posted.number,
        reason,
    };
    let data_hash = keccak256(txs);
    if data_hash != posted.txs_data_hash {
        return Err(mismatch(format!(
            "keccak256(txs) = {data_hash}, the Rollup committed {}",
            posted.txs_data_hash
        )));
    }
    let parent_root = fr_to_b256(parent.root());
    if parent_root != posted.prev_state_root {
        return Err(mismatch(format!(
            "parent state root {parent_root}, header says {}",
            posted.prev_state_root
        )));
    }
    let transactions = state::decode_transactions(txs)
        .map_err(|e| mismatch(format!("transactions do not decode: {e}")))?;
    let (block, post) = BlockWitness::build(parent, &transactions, posted.number)
        .map_err(|e| mismatch(format!("transactions do not apply: {e}")))?;
    let commitment = fr_to_b256(block.txs_commitment());
    if commitment != posted.txs_commitment {
        return Err(mismatch(format!(
            "txs commitment {commitment}, header says {}",
            posted.txs_commitment
        )));
    }
    let new_root = fr_to_b256(block.new_state_root());
    if new_root != posted.new_state_root {
        return Err(mismatch(format!(
            "new state root {new_root}, header says {}",
            posted.new_state_root
        )));
    }
    Ok((block, post))
}

/// Fetches a posted block's data (the sequencer first, the posting transaction's L1 calldata as the
/// fallback), checks it with [`check_block`] on top of its parent in `l2`, and records the checked
/// post-state there. The `Err` is every reason the block was refused (already logged): no proof may
/// be built on it, nor on a block above it (its parent state never enters `l2`).
pub async fn fetch_and_check(
    provider: &ChainProvider,
    l2: &mut L2States,
    block: &PostedBlock,
    sequencer: Option<&SequencerClient>,
) -> Result<Arc<BlockWitness>, String> {
    let Some(parent) = l2.get(&block.prev_state_root).cloned() else {
        let reason = format!(
            "parent state {} unknown (its block was refused or never seen)",
            block.prev_state_root
        );
        tracing::warn!(block = block.number, %reason, "block data refused");
        return Err(reason);
    };
    let mut reasons = Vec::new();
    if let Some(client) = sequencer {
        match client.block_txs(block.number).await {
            Ok(txs) => match check_block(&parent, block, &txs) {
                Ok((witness, post)) => {
                    l2.insert(post);
                    tracing::debug!(
                        block = block.number,
                        "block data from the sequencer checked"
                    );
                    return Ok(Arc::new(witness));
                }
                Err(e) => reasons.push(format!("sequencer data: {e}")),
            },
            Err(e) => reasons.push(format!("sequencer: {e}")),
        }
    }
    match l1_calldata(provider, block).await {
        Ok(txs) => match check_block(&parent, block, &txs) {
            Ok((witness, post)) => {
                l2.insert(post);
                if !reasons.is_empty() {
                    tracing::warn!(block = block.number, reasons = %reasons.join("; "), "rebuilt the block from L1 calldata");
                }
                return Ok(Arc::new(witness));
            }
            Err(e) => reasons.push(format!("L1 calldata: {e}")),
        },
        Err(e) => reasons.push(format!("L1 calldata: {e}")),
    }
    let reason = reasons.join("; ");
    tracing::warn!(block = block.number, %reason, "block data refused: no proof will be built on it");
    Err(reason)
}

/// The `txs` argument of the transaction that posted `block`: a direct `postBlock` or
/// `postBlockAndRequestProof` call of the Rollup or the LedgerRollup (the same signatures, so the
/// same selectors).
pub async fn l1_calldata(
    provider: &ChainProvider,
    block: &PostedBlock,
) -> Result<Vec<u8>, ProverError> {
    let fetch = |reason: String| ProverError::Fetch {
        block: block.number,
        reason,
    };
    let hash = block
        .post_tx
        .ok_or_else(|| fetch("the log carries no transaction hash".into()))?;
    let tx = provider
        .get_transaction_by_hash(hash)
        .await
        .map_err(|e| fetch(e.to_string()))?
        .ok_or_else(|| fetch(format!("transaction {hash} not found")))?;
    let input = alloy::consensus::Transaction::input(&tx);
    if let Ok(call) = IRollup::postBlockAndRequestProofCall::abi_decode(input) {
        return Ok(call.txs.to_vec());
    }
    if let Ok(call) = IRollup::postBlockCall::abi_decode(input) {
        return Ok(call.txs.to_vec());
    }
    Err(fetch(format!(
        "transaction {hash} is not a direct Rollup.postBlock call"
    )))
}

/// The prover's copy of the L2: every state it has checked, by root, so a block finds its parent
/// whatever was pruned or re-posted in between.
#[derive(Clone, Debug)]
pub struct L2States {
    by_root: HashMap<B256, State>,
}

impl L2States {
    /// Starts from a genesis state.
    pub fn new(genesis: State) -> Self {
        let mut by_root = HashMap::new();
        by_root.insert(fr_to_b256(genesis.root()), genesis);
        Self { by_root }
    }

    /// The devnet genesis (what `proofmarket deploy` puts into the Rollup).
    pub fn devnet() -> Self {
        Self::new(state::devnet_genesis())
    }

    /// The state with root `root`, if known.
    pub fn get(&self, root: &B256) -> Option<&State> {
        self.by_root.get(root)
    }

    /// Records a checked post-state.
    pub fn insert(&mut self, state: State) {
        self.by_root.insert(fr_to_b256(state.root()), state);
    }

    /// Number of known states.
    pub fn len(&self) -> usize {
        self.by_root.len()
    }

    /// Whether no state is known (never: genesis is always there).
    pub fn is_empty(&self) -> bool {
        self.by_root.is_empty()
    }
}

/// The sequencer's block-data answer (`GET {sequencer}/blocks/{number}`).
#[derive(Clone, Debug, Deserialize)]
pub struct SequencerBlock {
    /// Block number.
    pub number: u64,
    /// The transactions' calldata, `0x`-hex.
    pub txs: Bytes,
}

/// Fetches block data from the sequencer.
#[derive(Clone, Debug)]
pub struct SequencerClient {
    http: reqwest::Client,
    base: String,
}

impl SequencerClient {
    /// A client for the sequencer at `base` (e.g. `http://127.0.0.1:8547`).
    pub fn new(base: &str) -> Result<Self, ProverError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| ProverError::Config(format!("http client: {e}")))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// The transactions of block `number` as the sequencer serves them.
    pub async fn block_txs(&self, number: u64) -> Result<Vec<u8>, ProverError> {
        let fetch = |reason: String| ProverError::Fetch {
            block: number,
            reason,
        };
        let url = format!("{}/blocks/{number}", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| fetch(format!("GET {url}: {e}")))?;
        if !response.status().is_success() {
            return Err(fetch(format!("GET {url}: HTTP {}", response.status())));
        }
        let block: SequencerBlock = response
            .json()
            .await
            .map_err(|e| fetch(format!("GET {url}: bad JSON: {e}")))?;
        if block.number != number {
            return Err(fetch(format!(
                "asked for block {number}, the sequencer answered block {}",
                block.number
            )));
        }
        Ok(block.txs.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proofmarket_circuits::state::{Transaction, devnet_key, encode_transactions};

    fn posted_for(parent: &State, txs: &[u8], number: u64) -> PostedBlock {
        let decoded = state::decode_transactions(txs).expect("decode");
        let (block, _) = BlockWitness::build(parent, &decoded, number).expect("build");
        PostedBlock {
            number,
            prev_state_root: fr_to_b256(parent.root()),
            new_state_root: fr_to_b256(block.new_state_root()),
            txs_commitment: fr_to_b256(block.txs_commitment()),
            txs_data_hash: keccak256(txs),
            post_tx: None,
            proof_deadline: 0,
        }
    }

    fn txs() -> Vec<u8> {
        encode_transactions(&[
            Transaction {
                from: 1,
                to: 2,
                amount: 5,
                nonce: 0,
            }
            .sign(&devnet_key(1)),
            Transaction {
                from: 2,
                to: 3,
                amount: 7,
                nonce: 0,
            }
            .sign(&devnet_key(2)),
        ])
    }

    #[test]
    fn honest_data_passes_and_chains() {
        let mut l2 = L2States::devnet();
        let genesis = l2
            .get(&fr_to_b256(state::devnet_genesis().root()))
            .expect("genesis")
            .clone();
        let data = txs();
        let posted = posted_for(&genesis, &data, 1);
        let (block, post) = check_block(&genesis, &posted, &data).expect("honest block");
        assert_eq!(block.plan.tx_count(), 2);
        l2.insert(post);
        assert!(l2.get(&posted.new_state_root).is_some());
        assert_eq!(l2.len(), 2);
    }

    #[test]
    fn served_bytes_must_match_the_posted_hash() {
        let genesis = state::devnet_genesis();
        let data = txs();
        let posted = posted_for(&genesis, &data, 1);
        let mut other = data.clone();
        other[10] ^= 1;
        let err = check_block(&genesis, &posted, &other).expect_err("tampered bytes");
        assert!(
            matches!(err, ProverError::DataMismatch { block: 1, ref reason } if reason.starts_with("keccak256"))
        );
    }

    #[test]
    fn a_header_its_transactions_do_not_produce_is_refused() {
        let genesis = state::devnet_genesis();
        let data = txs();
        let honest = posted_for(&genesis, &data, 1);
        let wrong_commitment = PostedBlock {
            txs_commitment: B256::repeat_byte(3),
            ..honest.clone()
        };
        assert!(matches!(
            check_block(&genesis, &wrong_commitment, &data),
            Err(ProverError::DataMismatch { ref reason, .. }) if reason.starts_with("txs commitment")
        ));
        let wrong_root = PostedBlock {
            new_state_root: B256::repeat_byte(4),
            ..honest.clone()
        };
        assert!(matches!(
            check_block(&genesis, &wrong_root, &data),
            Err(ProverError::DataMismatch { ref reason, .. }) if reason.starts_with("new state root")
        ));
        let wrong_parent = PostedBlock {
            prev_state_root: B256::repeat_byte(5),
            ..honest
        };
        assert!(matches!(
            check_block(&genesis, &wrong_parent, &data),
            Err(ProverError::DataMismatch { ref reason, .. }) if reason.starts_with("parent state root")
        ));
    }

    #[test]
    fn an_invalid_transaction_is_refused() {
        let genesis = state::devnet_genesis();
        // Overspend: more than the genesis balance.
        let data = encode_transactions(&[Transaction {
            from: 1,
            to: 2,
            amount: u64::MAX,
            nonce: 0,
        }
        .sign(&devnet_key(1))]);
        let posted = PostedBlock {
            number: 1,
            prev_state_root: fr_to_b256(genesis.root()),
            new_state_root: B256::ZERO,
            txs_commitment: B256::ZERO,
            txs_data_hash: keccak256(&data),
            post_tx: None,
            proof_deadline: 0,
        };
        assert!(matches!(
            check_block(&genesis, &posted, &data),
            Err(ProverError::DataMismatch { ref reason, .. }) if reason.starts_with("transactions do not apply")
        ));
    }
}
