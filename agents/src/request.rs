//! `proofmarket request`: opens one proof task from the command line, for integrators trying the
//! market. The public inputs (prover excluded) are committed as
//! `keccak256(abi.encodePacked(uint256[]))`; the escrow is approved to the task registry and the task
//! is opened either on a named mechanism instance (`--mechanism race`) or through the QoS router with
//! the given weights, which picks the instance. Prints the task id. With `--ledger` the task is opened
//! on the deployment's one-word task market instead ([`ledger`]).

mod ledger;

use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::sol_types::SolCall;
use clap::Args;
use proofmarket_bindings::{MechanismRouter, ProofToken, TaskRegistry};
use proofmarket_circuits::circuits::CircuitKind;

use crate::chain::submitter::{Submitter, SubmitterConfig};
use crate::cli::{ChainArgs, KeyArgs};
use crate::config::ChainConfig;
use crate::store::Store;

/// `proofmarket request` arguments.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Circuit: `base`, `merge`, `root`, or a 0x circuit id.
    #[arg(long, env = "PROOFMARKET_CIRCUIT")]
    pub circuit: String,
    /// Public inputs without the prover, comma-separated (decimal or 0x-hex).
    #[arg(
        long,
        env = "PROOFMARKET_INPUTS",
        value_delimiter = ',',
        required = true
    )]
    pub inputs: Vec<U256>,
    /// Budget in whole tokens (escrowed; the unspent part is refunded).
    #[arg(long, env = "PROOFMARKET_MAX_PAYMENT", default_value_t = 10)]
    pub max_payment: u64,
    /// Seconds from now until the deadline.
    #[arg(long, env = "PROOFMARKET_DEADLINE_SECS", default_value_t = 600)]
    pub deadline_secs: u64,
    /// Proofs from distinct provers needed.
    #[arg(long, env = "PROOFMARKET_REDUNDANCY", default_value_t = 1)]
    pub redundancy: u8,
    /// Pin a mechanism instance by name from the addresses file; without it the router chooses.
    #[arg(long, env = "PROOFMARKET_MECHANISM")]
    pub mechanism: Option<String>,
    /// QoS weights (0-10) the router scores instances by.
    #[arg(long, env = "PROOFMARKET_QOS_SPEED", default_value_t = 5)]
    pub speed: u8,
    #[arg(long, env = "PROOFMARKET_QOS_COST", default_value_t = 5)]
    pub cost: u8,
    #[arg(long, env = "PROOFMARKET_QOS_SAFETY", default_value_t = 5)]
    pub safety: u8,
    #[arg(long, env = "PROOFMARKET_QOS_CENSORSHIP", default_value_t = 5)]
    pub censorship: u8,
    /// Open the task on the one-word task market (`deploy --ledger`): escrowed from the requester's
    /// ledger deposit (topped up first), pinned with `--mechanism` to one of its instances or routed
    /// by the ledger's router. Prints the task id in hex.
    #[arg(long, env = "PROOFMARKET_REQUEST_LEDGER")]
    pub ledger: bool,
}

/// Parses a circuit name or id.
pub fn parse_circuit(text: &str) -> eyre::Result<B256> {
    if let Some(kind) = CircuitKind::ALL.into_iter().find(|k| k.name() == text) {
        return Ok(kind.id());
    }
    text.parse::<B256>().map_err(|_| {
        eyre::eyre!(
            "[C010] unknown circuit {text:?}: use base, merge, root or a 0x-prefixed 32-byte id"
        )
    })
}

