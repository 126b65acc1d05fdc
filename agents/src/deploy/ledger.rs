//! The one-word task market beside the stored one (docs/one-word-tasks.md): a ProverRegistry of its
//! own (a registry binds one task core), the `TaskLedger` over the deployment's token and verifier
//! registry, one instance of each mechanism family (race, sealed-bid, ascending, election, order
//! book, tree), and the `LedgerMechanismRouter` over them — router ids 0–5 in that order, holding
//! `ROUTER_ROLE` and set as the ledger's router so that it learns from the outcomes the ledger reports.
//!
//! The windows and amounts are the stored instances' ([`MechanismParams`]), so an L1 and a devnet
//! deployment differ the same way for both markets; where a ledger port narrowed a rule
//! (docs/one-word-tasks.md, "The mechanisms on main") the parameter follows the port: at most
//! `LEDGER_MAX_ELECTED` elected and no election collateral, redundancy 1 for the auctions and the book.
//! The router's hard limits are shaped as the forge suites' `LedgerRouterFixture`, which the persona
//! tests of docs/mechanisms.md ("One-word router") run against — redundancy 1 and the winner's, lock's
//! or match's collateral as stake at risk for the auctions and the book, the sealed-bid's three windows
//! and the election window as lead times — with the windows of these parameters and the election's slot
//! cap (32) as its redundancy. Scores do not depend on the limits, so the four personas of DESIGN.md §6
//! pick the race, the election, the sealed-bid auction and the election, as there
//! (`agents/tests/deploy_status.rs`).

use std::collections::BTreeMap;

use alloy::primitives::{Address, Uint};
use proofmarket_bindings::{
    LedgerAscendingPriceAuction, LedgerElectionRace, LedgerMechanismRouter, LedgerOrderBook,
    LedgerProofRace, LedgerSealedBidAuction, LedgerTreeAssignment, ProverRegistry, TaskLedger,
};

use super::mechanisms::MechanismParams;
use super::{DeployError, DeployParams, call_err, ensure_success, step_err, to_u96};
use crate::chain::ChainProvider;
use crate::chain::addresses::LedgerAddresses;

type U96 = Uint<96, 2>;

/// Provers one ledger election word can name (`LedgerElectionRace.MAX_ELECTED`).
pub const LEDGER_MAX_ELECTED: u8 = 3;

/// Redundancy the ledger election declares to the ledger (`LedgerElectionRace.MAX_SLOTS`).
pub const LEDGER_ELECTION_MAX_SLOTS: u8 = 32;

/// The router's instance names, in router-id order.
pub const LEDGER_INSTANCES: [&str; 6] = [
    "race",
    "sealed-bid",
    "ascending",
    "election-race",
    "order-book",
    "tree",
];

fn limits(
    max_redundancy: u8,
    stake_at_risk: U96,
    min_lead_time: u32,
) -> proofmarket_bindings::ledger_mechanism_router::IRouterInstances::Limits {
    proofmarket_bindings::ledger_mechanism_router::IRouterInstances::Limits {
        maxRedundancy: max_redundancy,
        stakeAtRisk: stake_at_risk,
        minLeadTime: min_lead_time,
        minPricePerProof: U96::ZERO,
        requiresData: false,
    }
}

/// The tree's limits: one root proof, the root's collateral at risk, and the block's shape required
/// (the router skips the tree for a request without it).
fn tree_limits(
    root_collateral: U96,
) -> proofmarket_bindings::ledger_mechanism_router::IRouterInstances::Limits {
    let mut l = limits(1, root_collateral, 0);
    l.requiresData = true;
    l
}

