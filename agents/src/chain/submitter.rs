//! The transaction submitter: ONE nonce manager per account, gas estimation with headroom, retries
//! with backoff on transport errors, typed revert decoding, and at-most-once sending per idempotency key.
//!
//! Every transaction goes through [`Submitter::send`]. The nonce is assigned under a lock held from
//! signing to broadcast, so transactions of one account never race for a nonce; the counter is
//! re-read from the chain after a nonce error or a restart. With an idempotency key the signed
//! transaction (hash and raw bytes) is written to the store *before* it is broadcast: a restarted agent
//! that finds it rebroadcasts those same bytes or waits for their receipt, and never signs a second
//! transaction for the same intent. A call that would revert is refused before signing, with the error
//! decoded (`TaskExpired(taskId: 7, deadline: …)`); only a revert *on chain* is remembered under the key
//! (a simulation revert may stop applying once the chain moves on). While a receipt is awaited the
//! node is asked every `presence_interval` whether it still knows the transaction, and one a reorg or
//! the node dropped is rebroadcast from its recorded bytes ([`super::rebroadcast`]).

use std::sync::Arc;
use std::time::Duration;

use alloy::eips::{Decodable2718, Encodable2718};
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use tokio::sync::Mutex;

use super::ChainProvider;
use super::rebroadcast::{Presence, ensure_known, on_canonical_chain};
use super::revert::{DecodedRevert, describe, revert_data_of_rpc};
use crate::store::{Store, StoreError, SubmissionStatus};

/// Why a transaction was not (successfully) sent. Codes are stable.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("[T001] {call} would revert: {revert}")]
    WouldRevert { call: String, revert: DecodedRevert },
    #[error("[T002] {call} reverted on chain in {tx_hash}: {revert}")]
    Reverted {
        call: String,
        tx_hash: B256,
        revert: DecodedRevert,
    },
    #[error("[T003] {call}: RPC failed after {attempts} attempts: {reason}")]
    Rpc {
        call: String,
        attempts: u32,
        reason: String,
    },
    #[error("[T004] {call}: {tx_hash} not mined within {seconds}s")]
    Timeout {
        call: String,
        tx_hash: B256,
        seconds: u64,
    },
    #[error("[T005] {call} was already tried under key {key:?} and failed: {error}")]
    AlreadyFailed {
        call: String,
        key: String,
        error: String,
    },
    #[error("[T006] {call}: cannot build the transaction: {reason}")]
    Build { call: String, reason: String },
    #[error("[T007] {0}")]
    Store(#[from] StoreError),
}

impl SubmitError {
    /// The decoded revert, when the failure was one.
    pub fn revert(&self) -> Option<&DecodedRevert> {
        match self {
            Self::WouldRevert { revert, .. } | Self::Reverted { revert, .. } => Some(revert),
            _ => None,
        }
    }
}

/// A mined, successful transaction.
#[derive(Debug, Clone)]
pub struct Sent {
    pub tx_hash: B256,
    pub gas_used: u64,
    pub block_number: u64,
    /// False when the key had already been sent (by this process or a previous one).
    pub fresh: bool,
    pub receipt: TransactionReceipt,
}

/// Submitter tuning.
#[derive(Debug, Clone)]
pub struct SubmitterConfig {
    /// Attempts per RPC step on transport errors. Default 5.
    pub max_attempts: u32,
    /// First retry delay (doubles). Default 250 ms.
    pub retry_backoff: Duration,
    /// Gas limit = estimate × (100 + margin) / 100. Default 20: the pairing's gas is exact but storage
    /// refunds and warm/cold slots make estimates drift between simulation and inclusion.
    pub gas_margin_percent: u64,
    /// How long to wait for a receipt. Default 120 s (10 L1 slots). A last resort: a transaction
    /// the node has lost is noticed every `presence_interval` and rebroadcast.
    pub receipt_timeout: Duration,
    /// Receipt poll interval. Default 250 ms.
    pub poll_interval: Duration,
    /// How often a wait asks the node whether it still knows the transaction
    /// ([`super::rebroadcast::ensure_known`]). Default 1 s (the chain monitor's default poll).
    pub presence_interval: Duration,
}

