//! `proofmarket request --ledger`: one task on the one-word task market (docs/one-word-tasks.md).
//!
//! The ledger escrows from deposits, not from an allowance per task: the requester's ledger balance
//! is topped up to the budget first (approve + deposit of the shortfall only, so repeated requests
//! reuse what earlier refunds left there). The task is then pinned to a named ledger instance
//! (`createTask` with the instance as mechanism) or routed by the QoS weights through the
//! `LedgerMechanismRouter`, which records the outcome it is later told by the ledger. Prints the task
//! id in hex (`requester << 96 | nonce`).

use alloy::primitives::{Address, B256, U256, Uint};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use proofmarket_bindings::{LedgerMechanismRouter, TaskLedger};

use super::{RequestArgs, approve, created_log, input_commitment, pinned_instance};
use crate::chain::ChainProvider;
use crate::chain::submitter::{Submitter, SubmitterConfig};
use crate::config::ResolvedChain;
use crate::store::Store;

/// Opens the request on the deployment's ledger market and prints the task id.
pub(super) async fn run(
    args: &RequestArgs,
    chain: &ResolvedChain,
    circuit_id: B256,
    provider: ChainProvider,
    signer: PrivateKeySigner,
) -> eyre::Result<()> {
    let me = signer.address();
    let market = chain.addresses.ledger.as_ref().ok_or_else(|| {
        eyre::eyre!(
            "[C014] {} has no one-word task market: deploy it with `proofmarket deploy --ledger`",
            chain.addresses_path.display()
        )
    })?;
    let pinned = pinned_instance(
        &market.mechanisms,
        args.mechanism.as_deref(),
        "ledger mechanism",
        &chain.addresses_path,
    )?;
    let now = crate::ledger::chain_time(&provider).await?;
    let max_payment = U256::from(args.max_payment) * U256::from(crate::deploy::TOKEN);
    let request = TaskLedger::LedgerRequest {
        circuitId: circuit_id,
        inputCommitment: input_commitment(&args.inputs),
        deadline: now + args.deadline_secs,
        maxPayment: Uint::checked_from_limbs_slice(max_payment.as_limbs())
            .ok_or_else(|| eyre::eyre!("[C013] --max-payment does not fit in uint96"))?,
        redundancy: args.redundancy,
        mechanism: pinned.unwrap_or(Address::ZERO),
        notifyRequester: false,
        fallbackMechanism: Address::ZERO,
        fallbackWindow: 0,
        minCollateral: Uint::ZERO,
        mechanismData: Default::default(),
    };
    let submitter = Submitter::new(
        provider.clone(),
        signer,
        Store::in_memory()?,
        SubmitterConfig::default(),
        "request",
    );

    // Escrow from the deposit: top it up to the budget.
    let held = TaskLedger::new(market.ledger, &provider)
        .balanceOf(me)
        .call()
        .await
        .map_err(|e| {
            eyre::eyre!(
                "TaskLedger.balanceOf: {}",
                crate::chain::revert::describe_contract_error(&e)
            )
        })?;
    let shortfall = max_payment.saturating_sub(held);
    if !shortfall.is_zero() {
        approve(&submitter, chain.addresses.token, market.ledger, shortfall).await?;
        let deposit = TaskLedger::depositCall { amount: shortfall };
        submitter
            .send(
                "TaskLedger.deposit",
                None,
                None,
                market.ledger,
                deposit.abi_encode().into(),
                U256::ZERO,
            )
            .await?;
    }

    let (target, data, label) = match pinned {
        Some(_) => (
            market.ledger,
            TaskLedger::createTaskCall { request }.abi_encode(),
            "TaskLedger.createTask",
        ),
        None => {
            let routed = LedgerMechanismRouter::LedgerRequest {
                circuitId: request.circuitId,
                inputCommitment: request.inputCommitment,
                deadline: request.deadline,
                maxPayment: request.maxPayment,
                redundancy: request.redundancy,
                mechanism: Address::ZERO,
                notifyRequester: false,
                fallbackMechanism: Address::ZERO,
                fallbackWindow: 0,
                minCollateral: Uint::ZERO,
                mechanismData: Default::default(),
            };
            let qos = LedgerMechanismRouter::QoSProfile {
                speedWeight: args.speed,
                costWeight: args.cost,
                safetyWeight: args.safety,
                censorshipWeight: args.censorship,
                minRedundancy: args.redundancy,
                minStakeAtRisk: Uint::ZERO,
            };
            (
                market.router,
                LedgerMechanismRouter::routeCall {
                    request: routed,
                    qos,
                }
                .abi_encode(),
                "LedgerMechanismRouter.route",
            )
        }
    };
    let sent = submitter
        .send(label, None, None, target, data.into(), U256::ZERO)
        .await?;
    let created = created_log::<TaskLedger::TaskCreated>(&sent, market.ledger, label)?;
    let task_id = created.taskId;
    tracing::info!(%me, task = %format!("{task_id:#x}"), mechanism = %created.mechanism, tx = %sent.tx_hash, "ledger task opened");
    println!("{task_id:#x}");
    Ok(())
}
