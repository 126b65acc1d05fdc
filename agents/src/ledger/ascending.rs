//! The ascending-price lock auction over the TaskLedger (`LedgerAscendingPriceAuction`;
//! docs/mechanisms.md "Ascending-price lock auction", docs/one-word-tasks.md for what the port
//! changed): when this prover locks a task the [`super::TaskBook`] tracks, when it proves, and when it
//! covers another prover's lapsed lock.
//!
//! The economics are the stored auction's policy (`prover::policy::ascending`), called, not copied:
//! the reservation price ([`reservation_price`]: the cost model with the lock collateral at risk over
//! the lock window, plus the lock's gas, times the margin) and the first moment the ramp reaches it
//! ([`lock_moment`]). What the ledger adds:
//!
//! * The ramp is the instance's, started at the task's `openedAt` (a reopen to the same instance
//!   restarts it), with the ceiling `maxPayment / redundancy`: [`AuctionTerms::price_at`] is the
//!   contract's `priceAt`.
//! * A lock is the ledger's assignment: the task's `assignee`, `price`, `collateral`, and its lock
//!   deadline in `mechanismState`. So the book's copy says who holds the lock and until when, without
//!   a watch of our own.
//! * The proof that fulfils a task earns its cover bounty on top of the price (the locker's as well),
//!   so a bounty carried by the task lowers the price this prover waits for.
//! * Covering a lapsed lock is `slashLock` (anyone, after the lock deadline) and then a proof without a
//!   lock, paid the current ramp price plus the bounty, which the slash has just raised by the
//!   ledger's cover share of the collateral.
//!
//! [`decide`] is pure; [`lock`] and [`slash_lock`] send through [`send_task_call`] (the book's live
//! copy, the agent's `Submitter`, one rebuild on `StaleTask`); the proof goes through
//! [`super::race::submit_proof`], the one proof submission over the ledger.

use alloy::primitives::{Address, U256};
use alloy::sol_types::SolCall;
use proofmarket_bindings::TaskLedger::{self, LedgerTask};
use proofmarket_bindings::{LedgerAscendingPriceAuction, ProverRegistry};

use super::book::{TrackedTask, task_hash};
use super::call::{LedgerCallError, live_copy, logged, send_mechanism_call};
use super::race::{ProofRefusal, plan_unassigned_proof};
use super::sync::LedgerSync;
use crate::chain::ChainProvider;
use crate::chain::submitter::Submitter;
use crate::prover::cost::{CostEstimate, CostModel};
use crate::prover::policy::ascending::{
    AscendingConfig, AscendingTerms, LockMoment, lock_moment, reservation_price,
};
use crate::prover::policy::{gas_tokens, to_price};

/// An auction instance's immutable parameters, and the ledger's cover share of a slash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuctionTerms {
    /// The `LedgerAscendingPriceAuction` contract.
    pub auction: Address,
    /// The ledger it serves.
    pub ledger: Address,
    /// The ledger's ProverRegistry (where a lock's collateral is locked).
    pub registry: Address,
    /// Ramp floor as a fraction of the slot maximum, in basis points.
    pub floor_bps: u16,
    /// Seconds from the task's opening to the ceiling (0: the ceiling at once).
    pub ramp_period: u32,
    /// Seconds a locker has to prove.
    pub lock_window: u32,
    /// The instance's lock collateral (a task's `minCollateral` raises it).
    pub lock_collateral: u128,
    /// The ledger's slash split: the share of a slashed collateral added to the task's cover bounty,
    /// in basis points. The admin may change it; a changed split only misprices a cover, it never
    /// makes a call fail.
    pub cover_bps: u16,
}