impl Default for SubmitterConfig {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            retry_backoff: Duration::from_millis(250),
            gas_margin_percent: 20,
            receipt_timeout: Duration::from_secs(120),
            poll_interval: Duration::from_millis(250),
            presence_interval: Duration::from_secs(1),
        }
    }
}

/// One account's submitter. Clones share the nonce manager.
#[derive(Clone)]
pub struct Submitter {
    inner: Arc<Inner>,
}

struct Inner {
    provider: ChainProvider,
    wallet: EthereumWallet,
    from: Address,
    store: Store,
    config: SubmitterConfig,
    /// The next nonce to use; `None` = read it from the chain. Held from signing to broadcast.
    nonce: Mutex<Option<u64>>,
    chain_id: Mutex<Option<u64>>,
    /// Metrics label.
    agent: String,
}

impl Submitter {
    /// A submitter for `signer`'s account.
    pub fn new(
        provider: ChainProvider,
        signer: PrivateKeySigner,
        store: Store,
        config: SubmitterConfig,
        agent: impl Into<String>,
    ) -> Self {
        let from = signer.address();
        Self {
            inner: Arc::new(Inner {
                provider,
                wallet: EthereumWallet::from(signer),
                from,
                store,
                config,
                nonce: Mutex::new(None),
                chain_id: Mutex::new(None),
                agent: agent.into(),
            }),
        }
    }

    /// The sending account.
    pub fn address(&self) -> Address {
        self.inner.from
    }

    /// The provider.
    pub fn provider(&self) -> &ChainProvider {
        &self.inner.provider
    }

    /// Sends `data` to `to` (a contract call) and waits for its receipt.
    ///
    /// With `key`, the intent is sent at most once across restarts: a confirmed key returns its
    /// receipt (`fresh = false`), a key that reverted returns [`SubmitError::AlreadyFailed`], and a key
    /// that was signed but not settled is rebroadcast/awaited rather than signed again.
    pub async fn send(
        &self,
        call: &str,
        key: Option<&str>,
        task_id: Option<u64>,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<Sent, SubmitError> {
        let inner = &self.inner;
        if let Some(key) = key
            && let Some(sent) = self.resume(call, key).await?
        {
            return Ok(sent);
        }
        let request = TransactionRequest::default()
            .with_from(inner.from)
            .with_to(to)
            .with_input(data)
            .with_value(value);

        // Simulate first: a call that would revert is refused with its decoded error, before any nonce
        // is spent.
        let estimate = self.estimate(call, key, task_id, &request).await?;
        let gas_limit = estimate.saturating_mul(100 + inner.config.gas_margin_percent) / 100;

        // A signed transaction whose nonce goes to another before it is mined (another process
        // sending for the account) can never land: the intent is signed anew, a bounded number of
        // times.
        let mut signing = 0;
        loop {
            signing += 1;
            let (tx_hash, record_key) = self
                .sign_and_broadcast(call, key, task_id, &request, gas_limit)
                .await?;
            match self
                .await_receipt(call, &record_key, tx_hash, &request, true)
                .await?
            {
                Some(sent) => return Ok(sent),
                None if signing < inner.config.max_attempts => {
                    tracing::warn!(call, tx = %tx_hash, signing, "the signed transaction can never be mined (its nonce went to another); signing the intent anew");
                }
                None => {
                    return Err(SubmitError::Rpc {
                        call: call.to_string(),
                        attempts: signing,
                        reason: format!("{signing} signed transactions lost their nonce to others"),
                    });
                }
            }
        }
    }

    /// Signs at the managed nonce, records (hash, nonce, raw bytes) under `key` (or `tx:<hash>`)
    /// and broadcasts, retrying transport errors and re-reading the nonce after a nonce error.
    /// Returns the hash and the record's key.
    async fn sign_and_broadcast(
        &self,
        call: &str,
        key: Option<&str>,
        task_id: Option<u64>,
        request: &TransactionRequest,
        gas_limit: u64,
    ) -> Result<(B256, String), SubmitError> {
        let inner = &self.inner;
        let mut nonce_slot = inner.nonce.lock().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let nonce = match *nonce_slot {
                Some(n) => n,
                None => self.chain_nonce(call).await?,
            };
            let (tx_hash, raw) = self.sign(call, request.clone(), nonce, gas_limit).await?;
            let record_key = key.map_or_else(|| format!("tx:{tx_hash}"), str::to_string);
            inner
                .store
                .record_signed(&record_key, task_id, call, nonce, tx_hash)?;
            inner.store.set_submission_raw(&record_key, &raw)?;
            match inner.provider.send_raw_transaction(&raw).await {
                Ok(_) => {
                    *nonce_slot = Some(nonce + 1);
                    inner.store.set_submission_status(
                        &record_key,
                        SubmissionStatus::Pending,
                        None,
                        None,
                    )?;
                    return Ok((tx_hash, record_key));
                }
                Err(e) => {
                    let message = e.to_string().to_lowercase();
                    if message.contains("already known") {
                        *nonce_slot = Some(nonce + 1);
                        return Ok((tx_hash, record_key));
                    }
                    // Our counter is stale (another sender on this key, or a restart): re-read it.
                    *nonce_slot = None;
                    let nonce_error = message.contains("nonce");
                    if attempt >= inner.config.max_attempts {
                        inner.store.set_submission_status(
                            &record_key,
                            SubmissionStatus::Failed,
                            None,
                            Some(&e.to_string()),
                        )?;
                        return Err(SubmitError::Rpc {
                            call: call.to_string(),
                            attempts: attempt,
                            reason: e.to_string(),
                        });
                    }
                    if !nonce_error {
                        tokio::time::sleep(self.backoff(attempt)).await;
                    }
                    tracing::debug!(call, attempt, error = %e, "broadcast failed; retrying");
                }
            }
        }
    }

