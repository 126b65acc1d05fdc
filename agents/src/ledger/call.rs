//! Sending a call that carries a TaskLedger task's current version — the one way every ledger
//! strategy acts on a task (`submitProof`, an auction's `lock` / `commit` / `finalize`, the election's
//! `draw`, the book's `matchTask`, …).
//!
//! Every such call passes the whole `LedgerTask` and reverts `StaleTask(taskId)` unless it hashes to
//! the ledger's word. [`send_task_call`] encodes the call from the book's live copy, sends it through
//! the agent's [`Submitter`] (simulation before signing, one nonce manager per account, at most once per
//! idempotency key), and on a simulated `StaleTask` — the copy missed a change: a reopen, a log not read
//! yet, a reorg — rebuilds the task from its own logs ([`LedgerSync::refresh`]) and encodes and sends
//! once more with the fresh copy. Any other revert comes back by name; nothing is retried blindly.
//!
//! Why simulation matters here: a stale send that only fails at estimation must not spend a nonce, or
//! the retry waits on a gap (a first version of the race strategy, sending through the bare provider,
//! hung exactly so).

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolEvent, SolValue};
use proofmarket_bindings::TaskLedger::LedgerTask;

use super::sync::{LedgerSync, LedgerSyncError};
use crate::chain::ChainProvider;
use crate::chain::submitter::{Sent, SubmitError, Submitter};
use crate::store::StoreError;