impl AuctionTerms {
    /// Reads the terms of the auction at `auction`, and its ledger's registry and slash split.
    pub async fn read(provider: &ChainProvider, auction: Address) -> Result<Self, LedgerCallError> {
        let rpc = LedgerCallError::rpc::<alloy::contract::Error>;
        let contract = LedgerAscendingPriceAuction::new(auction, provider);
        let ledger = contract.ledger().call().await.map_err(rpc("ledger"))?;
        let core = TaskLedger::new(ledger, provider);
        let split = core.slashSplit().call().await.map_err(rpc("slashSplit"))?;
        Ok(Self {
            auction,
            ledger,
            registry: core.provers().call().await.map_err(rpc("provers"))?,
            floor_bps: contract.floorBps().call().await.map_err(rpc("floorBps"))?,
            ramp_period: contract
                .rampPeriod()
                .call()
                .await
                .map_err(rpc("rampPeriod"))?,
            lock_window: contract
                .lockWindow()
                .call()
                .await
                .map_err(rpc("lockWindow"))?,
            lock_collateral: contract
                .lockCollateral()
                .call()
                .await
                .map_err(rpc("lockCollateral"))?
                .to(),
            // `slashSplit()` returns (treasury, treasuryBps, coverBps).
            cover_bps: split._2,
        })
    }

    /// The ramp and lock terms of `task` in the stored policy's form. The ledger keeps no rounds (a
    /// reopen gives the task a new `openedAt`, which restarts the ramp), so the round is 0.
    pub fn ramp(&self, task: &LedgerTask) -> AscendingTerms {
        let ceiling = task.maxPayment.to::<u128>() / u128::from(task.redundancy.max(1));
        AscendingTerms::from_slot(
            0,
            u64::from(task.openedAt),
            ceiling,
            self.floor_bps,
            u64::from(self.ramp_period),
            u64::from(self.lock_window),
            self.collateral_of(task),
        )
    }

    /// The contract's `priceAt(task, at)`: the ramp price of one slot of `task` at `at`.
    pub fn price_at(&self, task: &LedgerTask, at: u64) -> u128 {
        self.ramp(task).price_at(at)
    }

    /// The contract's `collateralOf(task)`: the lock collateral, raised to the task's `minCollateral`.
    pub fn collateral_of(&self, task: &LedgerTask) -> u128 {
        self.lock_collateral.max(task.minCollateral.to())
    }

    /// What a slash of `collateral` adds to the task's cover bounty (`SlashSplit`, rounded down).
    pub fn cover_share(&self, collateral: u128) -> u128 {
        collateral * u128::from(self.cover_bps) / 10_000
    }
}

/// What the decision knows about this prover.
#[derive(Clone, Copy, Debug)]
pub struct Prover<'a> {
    /// Its address (the locker, the submitter's account).
    pub address: Address,
    /// Its cost model with the live gas price.
    pub cost: &'a CostModel,
    /// `[strategy.ascending]`.
    pub config: &'a AscendingConfig,
    /// Its free stake in the registry, when the caller read it (`None`: not known; the registry
    /// then refuses a lock it cannot back, in simulation, at no gas).
    pub free_stake: Option<u128>,
}

/// Why the prover leaves a task alone.
#[derive(Clone, Debug, PartialEq)]
pub enum Decline {
    /// The book holds it as closed.
    Closed,
    /// It runs under another mechanism (e.g. reopened under its fallback).
    OtherMechanism(Address),
    /// Its deadline has passed.
    Expired,
    /// `[strategy.ascending].enabled` is off (a lock of ours is still proven).
    Disabled,
    /// Another prover holds the lock and its window (plus the slash grace) has not passed.
    LockedByOther {
        /// The locker.
        prover: Address,
        /// When its lock lapses.
        lock_deadline: u64,
    },
    /// Another prover's lock has lapsed, but `[strategy.ascending].cover` is off.
    CoverDisabled {
        /// The locker.
        prover: Address,
    },
    /// Locks are ledger assignments, which need redundancy 1 (a redundant task can only reach the
    /// auction as a fallback).
    LocksNeedRedundancyOne(u8),
    /// The registry would refuse the lock: the free stake does not back the collateral.
    InsufficientFreeStake {
        /// Free stake.
        free: u128,
        /// Collateral the lock posts.
        collateral: u128,
    },
    /// The proof does not fit the lock window with the safety factor.
    TooSlowForLock {
        /// Estimated proving time.
        prove_secs: f64,
        /// The lock window.
        lock_window: u64,
    },
    /// The ramp never reaches the reservation price (less the bounty the task carries).
    ReservationAboveCeiling {
        /// The price this prover needs from the ramp.
        reservation: u128,
        /// The slot maximum.
        ceiling: u128,
    },
    /// A lock at the first worthwhile moment would outlive the task's deadline (`LockPastDeadline`).
    LockOutlivesDeadline {
        /// The first worthwhile moment.
        lock_at: u64,
        /// The task's deadline.
        deadline: u64,
    },
    /// Covering another's lapsed lock would be too late, or the price plus the bounty would not pay
    /// for the slash and the proof with the margin.
    Cover(ProofRefusal),
}