    /// Checks the store for `key`: returns the earlier result, or `None` when the intent must be sent.
    async fn resume(&self, call: &str, key: &str) -> Result<Option<Sent>, SubmitError> {
        let inner = &self.inner;
        let Some(previous) = inner.store.submission(key)? else {
            return Ok(None);
        };
        match (previous.status, previous.tx_hash) {
            (SubmissionStatus::Confirmed, Some(hash)) => {
                if let Some(receipt) = self.receipt(call, hash).await? {
                    return Ok(Some(Sent {
                        tx_hash: hash,
                        gas_used: receipt.gas_used,
                        block_number: receipt.block_number.unwrap_or_default(),
                        fresh: false,
                        receipt,
                    }));
                }
                // Confirmed once, but the chain no longer has it: a reorg took its block. The
                // same transaction is put back and waited for (or, if its nonce went elsewhere,
                // the intent is sent anew).
                tracing::warn!(call, key, tx = %hash, "a confirmed transaction was reorged out; reviving it");
                self.revive(call, key, hash).await
            }
            (SubmissionStatus::Reverted, _) => Err(SubmitError::AlreadyFailed {
                call: call.to_string(),
                key: key.to_string(),
                error: previous.error.unwrap_or_else(|| "reverted".into()),
            }),
            // Signed (maybe never broadcast: a crash in between) or pending: wait for it, putting
            // its recorded bytes back on the node if the node does not know it.
            (SubmissionStatus::Signed | SubmissionStatus::Pending, Some(hash)) => {
                self.revive(call, key, hash).await
            }
            // Failed before reaching the chain: sending now is the first real attempt.
            _ => Ok(None),
        }
    }

    /// Waits for a recorded transaction from an earlier call or process; `None` when it can never
    /// be mined (its record is then marked failed and the intent may be sent anew).
    async fn revive(&self, call: &str, key: &str, hash: B256) -> Result<Option<Sent>, SubmitError> {
        // The recorded bytes give the call back, to decode a revert on chain.
        let request = self
            .inner
            .store
            .submission_raw(key)?
            .and_then(|raw| {
                let mut bytes = raw.as_slice();
                alloy::consensus::TxEnvelope::decode_2718(&mut bytes).ok()
            })
            .map(|tx| TransactionRequest::from_transaction_with_sender(tx, self.inner.from))
            .map(|mut request| {
                request.nonce = None;
                request
            })
            .unwrap_or_default();
        self.await_receipt(call, key, hash, &request, false).await
    }

