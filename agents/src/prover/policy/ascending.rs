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
        let window = terms.lock_window as f64;
        let cost = ctx.cost.estimate(txs, terms.lock_collateral, window);
        if !ctx.cost.fits_deadline(cost.prove_secs, window) {
            return Err(format!(
                "too slow: {:.1}s estimated, a {window:.0}s lock window",
                cost.prove_secs
            ));
        }
        let total = cost.total() + gas_tokens(ctx.cost, self.config.lock_gas);
        Ok(with_margin(total, ctx.cost.prices.min_margin_bps))
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
        let Some(at) = terms.first_time_at_least(to_price(reservation)) else {
            return Decision::Decline(format!(
                "unprofitable: reservation {reservation:.3e} above the ceiling {}",
                terms.ceiling
            ));
        };
        let lock_at = at.max(ctx.now);
        if lock_at + terms.lock_window > task.deadline {
            return Decision::Decline(format!(
                "a lock at {lock_at} would outlive the deadline {}",
                task.deadline
            ));
        }
        if lock_at > ctx.now {
            return Decision::Wait { until: lock_at };
        }
        Decision::Lock {
            collateral: terms.lock_collateral,
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
