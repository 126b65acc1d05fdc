//! The prover's transactions, sent exactly once per idempotency key.
//!
//! Every transaction (register, submitProof, expire, withdraw) goes through [`Sender::send_once`]:
//! 1. if the store already holds a submission under the key, nothing new is sent: a confirmed one is
//!    reported as such, a signed/pending one is looked up by hash and waited for (a restarted prover
//!    picks up the transaction its previous life signed), a reverted one is reported;
//! 2. otherwise the call is simulated (`eth_estimateGas`), so a refusal is decoded from its revert data
//!    into a readable error (`InvalidProof()`, `AlreadyProven(7, 0x…)`) without spending gas;
//! 3. the transaction is signed locally, its hash and nonce recorded in the store, and only then
//!    broadcast: a crash at any point leaves a hash to look up rather than a reason to send again.
//!
//! While it waits for a receipt, the sender asks the node every `presence_interval` whether it
//! still knows the transaction ([`crate::chain::rebroadcast`]): one a reorg or the node dropped is
//! rebroadcast from its recorded bytes at once (held back while it would revert, e.g. while the
//! reorg has also taken the task it proves), and a receipt whose block was replaced counts as not
//! mined. Only a transaction whose nonce went to another is signed anew. The receipt timeout is a
//! last resort, not the way a lost transaction is noticed.
//!
//! Sends of one account serialise behind a mutex, which makes it the nonce manager: the next nonce is
//! the chain's pending count, read under the lock. The mutex is per *account and process*, not per
//! `Sender`: every `Sender` built for the same address in this process (each life of a supervised
//! prover builds its own) shares it, so a send an earlier life left running can never sign alongside
//! the next life's (two transactions for one intent, or two at one nonce).
//!
//! A send may be cancelled (its future dropped) at any await point: the signed transaction's hash,
//! nonce and raw bytes are recorded together, synchronously, before the broadcast, so a cancelled
//! send leaves either nothing or a recorded transaction that [`Sender::reconcile`] and the next
//! `send_once` under the key settle, wait for or rebroadcast.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, Weak};
use std::time::Duration;

use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};
use tokio::sync::Mutex;

use crate::chain::ChainProvider;
use crate::chain::rebroadcast::{Presence, ensure_known, on_canonical_chain};
use crate::chain::revert::describe;
use crate::store::{Store, SubmissionStatus};

/// Why a transaction did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The chain refused it (simulation or mined revert); the decoded reason.
    #[error("[P101] reverted: {0}")]
    Reverted(String),
    /// RPC or signing trouble; retrying may help.
    #[error("[P102] transport: {0}")]
    Transport(String),
    /// The local store failed.
    #[error("[P103] store: {0}")]
    Store(String),
}

/// A mined transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Its hash.
    pub tx_hash: B256,
    /// Gas it used.
    pub gas_used: u64,
    /// Whether this call sent it (false: an earlier life of this prover did).
    pub fresh: bool,
}

/// Decodes revert data against every proofmarket contract's ABI (the decoder the sequencer's
/// submitter uses too, [`crate::chain::revert::describe`]): `TaskExpired(taskId: 7, deadline: …)`,
/// `Error("…")`, `Panic(0x11: …)`. `None` for an empty revert or an unknown selector.
pub fn decode_revert(data: &[u8]) -> Option<String> {
    let decoded = describe(data);
    (decoded.name != "unknown" && decoded.name != "empty").then_some(decoded.display)
}

/// The error name of a decoded revert (`InvalidProof`, `AlreadyProven`, …).
pub fn error_name(decoded: &str) -> &str {
    decoded.split([' ', '(', '{']).next().unwrap_or(decoded)
}

fn rpc_revert(err: &RpcError<TransportErrorKind>) -> Option<String> {
    let data = err.as_error_resp().and_then(|resp| resp.as_revert_data())?;
    Some(describe(&data).display)
}