    async fn estimate(
        &self,
        call: &str,
        key: Option<&str>,
        task_id: Option<u64>,
        request: &TransactionRequest,
    ) -> Result<u64, SubmitError> {
        let inner = &self.inner;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match inner.provider.estimate_gas(request.clone()).await {
                Ok(gas) => return Ok(gas),
                Err(e) => {
                    if let Some(data) = revert_data_of_rpc(&e) {
                        // Not recorded as a final failure under the key: a simulation revert never
                        // reached the chain, and the state that caused it may change (a full pending
                        // chain drains, a task opens); the caller decides whether to retry.
                        let revert = describe(&data);
                        tracing::debug!(call, key, task_id, %revert, "simulation reverted");
                        return Err(SubmitError::WouldRevert {
                            call: call.to_string(),
                            revert,
                        });
                    }
                    let message = e.to_string();
                    if message.to_lowercase().contains("revert") {
                        // Reverted without data (e.g. out of gas in a callee, or `require(false)`).
                        let revert = describe(&[]);
                        return Err(SubmitError::WouldRevert {
                            call: call.to_string(),
                            revert,
                        });
                    }
                    if attempt >= inner.config.max_attempts {
                        return Err(SubmitError::Rpc {
                            call: call.to_string(),
                            attempts: attempt,
                            reason: message,
                        });
                    }
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
            }
        }
    }

    async fn chain_nonce(&self, call: &str) -> Result<u64, SubmitError> {
        let inner = &self.inner;
        self.retry(call, || async {
            inner
                .provider
                .get_transaction_count(inner.from)
                .pending()
                .await
        })
        .await
    }

    async fn sign(
        &self,
        call: &str,
        request: TransactionRequest,
        nonce: u64,
        gas_limit: u64,
    ) -> Result<(B256, Vec<u8>), SubmitError> {
        let inner = &self.inner;
        let chain_id = {
            let mut slot = inner.chain_id.lock().await;
            match *slot {
                Some(id) => id,
                None => {
                    let id = self
                        .retry(call, || async { inner.provider.get_chain_id().await })
                        .await?;
                    *slot = Some(id);
                    id
                }
            }
        };
        let fees = self
            .retry(call, || async {
                inner.provider.estimate_eip1559_fees().await
            })
            .await?;
        let request = request
            .with_nonce(nonce)
            .with_chain_id(chain_id)
            .with_gas_limit(gas_limit)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let envelope = request
            .build(&inner.wallet)
            .await
            .map_err(|e| SubmitError::Build {
                call: call.to_string(),
                reason: e.to_string(),
            })?;
        Ok((*envelope.tx_hash(), envelope.encoded_2718()))
    }

    async fn receipt(
        &self,
        call: &str,
        hash: B256,
    ) -> Result<Option<TransactionReceipt>, SubmitError> {
        let inner = &self.inner;
        self.retry(call, || async {
            inner.provider.get_transaction_receipt(hash).await
        })
        .await
    }