/// The auction decision for one task.
#[derive(Clone, Debug, PartialEq)]
pub enum AscendingDecision {
    /// Lock now: the ramp is at `price`, at or above what this prover needs.
    Lock {
        /// The ramp price now (the lock takes the price of its block, never less).
        price: u128,
        /// Collateral the lock posts.
        collateral: u128,
        /// The price this prover needs from the ramp (the reservation less the task's bounty).
        reservation: u128,
    },
    /// Decide again at `until`, when the ramp reaches `reservation`.
    Wait {
        /// Unix seconds.
        until: u64,
        /// The price this prover needs from the ramp.
        reservation: u128,
    },
    /// This prover holds the lock: prove. The ledger pays the locked price, plus the bounty, even
    /// after the lock deadline as long as nobody has slashed it.
    Prove {
        /// Locked price plus the task's cover bounty.
        payment: u128,
        /// When the lock lapses (after it anyone may slash it).
        lock_deadline: u64,
    },
    /// Another prover's lock has lapsed: slash it, then prove without a lock.
    Cover {
        /// The lapsed locker.
        locker: Address,
        /// When its lock lapsed.
        lock_deadline: u64,
        /// Expected pay: the ramp price at `submit_at` plus the bounty after the slash.
        payment: u128,
        /// When the proof is expected to be submitted (now + estimated proving time).
        submit_at: u64,
        /// The cost estimate the decision used (the slash's gas included).
        cost: CostEstimate,
    },
    /// Leave it.
    Decline(Decline),
}

/// What `prover` should do about `tracked` under the auction `terms` at `now`; `txs` sizes the
/// statement for the cost model (1 for one base proof).
pub fn decide(
    tracked: &TrackedTask,
    terms: &AuctionTerms,
    prover: &Prover<'_>,
    now: u64,
    txs: u64,
) -> AscendingDecision {
    let task = &tracked.task;
    let decline = AscendingDecision::Decline;
    if !tracked.is_live() {
        return decline(Decline::Closed);
    }
    if task.mechanism != terms.auction {
        return decline(Decline::OtherMechanism(task.mechanism));
    }
    let deadline = u64::from(task.deadline);
    if now > deadline {
        return decline(Decline::Expired);
    }
    let bounty: u128 = task.coverBounty.to();
    if task.assignee == prover.address {
        // Our lock: the collateral is at stake whatever the config says now.
        return AscendingDecision::Prove {
            payment: task.price.to::<u128>() + bounty,
            lock_deadline: task.mechanismState,
        };
    }
    if !prover.config.enabled {
        return decline(Decline::Disabled);
    }
    if task.assignee != Address::ZERO {
        return cover(tracked, terms, prover, now, txs);
    }
    if task.redundancy != 1 {
        return decline(Decline::LocksNeedRedundancyOne(task.redundancy));
    }
    let ramp = terms.ramp(task);
    if let Some(free) = prover.free_stake
        && free < ramp.lock_collateral
    {
        return decline(Decline::InsufficientFreeStake {
            free,
            collateral: ramp.lock_collateral,
        });
    }
    let reservation = match reservation_price(prover.config, prover.cost, txs, &ramp) {
        Ok(tokens) => to_price(tokens).saturating_sub(bounty),
        Err(slow) => {
            return decline(Decline::TooSlowForLock {
                prove_secs: slow.prove_secs,
                lock_window: slow.lock_window,
            });
        }
    };
    match lock_moment(&ramp, reservation, now, deadline) {
        LockMoment::Now => AscendingDecision::Lock {
            price: ramp.price_at(now),
            collateral: ramp.lock_collateral,
            reservation,
        },
        LockMoment::Wait { until } => AscendingDecision::Wait { until, reservation },
        LockMoment::AboveCeiling => decline(Decline::ReservationAboveCeiling {
            reservation,
            ceiling: ramp.ceiling,
        }),
        LockMoment::PastDeadline { lock_at } => {
            decline(Decline::LockOutlivesDeadline { lock_at, deadline })
        }
    }
}

