//! The sequencer's L2 node: mempool, block building with the native state machine, and the states it
//! needs to roll back when L1 prunes. Everything it decides is written to the store first, so a
//! restarted sequencer rebuilds the same view ([`L2Node::restore`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use alloy::primitives::{B256, Bytes, keccak256};
use proofmarket_circuits::block::BlockWitness;
use proofmarket_circuits::evm::fr_to_b256;
use proofmarket_circuits::state::{self, L2Error, SignedTransaction, State};
use serde::{Deserialize, Serialize};

use crate::store::{BlockRow, Store, StoreError};

/// Where the posting epoch lives in the store's `kv` table.
const EPOCH_NS: &str = "sequencer";
const EPOCH_KEY: &str = "post-epoch";
/// Block status values stored in `blocks.status`.
pub mod status {
    /// Built and persisted, not yet on L1.
    pub const BUILT: &str = "built";
    /// Posted to the Rollup; its root-proof task is open.
    pub const POSTED: &str = "posted";
    /// Its root proof was accepted (the task is fulfilled).
    pub const PROVEN: &str = "proven";
    /// Finalised on L1 in order: the proven state root advanced past it.
    pub const FINALIZED: &str = "finalized";
}

/// Why a transfer was refused. `code` is stable (clients branch on it); `reason` is for humans.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[Q{code_num:03}] {code}: {reason}")]
pub struct Rejection {
    pub code: &'static str,
    code_num: u16,
    pub reason: String,
}

impl Rejection {
    fn new(code: &'static str, code_num: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            code_num,
            reason: reason.into(),
        }
    }

    /// A malformed request (bad hex, wrong length, bad signature encoding).
    pub fn malformed(reason: impl Into<String>) -> Self {
        Self::new("malformed", 1, reason)
    }

    fn from_l2(err: &L2Error) -> Self {
        let (code, num) = match err {
            L2Error::IndexOutOfRange { .. } => ("unknown_account", 2),
            L2Error::SenderHasNoKey(_) => ("unknown_sender", 3),
            L2Error::BadNonce { .. } => ("bad_nonce", 4),
            L2Error::BadSignature(_) => ("bad_signature", 5),
            L2Error::InsufficientBalance { .. } => ("insufficient_balance", 6),
            L2Error::BalanceOverflow(_) => ("balance_overflow", 7),
            L2Error::NonceOverflow(_) => ("nonce_overflow", 8),
            _ => ("invalid", 9),
        };
        Self::new(code, num, err.to_string())
    }

    fn mempool_full(limit: usize) -> Self {
        Self::new(
            "mempool_full",
            10,
            format!("the mempool holds its maximum of {limit} transfers; retry later"),
        )
    }

    fn duplicate(hash: B256) -> Self {
        Self::new(
            "duplicate",
            11,
            format!("transfer {hash} is already pending"),
        )
    }
}

/// A node-level failure (storage, or a stored block that no longer replays).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("[Q020] {0}")]
    Store(#[from] StoreError),
    #[error("[Q021] stored block {number} does not replay: {reason}")]
    Replay { number: u64, reason: String },
    #[error("[Q022] state lock poisoned")]
    Poisoned,
}

/// The data of one block as stored and served at `GET /blocks/:n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockBody {
    pub number: u64,
    /// The transactions' calldata (what the Rollup received), `0x`-hex.
    pub txs: Bytes,
    pub prev_state_root: B256,
    pub new_state_root: B256,
    pub txs_commitment: B256,
    /// keccak256 of `txs` (the Rollup's `txsDataHash`).
    pub txs_data_hash: B256,
    /// Poseidon hashes of the transfers, in order (the base proofs' commitments).
    pub tx_hashes: Vec<B256>,
}

/// A block ready to post.
#[derive(Debug, Clone)]
pub struct BuiltBlock {
    pub body: BlockBody,
}

/// The L2 view. `tip` is the last built block; `pending` is its state plus the mempool applied in order,
/// so a new transfer is checked against exactly the state it will execute on.
struct L2 {
    tip: u64,
    states: BTreeMap<u64, State>,
    pending: State,
    mempool: Vec<(B256, SignedTransaction)>,
}

/// Shared handle on the node.
#[derive(Clone)]
pub struct L2Node {
    store: Store,
    l2: Arc<Mutex<L2>>,
    max_mempool: usize,
}

/// Hex of an encoded transfer (the mempool's storage format and `POST /tx`'s `tx` field).
pub fn encode_hex(tx: &SignedTransaction) -> String {
    format!("0x{}", hex::encode(tx.encode()))
}

