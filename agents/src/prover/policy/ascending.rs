//! Ascending-price lock auction (`AscendingPriceAuction`, kind 3): when to lock, and covering lapsed
//! locks of others.
//!
//! **Reservation price.** What one slot must pay for this prover to take it: the cost model's estimate
//! (submission gas, compute, and the lock collateral × the chance of missing the lock window) plus the
//! lock's own gas, times the operator's margin. The lock window, not the task deadline, is what a
//! locker must beat, so the deadline check uses it.
//!
//! **Lock.** The slot price ramps linearly from `floor` to `ceiling` over `ramp_period` (the
//! contract's `LinearPriceRamp`, rounded down). The policy locks at the first moment the price reaches
//! the reservation price — earlier leaves money on the table, later risks a cheaper competitor locking
//! first — by answering `Wait { until }` before then. A reservation above the ceiling, or a lock that
//! would outlive the task deadline, is declined. The collateral must fit the prover's free stake; the
//! registry refuses the lock otherwise (`InsufficientFreeStake`), at no gas.
//!
//! **Cover.** [`LockWatch`] follows other provers' locks. A lock still unproven after its lock
//! deadline is slashed (`slashLock`, anyone may call it); the freed slot is then re-decided — at the
//! ramp's ceiling by then, plus the cover bounty the registry adds to the next accepted proof.

use std::collections::BTreeMap;

use alloy::primitives::Address;
use serde::Deserialize;

use super::super::cost::CostModel;
use super::super::strategy::{Action, Context, Decision, MechanismPolicy, TaskId, TaskView};
use super::{gas_tokens, to_price, with_margin};

/// `[strategy.ascending]`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AscendingConfig {
    /// Lock in ascending-price auctions. Default true.
    pub enabled: bool,
    /// Gas of a lock (≈138k measured, docs/mechanisms.md). Default 150 000.
    pub lock_gas: u64,
    /// Slash lapsed locks of others and cover their slots. Default true: the slash funds the cover
    /// bounty and reopens a slot this prover may earn.
    pub cover: bool,
    /// Seconds after a lock's deadline before calling `slashLock`. Default 2: one block of margin so
    /// the call does not land in the lock's last second (`LockNotExpired`).
    pub slash_grace_secs: u64,
}

impl Default for AscendingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            lock_gas: 150_000,
            cover: true,
            slash_grace_secs: 2,
        }
    }
}

/// The auction's terms for a task, read from the instance when the task is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AscendingTerms {
    /// Round (each reopen starts a new ramp).
    pub round: u8,
    /// Ramp start.
    pub opened_at: u64,
    /// Ramp floor per slot.
    pub floor: u128,
    /// Ramp ceiling per slot.
    pub ceiling: u128,
    /// Seconds from floor to ceiling.
    pub ramp_period: u64,
    /// Seconds a locker has to prove.
    pub lock_window: u64,
    /// Collateral a lock takes from the locker's stake.
    pub lock_collateral: u128,
}

impl AscendingTerms {
    /// The terms of a slot whose maximum is `ceiling`, with the ramp floor at `floor_bps` of it
    /// (`LinearPriceRamp.fractionOf`, rounded down): how both auctions derive their floor.
    pub fn from_slot(
        round: u8,
        opened_at: u64,
        ceiling: u128,
        floor_bps: u16,
        ramp_period: u64,
        lock_window: u64,
        lock_collateral: u128,
    ) -> Self {
        Self {
            round,
            opened_at,
            floor: ceiling * u128::from(floor_bps) / 10_000,
            ceiling,
            ramp_period,
            lock_window,
            lock_collateral,
        }
    }

    /// `LinearPriceRamp.price`: `floor + (ceiling − floor) · min(t − openedAt, period) / period`,
    /// rounded down.
    pub fn price_at(&self, t: u64) -> u128 {
        let span = self.ceiling.saturating_sub(self.floor);
        if self.ramp_period == 0 || t >= self.opened_at + self.ramp_period {
            return self.ceiling;
        }
        let elapsed = u128::from(t.saturating_sub(self.opened_at));
        self.floor + span * elapsed / u128::from(self.ramp_period)
    }

