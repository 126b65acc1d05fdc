//! The mechanism instances beyond the race: two sealed-bid auctions (second and first price), the
//! ascending-price lock auction, the election race, the order book and the tree assignment — each
//! allow-listed in the TaskRegistry and registered behind the QoS router with hard limits read from
//! its own parameters, exactly as `script/MechanismDeployment.sol` and `script/RouterDeployment.sol`
//! do (router instance ids 0–5: race, sealed-bid, ascending, election-race, order book, tree; the
//! first-price sealed bid is allow-listed but not routed, as in the script).
//!
//! Two sets of windows: [`MechanismParams::l1`] are the script's (12-second L1 blocks, ≈ 100-token
//! tasks; docs/mechanisms.md gives each default and why), [`MechanismParams::devnet`] shrinks every
//! window so a sealed-bid or lock auction settles in seconds on an anvil that mines on demand. Token
//! amounts are the same in both.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256, Uint};
use proofmarket_bindings::{
    AscendingPriceAuction, ElectionRace, MechanismRouter, OrderBook, ProverRegistry,
    SealedBidAuction, TaskRegistry, TreeAssignment,
};

use super::{DeployError, TOKEN, call_err, ensure_success, step_err};
use crate::chain::ChainProvider;

type U96 = Uint<96, 2>;

/// Windows and amounts of every non-race instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MechanismParams {
    /// Sealed bid: commit window, reveal window, minimum proving window (s).
    pub sealed_commit_window: u32,
    pub sealed_reveal_window: u32,
    pub sealed_min_proving_window: u32,
    /// Sealed bid: collateral per commitment and per winning bid, bids per round.
    pub sealed_bid_collateral: U256,
    pub sealed_winner_collateral: U256,
    pub sealed_max_bids: u8,
    /// Ascending: opening price (bps of the slot maximum), ramp period and proving window after a lock
    /// (s), collateral per lock.
    pub ascending_floor_bps: u16,
    pub ascending_ramp_period: u32,
    pub ascending_lock_window: u32,
    pub ascending_lock_collateral: U256,
    /// Election race: provers elected per task, minimum hardware class, collateral per elected
    /// prover, draw delay (L1 blocks), election window and decay (s), decay floor, stake weight cap,
    /// draw attempts.
    pub election_count: u8,
    pub election_min_hardware_class: u8,
    pub election_collateral: U256,
    pub election_draw_delay: u16,
    pub election_window: u32,
    pub election_decay_window: u32,
    pub election_decay_floor_bps: u16,
    pub election_weight_cap: U256,
    pub election_max_attempts: u8,
    /// Order book: collateral per match, book size, provers per task.
    pub book_collateral: U256,
    pub book_size: u16,
    pub book_max_redundancy: u8,
    /// Tree: bond per range, root collateral, share of the time for ranges, uncle share, ranges per
    /// tree, pool size, draw delay (L1 blocks), pool exit delay (s).
    pub tree_range_bond: U256,
    pub tree_root_collateral: U256,
    pub tree_range_window_bps: u16,
    pub tree_uncle_bps: u16,
    pub tree_max_ranges: u8,
    pub tree_max_pool: u16,
    pub tree_draw_delay: u8,
    pub tree_exit_delay: u32,
}

impl MechanismParams {
    /// The deploy script's values (docs/mechanisms.md).
    pub fn l1() -> Self {
        Self {
            sealed_commit_window: 120,
            sealed_reveal_window: 120,
            sealed_min_proving_window: 600,
            sealed_bid_collateral: U256::from(10 * TOKEN),
            sealed_winner_collateral: U256::from(50 * TOKEN),
            sealed_max_bids: 16,
            ascending_floor_bps: 2000,
            ascending_ramp_period: 120,
            ascending_lock_window: 600,
            ascending_lock_collateral: U256::from(50 * TOKEN),
            election_count: 4,
            election_min_hardware_class: 1,
            election_collateral: U256::from(50 * TOKEN),
            election_draw_delay: 2,
            election_window: 600,
            election_decay_window: 600,
            election_decay_floor_bps: 5000,
            election_weight_cap: U256::from(1000 * TOKEN),
            election_max_attempts: 32,
            book_collateral: U256::from(50 * TOKEN),
            book_size: 32,
            book_max_redundancy: 4,
            tree_range_bond: U256::from(20 * TOKEN),
            tree_root_collateral: U256::from(100 * TOKEN),
            tree_range_window_bps: 5000,
            tree_uncle_bps: 5000,
            tree_max_ranges: 16,
            tree_max_pool: 32,
            tree_draw_delay: 2,
            tree_exit_delay: 3600,
        }
    }