/// Decodes an encoded transfer from hex.
pub fn decode_hex(text: &str) -> Result<SignedTransaction, Rejection> {
    let bytes = hex::decode(text.trim().trim_start_matches("0x"))
        .map_err(|e| Rejection::malformed(format!("tx is not hex: {e}")))?;
    let record: [u8; state::ENCODED_TX_LEN] = bytes.as_slice().try_into().map_err(|_| {
        Rejection::malformed(format!(
            "tx must be {} bytes, got {}",
            state::ENCODED_TX_LEN,
            bytes.len()
        ))
    })?;
    SignedTransaction::decode(&record, 0).map_err(|e| Rejection::malformed(e.to_string()))
}

/// The transfer's id: its Poseidon hash (the base proof's commitment).
pub fn tx_hash(tx: &SignedTransaction) -> B256 {
    fr_to_b256(tx.tx.hash())
}

impl L2Node {
    /// Rebuilds the node from the store on top of `genesis`: replays every stored block, then the
    /// mempool (dropping transfers that no longer apply).
    pub fn restore(store: Store, genesis: State, max_mempool: usize) -> Result<Self, NodeError> {
        let mut states = BTreeMap::new();
        let mut tip_state = genesis.clone();
        states.insert(0, genesis);
        let mut tip = 0;
        for row in store.blocks()? {
            let body: BlockBody =
                serde_json::from_str(&row.body).map_err(|e| NodeError::Replay {
                    number: row.number,
                    reason: e.to_string(),
                })?;
            let txs = state::decode_transactions(&body.txs).map_err(|e| NodeError::Replay {
                number: row.number,
                reason: e.to_string(),
            })?;
            let (_, post) = BlockWitness::build(&tip_state, &txs, row.number).map_err(|e| {
                NodeError::Replay {
                    number: row.number,
                    reason: e.to_string(),
                }
            })?;
            if fr_to_b256(post.root()) != row.new_root {
                return Err(NodeError::Replay {
                    number: row.number,
                    reason: "state root differs".into(),
                });
            }
            tip_state = post.clone();
            tip = row.number;
            states.insert(row.number, post);
        }
        let node = Self {
            store,
            l2: Arc::new(Mutex::new(L2 {
                tip,
                states,
                pending: tip_state,
                mempool: Vec::new(),
            })),
            max_mempool,
        };
        let stored = node.store.mempool()?;
        let mut dropped = Vec::new();
        {
            let mut l2 = node.lock()?;
            for (hash, body) in stored {
                let applied = decode_hex(&body)
                    .ok()
                    .and_then(|tx| l2.pending.apply(&tx).ok().map(|_| tx));
                match applied {
                    Some(tx) => l2.mempool.push((hash, tx)),
                    None => dropped.push(hash),
                }
            }
        }
        if !dropped.is_empty() {
            tracing::warn!(
                count = dropped.len(),
                "dropping stored transfers that no longer apply"
            );
            node.store.mempool_remove(&dropped)?;
        }
        Ok(node)
    }

