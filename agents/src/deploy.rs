//! `proofmarket deploy`: deploys every contract from the forge artifacts' bytecode (through the
//! `proofmarket-bindings` crate), wires the roles, registers the Groth16 verifiers per circuit id,
//! deploys the rollup at the devnet genesis root, funds accounts, and writes the addresses JSON that
//! every other command reads. It works against any RPC; the devnet calls [`deploy`] directly.
//!
//! The wiring mirrors `script/Deploy.s.sol` (same constructor parameters and defaults, documented in
//! docs/protocol.md and docs/rollup.md), plus what the script leaves to later steps: verifier
//! registration, the mechanism router, and account funding.

use std::path::PathBuf;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;
use clap::Args;
use eyre::WrapErr;
use proofmarket_bindings::{
    BaseProofVerifier, MechanismRouter, MergeProofVerifier, ProofRace, ProofToken, ProverRegistry,
    Rollup, RootProofVerifier, SequencerSet, TaskRegistry, VerifierRegistry,
};
use proofmarket_circuits::circuits::CircuitKind;

use crate::chain::ChainProvider;
use crate::chain::addresses::Addresses;
use crate::chain::revert::describe_contract_error;
use crate::cli::{ChainArgs, KeyArgs};

/// One token unit (18 decimals).
pub const TOKEN: u128 = 1_000_000_000_000_000_000;

/// A deployment failure, naming the step.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("[D001] {step}: {reason}")]
    Step { step: String, reason: String },
    #[error("[D002] {step}: transaction {tx_hash} reverted")]
    Reverted { step: String, tx_hash: B256 },
}

/// `proofmarket deploy` arguments.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Where to write the addresses JSON.
    #[arg(
        long,
        env = "PROOFMARKET_DEPLOY_OUT",
        default_value = "deployments/addresses.json"
    )]
    pub out: PathBuf,
    /// Receives the slashed-stake treasury share (default: the deployer).
    #[arg(long, env = "PROOFMARKET_TREASURY")]
    pub treasury: Option<Address>,
    /// Accounts allowed to post rollup blocks (default: the deployer). Repeatable.
    #[arg(
        long = "sequencer",
        env = "PROOFMARKET_SEQUENCERS",
        value_delimiter = ','
    )]
    pub sequencers: Vec<Address>,
    /// Accounts to mint test tokens to. Repeatable.
    #[arg(long = "fund", env = "PROOFMARKET_FUND", value_delimiter = ',')]
    pub fund: Vec<Address>,
    /// Tokens minted to each `--fund` account.
    #[arg(long, env = "PROOFMARKET_FUND_AMOUNT", default_value_t = 10_000)]
    pub fund_amount: u64,
    /// Tokens moved into the rollup's reward pool.
    #[arg(long, env = "PROOFMARKET_REWARD_FUNDING", default_value_t = 10_000)]
    pub reward_funding: u64,
    /// Rollup proof window in seconds (default 600, the deploy script's).
    #[arg(long, env = "PROOFMARKET_PROOF_WINDOW", default_value_t = 600)]
    pub proof_window: u32,
    /// Rollup genesis state root (default: the devnet genesis of proofmarket-circuits).
    #[arg(long, env = "PROOFMARKET_GENESIS_ROOT")]
    pub genesis_root: Option<B256>,
    /// Skip the rollup (sequencer set, rollup, reward pool).
    #[arg(long, env = "PROOFMARKET_NO_ROLLUP")]
    pub no_rollup: bool,
    /// Deploy the mechanisms with the devnet's short windows (seconds, not minutes) instead of the
    /// L1 defaults of docs/mechanisms.md.
    #[arg(long, env = "PROOFMARKET_DEVNET_WINDOWS")]
    pub devnet_windows: bool,
    /// Also deploy the one-word task market (docs/one-word-tasks.md): its ProverRegistry, the
    /// TaskLedger, one instance of each ported mechanism and the LedgerMechanismRouter.
    #[arg(long, env = "PROOFMARKET_LEDGER")]
    pub ledger: bool,
}

/// What to deploy; [`DeployParams::devnet`] gives the defaults.
#[derive(Debug, Clone)]
pub struct DeployParams {
    pub treasury: Option<Address>,
    /// Minimum prover stake (default 100 tokens, as the deploy script).
    pub min_stake: U256,
    /// Unstake delay in seconds (default 7 days).
    pub unstake_delay: u64,
    /// ProofRace: paid proofs per task (4), floor (25 %), decay window (0 = the task's window).
    pub race_max_winners: u8,
    pub race_floor_bps: u16,
    pub race_decay_window: u32,
    /// Every other mechanism instance (sealed bid ×2, ascending, election race, order book, tree).
    pub mechanisms: MechanismParams,
    /// Rollup (None = no rollup).
    pub rollup: Option<RollupParams>,
    /// Whether to deploy the one-word task market beside the stored one (off by default: nothing
    /// runs on it yet but the agents' ledger strategies).
    pub ledger: bool,
    /// Accounts to mint `fund_amount` to.
    pub fund: Vec<Address>,
    pub fund_amount: U256,
}