    /// The first second at which the price is at least `price` (`None` above the ceiling).
    pub fn first_time_at_least(&self, price: u128) -> Option<u64> {
        if price > self.ceiling {
            return None;
        }
        if price <= self.floor {
            return Some(self.opened_at);
        }
        let span = self.ceiling - self.floor;
        // Smallest e with floor + span·e/period ≥ price: e = ⌈(price − floor)·period / span⌉.
        let need = (price - self.floor) * u128::from(self.ramp_period);
        let elapsed = need.div_ceil(span);
        Some(self.opened_at + u64::try_from(elapsed).unwrap_or(u64::MAX))
    }
}

/// A lock this prover could not keep at any price: the proof does not fit the lock window with the
/// cost model's safety factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TooSlowForLock {
    /// Estimated proving time.
    pub prove_secs: f64,
    /// The lock window it must beat.
    pub lock_window: u64,
}

/// This prover's reservation price for one slot (tokens): the cost of proving a `txs`-transaction
/// statement with `terms.lock_collateral` at risk over the lock window, plus the lock's gas, times the
/// margin. Shared by the stored auction's policy and the TaskLedger's (`ledger::ascending`).
pub fn reservation_price(
    config: &AscendingConfig,
    cost: &CostModel,
    txs: u64,
    terms: &AscendingTerms,
) -> Result<f64, TooSlowForLock> {
    let window = terms.lock_window as f64;
    let estimate = cost.estimate(txs, terms.lock_collateral, window);
    if !cost.fits_deadline(estimate.prove_secs, window) {
        return Err(TooSlowForLock {
            prove_secs: estimate.prove_secs,
            lock_window: terms.lock_window,
        });
    }
    let total = estimate.total() + gas_tokens(cost, config.lock_gas);
    Ok(with_margin(total, cost.prices.min_margin_bps))
}

/// When to lock a slot worth taking from `price` on (an integer reservation price).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMoment {
    /// The ramp is at or above the price now.
    Now,
    /// The ramp reaches the price at `until`.
    Wait {
        /// Unix seconds.
        until: u64,
    },
    /// The ramp never reaches the price.
    AboveCeiling,
    /// A lock at `lock_at` would outlive the task's `deadline` (the auction refuses it).
    PastDeadline {
        /// The earliest worthwhile lock.
        lock_at: u64,
    },
}

/// The first moment the ramp of `terms` reaches `price`, at `now` or later, if a lock then still ends
/// by `deadline`: earlier leaves money on the table, later risks a cheaper competitor locking first.
pub fn lock_moment(terms: &AscendingTerms, price: u128, now: u64, deadline: u64) -> LockMoment {
    let Some(at) = terms.first_time_at_least(price) else {
        return LockMoment::AboveCeiling;
    };
    let lock_at = at.max(now);
    if lock_at + terms.lock_window > deadline {
        return LockMoment::PastDeadline { lock_at };
    }
    if lock_at > now {
        return LockMoment::Wait { until: lock_at };
    }
    LockMoment::Now
}

/// The locking policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct AscendingPolicy {
    /// Parameters.
    pub config: AscendingConfig,
}

impl AscendingPolicy {
    /// This prover's reservation price for a slot of `task` (tokens), or why it cannot take it.
    pub fn reservation(
        &self,
        task: &TaskView,
        terms: &AscendingTerms,
        ctx: &Context<'_>,
    ) -> Result<f64, String> {
        let Some(txs) = task.block_txs else {
            return Err("not a block task this prover can build".into());
        };
        reservation_price(&self.config, ctx.cost, txs, terms).map_err(|slow| {
            format!(
                "too slow: {:.1}s estimated, a {}s lock window",
                slow.prove_secs, slow.lock_window
            )
        })
    }
}