/// The send lock of `account`, shared by every [`Sender`] for it in this process.
///
/// Keyed by address alone: one account's nonces are one sequence per chain, and serialising an
/// account's sends on two chains (only tests do that) costs time, never safety. Entries are weak,
/// so an account nobody sends for any more leaves nothing behind.
fn account_lock(account: Address) -> Arc<Mutex<()>> {
    static LOCKS: LazyLock<std::sync::Mutex<HashMap<Address, Weak<Mutex<()>>>>> =
        LazyLock::new(Default::default);
    // The map holds no invariant a panicking holder could break: a poisoned lock is still usable.
    let mut locks = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(lock) = locks.get(&account).and_then(Weak::upgrade) {
        return lock;
    }
    locks.retain(|_, lock| lock.strong_count() > 0);
    let lock = Arc::new(Mutex::new(()));
    locks.insert(account, Arc::downgrade(&lock));
    lock
}

/// Serialised, idempotent transaction sending for one account.
#[derive(Clone)]
pub struct Sender {
    provider: ChainProvider,
    wallet: EthereumWallet,
    from: Address,
    store: Store,
    /// The account's process-wide send lock ([`account_lock`]), held from the store lookup to the
    /// receipt.
    lock: Arc<Mutex<()>>,
    /// How long to wait for a receipt before giving up: a last resort, since a transaction the
    /// node has lost is found and rebroadcast every `presence_interval`.
    receipt_timeout: Duration,
    /// How often a wait asks the node whether it still knows the transaction.
    presence_interval: Duration,
}

/// How often a receipt is polled.
const RECEIPT_POLL: Duration = Duration::from_millis(200);
/// Default interval of the presence check while waiting for a receipt.
const PRESENCE_INTERVAL: Duration = Duration::from_secs(1);
/// Signings of one intent in one `send_once` when each signed transaction's nonce goes to another
/// transaction of the account (another process sending for it) before it is mined.
const MAX_SIGNINGS: u32 = 3;

/// How a wait for a recorded transaction ended.
enum Waited {
    /// Mined on the canonical chain.
    Mined(Box<TransactionReceipt>),
    /// It can never be mined (nonce taken by another transaction, or lost with no bytes kept).
    Lost,
    /// The receipt timeout passed; `held` is the revert it was held back for, if it was.
    TimedOut { held: Option<String> },
}

impl Sender {
    /// A sender for `signer`'s account (sharing the account's send lock with every other `Sender`
    /// for it in this process).
    pub fn new(provider: ChainProvider, signer: PrivateKeySigner, store: Store) -> Self {
        let from = signer.address();
        Self {
            provider,
            wallet: EthereumWallet::from(signer),
            from,
            store,
            lock: account_lock(from),
            receipt_timeout: Duration::from_secs(60),
            presence_interval: PRESENCE_INTERVAL,
        }
    }

    /// The sending account.
    pub fn address(&self) -> Address {
        self.from
    }

    /// How often a wait for a receipt asks the node whether it still knows the transaction
    /// (default 1 s; the prover uses its chain poll interval).
    pub fn with_presence_interval(mut self, interval: Duration) -> Self {
        self.presence_interval = interval;
        self
    }