    /// The devnet's: the same amounts, windows a devnet run can wait for (a block of a few transfers
    /// proves in well under a minute on two cores), and every hardware class electable (devnet provers
    /// declare class 0).
    pub fn devnet() -> Self {
        Self {
            sealed_commit_window: 8,
            sealed_reveal_window: 8,
            sealed_min_proving_window: 120,
            ascending_ramp_period: 20,
            ascending_lock_window: 120,
            election_min_hardware_class: 0,
            election_draw_delay: 1,
            election_window: 120,
            election_decay_window: 120,
            tree_exit_delay: 60,
            ..Self::l1()
        }
    }
}

fn u96(what: &str, value: U256) -> Result<U96, DeployError> {
    U96::checked_from_limbs_slice(value.as_limbs())
        .ok_or_else(|| step_err(what, format!("{value} does not fit in uint96")))
}

/// Router limits as `RouterDeployment._limits`.
fn limits(
    max_redundancy: u8,
    stake_at_risk: U96,
    min_lead_time: u32,
    requires_data: bool,
) -> proofmarket_bindings::mechanism_router::IRouterInstances::Limits {
    proofmarket_bindings::mechanism_router::IRouterInstances::Limits {
        maxRedundancy: max_redundancy,
        stakeAtRisk: stake_at_risk,
        minLeadTime: min_lead_time,
        minPricePerProof: U96::ZERO,
        requiresData: requires_data,
    }
}

/// Largest redundancy the ascending auction and the election serve (their `MAX_SLOTS`).
const SLOT_MECHANISM_MAX_REDUNDANCY: u8 = 32;