    fn lock(&self) -> Result<MutexGuard<'_, L2>, NodeError> {
        self.l2.lock().map_err(|_| NodeError::Poisoned)
    }

    /// Validates a transfer against the pending state and queues it.
    pub fn submit(&self, tx: SignedTransaction) -> Result<Result<B256, Rejection>, NodeError> {
        let hash = tx_hash(&tx);
        let mut l2 = self.lock()?;
        if l2.mempool.iter().any(|(h, _)| *h == hash) {
            return Ok(Err(Rejection::duplicate(hash)));
        }
        if l2.mempool.len() >= self.max_mempool {
            return Ok(Err(Rejection::mempool_full(self.max_mempool)));
        }
        if let Err(e) = l2.pending.apply(&tx) {
            return Ok(Err(Rejection::from_l2(&e)));
        }
        // Persist before acknowledging: an accepted transfer survives a crash.
        if let Err(e) = self.store.mempool_insert(hash, &encode_hex(&tx)) {
            // Undo: rebuild the pending state without it.
            l2.pending = rebuild_pending(&l2);
            return Err(e.into());
        }
        l2.mempool.push((hash, tx));
        Ok(Ok(hash))
    }

    /// Number of queued transfers.
    pub fn mempool_len(&self) -> Result<usize, NodeError> {
        Ok(self.lock()?.mempool.len())
    }

    /// The last built block number.
    pub fn tip(&self) -> Result<u64, NodeError> {
        Ok(self.lock()?.tip)
    }

    /// An account as the next block would see it after the queued transfers: (balance, nonce).
    pub fn account(&self, index: u32) -> Result<Option<(u64, u64)>, NodeError> {
        let l2 = self.lock()?;
        if u64::from(index) >= 1u64 << l2.pending.depth().min(63) {
            return Ok(None);
        }
        let account = l2.pending.account(index);
        Ok(Some((account.balance, account.nonce)))
    }

    /// Builds the next block from up to `max_txs` queued transfers; `None` when the mempool is empty.
    pub fn build_block(&self, max_txs: usize) -> Result<Option<BuiltBlock>, NodeError> {
        let mut l2 = self.lock()?;
        if l2.mempool.is_empty() || max_txs == 0 {
            return Ok(None);
        }
        let take = l2.mempool.len().min(max_txs);
        let (hashes, txs): (Vec<B256>, Vec<SignedTransaction>) =
            l2.mempool[..take].iter().cloned().unzip();
        let number = l2.tip + 1;
        let parent = l2.states.get(&l2.tip).cloned().ok_or(NodeError::Replay {
            number,
            reason: "parent state missing".into(),
        })?;
        let (block, post) =
            BlockWitness::build(&parent, &txs, number).map_err(|e| NodeError::Replay {
                number,
                reason: e.to_string(),
            })?;
        let calldata = Bytes::from(block.calldata());
        let body = BlockBody {
            number,
            txs_data_hash: keccak256(&calldata),
            txs: calldata,
            prev_state_root: fr_to_b256(block.prev_state_root()),
            new_state_root: fr_to_b256(block.new_state_root()),
            txs_commitment: fr_to_b256(block.txs_commitment()),
            tx_hashes: hashes.clone(),
        };
        let row = BlockRow {
            number,
            status: status::BUILT.into(),
            prev_root: body.prev_state_root,
            new_root: body.new_state_root,
            txs_commitment: body.txs_commitment,
            body: serde_json::to_string(&body).map_err(|e| NodeError::Replay {
                number,
                reason: e.to_string(),
            })?,
            l1_tx: None,
            task_id: None,
        };
        self.store.commit_block(&row, &hashes)?;
        l2.mempool.drain(..take);
        l2.tip = number;
        l2.states.insert(number, post);
        crate::metrics::l2_block("built");
        Ok(Some(BuiltBlock { body }))
    }

    /// L1 pruned blocks `from..`: roll back to block `from - 1` and requeue their transfers ahead of
    /// the mempool, dropping any that no longer apply. Returns how many transfers were requeued.
    pub fn rollback(&self, from: u64) -> Result<usize, NodeError> {
        let keep = from.saturating_sub(1);
        // A new posting epoch first: the blocks rebuilt from the requeued transfers usually have
        // the same numbers and content as the pruned ones, and must still be posted again.
        let epoch = self.post_epoch()? + 1;
        self.store.kv_set(EPOCH_NS, EPOCH_KEY, &epoch.to_string())?;
        let pruned_rows: Vec<BlockRow> = self
            .store
            .blocks()?
            .into_iter()
            .filter(|b| b.number >= from)
            .collect();
        let mut requeue = Vec::new();
        for row in &pruned_rows {
            let body: BlockBody =
                serde_json::from_str(&row.body).map_err(|e| NodeError::Replay {
                    number: row.number,
                    reason: e.to_string(),
                })?;
            let txs = state::decode_transactions(&body.txs).map_err(|e| NodeError::Replay {
                number: row.number,
                reason: e.to_string(),
            })?;
            requeue.extend(txs);
        }
        let mut l2 = self.lock()?;
        let base = l2.states.get(&keep).cloned().ok_or(NodeError::Replay {
            number: keep,
            reason: "no state kept for the last proven block".into(),
        })?;
        l2.states.retain(|n, _| *n <= keep);
        l2.tip = keep;
        let old_mempool = std::mem::take(&mut l2.mempool);
        l2.pending = base;
        let mut kept = Vec::new();
        for tx in requeue
            .into_iter()
            .chain(old_mempool.into_iter().map(|(_, tx)| tx))
        {
            if l2.pending.apply(&tx).is_ok() {
                kept.push((tx_hash(&tx), tx));
            }
        }
        let requeued = kept.len();
        self.store.delete_blocks_above(keep)?;
        let stale: Vec<B256> = self.store.mempool()?.into_iter().map(|(h, _)| h).collect();
        self.store.mempool_remove(&stale)?;
        for (hash, tx) in &kept {
            self.store.mempool_insert(*hash, &encode_hex(tx))?;
        }
        l2.mempool = kept;
        Ok(requeued)
    }

    /// How many times L1 pruned this sequencer's blocks (0 before the first prune). Part of each
    /// block's posting key, so that a block re-posted after a prune is a new intent even when its
    /// content is the same.
    pub fn post_epoch(&self) -> Result<u64, NodeError> {
        Ok(self
            .store
            .kv_get(EPOCH_NS, EPOCH_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

fn rebuild_pending(l2: &L2) -> State {
    let mut pending = l2
        .states
        .get(&l2.tip)
        .cloned()
        .unwrap_or_else(|| l2.pending.clone());
    for (_, tx) in &l2.mempool {
        let _ = pending.apply(tx);
    }
    pending
}
