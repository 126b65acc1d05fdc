//! The `LedgerRollup` of a `--ledger` deployment: the stored Rollup's rules with its blocks' root
//! tasks on the one-word TaskLedger (docs/rollup.md, "The Rollup over the one-word ledger"). It
//! shares the deployment's `SequencerSet` (who may post is one question for both rollups), proves
//! through the ledger's race by default (as the stored Rollup through the stored race), with the
//! stored Rollup's window, share, redundancy and QoS, and gets a reward pool of its own, parked as
//! its ledger deposit.

use alloy::primitives::Address;
use proofmarket_bindings::ledger_rollup::{ILedgerRollup, LedgerRollup as LedgerRollupTypes};
use proofmarket_bindings::{LedgerRollup, ProofToken};

use super::{DeployError, RollupParams, call_err, ensure_success, step_err, to_u96};
use crate::chain::ChainProvider;

/// Deploys and funds the LedgerRollup over `ledger`, posting through `sequencer_set` and proving
/// through `race` (the ledger's race instance) until a sequencer routes it elsewhere.
pub(super) async fn deploy_ledger_rollup(
    provider: &ChainProvider,
    deployer: Address,
    token: Address,
    ledger: Address,
    race: Address,
    sequencer_set: Address,
    r: &RollupParams,
) -> Result<Address, DeployError> {
    let config = ILedgerRollup::Config {
        selector: sequencer_set,
        proofWindow: r.proof_window,
        maxPendingBlocks: r.max_pending_blocks,
        sequencerShareBps: r.sequencer_share_bps,
        redundancy: r.redundancy,
        mechanism: race,
        blockReward: to_u96("blockReward", r.block_reward)?,
        router: Address::ZERO,
        qos: LedgerRollupTypes::QoSProfile {
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
        "LedgerRollup",
        LedgerRollup::deploy_builder(provider, deployer, ledger, token, r.genesis_root, config)
    );
    if !r.reward_funding.is_zero() {
        let token_contract = ProofToken::new(token, provider);
        send!(
            "ProofToken.mint(deployer, ledger reward pool)",
            token_contract.mint(deployer, r.reward_funding)
        );
        send!(
            "ProofToken.approve(LedgerRollup)",
            token_contract.approve(rollup, r.reward_funding)
        );
        send!(
            "LedgerRollup.fundRewards",
            LedgerRollup::new(rollup, provider).fundRewards(r.reward_funding)
        );
    }
    Ok(rollup)
}