/// Another prover holds the lock of `tracked`: wait out its window (plus the slash grace, so the
/// slash does not land in the lock's last second), then slash and prove if that pays.
fn cover(
    tracked: &TrackedTask,
    terms: &AuctionTerms,
    prover: &Prover<'_>,
    now: u64,
    txs: u64,
) -> AscendingDecision {
    let task = &tracked.task;
    let decline = AscendingDecision::Decline;
    let locker = task.assignee;
    let lock_deadline = task.mechanismState;
    if now <= lock_deadline.saturating_add(prover.config.slash_grace_secs) {
        return decline(Decline::LockedByOther {
            prover: locker,
            lock_deadline,
        });
    }
    if !prover.config.cover {
        return decline(Decline::CoverDisabled { prover: locker });
    }
    // The slash is one more call, priced at `lock_gas` (the ledger's slashLock, ≈ 85k gas with the
    // task's calldata, is below the lock's default 150k); it adds the cover share of the collateral to
    // the bounty the proof earns. The proof is then unlocked, paid the ramp's price.
    let slash = (
        gas_tokens(prover.cost, prover.config.lock_gas),
        terms.cover_share(task.collateral.to()),
    );
    match plan_unassigned_proof(tracked, now, txs, prover.cost, slash, |at| {
        terms.price_at(task, at)
    }) {
        Ok(plan) => AscendingDecision::Cover {
            locker,
            lock_deadline,
            payment: plan.payment,
            submit_at: plan.submit_at,
            cost: plan.cost,
        },
        Err(refusal) => decline(Decline::Cover(refusal)),
    }
}

/// A lock that went through (or had gone through under its key in an earlier run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locked {
    /// The locked price (the ramp's at the lock's block).
    pub price: u128,
    /// Collateral locked in the registry.
    pub collateral: u128,
    /// When the lock lapses.
    pub lock_deadline: u64,
    /// Whether the book's copy was stale and the task had to be rebuilt first.
    pub refreshed: bool,
    /// False when this lock had already been sent under its key (an earlier run).
    pub fresh: bool,
}

/// The idempotency key of a lock of `task` (the version the lock is decided on): one lock per
/// version, across restarts. A slash or a reopen makes a new version, which may be locked anew.
pub fn lock_key(auction: Address, task_id: U256, task: &LedgerTask) -> String {
    format!("ledger:{auction:#x}:lock:{task_id:#x}:{}", task_hash(task))
}

/// Locks `task_id` for the submitter's account at the current ramp price, with the book's copy,
/// rebuilding the task once when the simulation says `StaleTask`. Any other refusal comes back by
/// name (`AlreadyAssigned`, `LockPastDeadline`, the registry's `InsufficientFreeStake`).
pub async fn lock(
    sync: &mut LedgerSync,
    submitter: &Submitter,
    auction: Address,
    task_id: U256,
) -> Result<Locked, LedgerCallError> {
    let key = lock_key(auction, task_id, &live_copy(sync, task_id)?);
    let sent = send_mechanism_call(
        sync,
        submitter,
        task_id,
        "LedgerAscendingPriceAuction.lock",
        &key,
        (auction, LedgerAscendingPriceAuction::lockCall::SELECTOR),
    )
    .await?;
    let assigned = logged::<TaskLedger::ProverAssigned>(task_id, &sent)?;
    Ok(Locked {
        price: assigned.price.to(),
        collateral: assigned.collateral.to(),
        lock_deadline: assigned.mechanismState,
        refreshed: sent.refreshed,
        fresh: sent.sent.fresh,
    })
}

/// A slash that went through (or had gone through under its key in an earlier run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slashed {
    /// The lapsed locker.
    pub prover: Address,
    /// Its collateral, slashed.
    pub amount: u128,
    /// Added to the task's cover bounty (the next proof's).
    pub to_cover: u128,
    /// Whether the book's copy was stale and the task had to be rebuilt first.
    pub refreshed: bool,
    /// False when this slash had already been sent under its key (an earlier run).
    pub fresh: bool,
}

