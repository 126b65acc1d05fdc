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
//! One `Sender` per prover serialises sends behind a mutex, which makes it the nonce manager: the
//! next nonce is the chain's pending count, read under the lock.

use std::sync::Arc;
use std::time::Duration;

use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolInterface;
use alloy::transports::{RpcError, TransportErrorKind};
use proofmarket_bindings::{IMechanism, IProofVerifier, IProverRegistry, ITaskRegistry};
use tokio::sync::Mutex;

use crate::chain::ChainProvider;
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

/// Decodes revert data against every proofmarket interface a prover talks to.
pub fn decode_revert(data: &[u8]) -> Option<String> {
    if let Ok(e) = ITaskRegistry::ITaskRegistryErrors::abi_decode(data) {
        return Some(format_error(&format!("{e:?}")));
    }
    if let Ok(e) = IProofVerifier::IProofVerifierErrors::abi_decode(data) {
        return Some(format_error(&format!("{e:?}")));
    }
    if let Ok(e) = IProverRegistry::IProverRegistryErrors::abi_decode(data) {
        return Some(format_error(&format!("{e:?}")));
    }
    if let Ok(e) = IMechanism::IMechanismErrors::abi_decode(data) {
        return Some(format_error(&format!("{e:?}")));
    }
    None
}

/// `AlreadyProven(AlreadyProven { taskId: 7, prover: 0x.. })` → `AlreadyProven { taskId: 7, prover: 0x.. }`.
fn format_error(debug: &str) -> String {
    match debug.split_once('(') {
        Some((_, rest)) if rest.ends_with(')') => rest[..rest.len() - 1].to_string(),
        _ => debug.to_string(),
    }
}

/// The error name of a decoded revert (`InvalidProof`, `AlreadyProven`, …).
pub fn error_name(decoded: &str) -> &str {
    decoded.split([' ', '(', '{']).next().unwrap_or(decoded)
}

fn rpc_revert(err: &RpcError<TransportErrorKind>) -> Option<String> {
    let data = err.as_error_resp().and_then(|resp| resp.as_revert_data())?;
    Some(
        decode_revert(&data)
            .unwrap_or_else(|| format!("undecoded revert 0x{}", hex::encode(&data))),
    )
}

/// Serialised, idempotent transaction sending for one account.
#[derive(Clone)]
pub struct Sender {
    provider: ChainProvider,
    wallet: EthereumWallet,
    from: Address,
    store: Store,
    lock: Arc<Mutex<()>>,
    /// How long to wait for a receipt before calling the transaction lost.
    receipt_timeout: Duration,
}

impl Sender {
    /// A sender for `signer`'s account.
    pub fn new(provider: ChainProvider, signer: PrivateKeySigner, store: Store) -> Self {
        let from = signer.address();
        Self {
            provider,
            wallet: EthereumWallet::from(signer),
            from,
            store,
            lock: Arc::new(Mutex::new(())),
            receipt_timeout: Duration::from_secs(60),
        }
    }

    /// The sending account.
    pub fn address(&self) -> Address {
        self.from
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
                    return Ok(Sent {
                        tx_hash: hash,
                        gas_used: previous.gas_used.unwrap_or(0),
                        fresh: false,
                    });
                }
                (SubmissionStatus::Reverted, _) => {
                    return Err(SendError::Reverted(
                        previous.error.unwrap_or_else(|| "reverted".into()),
                    ));
                }
                (SubmissionStatus::Signed | SubmissionStatus::Pending, Some(hash)) => {
                    // Signed by us before (maybe by a previous life): wait for it, never re-sign.
                    if let Some(receipt) = self.wait_receipt(hash, Duration::from_secs(5)).await? {
                        return self.settle(key, hash, &receipt, false);
                    }
                    let known = self
                        .provider
                        .get_transaction_by_hash(hash)
                        .await
                        .map_err(|e| SendError::Transport(e.to_string()))?;
                    if known.is_some() {
                        let receipt = self
                            .wait_receipt(hash, self.receipt_timeout)
                            .await?
                            .ok_or_else(|| {
                                SendError::Transport(format!(
                                    "transaction {hash} not mined in time"
                                ))
                            })?;
                        return self.settle(key, hash, &receipt, false);
                    }
                    // The chain never saw it (crash between recording and broadcast, or dropped):
                    // sending now is the first broadcast of this intent.
                }
                // Failed before reaching the chain, or signed without a hash: safe to send.
                _ => {}
            }
        }

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
        let _pending = self
            .provider
            .send_tx_envelope(envelope)
            .await
            .map_err(|e| SendError::Transport(e.to_string()))?;
        self.store
            .set_submission_status(key, SubmissionStatus::Pending, None, None)
            .map_err(store_err)?;
        let receipt = self
            .wait_receipt(hash, self.receipt_timeout)
            .await?
            .ok_or_else(|| SendError::Transport(format!("transaction {hash} not mined in time")))?;
        self.settle(key, hash, &receipt, true)
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

    async fn wait_receipt(
        &self,
        hash: B256,
        timeout: Duration,
    ) -> Result<Option<TransactionReceipt>, SendError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let receipt = self
                .provider
                .get_transaction_receipt(hash)
                .await
                .map_err(|e| SendError::Transport(e.to_string()))?;
            if receipt.is_some() || tokio::time::Instant::now() >= deadline {
                return Ok(receipt);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
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

    #[test]
    fn reverts_are_decoded_by_name() {
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
        assert!(decoded.contains('7'), "{decoded}");
        assert_eq!(decode_revert(&[1, 2, 3, 4]), None);
    }
}
