//! Talking to L1: provider construction with a retry layer and the startup checks every agent runs
//! (reachable RPC, expected chain id, contracts actually deployed), the chain monitor, the transaction
//! submitter, putting back recorded transactions the node lost, and typed revert decoding.

pub mod addresses;
pub mod events;
pub mod monitor;
pub mod rebroadcast;
pub mod revert;
pub mod submitter;

use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::client::ClientBuilder;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::layers::RetryBackoffLayer;

use self::addresses::Addresses;
use crate::config::ResolvedChain;

/// The provider type every agent uses: type-erased so services need no generic parameters.
pub type ChainProvider = DynProvider;

/// How long the startup probe waits for the RPC before calling it unreachable.
pub const RPC_PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Retries of rate-limited or transiently failing RPC calls (alloy's retry layer).
const RPC_MAX_RETRIES: u32 = 10;
/// Base backoff of the retry layer, milliseconds.
const RPC_INITIAL_BACKOFF_MS: u64 = 200;
/// Compute units per second the retry layer budgets for (public-provider scale).
const RPC_COMPUTE_UNITS_PER_SECOND: u64 = 1000;

/// A startup or connection problem.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("[R001] cannot connect to RPC {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("[R002] RPC {url} is unreachable or not answering: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("[R003] wrong chain: RPC {url} reports chain id {actual}, expected {expected}")]
    WrongChainId {
        url: String,
        expected: u64,
        actual: u64,
    },
    #[error(
        "[R004] contracts not deployed on chain {chain_id}: {missing} (run `proofmarket deploy`, or check --addresses)"
    )]
    NotDeployed { chain_id: u64, missing: String },
    #[error("[R005] RPC call {call} failed: {reason}")]
    Rpc { call: &'static str, reason: String },
}

/// Builds a provider for `rpc_url` with a retry layer, and a wallet when a signer is given.
pub async fn connect(
    rpc_url: &str,
    signer: Option<PrivateKeySigner>,
) -> Result<ChainProvider, ChainError> {
    let client = ClientBuilder::default()
        .layer(RetryBackoffLayer::new(
            RPC_MAX_RETRIES,
            RPC_INITIAL_BACKOFF_MS,
            RPC_COMPUTE_UNITS_PER_SECOND,
        ))
        .connect(rpc_url)
        .await
        .map_err(|e| ChainError::Connect {
            url: rpc_url.to_string(),
            reason: e.to_string(),
        })?;
    Ok(match signer {
        Some(signer) => ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_client(client)
            .erased(),
        None => ProviderBuilder::new().connect_client(client).erased(),
    })
}

/// Asks the RPC for its chain id (bounded by [`RPC_PROBE_TIMEOUT`]) and compares it with `expected`.
pub async fn check_chain_id(
    provider: &ChainProvider,
    rpc_url: &str,
    expected: u64,
) -> Result<(), ChainError> {
    let actual = tokio::time::timeout(RPC_PROBE_TIMEOUT, provider.get_chain_id())
        .await
        .map_err(|_| ChainError::Unreachable {
            url: rpc_url.to_string(),
            reason: format!("no answer within {}s", RPC_PROBE_TIMEOUT.as_secs()),
        })?
        .map_err(|e| ChainError::Unreachable {
            url: rpc_url.to_string(),
            reason: e.to_string(),
        })?;
    if actual != expected {
        return Err(ChainError::WrongChainId {
            url: rpc_url.to_string(),
            expected,
            actual,
        });
    }
    Ok(())
}

/// Checks that every address in the deployment has code.
pub async fn check_deployed(
    provider: &ChainProvider,
    addresses: &Addresses,
) -> Result<(), ChainError> {
    let mut missing = Vec::new();
    for (label, address) in addresses.labelled() {
        if !has_code(provider, address).await? {
            missing.push(format!("{label} at {address} has no code"));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ChainError::NotDeployed {
            chain_id: addresses.chain_id,
            missing: missing.join("; "),
        })
    }
}

/// Whether `address` holds contract code.
pub async fn has_code(provider: &ChainProvider, address: Address) -> Result<bool, ChainError> {
    let code = provider
        .get_code_at(address)
        .await
        .map_err(|e| ChainError::Rpc {
            call: "eth_getCode",
            reason: e.to_string(),
        })?;
    Ok(!code.is_empty())
}

/// Connects and runs every startup check: the RPC answers, with the expected chain id, and the
/// deployment's contracts exist.
pub async fn connect_checked(
    chain: &ResolvedChain,
    signer: Option<PrivateKeySigner>,
) -> Result<ChainProvider, ChainError> {
    let provider = connect(&chain.rpc_url, signer).await?;
    check_chain_id(&provider, &chain.rpc_url, chain.chain_id).await?;
    check_deployed(&provider, &chain.addresses).await?;
    Ok(provider)
}