/// The instance `name` (from `--mechanism`) in `instances`, or `[C011]` naming the known ones; `None`
/// when no instance is pinned. `what` says which table (`mechanism`, `ledger mechanism`).
fn pinned_instance(
    instances: &std::collections::BTreeMap<String, Address>,
    name: Option<&str>,
    what: &str,
    addresses_path: &std::path::Path,
) -> eyre::Result<Option<Address>> {
    let Some(name) = name else {
        return Ok(None);
    };
    let address = instances.get(name).ok_or_else(|| {
        eyre::eyre!(
            "[C011] no {what} {name:?} in {}; known: {}",
            addresses_path.display(),
            instances.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })?;
    Ok(Some(*address))
}

/// Approves `spender` to take `amount` of `token` from the submitter's account.
async fn approve(
    submitter: &Submitter,
    token: Address,
    spender: Address,
    amount: U256,
) -> eyre::Result<()> {
    let call = ProofToken::approveCall {
        spender,
        value: amount,
    };
    submitter
        .send(
            "ProofToken.approve",
            None,
            None,
            token,
            call.abi_encode().into(),
            U256::ZERO,
        )
        .await?;
    Ok(())
}

/// The first `E` log `emitter` wrote in `sent`'s receipt: the task a `label` call opened.
fn created_log<E: alloy::sol_types::SolEvent>(
    sent: &crate::chain::submitter::Sent,
    emitter: Address,
    label: &str,
) -> eyre::Result<E> {
    sent.receipt
        .inner
        .logs()
        .iter()
        .filter(|l| l.address() == emitter)
        .find_map(|l| l.log_decode::<E>().ok())
        .map(|l| l.inner.data)
        .ok_or_else(|| {
            eyre::eyre!(
                "{label} succeeded in {} but {emitter} logged no {}",
                sent.tx_hash,
                E::SIGNATURE
            )
        })
}

/// `keccak256(abi.encodePacked(uint256[]))` — the task's input commitment.
pub fn input_commitment(inputs: &[U256]) -> B256 {
    let mut packed = Vec::with_capacity(inputs.len() * 32);
    for input in inputs {
        packed.extend_from_slice(&input.to_be_bytes::<32>());
    }
    keccak256(packed)
}

/// Runs `proofmarket request`.
pub async fn run(args: RequestArgs) -> eyre::Result<()> {
    let chain = ChainConfig::default().resolve(&args.chain)?;
    let circuit_id = parse_circuit(&args.circuit)?;
    let signer = crate::keys::load_signer(&args.key)?;
    let me = signer.address();
    let provider = crate::chain::connect_checked(&chain, Some(signer.clone())).await?;
    if args.ledger {
        return ledger::run(&args, &chain, circuit_id, provider, signer).await;
    }
    let addresses = &chain.addresses;
    let pinned = pinned_instance(
        &addresses.mechanisms,
        args.mechanism.as_deref(),
        "mechanism",
        &chain.addresses_path,
    )?;
    if pinned.is_none() && addresses.router.is_none() {
        eyre::bail!("[C012] the deployment has no router: pin a mechanism with --mechanism");
    }
    let now = crate::ledger::chain_time(&provider).await?;
    let max_payment = U256::from(args.max_payment) * U256::from(crate::deploy::TOKEN);
    let request = proofmarket_bindings::task_registry::TaskRegistry::TaskRequest {
        circuitId: circuit_id,
        inputCommitment: input_commitment(&args.inputs),
        deadline: now + args.deadline_secs,
        maxPayment: alloy::primitives::Uint::<96, 2>::checked_from_limbs_slice(
            max_payment.as_limbs(),
        )
        .ok_or_else(|| eyre::eyre!("[C013] --max-payment does not fit in uint96"))?,
        redundancy: args.redundancy,
        qos: proofmarket_bindings::task_registry::TaskRegistry::QoSProfile {
            speedWeight: args.speed,
            costWeight: args.cost,
            safetyWeight: args.safety,
            censorshipWeight: args.censorship,
            minRedundancy: args.redundancy,
            minStakeAtRisk: alloy::primitives::Uint::ZERO,
        },
        mechanism: pinned.unwrap_or(Address::ZERO),
        notifyRequester: false,
        fallbackMechanism: Address::ZERO,
        fallbackWindow: 0,
        mechanismData: Default::default(),
    };
    let submitter = Submitter::new(
        provider.clone(),
        signer,
        Store::in_memory()?,
        SubmitterConfig::default(),
        "request",
    );
    approve(
        &submitter,
        addresses.token,
        addresses.task_registry,
        max_payment,
    )
    .await?;
    let (target, data, label) = match (pinned, addresses.router) {
        (Some(_), _) | (None, None) => (
            addresses.task_registry,
            TaskRegistry::createTaskCall {
                request: request.clone(),
            }
            .abi_encode(),
            "TaskRegistry.createTask",
        ),
        (None, Some(router)) => {
            let routed = proofmarket_bindings::mechanism_router::MechanismRouter::TaskRequest {
                circuitId: request.circuitId,
                inputCommitment: request.inputCommitment,
                deadline: request.deadline,
                maxPayment: request.maxPayment,
                redundancy: request.redundancy,
                qos: proofmarket_bindings::mechanism_router::MechanismRouter::QoSProfile {
                    speedWeight: args.speed,
                    costWeight: args.cost,
                    safetyWeight: args.safety,
                    censorshipWeight: args.censorship,
                    minRedundancy: args.redundancy,
                    minStakeAtRisk: alloy::primitives::Uint::ZERO,
                },
                mechanism: Address::ZERO,
                notifyRequester: false,
                fallbackMechanism: Address::ZERO,
                fallbackWindow: 0,
                mechanismData: Default::default(),
            };
            (
                router,
                MechanismRouter::routeCall { request: routed }.abi_encode(),
                "MechanismRouter.route",
            )
        }
    };
    let sent = submitter
        .send(label, None, None, target, data.into(), U256::ZERO)
        .await?;
    let task_id =
        created_log::<TaskRegistry::TaskCreated>(&sent, addresses.task_registry, label)?.taskId;
    tracing::info!(%me, task = %task_id, tx = %sent.tx_hash, "task opened");
    println!("{task_id}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_is_packed_keccak_of_words() {
        let inputs = [U256::from(1), U256::from(2)];
        let mut packed = [0u8; 64];
        packed[31] = 1;
        packed[63] = 2;
        assert_eq!(input_commitment(&inputs), keccak256(packed));
    }

    #[test]
    fn circuits_by_name_or_id() {
        assert_eq!(parse_circuit("root").unwrap(), CircuitKind::Root.id());
        let id = CircuitKind::Base.id();
        assert_eq!(parse_circuit(&id.to_string()).unwrap(), id);
        assert!(
            parse_circuit("nope")
                .unwrap_err()
                .to_string()
                .contains("[C010]")
        );
    }
}