    /// Sends `to.call(data)` once under `key` (see the module docs).
    pub async fn send_once(
        &self,
        key: &str,
        task_id: Option<u64>,
        kind: &str,
        to: Address,
        data: Bytes,
    ) -> Result<Sent, SendError> {
        let _guard = self.lock.lock().await;
        let store_err = |e: crate::store::StoreError| SendError::Store(e.to_string());
        if let Some(previous) = self.store.submission(key).map_err(store_err)? {
            match (previous.status, previous.tx_hash) {
                (SubmissionStatus::Confirmed, Some(hash)) => {
                    let receipt = self
                        .provider
                        .get_transaction_receipt(hash)
                        .await
                        .map_err(|e| SendError::Transport(e.to_string()))?;
                    if receipt.is_some() {
                        return Ok(Sent {
                            tx_hash: hash,
                            gas_used: previous.gas_used.unwrap_or(0),
                            fresh: false,
                        });
                    }
                    // Confirmed once, but the chain no longer has it: a reorg dropped its block.
                    tracing::warn!(key, tx = %hash, "a confirmed transaction was reorged out; reviving it");
                    if let Some(sent) = self.revive(key, hash).await? {
                        return Ok(sent);
                    }
                }
                (SubmissionStatus::Reverted, _) => {
                    return Err(SendError::Reverted(
                        previous.error.unwrap_or_else(|| "reverted".into()),
                    ));
                }
                (SubmissionStatus::Signed | SubmissionStatus::Pending, Some(hash)) => {
                    // Signed by us before (maybe by a previous life): wait for it, or put it back
                    // if the node lost it (or never got it); never re-sign.
                    if let Some(sent) = self.revive(key, hash).await? {
                        return Ok(sent);
                    }
                    // It can never be mined (its nonce went elsewhere, or its bytes are gone):
                    // sending now is the first broadcast of this intent that can land.
                }
                // Failed before reaching the chain, or signed without a hash: safe to send.
                _ => {}
            }
        }

        for signing in 1..=MAX_SIGNINGS {
            let hash = self
                .sign_and_broadcast(key, task_id, kind, to, &data)
                .await?;
            match self.wait_mined(key, hash, false).await? {
                Waited::Mined(receipt) => return self.settle(key, hash, &receipt, true),
                Waited::TimedOut { held } => return Err(self.timed_out(hash, held)),
                Waited::Lost => {
                    tracing::warn!(key, tx = %hash, signing, "the signed transaction can never be mined (its nonce went to another); signing the intent anew");
                }
            }
        }
        Err(SendError::Transport(format!(
            "{key}: {MAX_SIGNINGS} signed transactions in a row lost their nonce to others"
        )))
    }

    /// Simulates, signs, records (hash, nonce, raw bytes) and broadcasts; returns the hash.
    async fn sign_and_broadcast(
        &self,
        key: &str,
        task_id: Option<u64>,
        kind: &str,
        to: Address,
        data: &Bytes,
    ) -> Result<B256, SendError> {
        let store_err = |e: crate::store::StoreError| SendError::Store(e.to_string());
        let request = TransactionRequest::default()
            .with_from(self.from)
            .with_to(to)
            .with_input(data.clone());
        let gas = match self.provider.estimate_gas(request.clone()).await {
            Ok(gas) => gas,
            Err(err) => {
                let reason = rpc_revert(&err);
                return match reason {
                    Some(reason) => {
                        self.store
                            .record_failed(key, task_id, kind, SubmissionStatus::Reverted, &reason)
                            .map_err(store_err)?;
                        Err(SendError::Reverted(reason))
                    }
                    None => Err(SendError::Transport(err.to_string())),
                };
            }
        };
        let nonce = self
            .provider
            .get_transaction_count(self.from)
            .pending()
            .await
            .map_err(|e| SendError::Transport(e.to_string()))?;
        let fees = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(|e| SendError::Transport(e.to_string()))?;
        let chain_id = self
            .provider
            .get_chain_id()
            .await
            .map_err(|e| SendError::Transport(e.to_string()))?;
        let request = request
            .with_nonce(nonce)
            .with_chain_id(chain_id)
            // 20% headroom over the estimate: the pairing's gas is exact, storage refunds are not.
            .with_gas_limit(gas + gas / 5)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let envelope = request
            .build(&self.wallet)
            .await
            .map_err(|e| SendError::Transport(e.to_string()))?;
        let hash = *envelope.tx_hash();
        self.store
            .record_signed(key, task_id, kind, nonce, hash)
            .map_err(store_err)?;
        // The exact bytes, for a rebroadcast after a reorg or a dropped broadcast: the same
        // transaction again, never a second one for the intent.
        self.store
            .set_submission_raw(key, &envelope.encoded_2718())
            .map_err(store_err)?;
        let _pending = self
            .provider
            .send_tx_envelope(envelope)
            .await
            .map_err(|e| SendError::Transport(e.to_string()))?;
        self.store
            .set_submission_status(key, SubmissionStatus::Pending, None, None)
            .map_err(store_err)?;
        Ok(hash)
    }