/// A failed ledger call. Codes are stable (L2xx: acting on a ledger task); L208 is the agent's own
/// store (a sealed bid that could not be persisted before its commitment, or read back to reveal).
#[derive(Debug, thiserror::Error)]
pub enum LedgerCallError {
    #[error("[L201] the book does not hold task {0:#x} as live")]
    NotLive(U256),
    #[error("[L202] task {task_id:#x} is still stale after rebuilding it from its logs")]
    StillStale { task_id: U256 },
    #[error("[L203] the ledger refused the call on task {task_id:#x}: {reason}")]
    Refused { task_id: U256, reason: String },
    #[error("[L204] RPC call {call} failed: {reason}")]
    Rpc { call: &'static str, reason: String },
    #[error("[L205] {0}")]
    Sync(#[from] LedgerSyncError),
    #[error("[L206] {0}")]
    Submit(Box<SubmitError>),
    #[error("[L207] {call} was refused: {reason}")]
    CallRefused { call: &'static str, reason: String },
    #[error("[L208] agent store: {0}")]
    Store(#[from] StoreError),
}

impl LedgerCallError {
    /// An RPC failure of `call`, for `map_err`.
    pub fn rpc<E: std::fmt::Display>(call: &'static str) -> impl FnOnce(E) -> Self {
        move |e| Self::Rpc {
            call,
            reason: e.to_string(),
        }
    }
}

/// A call that went through (or had gone through under its key in an earlier run).
#[derive(Debug)]
pub struct TaskCallSent {
    /// The submitter's result: the receipt, and whether it was sent now (`fresh`).
    pub sent: Sent,
    /// Whether the book's copy was stale and the task had to be rebuilt first.
    pub refreshed: bool,
}

/// Sends the call that `encode` builds from `task_id`'s current version to `to`, through `submitter`,
/// under the idempotency key `key`; `label` names the call in logs and errors
/// (`"TaskLedger.submitProof"`). Rebuilds the task once when the simulation says `StaleTask`.
pub async fn send_task_call(
    sync: &mut LedgerSync,
    submitter: &Submitter,
    task_id: U256,
    label: &str,
    key: Option<&str>,
    to: Address,
    encode: impl Fn(&LedgerTask) -> Vec<u8>,
) -> Result<TaskCallSent, LedgerCallError> {
    let mut refreshed = false;
    loop {
        let task = live_copy(sync, task_id)?;
        let sent = submitter
            .send(label, key, None, to, encode(&task).into(), U256::ZERO)
            .await;
        match sent {
            Ok(sent) => return Ok(TaskCallSent { sent, refreshed }),
            Err(SubmitError::WouldRevert { revert, .. }) if revert.name == "StaleTask" => {
                if refreshed {
                    return Err(LedgerCallError::StillStale { task_id });
                }
                tracing::info!(task = %format!("{task_id:#x}"), call = label, "stale copy of the ledger task; rebuilding it from its logs");
                sync.refresh(task_id).await?;
                refreshed = true;
            }
            Err(e) => return Err(refused(task_id, e)),
        }
    }
}

/// Sends a mechanism's call `f(uint256 taskId, LedgerTask task)` (`lock`, `slashLock`, `matchTask`)
/// to `to` through [`send_task_call`]: `selector` from the mechanism's binding, the task from the
/// book's live copy.
pub async fn send_mechanism_call(
    sync: &mut LedgerSync,
    submitter: &Submitter,
    task_id: U256,
    label: &str,
    key: &str,
    (to, selector): (Address, [u8; 4]),
) -> Result<TaskCallSent, LedgerCallError> {
    send_task_call(sync, submitter, task_id, label, Some(key), to, |task| {
        encode_task_call(selector, task_id, task)
    })
    .await
}

/// The ledger's `E` log in a mined task call's receipt: what the call did (`ProofAccepted` for a
/// proof, `ProverAssigned` for a lock or a match, `AssignmentSlashed` for a slash). A call that mined
/// without it did not do what it was sent for.
pub fn logged<E: SolEvent>(task_id: U256, sent: &TaskCallSent) -> Result<E, LedgerCallError> {
    sent.sent
        .receipt
        .decoded_log::<E>()
        .map(|log| log.data)
        .ok_or_else(|| LedgerCallError::Refused {
            task_id,
            reason: format!("mined without a {} log", E::SIGNATURE),
        })
}

/// The calldata of a call `f(uint256 taskId, LedgerTask task)` (`lock`, `slashLock`, `matchTask`):
/// `selector` from any mechanism's binding, the task from the ledger's. Each `sol!` module declares
/// its own `LedgerTask` type, but they are one ABI layout, so the ledger's encodes every mechanism's.
pub fn encode_task_call(selector: [u8; 4], task_id: U256, task: &LedgerTask) -> Vec<u8> {
    let mut data = selector.to_vec();
    data.extend((task_id, task.clone()).abi_encode_params());
    data
}

/// A submitter error as a ledger call error: a decoded revert by name, anything else as it is.
pub fn refused(task_id: U256, e: SubmitError) -> LedgerCallError {
    match e.revert() {
        Some(revert) => LedgerCallError::Refused {
            task_id,
            reason: revert.display.clone(),
        },
        None => LedgerCallError::Submit(Box::new(e)),
    }
}

/// A submitter error of `call`, a call that carries no task (an order-book offer): a decoded revert
/// by name, anything else as it is.
pub fn refused_call(call: &'static str, e: SubmitError) -> LedgerCallError {
    match e.revert() {
        Some(revert) => LedgerCallError::CallRefused {
            call,
            reason: revert.display.clone(),
        },
        None => LedgerCallError::Submit(Box::new(e)),
    }
}

/// The result of a contract view `call` (`contract.someView().call()`), its failure named `name`:
/// how a strategy reads its mechanism's terms.
pub async fn view<T>(
    name: &'static str,
    call: impl std::future::IntoFuture<Output = Result<T, alloy::contract::Error>>,
) -> Result<T, LedgerCallError> {
    call.await.map_err(LedgerCallError::rpc(name))
}

/// The ledger's `LedgerTask` as another binding's struct of the same ABI (each contract's binding has
/// its own copy of the type), for a mechanism's calls that carry the task; the ABI is one, so the
/// conversion cannot fail.
pub fn task_as<T>(task: &LedgerTask) -> T
where
    T: SolValue + From<<<T as SolValue>::SolType as alloy::sol_types::SolType>::RustType>,
{
    as_binding(task)
}

/// `value` as another binding's copy of the same Solidity type (two contracts' bindings each
/// generate their own `LedgerTask`, `BlockHeader`, …). Only for types of one ABI: a mismatch is a
/// bug in the caller, not an input error, so it panics.
pub fn as_binding<S, T>(value: &S) -> T
where
    S: SolValue,
    T: SolValue + From<<<T as SolValue>::SolType as alloy::sol_types::SolType>::RustType>,
{
    T::abi_decode(&value.abi_encode()).expect("one ABI, two bindings of the same type")
}

/// The book's live copy of `task_id`.
pub fn live_copy(sync: &LedgerSync, task_id: U256) -> Result<LedgerTask, LedgerCallError> {
    sync.book()
        .get(task_id)
        .filter(|t| t.is_live())
        .map(|t| t.task.clone())
        .ok_or(LedgerCallError::NotLive(task_id))
}

/// The current chain time (the latest block's timestamp), the clock every ledger decision is made
/// against (the contracts compare `block.timestamp`, not the agent's wall clock).
pub async fn chain_time(provider: &ChainProvider) -> Result<u64, LedgerCallError> {
    let block = provider
        .get_block(alloy::eips::BlockId::latest())
        .await
        .map_err(LedgerCallError::rpc("eth_getBlockByNumber"))?
        .ok_or(LedgerCallError::Rpc {
            call: "eth_getBlockByNumber",
            reason: "no latest block".into(),
        })?;
    Ok(block.header.timestamp)
}