/// Rollup parameters (defaults: the deploy script's).
#[derive(Debug, Clone)]
pub struct RollupParams {
    pub genesis_root: B256,
    pub sequencers: Vec<Address>,
    pub proof_window: u32,
    pub max_pending_blocks: u16,
    pub sequencer_share_bps: u16,
    pub redundancy: u8,
    pub block_reward: U256,
    pub reward_funding: U256,
}

impl DeployParams {
    /// The devnet defaults: the deploy script's parameters, the circuits crate's genesis root, the
    /// deployer as sequencer, and mechanism windows short enough for a devnet
    /// ([`MechanismParams::devnet`]; `proofmarket deploy` uses the script's L1 windows unless asked).
    pub fn devnet(deployer: Address) -> Self {
        Self {
            treasury: None,
            min_stake: U256::from(100 * TOKEN),
            unstake_delay: 7 * 24 * 3600,
            race_max_winners: 4,
            race_floor_bps: 2500,
            race_decay_window: 0,
            mechanisms: MechanismParams::devnet(),
            rollup: Some(RollupParams {
                genesis_root: devnet_genesis_root(),
                sequencers: vec![deployer],
                proof_window: 600,
                max_pending_blocks: 32,
                sequencer_share_bps: 3000,
                redundancy: 1,
                block_reward: U256::from(10 * TOKEN),
                reward_funding: U256::from(10_000 * TOKEN),
            }),
            ledger: false,
            fund: Vec::new(),
            fund_amount: U256::from(10_000 * TOKEN),
        }
    }
}

/// The state root of the circuits crate's devnet genesis.
pub fn devnet_genesis_root() -> B256 {
    let root = proofmarket_circuits::state::devnet_genesis().root();
    B256::from(proofmarket_circuits::evm::fr_to_b256(root).0)
}

fn step_err(step: &str, e: impl std::fmt::Display) -> DeployError {
    DeployError::Step {
        step: step.to_string(),
        reason: e.to_string(),
    }
}

fn call_err(step: &str, e: &alloy::contract::Error) -> DeployError {
    DeployError::Step {
        step: step.to_string(),
        reason: describe_contract_error(e),
    }
}

fn ensure_success(step: &str, receipt: &TransactionReceipt) -> Result<(), DeployError> {
    if receipt.status() {
        Ok(())
    } else {
        Err(DeployError::Reverted {
            step: step.to_string(),
            tx_hash: receipt.transaction_hash,
        })
    }
}

/// Sends a contract call built by the bindings and checks its receipt.
macro_rules! send {
    ($step:expr, $call:expr) => {{
        let step: &str = $step;
        let pending = $call.send().await.map_err(|e| call_err(step, &e))?;
        let receipt = pending.get_receipt().await.map_err(|e| step_err(step, e))?;
        ensure_success(step, &receipt)?;
        tracing::debug!(step, gas = receipt.gas_used, "ok");
        receipt
    }};
}

/// Deploys a contract from the bindings and returns its address.
macro_rules! deploy {
    ($step:expr, $builder:expr) => {{
        let step: &str = $step;
        let address = $builder.deploy().await.map_err(|e| call_err(step, &e))?;
        tracing::info!(contract = step, %address, "deployed");
        address
    }};
}

mod ledger;
mod ledger_rollup;
mod mechanisms;
pub use ledger::{LEDGER_ELECTION_MAX_SLOTS, LEDGER_INSTANCES, LEDGER_MAX_ELECTED};
pub use mechanisms::MechanismParams;