    /// Settles what an earlier life left signed or pending: every recorded hash the chain has mined is
    /// marked confirmed or reverted (and its gas counted); one the chain has not mined stays as it is,
    /// for [`Sender::send_once`] under the same key to wait for or, if the chain never saw it, to
    /// broadcast for the first time. Returns how many it settled.
    pub async fn reconcile(&self) -> Result<usize, SendError> {
        let _guard = self.lock.lock().await;
        let unsettled = self
            .store
            .unsettled_submissions()
            .map_err(|e| SendError::Store(e.to_string()))?;
        let mut settled = 0;
        for submission in unsettled {
            let Some(hash) = submission.tx_hash else {
                continue;
            };
            let receipt = self
                .provider
                .get_transaction_receipt(hash)
                .await
                .map_err(|e| SendError::Transport(e.to_string()))?;
            if let Some(receipt) = receipt {
                match self.settle(&submission.key, hash, &receipt, false) {
                    // A mined revert is recorded as such by `settle`: settled all the same.
                    Ok(_) | Err(SendError::Reverted(_)) => settled += 1,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(settled)
    }

    /// A recorded transaction with no receipt (never mined yet, dropped from the mempool, its block
    /// reorged out, or never broadcast): waits for it, putting it back on the node whenever the
    /// node has lost it. `None`: it can never be mined (its nonce went to another transaction, or
    /// its bytes were not kept), so the caller may sign the intent anew.
    async fn revive(&self, key: &str, hash: B256) -> Result<Option<Sent>, SendError> {
        match self.wait_mined(key, hash, true).await? {
            Waited::Mined(receipt) => self.settle(key, hash, &receipt, false).map(Some),
            Waited::Lost => Ok(None),
            Waited::TimedOut { held } => Err(self.timed_out(hash, held)),
        }
    }

    /// Waits up to the receipt timeout for `hash` (recorded under `key`) to be mined on the
    /// canonical chain. Every `presence_interval` — at once with `check_now` — it asks the node
    /// whether it still knows the transaction and rebroadcasts the recorded bytes when it does
    /// not ([`ensure_known`]), so a reorg or a dropped broadcast costs one interval, not the
    /// timeout; a receipt whose block has just been replaced counts as lost, not mined.
    async fn wait_mined(
        &self,
        key: &str,
        hash: B256,
        check_now: bool,
    ) -> Result<Waited, SendError> {
        let store_err = |e: crate::store::StoreError| SendError::Store(e.to_string());
        let started = tokio::time::Instant::now();
        let deadline = started + self.receipt_timeout;
        let mut next_check = if check_now {
            started
        } else {
            started + self.presence_interval
        };
        let mut held: Option<String> = None;
        loop {
            let receipt = self
                .provider
                .get_transaction_receipt(hash)
                .await
                .map_err(|e| SendError::Transport(e.to_string()))?;
            if let Some(receipt) = receipt {
                if on_canonical_chain(&self.provider, &receipt)
                    .await
                    .map_err(|e| SendError::Transport(e.to_string()))?
                {
                    return Ok(Waited::Mined(Box::new(receipt)));
                }
                tracing::warn!(key, tx = %hash, "the receipt's block is no longer on the chain");
                next_check = tokio::time::Instant::now();
            }
            let now = tokio::time::Instant::now();
            if now >= next_check {
                next_check = now + self.presence_interval;
                let raw = self.store.submission_raw(key).map_err(store_err)?;
                let presence = ensure_known(&self.provider, self.from, hash, raw.as_deref())
                    .await
                    .map_err(|e| SendError::Transport(e.to_string()))?;
                match presence {
                    Presence::Known => held = None,
                    Presence::Rebroadcast => {
                        held = None;
                        self.store
                            .set_submission_status(key, SubmissionStatus::Pending, None, None)
                            .map_err(store_err)?;
                        tracing::info!(key, tx = %hash, waited_ms = started.elapsed().as_millis() as u64,
                                       "the node did not know the transaction; rebroadcast its recorded bytes");
                    }
                    Presence::Held(revert) => {
                        if held.is_none() {
                            tracing::info!(key, tx = %hash, revert = %revert,
                                           "the node lost the transaction and it would revert now; holding it back");
                        }
                        held = Some(revert.display);
                    }
                    Presence::Superseded => {
                        tracing::info!(key, tx = %hash, "the recorded transaction's nonce went to another transaction");
                        return Ok(Waited::Lost);
                    }
                    Presence::Unrecoverable => {
                        tracing::info!(key, tx = %hash, "the node does not know the transaction and its bytes were not kept");
                        return Ok(Waited::Lost);
                    }
                }
            }
            if now >= deadline {
                return Ok(Waited::TimedOut { held });
            }
            tokio::time::sleep(RECEIPT_POLL.min(deadline - now)).await;
        }
    }

    /// The error for a wait that ran out: a transaction held back because it would revert reports
    /// that revert (so the caller sees why, e.g. the task is gone); its row stays pending, and a
    /// later `send_once` under the key waits for it again rather than signing anew.
    fn timed_out(&self, hash: B256, held: Option<String>) -> SendError {
        let seconds = self.receipt_timeout.as_secs();
        match held {
            Some(reason) => SendError::Reverted(format!(
                "{reason} (recorded transaction {hash} held back for {seconds}s: it would revert)"
            )),
            None => SendError::Transport(format!("transaction {hash} not mined in {seconds}s")),
        }
    }

    fn settle(
        &self,
        key: &str,
        hash: B256,
        receipt: &TransactionReceipt,
        fresh: bool,
    ) -> Result<Sent, SendError> {
        let store_err = |e: crate::store::StoreError| SendError::Store(e.to_string());
        let gas_used = receipt.gas_used;
        // Settled once per key (a settled submission is answered from the store), so counted once,
        // by whichever life of the prover saw the receipt first.
        crate::metrics::gas_spent(
            &self.from.to_string(),
            gas_used,
            receipt.effective_gas_price,
        );
        if receipt.status() {
            self.store
                .set_submission_status(key, SubmissionStatus::Confirmed, Some(gas_used), None)
                .map_err(store_err)?;
            Ok(Sent {
                tx_hash: hash,
                gas_used,
                fresh,
            })
        } else {
            let reason = format!("transaction {hash} reverted on chain");
            self.store
                .set_submission_status(
                    key,
                    SubmissionStatus::Reverted,
                    Some(gas_used),
                    Some(&reason),
                )
                .map_err(store_err)?;
            Err(SendError::Reverted(reason))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::U256;
    use alloy::sol_types::SolError;

    /// Every life of a prover builds its own `Sender`; they must share one lock per account, or a
    /// send left running by an earlier life could sign next to the new life's.
    #[test]
    fn senders_of_one_account_share_one_lock() {
        let (a, b) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb2));
        let first = account_lock(a);
        let second = account_lock(a);
        assert!(Arc::ptr_eq(&first, &second), "one lock per account");
        assert!(
            !Arc::ptr_eq(&first, &account_lock(b)),
            "accounts are independent"
        );
        let held = first.try_lock().expect("free");
        assert!(second.try_lock().is_err(), "held through the other handle");
        drop(held);
        drop((first, second));
        // Nobody holds the old lock any more: a later sender gets a fresh, free one.
        assert!(account_lock(a).try_lock().is_ok());
    }

    #[test]
    fn reverts_are_decoded_by_name() {
        use proofmarket_bindings::{IProofVerifier, ITaskRegistry};
        let data = IProofVerifier::InvalidProof {}.abi_encode();
        let decoded = decode_revert(&data).expect("known error");
        assert_eq!(error_name(&decoded), "InvalidProof");
        let data = ITaskRegistry::AlreadyProven {
            taskId: U256::from(7),
            prover: Address::repeat_byte(1),
        }
        .abi_encode();
        let decoded = decode_revert(&data).expect("known error");
        assert_eq!(error_name(&decoded), "AlreadyProven");
        assert!(
            decoded.starts_with("AlreadyProven(taskId: 7, "),
            "{decoded}"
        );
        assert_eq!(decode_revert(&[1, 2, 3, 4]), None);
        assert_eq!(decode_revert(&[]), None);
    }

    /// One error of every contract family the prover and the sequencer send to decodes by name
    /// through the one decoder (the prover's used to know only four interfaces).
    #[test]
    fn every_contract_family_decodes_by_name() {
        use proofmarket_bindings::{
            AscendingPriceAuction, ElectionRace, MechanismRouter, OrderBook, ProverRegistry,
            Rollup, SealedBidAuction, TaskRegistry, TreeAssignment,
        };
        let seven = U256::from(7);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                TaskRegistry::TaskExpired {
                    taskId: seven,
                    deadline: 1_700_000_000,
                }
                .abi_encode(),
                "TaskExpired(taskId: 7, deadline: 1700000000)",
            ),
            (
                ProverRegistry::NotRegistered {
                    prover: Address::repeat_byte(2),
                }
                .abi_encode(),
                "NotRegistered(prover: 0x0202",
            ),
            (
                SealedBidAuction::CommitWindowClosed {
                    taskId: seven,
                    commitEnd: U256::from(100),
                }
                .abi_encode(),
                "CommitWindowClosed(taskId: 7, commitEnd: 100)",
            ),
            (
                AscendingPriceAuction::LockPastDeadline {
                    taskId: seven,
                    lockDeadline: U256::from(200),
                    deadline: U256::from(150),
                }
                .abi_encode(),
                "LockPastDeadline(taskId: 7, lockDeadline: 200, deadline: 150)",
            ),
            (
                OrderBook::InsufficientFreeStake {
                    prover: Address::repeat_byte(4),
                    required: U256::from(5),
                    free: U256::from(1),
                }
                .abi_encode(),
                "InsufficientFreeStake(prover: 0x0404",
            ),
            (
                ElectionRace::ElectionWindowOpen {
                    taskId: seven,
                    electionEnd: U256::from(300),
                }
                .abi_encode(),
                "ElectionWindowOpen(taskId: 7, electionEnd: 300)",
            ),
            (
                TreeAssignment::RedundancyNotOne {
                    redundancy: U256::from(2),
                }
                .abi_encode(),
                "RedundancyNotOne(redundancy: 2)",
            ),
            (Rollup::NoBlocks {}.abi_encode(), "NoBlocks()"),
            (
                Rollup::NotSequencer {
                    account: Address::repeat_byte(3),
                    number: 9,
                }
                .abi_encode(),
                "NotSequencer(account: 0x0303",
            ),
            (
                MechanismRouter::UnknownInstance {
                    instanceId: U256::from(42),
                }
                .abi_encode(),
                "UnknownInstance(instanceId: 42)",
            ),
        ];
        for (data, expected) in cases {
            let decoded = decode_revert(&data).expect("a proofmarket error");
            assert!(decoded.starts_with(expected), "{decoded} vs {expected}");
            assert_eq!(
                decoded,
                crate::chain::revert::describe(&data).display,
                "one decoder for the prover and the sequencer"
            );
        }
    }
}