/// The idempotency key of a slash of `locker`'s lock of `task_id` that lapses at `lock_deadline`:
/// each lock is slashed at most once.
pub fn slash_key(auction: Address, task_id: U256, locker: Address, lock_deadline: u64) -> String {
    format!("ledger:{auction:#x}:slashLock:{task_id:#x}:{locker:#x}:{lock_deadline}")
}

/// Slashes the lapsed lock of `task_id` (anyone may, after the lock deadline) with the book's copy,
/// rebuilding the task once when the simulation says `StaleTask`. The task is then free: prove it
/// with [`super::race::submit_proof`] for the price plus the bounty. Refusals come back by name
/// (`LockNotExpired`, `NoLock`).
pub async fn slash_lock(
    sync: &mut LedgerSync,
    submitter: &Submitter,
    auction: Address,
    task_id: U256,
) -> Result<Slashed, LedgerCallError> {
    let copy = live_copy(sync, task_id)?;
    let key = slash_key(auction, task_id, copy.assignee, copy.mechanismState);
    let sent = send_mechanism_call(
        sync,
        submitter,
        task_id,
        "LedgerAscendingPriceAuction.slashLock",
        &key,
        (
            auction,
            LedgerAscendingPriceAuction::slashLockCall::SELECTOR,
        ),
    )
    .await?;
    let slashed = logged::<TaskLedger::AssignmentSlashed>(task_id, &sent)?;
    Ok(Slashed {
        prover: slashed.prover,
        amount: slashed.amount.to(),
        to_cover: slashed.toCover.to(),
        refreshed: sent.refreshed,
        fresh: sent.sent.fresh,
    })
}

