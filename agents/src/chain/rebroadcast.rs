//! Recorded transactions the node has forgotten: found while waiting for a receipt, put back.
//!
//! Both senders (the sequencer's [`super::submitter::Submitter`] and the prover's `Sender`) record a
//! transaction's hash and signed bytes before broadcasting it, then wait for its receipt. A reorg
//! that takes the transaction's block (or a node that drops it from its pool) leaves nothing to
//! wait for: the receipt never comes, and without a look at the node the wait only ends at its
//! timeout. So while waiting, the senders ask [`ensure_known`] every few polls whether the node
//! still knows the hash, and it rebroadcasts the *recorded bytes* when it does not — the same
//! transaction again, never a second signing for the intent.
//!
//! Two exceptions, both reported rather than acted on: a transaction whose nonce has since been
//! used by another one can never be mined ([`Presence::Superseded`]; the caller's rules decide
//! whether to sign the intent anew), and one that would revert if included now — typically because
//! the reorg also took the state it acts on, such as the task a proof is for — is held back
//! ([`Presence::Held`]) until the chain gets that state back, since broadcasting it would spend its
//! nonce and gas on a revert and settle the intent as failed.

use alloy::consensus::{Transaction as _, TxEnvelope};
use alloy::eips::eip2718::Decodable2718;
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};

use super::ChainProvider;
use super::revert::{DecodedRevert, describe, revert_data_of_rpc};

/// An RPC step of the presence check failed (retrying later may help).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[R006] checking recorded transaction {hash}: {step} failed: {reason}")]
pub struct RebroadcastError {
    /// The recorded transaction.
    pub hash: B256,
    /// The RPC method that failed.
    pub step: &'static str,
    /// The node's or transport's message.
    pub reason: String,
}

/// What the node knows of a recorded transaction, after [`ensure_known`] did what it could.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// The node has it (in its pool or mined): keep waiting for the receipt.
    Known,
    /// The node had lost it; its recorded bytes were broadcast again.
    Rebroadcast,
    /// The node has lost it and it would revert if included now: not broadcast (yet).
    Held(DecodedRevert),
    /// The node has lost it and its nonce went to another transaction: it can never be mined.
    Superseded,
    /// The node has lost it and no usable bytes were recorded (none, or they are not the
    /// transaction with this hash): it cannot be put back.
    Unrecoverable,
}

/// Checks that the node knows `hash` and puts the recorded transaction back if it does not (see
/// the module docs). `from` is the sending account, `raw` its recorded EIP-2718 bytes.
pub async fn ensure_known(
    provider: &ChainProvider,
    from: Address,
    hash: B256,
    raw: Option<&[u8]>,
) -> Result<Presence, RebroadcastError> {
    let fail = |step: &'static str| {
        move |e: alloy::transports::RpcError<alloy::transports::TransportErrorKind>| {
            RebroadcastError {
                hash,
                step,
                reason: e.to_string(),
            }
        }
    };
    if provider
        .get_transaction_by_hash(hash)
        .await
        .map_err(fail("eth_getTransactionByHash"))?
        .is_some()
    {
        return Ok(Presence::Known);
    }
    let Some((raw, envelope)) = raw.and_then(|raw| {
        let mut bytes = raw;
        TxEnvelope::decode_2718(&mut bytes)
            .ok()
            .filter(|tx| *tx.tx_hash() == hash)
            .map(|tx| (raw, tx))
    }) else {
        return Ok(Presence::Unrecoverable);
    };
    let nonce = envelope.nonce();
    // A mined transaction of ours at or above this nonce means this one's nonce is spent. If that
    // transaction is this one after all (mined between the lookup above and the count), it is
    // known again.
    let mined_count = provider
        .get_transaction_count(from)
        .latest()
        .await
        .map_err(fail("eth_getTransactionCount"))?;
    if mined_count > nonce {
        return superseded_unless_mined(provider, hash).await;
    }
    // Would it still do what it was signed for? The nonce and fees are left to the broadcast.
    let mut request = TransactionRequest::from_transaction_with_sender(envelope, from);
    request.nonce = None;
    request.gas_price = None;
    request.max_fee_per_gas = None;
    request.max_priority_fee_per_gas = None;
    request.transaction_type = None;
    if let Err(e) = provider.call(request).await {
        if let Some(data) = revert_data_of_rpc(&e) {
            return Ok(Presence::Held(describe(&data)));
        }
        if e.to_string().to_lowercase().contains("revert") {
            return Ok(Presence::Held(describe(&[])));
        }
        // Not a revert (a transport hiccup, a fee the simulation refuses): the node's answer to
        // the broadcast decides.
        tracing::debug!(tx = %hash, error = %e, "simulating the lost transaction failed; rebroadcasting anyway");
    }
    match provider.send_raw_transaction(raw).await {
        Ok(_) => Ok(Presence::Rebroadcast),
        Err(e) => {
            let message = e.to_string().to_lowercase();
            if message.contains("already known") {
                Ok(Presence::Known)
            } else if message.contains("nonce") {
                superseded_unless_mined(provider, hash).await
            } else {
                Err(fail("eth_sendRawTransaction")(e))
            }
        }
    }
}

async fn superseded_unless_mined(
    provider: &ChainProvider,
    hash: B256,
) -> Result<Presence, RebroadcastError> {
    let receipt: Option<TransactionReceipt> = provider
        .get_transaction_receipt(hash)
        .await
        .map_err(|e| RebroadcastError {
            hash,
            step: "eth_getTransactionReceipt",
            reason: e.to_string(),
        })?;
    Ok(if receipt.is_some() {
        Presence::Known
    } else {
        Presence::Superseded
    })
}

/// Whether `receipt`'s block is still the chain's block at its height (a receipt read just as a
/// reorg replaces its block can name a block that is gone).
pub async fn on_canonical_chain(
    provider: &ChainProvider,
    receipt: &TransactionReceipt,
) -> Result<bool, RebroadcastError> {
    let (Some(number), Some(hash)) = (receipt.block_number, receipt.block_hash) else {
        // A receipt without a block is a pending one: not mined yet.
        return Ok(false);
    };
    let block = provider
        .get_block_by_number(number.into())
        .await
        .map_err(|e| RebroadcastError {
            hash: receipt.transaction_hash,
            step: "eth_getBlockByNumber",
            reason: e.to_string(),
        })?;
    Ok(block.is_some_and(|block| block.header.hash == hash))
}