impl MechanismPolicy for AscendingPolicy {
    fn evaluate(&self, task: &TaskView, ctx: &Context<'_>) -> Decision {
        if !self.config.enabled {
            return Decision::Decline("ascending auctions disabled in [strategy.ascending]".into());
        }
        let Some(terms) = task.terms.ascending() else {
            return Decision::Decline("no ascending auction for this task".into());
        };
        if task.slots_left() == 0 {
            return Decision::Decline("every slot already proven".into());
        }
        let reservation = match self.reservation(task, &terms, ctx) {
            Ok(v) => v,
            Err(reason) => return Decision::Decline(reason),
        };
        match lock_moment(&terms, to_price(reservation), ctx.now, task.deadline) {
            LockMoment::AboveCeiling => Decision::Decline(format!(
                "unprofitable: reservation {reservation:.3e} above the ceiling {}",
                terms.ceiling
            )),
            LockMoment::PastDeadline { lock_at } => Decision::Decline(format!(
                "a lock at {lock_at} would outlive the deadline {}",
                task.deadline
            )),
            LockMoment::Wait { until } => Decision::Wait { until },
            LockMoment::Now => Decision::Lock {
                collateral: terms.lock_collateral,
            },
        }
    }
}

/// Other provers' live locks, to slash and cover when they lapse.
#[derive(Clone, Debug, Default)]
pub struct LockWatch {
    /// task → locker → lock deadline.
    locks: BTreeMap<TaskId, BTreeMap<Address, u64>>,
    grace: u64,
}

impl LockWatch {
    /// A watch that slashes `grace` seconds after a lock deadline.
    pub fn new(grace: u64) -> Self {
        Self {
            locks: BTreeMap::new(),
            grace,
        }
    }

    /// `prover` holds a lock on `task_id` until `until` (estimated from the clock at the lock, or the
    /// exact `lockDeadline` when the service read it).
    pub fn locked(&mut self, task_id: TaskId, prover: Address, until: u64) {
        self.locks.entry(task_id).or_default().insert(prover, until);
    }

    /// `prover` delivered (or its lock is gone).
    pub fn released(&mut self, task_id: TaskId, prover: Address) {
        if let Some(m) = self.locks.get_mut(&task_id) {
            m.remove(&prover);
            if m.is_empty() {
                self.locks.remove(&task_id);
            }
        }
    }

    /// The task closed: forget its locks.
    pub fn closed(&mut self, task_id: TaskId) {
        self.locks.remove(&task_id);
    }

    /// Live locks followed.
    pub fn len(&self) -> usize {
        self.locks.values().map(BTreeMap::len).sum()
    }

    /// Whether no lock is followed.
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    /// Slashes due at `now` (each lapsed lock once).
    pub fn on_clock(&mut self, now: u64) -> Vec<Action> {
        let mut out = Vec::new();
        for (task_id, lockers) in &mut self.locks {
            lockers.retain(|prover, until| {
                if now > until.saturating_add(self.grace) {
                    out.push(Action::SlashLock {
                        task_id: *task_id,
                        prover: *prover,
                    });
                    false
                } else {
                    true
                }
            });
        }
        self.locks.retain(|_, m| !m.is_empty());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::cost::{CostModel, Prices, ProvingSpeed};
    use super::super::super::strategy::{MechanismKind, MechanismTerms};
    use super::*;

    const ME: Address = Address::repeat_byte(0xaa);
    const OTHER: Address = Address::repeat_byte(0xbb);
    const TOKEN: u128 = 1_000_000_000_000_000_000;

    fn cost() -> CostModel {
        CostModel {
            speed: ProvingSpeed {
                base_secs: 1.0,
                merge_secs: 1.0,
                root_secs: 1.0,
                workers: 1,
            },
            prices: Prices::default(),
            gas_price_wei: 1_000_000_000,
        }
    }

    fn terms() -> AscendingTerms {
        AscendingTerms {
            round: 1,
            opened_at: 1_000,
            floor: TOKEN / 1_000,
            ceiling: TOKEN / 100,
            ramp_period: 100,
            lock_window: 120,
            lock_collateral: 50 * TOKEN,
        }
    }

    fn task(terms: AscendingTerms) -> TaskView {
        TaskView {
            task_id: 3,
            mechanism: Address::repeat_byte(0x33),
            kind: MechanismKind::Ascending,
            block_txs: Some(2),
            max_payment: terms.ceiling,
            created_at: 1_000,
            deadline: 1_600,
            redundancy: 1,
            proofs_accepted: 0,
            race: None,
            collateral: terms.lock_collateral,
            terms: MechanismTerms::Ascending(terms),
        }
    }

    fn ctx(c: &CostModel, now: u64) -> Context<'_> {
        Context {
            now,
            cost: c,
            competitors: 0,
            me: ME,
        }
    }