    /// Waits for the receipt of `hash` on the canonical chain and settles the record under `key`.
    ///
    /// Every `presence_interval` (at once for a transaction from an earlier call) it asks the node
    /// whether it still knows the transaction and rebroadcasts the recorded bytes if not
    /// ([`ensure_known`]); a receipt whose block was just replaced counts as not mined. `None`:
    /// the transaction can never be mined (its nonce went to another, or it was lost with no bytes
    /// kept); its record is marked failed.
    async fn await_receipt(
        &self,
        call: &str,
        key: &str,
        hash: B256,
        request: &TransactionRequest,
        fresh: bool,
    ) -> Result<Option<Sent>, SubmitError> {
        let inner = &self.inner;
        let started = tokio::time::Instant::now();
        let deadline = started + inner.config.receipt_timeout;
        let mut next_check = if fresh {
            started + inner.config.presence_interval
        } else {
            started
        };
        let mut held: Option<DecodedRevert> = None;
        let rpc = |e: super::rebroadcast::RebroadcastError| SubmitError::Rpc {
            call: call.to_string(),
            attempts: 1,
            reason: e.to_string(),
        };
        let receipt = loop {
            if let Some(receipt) = self.receipt(call, hash).await? {
                if on_canonical_chain(&inner.provider, &receipt)
                    .await
                    .map_err(rpc)?
                {
                    break receipt;
                }
                tracing::warn!(call, tx = %hash, "the receipt's block is no longer on the chain");
                next_check = tokio::time::Instant::now();
            }
            let now = tokio::time::Instant::now();
            if now >= next_check {
                next_check = now + inner.config.presence_interval;
                let raw = inner.store.submission_raw(key)?;
                match ensure_known(&inner.provider, inner.from, hash, raw.as_deref())
                    .await
                    .map_err(rpc)?
                {
                    Presence::Known => held = None,
                    Presence::Rebroadcast => {
                        held = None;
                        inner.store.set_submission_status(
                            key,
                            SubmissionStatus::Pending,
                            None,
                            None,
                        )?;
                        tracing::info!(call, tx = %hash, waited_ms = started.elapsed().as_millis() as u64,
                                       "the node did not know the transaction; rebroadcast its recorded bytes");
                    }
                    Presence::Held(revert) => {
                        if held.is_none() {
                            tracing::info!(call, tx = %hash, %revert, "the node lost the transaction and it would revert now; holding it back");
                        }
                        held = Some(revert);
                    }
                    lost @ (Presence::Superseded | Presence::Unrecoverable) => {
                        let reason = if lost == Presence::Superseded {
                            "superseded: nonce reused"
                        } else {
                            "lost: the node does not know it and its bytes were not kept"
                        };
                        tracing::info!(call, tx = %hash, reason, "the recorded transaction can never be mined");
                        inner.store.set_submission_status(
                            key,
                            SubmissionStatus::Failed,
                            None,
                            Some(reason),
                        )?;
                        // Whatever our counter says, the chain's is the truth now.
                        *inner.nonce.lock().await = None;
                        return Ok(None);
                    }
                }
            }
            if now >= deadline {
                // Held back because it would revert: report that revert (not recorded under the
                // key, which stays pending: it never reverted on chain).
                if let Some(revert) = held {
                    return Err(SubmitError::WouldRevert {
                        call: call.to_string(),
                        revert,
                    });
                }
                return Err(SubmitError::Timeout {
                    call: call.to_string(),
                    tx_hash: hash,
                    seconds: inner.config.receipt_timeout.as_secs(),
                });
            }
            tokio::time::sleep(inner.config.poll_interval.min(deadline - now)).await;
        };
        let block_number = receipt.block_number.unwrap_or_default();
        if fresh {
            crate::metrics::gas_spent(&inner.agent, receipt.gas_used, receipt.effective_gas_price);
        }
        if receipt.status() {
            inner.store.set_submission_status(
                key,
                SubmissionStatus::Confirmed,
                Some(receipt.gas_used),
                None,
            )?;
            return Ok(Some(Sent {
                tx_hash: hash,
                gas_used: receipt.gas_used,
                block_number,
                fresh,
                receipt,
            }));
        }
        // Mined but reverted: replay the call at that block to learn why.
        let revert = if request.to.is_some() {
            match inner
                .provider
                .call(request.clone())
                .block(block_number.into())
                .await
            {
                Err(e) => revert_data_of_rpc(&e).map_or_else(|| describe(&[]), |d| describe(&d)),
                Ok(_) => describe(&[]),
            }
        } else {
            describe(&[])
        };
        inner.store.set_submission_status(
            key,
            SubmissionStatus::Reverted,
            Some(receipt.gas_used),
            Some(&revert.display),
        )?;
        Err(SubmitError::Reverted {
            call: call.to_string(),
            tx_hash: hash,
            revert,
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.inner
            .config
            .retry_backoff
            .saturating_mul(factor)
            .min(Duration::from_secs(10))
    }

    /// Runs an RPC step with retries on transport errors.
    async fn retry<T, E, F, Fut>(&self, call: &str, mut step: F) -> Result<T, SubmitError>
    where
        E: std::fmt::Display,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match step().await {
                Ok(value) => return Ok(value),
                Err(e) if attempt >= self.inner.config.max_attempts => {
                    return Err(SubmitError::Rpc {
                        call: call.to_string(),
                        attempts: attempt,
                        reason: e.to_string(),
                    });
                }
                Err(e) => {
                    tracing::debug!(call, attempt, error = %e, "RPC step failed; retrying");
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
            }
        }
    }
}
