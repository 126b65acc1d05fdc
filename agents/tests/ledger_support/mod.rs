//! Shared set-up of the agents' TaskLedger tests on anvil: waiting for a mined, successful
//! transaction (`send!`), and the ledger core — a ProverRegistry of the ledger's own (one binds one
//! task core) and the TaskLedger over the deployment's token and verifier registry, bound to it.

#![allow(dead_code)] // each test binary uses a different subset

use alloy::primitives::{Address, U256};
use alloy::rpc::types::TransactionReceipt;
use proofmarket::chain::ChainProvider;
use proofmarket_bindings::{ProverRegistry, TaskLedger};

use crate::prover_support::TOKEN;

/// The receipt of `call`, after asserting that the transaction succeeded.
pub async fn mined(
    call: impl std::future::IntoFuture<Output = TransactionReceipt>,
) -> TransactionReceipt {
    let receipt = call.await;
    assert!(
        receipt.status(),
        "transaction reverted: {:?}",
        receipt.transaction_hash
    );
    receipt
}

/// Sends a contract call and waits for its successful receipt.
macro_rules! send {
    ($call:expr) => {
        $crate::ledger_support::mined(async {
            $call
                .send()
                .await
                .expect("send")
                .get_receipt()
                .await
                .expect("receipt")
        })
    };
}

/// A deployed ledger core.
pub struct LedgerCore {
    pub registry: Address,
    pub ledger: Address,
}

/// Deploys a ProverRegistry (minimum stake 100 tokens, a week's unstake delay) and a TaskLedger on
/// `token` and `verifier_registry`, with `admin` as admin and treasury, and binds the registry to
/// the ledger.
pub async fn deploy_ledger_core(
    provider: &ChainProvider,
    admin: Address,
    token: Address,
    verifier_registry: Address,
) -> LedgerCore {
    let registry = ProverRegistry::deploy(
        provider.clone(),
        token,
        U256::from(100 * TOKEN),
        7 * 24 * 3600,
        admin,
    )
    .await
    .expect("deploy ProverRegistry");
    let ledger = TaskLedger::deploy(
        provider.clone(),
        token,
        *registry.address(),
        verifier_registry,
        admin,
        admin,
    )
    .await
    .expect("deploy TaskLedger");
    let role = registry.TASK_REGISTRY_ROLE().call().await.unwrap();
    send!(registry.grantRole(role, *ledger.address())).await;
    LedgerCore {
        registry: *registry.address(),
        ledger: *ledger.address(),
    }
}