/// Deploys everything with `provider`'s wallet (the deployer becomes every admin).
pub async fn deploy(
    provider: &ChainProvider,
    deployer: Address,
    params: &DeployParams,
) -> Result<Addresses, DeployError> {
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|e| step_err("eth_chainId", e))?;
    let deployed_block = provider
        .get_block_number()
        .await
        .map_err(|e| step_err("eth_blockNumber", e))?;
    let treasury = params.treasury.unwrap_or(deployer);

    // Core (as CoreDeployment._deployCore).
    let token = deploy!("ProofToken", ProofToken::deploy_builder(provider, deployer));
    let provers = deploy!(
        "ProverRegistry",
        ProverRegistry::deploy_builder(
            provider,
            token,
            params.min_stake,
            params.unstake_delay,
            deployer
        )
    );
    let verifiers = deploy!(
        "VerifierRegistry",
        VerifierRegistry::deploy_builder(provider, deployer)
    );
    let tasks = deploy!(
        "TaskRegistry",
        TaskRegistry::deploy_builder(provider, token, provers, verifiers, deployer, treasury)
    );
    let prover_registry = ProverRegistry::new(provers, provider);
    let role = prover_registry
        .TASK_REGISTRY_ROLE()
        .call()
        .await
        .map_err(|e| call_err("ProverRegistry.TASK_REGISTRY_ROLE", &e))?;
    send!(
        "ProverRegistry.grantRole(TASK_REGISTRY_ROLE)",
        prover_registry.grantRole(role, tasks)
    );
    let task_registry = TaskRegistry::new(tasks, provider);

    // The open race (declared profile as the deploy script: fast, censorship resistant, low safety).
    let race = deploy!(
        "ProofRace",
        ProofRace::deploy_builder(
            provider,
            tasks,
            params.race_max_winners,
            params.race_floor_bps,
            params.race_decay_window,
            proofmarket_bindings::proof_race::IMechanism::Profile {
                kind: 1,
                speed: 9,
                cost: 4,
                safety: 3,
                censorshipResistance: 9,
            },
        )
    );
    send!(
        "TaskRegistry.setMechanism(ProofRace)",
        task_registry.setMechanism(race, true)
    );

    // Groth16 verifiers, one per circuit id.
    let verifier_registry = VerifierRegistry::new(verifiers, provider);
    let mut verifier_addresses = std::collections::BTreeMap::new();
    for kind in CircuitKind::ALL {
        let address = match kind {
            CircuitKind::Base => deploy!(
                "BaseProofVerifier",
                BaseProofVerifier::deploy_builder(provider)
            ),
            CircuitKind::Merge => deploy!(
                "MergeProofVerifier",
                MergeProofVerifier::deploy_builder(provider)
            ),
            CircuitKind::Root => deploy!(
                "RootProofVerifier",
                RootProofVerifier::deploy_builder(provider)
            ),
        };
        let circuit_id = B256::from(kind.id().0);
        send!(
            &format!("VerifierRegistry.setVerifier({})", kind.name()),
            verifier_registry.setVerifier(circuit_id, address)
        );
        verifier_addresses.insert(kind.name().to_string(), address);
    }

    // The QoS router, allowed to open tasks, with the race as its first instance.
    let router = deploy!(
        "MechanismRouter",
        MechanismRouter::deploy_builder(provider, tasks, deployer)
    );
    let router_role = task_registry
        .ROUTER_ROLE()
        .call()
        .await
        .map_err(|e| call_err("TaskRegistry.ROUTER_ROLE", &e))?;
    send!(
        "TaskRegistry.grantRole(ROUTER_ROLE)",
        task_registry.grantRole(router_role, router)
    );
    let router_contract = MechanismRouter::new(router, provider);
    send!(
        "MechanismRouter.addInstance(ProofRace)",
        router_contract.addInstance(
            race,
            proofmarket_bindings::mechanism_router::IRouterInstances::Limits {
                maxRedundancy: params.race_max_winners,
                stakeAtRisk: alloy::primitives::Uint::ZERO,
                minLeadTime: 0,
                minPricePerProof: alloy::primitives::Uint::ZERO,
                requiresData: false,
            }
        )
    );

    // Every other mechanism, allow-listed and routed (router ids 1–5 after the race).
    let mut mechanisms = mechanisms::deploy_mechanisms(
        provider,
        tasks,
        provers,
        token,
        treasury,
        router,
        &params.mechanisms,
    )
    .await?;
    mechanisms.insert("race".to_string(), race);

    let token_contract = ProofToken::new(token, provider);
    // Rollup (as Deploy._deployAndFundRollup).
    let (sequencer_set, rollup) = match &params.rollup {
        None => (None, None),
        Some(r) => {
            let set = deploy!(
                "SequencerSet",
                SequencerSet::deploy_builder(provider, deployer)
            );
            let set_contract = SequencerSet::new(set, provider);
            for sequencer in &r.sequencers {
                send!(
                    "SequencerSet.addSequencer",
                    set_contract.addSequencer(*sequencer)
                );
            }
            use proofmarket_bindings::rollup as rb;
            let config = rb::IRollup::Config {
                selector: set,
                proofWindow: r.proof_window,
                maxPendingBlocks: r.max_pending_blocks,
                sequencerShareBps: r.sequencer_share_bps,
                redundancy: r.redundancy,
                mechanism: race,
                blockReward: to_u96("blockReward", r.block_reward)?,
                router: Address::ZERO,
                qos: rb::Rollup::QoSProfile {
                    speedWeight: 7,
                    costWeight: 5,
                    safetyWeight: 8,
                    censorshipWeight: 8,
                    minRedundancy: r.redundancy,
                    minStakeAtRisk: alloy::primitives::Uint::ZERO,
                },
                mechanismData: Default::default(),
            };
            let rollup = deploy!(
                "Rollup",
                Rollup::deploy_builder(provider, deployer, tasks, token, r.genesis_root, config)
            );
            if !r.reward_funding.is_zero() {
                send!(
                    "ProofToken.mint(deployer, reward pool)",
                    token_contract.mint(deployer, r.reward_funding)
                );
                send!(
                    "ProofToken.approve(Rollup)",
                    token_contract.approve(rollup, r.reward_funding)
                );
                send!(
                    "Rollup.fundRewards",
                    Rollup::new(rollup, provider).fundRewards(r.reward_funding)
                );
            }
            (Some(set), Some(rollup))
        }
    };

    let ledger = if params.ledger {
        let mut market =
            ledger::deploy_ledger(provider, deployer, treasury, token, verifiers, params).await?;
        if let (Some(r), Some(set)) = (&params.rollup, sequencer_set) {
            let race = market.mechanisms["race"];
            market.rollup = Some(
                ledger_rollup::deploy_ledger_rollup(
                    provider,
                    deployer,
                    token,
                    market.ledger,
                    race,
                    set,
                    r,
                )
                .await?,
            );
        }
        Some(market)
    } else {
        None
    };

    for account in &params.fund {
        send!(
            "ProofToken.mint(fund)",
            token_contract.mint(*account, params.fund_amount)
        );
        // Gas money too when the account is empty (devnet accounts usually have ETH already).
        let balance = provider
            .get_balance(*account)
            .await
            .map_err(|e| step_err("eth_getBalance", e))?;
        if balance.is_zero() {
            let tx = alloy::rpc::types::TransactionRequest::default()
                .with_to(*account)
                .with_value(U256::from(10 * TOKEN));
            let receipt = provider
                .send_transaction(tx)
                .await
                .map_err(|e| step_err("fund ETH", e))?
                .get_receipt()
                .await
                .map_err(|e| step_err("fund ETH", e))?;
            ensure_success("fund ETH", &receipt)?;
        }
    }

    Ok(Addresses {
        chain_id,
        deployed_block,
        token,
        prover_registry: provers,
        task_registry: tasks,
        verifier_registry: verifiers,
        router: Some(router),
        rollup,
        sequencer_set,
        mechanisms,
        verifiers: verifier_addresses,
        ledger,
    })
}