/// Deploys, allow-lists and routes every non-race instance; returns them by name (`sealed-bid`,
/// `sealed-bid-first`, `ascending`, `election-race`, `order-book`, `tree`).
pub(super) async fn deploy_mechanisms(
    provider: &ChainProvider,
    tasks: Address,
    provers: Address,
    token: Address,
    treasury: Address,
    router: Address,
    p: &MechanismParams,
) -> Result<BTreeMap<String, Address>, DeployError> {
    let task_registry = TaskRegistry::new(tasks, provider);
    let router_contract = MechanismRouter::new(router, provider);
    let mut out = BTreeMap::new();

    let sealed_winner_collateral = u96("sealedWinnerCollateral", p.sealed_winner_collateral)?;
    for (name, second_price) in [("sealed-bid", true), ("sealed-bid-first", false)] {
        let address = deploy!(
            "SealedBidAuction",
            SealedBidAuction::deploy_builder(
                provider,
                proofmarket_bindings::sealed_bid_auction::SealedBidAuction::Params {
                    taskRegistry: tasks,
                    proverRegistry: provers,
                    token,
                    treasury,
                    secondPrice: second_price,
                    commitWindow: p.sealed_commit_window,
                    revealWindow: p.sealed_reveal_window,
                    minProvingWindow: p.sealed_min_proving_window,
                    bidCollateral: u96("sealedBidCollateral", p.sealed_bid_collateral)?,
                    winnerCollateral: sealed_winner_collateral,
                    maxBids: p.sealed_max_bids,
                },
            )
        );
        out.insert(name.to_string(), address);
    }

    let ascending_collateral = u96("ascendingLockCollateral", p.ascending_lock_collateral)?;
    let ascending = deploy!(
        "AscendingPriceAuction",
        AscendingPriceAuction::deploy_builder(
            provider,
            proofmarket_bindings::ascending_price_auction::AscendingPriceAuction::Params {
                taskRegistry: tasks,
                floorBps: p.ascending_floor_bps,
                rampPeriod: p.ascending_ramp_period,
                lockWindow: p.ascending_lock_window,
                lockCollateral: ascending_collateral,
            },
        )
    );
    out.insert("ascending".to_string(), ascending);

    let election_collateral = u96("electionCollateral", p.election_collateral)?;
    let election = deploy!(
        "ElectionRace",
        ElectionRace::deploy_builder(
            provider,
            proofmarket_bindings::election_race::ElectionRace::Params {
                taskRegistry: tasks,
                proverRegistry: provers,
                electedCount: p.election_count,
                minHardwareClass: p.election_min_hardware_class,
                collateral: election_collateral,
                drawDelay: p.election_draw_delay,
                electionWindow: p.election_window,
                decayWindow: p.election_decay_window,
                decayFloorBps: p.election_decay_floor_bps,
                weightCap: u96("electionWeightCap", p.election_weight_cap)?,
                maxAttempts: p.election_max_attempts,
            },
        )
    );
    out.insert("election-race".to_string(), election);

    let book_collateral = u96("bookCollateral", p.book_collateral)?;
    let book = deploy!(
        "OrderBook",
        OrderBook::deploy_builder(
            provider,
            tasks,
            provers,
            proofmarket_bindings::order_book::IOrderBook::Params {
                collateralPerMatch: book_collateral,
                maxBookSize: p.book_size,
                maxRedundancy: p.book_max_redundancy,
                profile: proofmarket_bindings::order_book::IMechanism::Profile {
                    kind: 5,
                    speed: 8,
                    cost: 7,
                    safety: 5,
                    censorshipResistance: 3,
                },
            },
        )
    );
    out.insert("order-book".to_string(), book);

    let tree_root_collateral = u96("treeRootCollateral", p.tree_root_collateral)?;
    let tree = deploy!(
        "TreeAssignment",
        TreeAssignment::deploy_builder(
            provider,
            tasks,
            provers,
            token,
            proofmarket_bindings::tree_assignment::ITreeAssignment::Params {
                rangeBond: u96("treeRangeBond", p.tree_range_bond)?,
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
                profile: proofmarket_bindings::tree_assignment::IMechanism::Profile {
                    kind: 6,
                    speed: 8,
                    cost: 4,
                    safety: 7,
                    censorshipResistance: 10,
                },
            },
        )
    );
    out.insert("tree".to_string(), tree);

    for (name, address) in &out {
        send!(
            &format!("TaskRegistry.setMechanism({name})"),
            task_registry.setMechanism(*address, true)
        );
    }
    // The tree's locked ranges count against its members' declared capacity (as
    // RouterDeployment._deployTreeAssignment does).
    send!(
        "ProverRegistry.addCapacityHolder(tree)",
        ProverRegistry::new(provers, provider).addCapacityHolder(tree)
    );

    // Router instances 1–5 (the race is 0), limits as RouterDeployment._registerDefaultInstances.
    let routed = [
        (
            "sealed-bid",
            limits(
                p.sealed_max_bids,
                sealed_winner_collateral,
                p.sealed_commit_window + p.sealed_reveal_window + p.sealed_min_proving_window,
                false,
            ),
        ),
        (
            "ascending",
            limits(
                SLOT_MECHANISM_MAX_REDUNDANCY,
                ascending_collateral,
                0,
                false,
            ),
        ),
        (
            "election-race",
            limits(
                SLOT_MECHANISM_MAX_REDUNDANCY,
                election_collateral,
                p.election_window,
                false,
            ),
        ),
        (
            "order-book",
            limits(p.book_max_redundancy, book_collateral, 0, false),
        ),
        ("tree", limits(1, tree_root_collateral, 0, true)),
    ];
    for (name, instance_limits) in routed {
        send!(
            &format!("MechanismRouter.addInstance({name})"),
            router_contract.addInstance(out[name], instance_limits)
        );
    }
    Ok(out)
}