    #[test]
    fn the_ramp_matches_the_contract_and_inverts() {
        let t = terms();
        assert_eq!(t.price_at(999), t.floor);
        assert_eq!(t.price_at(1_000), t.floor);
        assert_eq!(t.price_at(1_050), t.floor + (t.ceiling - t.floor) / 2);
        assert_eq!(t.price_at(1_100), t.ceiling);
        assert_eq!(t.price_at(5_000), t.ceiling);
        for price in [
            t.floor,
            t.floor + 1,
            t.floor + 12_345_678,
            t.ceiling - 1,
            t.ceiling,
        ] {
            let at = t.first_time_at_least(price).expect("within the ramp");
            assert!(t.price_at(at) >= price, "reached at {at}");
            assert!(
                at == t.opened_at || t.price_at(at - 1) < price,
                "not a second earlier"
            );
        }
        assert_eq!(t.first_time_at_least(t.ceiling + 1), None);
    }

    #[test]
    fn waits_for_the_reservation_price_then_locks() {
        let c = cost();
        let policy = AscendingPolicy::default();
        // Reservation: (450k + 150k gas) × 1 gwei = 6e14, + 4e12 compute, × 1.1 ≈ 6.64e14, between
        // the floor (1e15)... below it, in fact: lock at once.
        assert_eq!(
            policy.evaluate(&task(terms()), &ctx(&c, 1_000)),
            Decision::Lock {
                collateral: 50 * TOKEN
            }
        );
        // Dearer gas: 10 gwei → ≈ 6.6e15, reached part way up the ramp.
        let dear = CostModel {
            gas_price_wei: 10_000_000_000,
            ..c
        };
        let reservation = policy
            .reservation(&task(terms()), &terms(), &ctx(&dear, 1_000))
            .expect("fits");
        let at = terms()
            .first_time_at_least(to_price(reservation))
            .expect("below the ceiling");
        assert!(at > 1_000 && at < 1_100);
        assert_eq!(
            policy.evaluate(&task(terms()), &ctx(&dear, 1_000)),
            Decision::Wait { until: at }
        );
        assert_eq!(
            policy.evaluate(&task(terms()), &ctx(&dear, at)),
            Decision::Lock {
                collateral: 50 * TOKEN
            }
        );
    }

    #[test]
    fn declines_above_the_ceiling_past_the_deadline_or_too_slow() {
        let c = cost();
        let policy = AscendingPolicy::default();
        let poor = AscendingTerms {
            floor: 1,
            ceiling: 1_000,
            ..terms()
        };
        assert!(matches!(
            policy.evaluate(&task(poor), &ctx(&c, 1_000)),
            Decision::Decline(r) if r.starts_with("unprofitable")
        ));
        let late = TaskView {
            deadline: 1_100,
            ..task(terms())
        };
        assert!(matches!(
            policy.evaluate(&late, &ctx(&c, 1_000)),
            Decision::Decline(r) if r.contains("outlive the deadline")
        ));
        let short = AscendingTerms {
            lock_window: 7,
            ..terms()
        };
        assert!(matches!(
            policy.evaluate(&task(short), &ctx(&c, 1_000)),
            Decision::Decline(r) if r.starts_with("too slow")
        ));
    }

    #[test]
    fn lapsed_locks_are_slashed_once_after_the_grace() {
        let mut w = LockWatch::new(2);
        w.locked(3, OTHER, 1_120);
        w.locked(4, OTHER, 1_500);
        assert!(w.on_clock(1_122).is_empty());
        assert_eq!(
            w.on_clock(1_123),
            vec![Action::SlashLock {
                task_id: 3,
                prover: OTHER
            }]
        );
        assert!(w.on_clock(1_200).is_empty());
        assert_eq!(w.len(), 1);
        // A delivered lock is never slashed.
        w.released(4, OTHER);
        assert!(w.on_clock(2_000).is_empty());
        assert!(w.is_empty());
    }
}