fn to_u96(what: &str, value: U256) -> Result<alloy::primitives::Uint<96, 2>, DeployError> {
    alloy::primitives::Uint::<96, 2>::checked_from_limbs_slice(value.as_limbs())
        .ok_or_else(|| step_err(what, format!("{value} does not fit in uint96")))
}

/// Runs `proofmarket deploy`.
pub async fn run(args: DeployArgs) -> eyre::Result<()> {
    let rpc_url = crate::config::resolve_rpc_url(args.chain.rpc_url.as_deref())?;
    let signer = crate::keys::load_signer(&args.key)?;
    let deployer = signer.address();
    let provider = crate::chain::connect(&rpc_url, Some(signer)).await?;
    let chain_id = tokio::time::timeout(crate::chain::RPC_PROBE_TIMEOUT, provider.get_chain_id())
        .await
        .map_err(|_| eyre::eyre!("[R002] RPC {rpc_url} is not answering"))?
        .map_err(|e| eyre::eyre!("[R002] RPC {rpc_url} is unreachable: {e}"))?;
    if let Some(expected) = args.chain.chain_id
        && expected != chain_id
    {
        {
            return Err(crate::chain::ChainError::WrongChainId {
                url: rpc_url,
                expected,
                actual: chain_id,
            }
            .into());
        }
    }
    let mut params = DeployParams::devnet(deployer);
    if !args.devnet_windows {
        params.mechanisms = MechanismParams::l1();
    }
    params.treasury = args.treasury;
    params.ledger = args.ledger;
    params.fund = args.fund.clone();
    params.fund_amount = U256::from(args.fund_amount) * U256::from(TOKEN);
    if args.no_rollup {
        params.rollup = None;
    } else if let Some(r) = params.rollup.as_mut() {
        if let Some(root) = args.genesis_root {
            r.genesis_root = root;
        }
        if !args.sequencers.is_empty() {
            r.sequencers = args.sequencers.clone();
        }
        r.proof_window = args.proof_window;
        r.reward_funding = U256::from(args.reward_funding) * U256::from(TOKEN);
    }
    tracing::info!(%deployer, chain_id, "deploying proofmarket");
    let addresses = deploy(&provider, deployer, &params).await?;
    addresses
        .save(&args.out)
        .wrap_err_with(|| format!("cannot write the addresses file {}", args.out.display()))?;
    println!("{}", serde_json::to_string_pretty(&addresses)?);
    eprintln!("addresses written to {}", args.out.display());
    Ok(())
}