/// Deploys the ledger market on `token` and `verifier_registry` with `deployer` as every admin and
/// `treasury` as the slashed-stake and forfeit receiver.
pub(super) async fn deploy_ledger(
    provider: &ChainProvider,
    deployer: Address,
    treasury: Address,
    token: Address,
    verifier_registry: Address,
    params: &DeployParams,
) -> Result<LedgerAddresses, DeployError> {
    let p: &MechanismParams = &params.mechanisms;

    // Core: the ledger's own ProverRegistry, bound to it.
    let provers = deploy!(
        "ProverRegistry(ledger)",
        ProverRegistry::deploy_builder(
            provider,
            token,
            params.min_stake,
            params.unstake_delay,
            deployer
        )
    );
    let ledger = deploy!(
        "TaskLedger",
        TaskLedger::deploy_builder(
            provider,
            token,
            provers,
            verifier_registry,
            deployer,
            treasury
        )
    );
    let registry = ProverRegistry::new(provers, provider);
    let role = registry
        .TASK_REGISTRY_ROLE()
        .call()
        .await
        .map_err(|e| call_err("ProverRegistry(ledger).TASK_REGISTRY_ROLE", &e))?;
    send!(
        "ProverRegistry(ledger).grantRole(TASK_REGISTRY_ROLE, TaskLedger)",
        registry.grantRole(role, ledger)
    );

    // The five families, declared profiles as the stored instances'.
    let race = deploy!(
        "LedgerProofRace",
        LedgerProofRace::deploy_builder(
            provider,
            ledger,
            params.race_max_winners,
            params.race_floor_bps,
            params.race_decay_window,
            proofmarket_bindings::ledger_proof_race::IMechanism::Profile {
                kind: 1,
                speed: 9,
                cost: 4,
                safety: 3,
                censorshipResistance: 9,
            },
        )
    );
    let sealed_winner_collateral = to_u96("sealedWinnerCollateral", p.sealed_winner_collateral)?;
    let sealed = deploy!(
        "LedgerSealedBidAuction",
        LedgerSealedBidAuction::deploy_builder(
            provider,
            proofmarket_bindings::ledger_sealed_bid_auction::ILedgerSealedBidAuction::Params {
                ledger,
                token,
                treasury,
                secondPrice: true,
                commitWindow: p.sealed_commit_window,
                revealWindow: p.sealed_reveal_window,
                minProvingWindow: p.sealed_min_proving_window,
                bidCollateral: to_u96("sealedBidCollateral", p.sealed_bid_collateral)?,
                winnerCollateral: sealed_winner_collateral,
                maxBids: p.sealed_max_bids,
            },
        )
    );
    let lock_collateral = to_u96("ascendingLockCollateral", p.ascending_lock_collateral)?;
    let ascending = deploy!(
        "LedgerAscendingPriceAuction",
        LedgerAscendingPriceAuction::deploy_builder(
            provider,
            proofmarket_bindings::ledger_ascending_price_auction::ILedgerAscendingPriceAuction::Params {
                ledger,
                floorBps: p.ascending_floor_bps,
                rampPeriod: p.ascending_ramp_period,
                lockWindow: p.ascending_lock_window,
                lockCollateral: lock_collateral,
            },
        )
    );
    let election = deploy!(
        "LedgerElectionRace",
        LedgerElectionRace::deploy_builder(
            provider,
            proofmarket_bindings::ledger_election_race::LedgerElectionRace::Params {
                ledger,
                electedCount: p.election_count.min(LEDGER_MAX_ELECTED),
                minHardwareClass: p.election_min_hardware_class,
                drawDelay: p.election_draw_delay,
                electionWindow: p.election_window,
                decayWindow: p.election_decay_window,
                decayFloorBps: p.election_decay_floor_bps,
                weightCap: to_u96("electionWeightCap", p.election_weight_cap)?,
                maxAttempts: p.election_max_attempts,
            },
        )
    );
    let book_collateral = to_u96("bookCollateral", p.book_collateral)?;
    let book = deploy!(
        "LedgerOrderBook",
        LedgerOrderBook::deploy_builder(
            provider,
            ledger,
            proofmarket_bindings::ledger_order_book::ILedgerOrderBook::Params {
                collateralPerMatch: book_collateral,
                maxBookSize: p.book_size,
                profile: proofmarket_bindings::ledger_order_book::IMechanism::Profile {
                    kind: 5,
                    speed: 8,
                    cost: 7,
                    safety: 5,
                    censorshipResistance: 3,
                },
            },
        )
    );
    let tree_root_collateral = to_u96("treeRootCollateral", p.tree_root_collateral)?;
    let tree = deploy!(
        "LedgerTreeAssignment",
        LedgerTreeAssignment::deploy_builder(
            provider,
            ledger,
            token,
            proofmarket_bindings::ledger_tree_assignment::ITreeAssignment::Params {
                rangeBond: to_u96("treeRangeBond", p.tree_range_bond)?,
                rootCollateral: tree_root_collateral,
                rangeWindowBps: p.tree_range_window_bps,
                uncleBps: p.tree_uncle_bps,
                maxRanges: p.tree_max_ranges,
                maxPoolSize: p.tree_max_pool,
                drawDelay: p.tree_draw_delay,
                exitDelay: p.tree_exit_delay,
                baseWeight: 1,
                mergeWeight: 1,
                rootWeight: 1,
                profile: proofmarket_bindings::ledger_tree_assignment::IMechanism::Profile {
                    kind: 6,
                    speed: 8,
                    cost: 4,
                    safety: 7,
                    censorshipResistance: 10,
                },
            },
        )
    );
    // The tree's locked ranges count against its members' declared capacity.
    send!(
        "ProverRegistry(ledger).addCapacityHolder(tree)",
        registry.addCapacityHolder(tree)
    );
    let instances = [race, sealed, ascending, election, book, tree];
    let ledger_contract = TaskLedger::new(ledger, provider);
    for (name, address) in LEDGER_INSTANCES.iter().zip(instances) {
        send!(
            &format!("TaskLedger.setMechanism({name})"),
            ledger_contract.setMechanism(address, true)
        );
    }

    // The router: allowed to open tasks, told every routed task's outcome.
    let router = deploy!(
        "LedgerMechanismRouter",
        LedgerMechanismRouter::deploy_builder(provider, ledger, deployer)
    );
    let router_role = ledger_contract
        .ROUTER_ROLE()
        .call()
        .await
        .map_err(|e| call_err("TaskLedger.ROUTER_ROLE", &e))?;
    send!(
        "TaskLedger.grantRole(ROUTER_ROLE)",
        ledger_contract.grantRole(router_role, router)
    );
    send!("TaskLedger.setRouter", ledger_contract.setRouter(router));
    let router_contract = LedgerMechanismRouter::new(router, provider);
    let routed = [
        limits(params.race_max_winners, U96::ZERO, 0),
        limits(
            1,
            sealed_winner_collateral,
            p.sealed_commit_window + p.sealed_reveal_window + p.sealed_min_proving_window,
        ),
        limits(1, lock_collateral, 0),
        // The election serves any redundancy up to its slot cap: the elected race for the first
        // slots, the open race after the window for the rest.
        limits(LEDGER_ELECTION_MAX_SLOTS, U96::ZERO, p.election_window),
        limits(1, book_collateral, 0),
        tree_limits(tree_root_collateral),
    ];
    for ((name, address), limits) in LEDGER_INSTANCES.iter().zip(instances).zip(routed) {
        send!(
            &format!("LedgerMechanismRouter.addInstance({name})"),
            router_contract.addInstance(address, limits)
        );
    }

    Ok(LedgerAddresses {
        prover_registry: provers,
        ledger,
        router,
        mechanisms: LEDGER_INSTANCES
            .iter()
            .map(|n| n.to_string())
            .zip(instances)
            .collect::<BTreeMap<_, _>>(),
        rollup: None,
    })
}