/// `prover`'s free stake in the registry (what a lock's collateral is taken from).
pub async fn free_stake(
    provider: &ChainProvider,
    registry: Address,
    prover: Address,
) -> Result<u128, LedgerCallError> {
    let free = ProverRegistry::new(registry, provider)
        .freeStake(prover)
        .call()
        .await
        .map_err(LedgerCallError::rpc("freeStake"))?;
    Ok(free.saturating_to())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::book::{Closing, test_task};
    use crate::prover::cost::{Prices, ProvingSpeed};
    use alloy::primitives::Uint;

    type U96 = Uint<96, 2>;
    const AUCTION: Address = Address::repeat_byte(0xaa);
    const ME: Address = Address::repeat_byte(0x01);
    const OTHER: Address = Address::repeat_byte(0x03);
    const TOKEN: u128 = 1_000_000_000_000_000_000;

    fn terms() -> AuctionTerms {
        AuctionTerms {
            auction: AUCTION,
            ledger: Address::repeat_byte(0x11),
            registry: Address::repeat_byte(0x22),
            floor_bps: 2_000,
            ramp_period: 120,
            lock_window: 600,
            lock_collateral: 40 * TOKEN,
            cover_bps: 5_000,
        }
    }

    /// A fresh 100-token task opened at 1 000, due an hour later.
    fn tracked() -> TrackedTask {
        test_task(AUCTION, 100 * TOKEN, 1_000)
    }

    /// `tracked()` locked by `prover` at `price` until `lock_deadline`, as the ledger's assign leaves it.
    fn locked_by(prover: Address, price: u128, lock_deadline: u64) -> TrackedTask {
        let mut t = tracked();
        t.task.assignee = prover;
        t.task.price = U96::from(price);
        t.task.collateral = U96::from(40 * TOKEN);
        t.task.mechanismState = lock_deadline;
        t
    }

    /// 2 s per base proof (the default speed), 20 tokens per proving second, 1 gwei gas, 10 %
    /// margin: a reservation of ≈ 44 tokens, reached part way up a 20 → 100 ramp.
    fn cost() -> CostModel {
        CostModel {
            speed: ProvingSpeed::default(),
            prices: Prices {
                compute_per_sec: 20.0 * TOKEN as f64,
                ..Prices::default()
            },
            gas_price_wei: 1_000_000_000,
        }
    }

    fn prover<'a>(cost: &'a CostModel, config: &'a AscendingConfig) -> Prover<'a> {
        Prover {
            address: ME,
            cost,
            config,
            free_stake: None,
        }
    }

    /// `LinearPriceRamp.priceAt(fractionOf(ceiling, floorBps), ceiling, openedAt, rampPeriod, at)`
    /// with `ceiling = maxPayment / redundancy`, transcribed line by line from the Solidity in 256-bit
    /// arithmetic: the reference the agent's ramp must equal.
    fn contract_price_at(
        max_payment: u128,
        redundancy: u8,
        floor_bps: u16,
        start: u64,
        period: u32,
        at: u64,
    ) -> U256 {
        let ceiling = U256::from(max_payment) / U256::from(redundancy);
        let floor = ceiling * U256::from(floor_bps) / U256::from(10_000u64);
        let (start, period, at) = (U256::from(start), U256::from(period), U256::from(at));
        if at <= start {
            return if period.is_zero() { ceiling } else { floor };
        }
        let elapsed = at - start;
        if elapsed >= period {
            return ceiling;
        }
        floor + (ceiling - floor) * elapsed / period
    }

    #[test]
    fn the_ramp_is_the_contracts_price_at() {
        let budgets = [
            1u128,
            999,
            100 * TOKEN,
            123_456_789_012_345_678_901,
            (1u128 << 96) - 1,
        ];
        let mut compared = 0;
        for max_payment in budgets {
            for redundancy in [1u8, 3] {
                for floor_bps in [0u16, 1, 2_000, 9_999, 10_000] {
                    for period in [0u32, 1, 120, 7_777] {
                        let terms = AuctionTerms {
                            floor_bps,
                            ramp_period: period,
                            ..terms()
                        };
                        let mut t = tracked().task;
                        t.maxPayment = U96::from(max_payment);
                        t.redundancy = redundancy;
                        for at in [0, 999, 1_000, 1_001, 1_059, 1_119, 1_120, 1_121, 9_000] {
                            assert_eq!(
                                U256::from(terms.price_at(&t, at)),
                                contract_price_at(
                                    max_payment,
                                    redundancy,
                                    floor_bps,
                                    1_000,
                                    period,
                                    at
                                ),
                                "budget {max_payment}, R {redundancy}, floor {floor_bps}, period {period}, at {at}"
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(compared, 5 * 2 * 5 * 4 * 9);
        // The numbers of the contract's own test: 20 % floor, 120 s ramp, 100 tokens.
        let t = tracked().task;
        assert_eq!(terms().price_at(&t, 1_000), 20 * TOKEN);
        assert_eq!(terms().price_at(&t, 1_060), 60 * TOKEN);
        assert_eq!(terms().price_at(&t, 1_120), 100 * TOKEN);
    }

    #[test]
    fn the_lock_collateral_and_cover_share_are_the_contracts() {
        let mut t = tracked().task;
        assert_eq!(terms().collateral_of(&t), 40 * TOKEN);
        t.minCollateral = U96::from(55 * TOKEN);
        assert_eq!(
            terms().collateral_of(&t),
            55 * TOKEN,
            "minCollateral raises it"
        );
        assert_eq!(terms().cover_share(40 * TOKEN), 20 * TOKEN);
        assert_eq!(terms().cover_share(3), 1, "rounded down");
    }

    #[test]
    fn waits_until_the_ramp_reaches_the_reservation_then_locks() {
        let (cost, config) = (cost(), AscendingConfig::default());
        let me = prover(&cost, &config);
        let t = tracked();
        let reservation = to_price(
            reservation_price(&config, &cost, 1, &terms().ramp(&t.task)).expect("fits the window"),
        );
        assert!(reservation > 44 * TOKEN && reservation < 45 * TOKEN);
        // (44.0007 − 20) / 80 of 120 s: 36.001 s, so the first whole second at or above it is 1 037.
        let wait = decide(&t, &terms(), &me, 1_000, 1);
        assert_eq!(
            wait,
            AscendingDecision::Wait {
                until: 1_037,
                reservation
            }
        );
        assert!(terms().price_at(&t.task, 1_036) < reservation);
        assert_eq!(
            decide(&t, &terms(), &me, 1_020, 1),
            wait,
            "still waiting, same moment"
        );
        let price = terms().price_at(&t.task, 1_037);
        assert!(price >= reservation);
        assert_eq!(
            decide(&t, &terms(), &me, 1_037, 1),
            AscendingDecision::Lock {
                price,
                collateral: 40 * TOKEN,
                reservation
            }
        );
        // Later, the ramp higher: still a lock, at the higher price.
        assert_eq!(
            decide(&t, &terms(), &me, 1_500, 1),
            AscendingDecision::Lock {
                price: 100 * TOKEN,
                collateral: 40 * TOKEN,
                reservation
            }
        );
    }

    #[test]
    fn a_bounty_the_task_carries_lowers_the_price_waited_for() {
        let (cost, config) = (cost(), AscendingConfig::default());
        let me = prover(&cost, &config);
        let AscendingDecision::Wait {
            reservation: plain, ..
        } = decide(&tracked(), &terms(), &me, 1_000, 1)
        else {
            panic!("without a bounty it waits for ≈ 44 tokens");
        };
        let mut t = tracked();
        t.task.coverBounty = U96::from(30 * TOKEN);
        let AscendingDecision::Lock { reservation, .. } = decide(&t, &terms(), &me, 1_000, 1)
        else {
            panic!("the floor (20) plus the bounty (30) already pays ≈ 44: lock at once");
        };
        assert_eq!(reservation, plain - 30 * TOKEN);
    }

    #[test]
    fn a_task_reopened_to_the_auction_restarts_the_ramp() {
        let (cost, config) = (cost(), AscendingConfig::default());
        let me = prover(&cost, &config);
        // Expired into this auction as its fallback at 5 000: new openedAt and deadline, no lock,
        // a slashed race assignee's cover share carried in the bounty.
        let mut t = tracked();
        t.task.openedAt = 5_000;
        t.task.deadline = 5_000 + 1_800;
        t.task.coverBounty = U96::from(4 * TOKEN);
        let AscendingDecision::Wait { until, reservation } = decide(&t, &terms(), &me, 5_000, 1)
        else {
            panic!("the ramp starts again at its floor");
        };
        assert_eq!(
            until,
            terms()
                .ramp(&t.task)
                .first_time_at_least(reservation)
                .unwrap()
        );
        assert!(until > 5_000 && until < 5_120);
    }

    #[test]
    fn proves_its_own_lock_even_after_the_window_or_when_disabled() {
        let cost = cost();
        let config = AscendingConfig {
            enabled: false,
            ..AscendingConfig::default()
        };
        let me = prover(&cost, &config);
        let mut t = locked_by(ME, 44 * TOKEN, 1_637);
        t.task.coverBounty = U96::from(5 * TOKEN);
        let prove = AscendingDecision::Prove {
            payment: 49 * TOKEN,
            lock_deadline: 1_637,
        };
        assert_eq!(decide(&t, &terms(), &me, 1_100, 1), prove);
        assert_eq!(
            decide(&t, &terms(), &me, 2_000, 1),
            prove,
            "lapsed, not slashed yet"
        );
    }

    #[test]
    fn a_lock_that_vanishes_is_covered_after_its_window_and_the_grace() {
        let (cost, config) = (cost(), AscendingConfig::default());
        let me = prover(&cost, &config);
        let t = locked_by(OTHER, 21 * TOKEN, 1_600);
        // Within the window and the grace (2 s): hands off.
        for now in [1_001, 1_600, 1_602] {
            assert_eq!(
                decide(&t, &terms(), &me, now, 1),
                AscendingDecision::Decline(Decline::LockedByOther {
                    prover: OTHER,
                    lock_deadline: 1_600
                }),
                "at {now}"
            );
        }
        let AscendingDecision::Cover {
            locker,
            lock_deadline,
            payment,
            submit_at,
            cost: estimate,
        } = decide(&t, &terms(), &me, 1_603, 1)
        else {
            panic!("covers the lapsed lock");
        };
        assert_eq!((locker, lock_deadline), (OTHER, 1_600));
        assert_eq!(submit_at, 1_603 + 2, "2 s of proving");
        // The ramp's ceiling plus half of the 40-token collateral.
        assert_eq!(payment, 100 * TOKEN + 20 * TOKEN);
        let slash_gas = gas_tokens(&cost, config.lock_gas);
        assert_eq!(
            estimate.gas_tokens,
            cost.estimate(1, 0, 1.0).gas_tokens + slash_gas
        );
        assert_eq!(estimate.risk_tokens, 0.0, "an unlocked proof risks nothing");

        let no_cover = AscendingConfig {
            cover: false,
            ..config
        };
        assert_eq!(
            decide(&t, &terms(), &prover(&cost, &no_cover), 1_603, 1),
            AscendingDecision::Decline(Decline::CoverDisabled { prover: OTHER })
        );
        // Proving at 70 tokens a second (140) is more than the 120 a cover pays.
        let dear = CostModel {
            prices: Prices {
                compute_per_sec: 70.0 * TOKEN as f64,
                ..cost.prices
            },
            ..cost
        };
        assert!(matches!(
            decide(&t, &terms(), &prover(&dear, &config), 1_603, 1),
            AscendingDecision::Decline(Decline::Cover(ProofRefusal::Unprofitable { payment, .. }))
                if payment == 120 * TOKEN
        ));
        // 2 s of proving × 2 safety does not fit 3 s before the deadline.
        assert!(matches!(
            decide(&t, &terms(), &me, 4_597, 1),
            AscendingDecision::Decline(Decline::Cover(ProofRefusal::TooLate { slack_secs: 3, .. }))
        ));
    }

    #[test]
    fn declines_by_name() {
        let (cost, config) = (cost(), AscendingConfig::default());
        let me = prover(&cost, &config);
        let d = |t: &TrackedTask, me: &Prover<'_>, now| decide(t, &terms(), me, now, 1);
        let no = AscendingDecision::Decline;

        let mut closed = tracked();
        closed.closed = Some(Closing::Fulfilled);
        assert_eq!(d(&closed, &me, 1_000), no(Decline::Closed));

        // Expired into its fallback, another mechanism: not ours any more.
        let mut moved = tracked();
        moved.task.mechanism = Address::repeat_byte(0xbb);
        assert_eq!(
            d(&moved, &me, 1_000),
            no(Decline::OtherMechanism(Address::repeat_byte(0xbb)))
        );
        assert_eq!(d(&tracked(), &me, 4_601), no(Decline::Expired));
        let off = AscendingConfig {
            enabled: false,
            ..config
        };
        assert_eq!(
            d(&tracked(), &prover(&cost, &off), 1_000),
            no(Decline::Disabled)
        );

        let mut redundant = tracked();
        redundant.task.redundancy = 2;
        assert_eq!(
            d(&redundant, &me, 1_000),
            no(Decline::LocksNeedRedundancyOne(2))
        );

        let poor = Prover {
            free_stake: Some(39 * TOKEN),
            ..me
        };
        assert_eq!(
            d(&tracked(), &poor, 1_000),
            no(Decline::InsufficientFreeStake {
                free: 39 * TOKEN,
                collateral: 40 * TOKEN
            })
        );
        let backed = Prover {
            free_stake: Some(40 * TOKEN),
            ..me
        };
        assert!(matches!(
            d(&tracked(), &backed, 1_000),
            AscendingDecision::Wait { .. }
        ));

        let slow = CostModel {
            speed: ProvingSpeed {
                base_secs: 400.0,
                ..ProvingSpeed::default()
            },
            ..cost
        };
        assert!(matches!(
            d(&tracked(), &prover(&slow, &config), 1_000),
            AscendingDecision::Decline(Decline::TooSlowForLock {
                lock_window: 600,
                ..
            })
        ));

        // A 40-token task: the ≈ 44-token reservation is above its ceiling.
        let mut cheap = tracked();
        cheap.task.maxPayment = U96::from(40 * TOKEN);
        assert!(matches!(
            d(&cheap, &me, 1_000),
            AscendingDecision::Decline(Decline::ReservationAboveCeiling { ceiling, .. })
                if ceiling == 40 * TOKEN
        ));

        // Due 20 minutes after opening: a lock at 1 037 would end at 1 637, after 1 600.
        let mut soon = tracked();
        soon.task.deadline = 1_600;
        assert_eq!(
            d(&soon, &me, 1_000),
            no(Decline::LockOutlivesDeadline {
                lock_at: 1_037,
                deadline: 1_600
            })
        );
    }
}
