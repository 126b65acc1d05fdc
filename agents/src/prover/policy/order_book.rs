//! Order book (`OrderBook`, kind 5): the standing offer this prover posts, and keeping it honest.
//!
//! **Offer.** One offer per prover and book: a price per proof, a promised proving time and a capacity.
//! Unless configured, the price is the cost model's estimate for a `typical_txs`-transaction block
//! (submission gas, compute, the match collateral at risk over the promised time) times the margin
//! plus `offer_margin_bps`, and the promised time is the estimated proving time × the deadline safety
//! factor plus `submit_allowance_secs`. A match fixes the offer's price in the registry assignment, so
//! the offer must price the blocks it will actually get: `typical_txs` should be the rollup's usual
//! block size.
//!
//! **Capacity.** [`BookState`] keeps the offer on the book only while this prover has a free task
//! slot: when its own work fills `max_concurrent` it withdraws the offer (new tasks no longer see it;
//! matches already made stay bound and are proven), and re-posts when a slot frees. On shutdown the
//! service withdraws it too.
//!
//! **Tasks.** A matched task arrives as an assignment (often in the same transaction that opened the
//! task, before the prover has seen it open) and is proven through the shared lifecycle. A task that
//! waits on the book for offers (`matched < redundancy`) that this offer qualifies for is matched by
//! calling `matchTask` (anyone may).

use alloy::primitives::B256;
use serde::Deserialize;

use super::super::cost::CostModel;
use super::super::strategy::{Context, Decision, MechanismPolicy, TaskView};
use super::{to_price, with_margin};

/// `[strategy.order_book]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderBookConfig {
    /// Post a standing offer. Default false: an offer commits `collateralPerMatch` of stake to every
    /// task it is matched to without a per-task decision, so the operator opts in.
    pub enabled: bool,
    /// The book: a name in the deployment's `mechanisms` (`order-book`) or an address. Default
    /// `order-book`.
    pub book: String,
    /// Fixed price per proof (token base units, decimal string); unset: from the cost model.
    pub price: Option<String>,
    /// Fixed promised proving time (s); unset: from the cost model.
    pub proving_time: Option<u32>,
    /// Tasks the offer may hold at once; unset: the prover's `max_concurrent`.
    pub capacity: Option<u16>,
    /// Block size the derived price and time are computed for. Default 8: the sequencer's usual
    /// maximum block on the devnet; a bigger block matched at this price is proven at a smaller
    /// margin, so set it to the largest block the rollup posts.
    pub typical_txs: u64,
    /// Extra margin of a standing price over a per-task decision, in basis points. Default 2 000:
    /// an offer's price is fixed for hours while gas moves.
    pub offer_margin_bps: u32,
    /// Seconds added to the promised time for fetching data and landing the submission. Default 30.
    pub submit_allowance_secs: u32,
    /// Circuit served; unset: any (zero).
    pub circuit_id: Option<B256>,
}

impl Default for OrderBookConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            book: "order-book".into(),
            price: None,
            proving_time: None,
            capacity: None,
            typical_txs: 8,
            offer_margin_bps: 2_000,
            submit_allowance_secs: 30,
            circuit_id: None,
        }
    }
}

/// The terms of a standing offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Price per proof.
    pub price: u128,
    /// Promised seconds from match to proof.
    pub proving_time: u32,
    /// Live matches at once.
    pub capacity: u16,
    /// Circuit served (zero: any).
    pub circuit_id: B256,
}

/// The offer this prover posts, from the config and the cost model.
pub fn offer(
    config: &OrderBookConfig,
    cost: &CostModel,
    collateral: u128,
    max_concurrent: usize,
) -> Result<Offer, String> {
    let estimate_secs = cost.speed.block_secs(config.typical_txs.max(1));
    let proving_time = match config.proving_time {
        Some(t) if t > 0 => t,
        Some(_) => return Err("[strategy.order_book].proving_time must be positive".into()),
        None => {
            let secs = (estimate_secs * cost.prices.deadline_safety).ceil()
                + f64::from(config.submit_allowance_secs);
            secs.clamp(1.0, f64::from(u32::MAX)) as u32
        }
    };
    let price = match &config.price {
        Some(p) => {
            let v: u128 = p
                .trim()
                .parse()
                .map_err(|e| format!("[strategy.order_book].price {p:?}: {e}"))?;
            if v == 0 {
                return Err("[strategy.order_book].price must be positive".into());
            }
            v
        }
        None => {
            let c = cost.estimate(
                config.typical_txs.max(1),
                collateral,
                f64::from(proving_time),
            );
            let per_task = with_margin(c.total(), cost.prices.min_margin_bps);
            to_price(with_margin(per_task, config.offer_margin_bps))
        }
    };
    let capacity = config
        .capacity
        .unwrap_or(u16::try_from(max_concurrent).unwrap_or(u16::MAX))
        .max(1);
    Ok(Offer {
        price,
        proving_time,
        capacity,
        circuit_id: config.circuit_id.unwrap_or(B256::ZERO),
    })
}

/// A task's matching state on the book, read when the task is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookTerms {
    /// Whether the task is on the book.
    pub live: bool,
    /// Price cap per proof.
    pub max_price: u128,
    /// Provers wanted.
    pub redundancy: u8,
    /// Provers matched so far.
    pub matched: u8,
}

/// The order-book policy: a task not matched to us is matched by us if it waits and our offer fits.
#[derive(Clone, Copy, Debug)]
pub struct OrderBookPolicy {
    /// Our standing offer (`None`: not posting).
    pub offer: Option<Offer>,
}

impl MechanismPolicy for OrderBookPolicy {
    fn evaluate(&self, task: &TaskView, ctx: &Context<'_>) -> Decision {
        let Some(offer) = self.offer else {
            return Decision::Decline("no standing offer ([strategy.order_book] disabled)".into());
        };
        let Some(terms) = task.terms.order_book() else {
            return Decision::Decline("not on the book".into());
        };
        if task.block_txs.is_none() {
            return Decision::Decline("not a block task this prover can build".into());
        }
        if !terms.live || terms.matched >= terms.redundancy {
            return Decision::Decline("matched to other offers".into());
        }
        if offer.price > terms.max_price {
            return Decision::Decline(format!(
                "our offer ({}) is above the task's price cap ({})",
                offer.price, terms.max_price
            ));
        }
        if ctx.now + u64::from(offer.proving_time) > task.deadline {
            return Decision::Decline("our promised time does not fit the deadline".into());
        }
        Decision::Match
    }
}

/// Whether our offer is on the book, and what to do about it as capacity changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookState {
    /// The offer.
    pub offer: Offer,
    /// Whether it is posted (as far as we know).
    pub posted: bool,
    /// Stopping: never re-post.
    pub stopping: bool,
}

/// What the offer needs now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferMove {
    /// Post (or re-post) it.
    Post(Offer),
    /// Take it off the book.
    Withdraw,
}

impl BookState {
    /// A state with the offer not yet posted.
    pub fn new(offer: Offer) -> Self {
        Self {
            offer,
            posted: false,
            stopping: false,
        }
    }

    /// The move, if any, given how many task slots of ours are free.
    pub fn sync(&mut self, free_slots: usize) -> Option<OfferMove> {
        if self.stopping {
            return None;
        }
        if free_slots == 0 && self.posted {
            self.posted = false;
            return Some(OfferMove::Withdraw);
        }
        if free_slots > 0 && !self.posted {
            self.posted = true;
            return Some(OfferMove::Post(self.offer));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::cost::{Prices, ProvingSpeed};
    use super::super::super::strategy::{MechanismKind, MechanismTerms};
    use super::*;
    use alloy::primitives::Address;

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

    fn task(terms: BookTerms) -> TaskView {
        TaskView {
            task_id: 9,
            mechanism: Address::repeat_byte(0x55),
            kind: MechanismKind::OrderBook,
            block_txs: Some(2),
            max_payment: terms.max_price,
            created_at: 1_000,
            deadline: 1_600,
            redundancy: terms.redundancy,
            proofs_accepted: 0,
            race: None,
            collateral: 50 * TOKEN,
            terms: MechanismTerms::OrderBook(terms),
        }
    }

    #[test]
    fn the_offer_prices_the_typical_block_with_both_margins() {
        let c = cost();
        let o = offer(&OrderBookConfig::default(), &c, 50 * TOKEN, 2).expect("offer");
        // 8 txs on one worker: 8 base + 7 merges + 1 root = 16 s; ×2 safety + 30 s = 62 s.
        assert_eq!(o.proving_time, 62);
        assert_eq!(o.capacity, 2);
        // 450k gas × 1 gwei + 16 s × 1e12; no risk (62 s ≥ 4 × 16 s is false: 3.875×) …
        let est = c.estimate(8, 50 * TOKEN, 62.0);
        let expected = to_price(est.total() * 1.1 * 1.2);
        assert_eq!(o.price, expected);
        let fixed = OrderBookConfig {
            price: Some("12345".into()),
            proving_time: Some(90),
            capacity: Some(1),
            ..Default::default()
        };
        let o = offer(&fixed, &c, 0, 4).expect("offer");
        assert_eq!((o.price, o.proving_time, o.capacity), (12_345, 90, 1));
        let zero = OrderBookConfig {
            price: Some("0".into()),
            ..Default::default()
        };
        assert!(offer(&zero, &c, 0, 1).is_err());
    }

    #[test]
    fn matches_only_waiting_tasks_our_offer_fits() {
        let c = cost();
        let ctx = Context {
            now: 1_000,
            cost: &c,
            competitors: 0,
            me: Address::ZERO,
        };
        let policy = OrderBookPolicy {
            offer: Some(Offer {
                price: 100,
                proving_time: 60,
                capacity: 1,
                circuit_id: B256::ZERO,
            }),
        };
        let waiting = BookTerms {
            live: true,
            max_price: 100,
            redundancy: 1,
            matched: 0,
        };
        assert_eq!(policy.evaluate(&task(waiting), &ctx), Decision::Match);
        let full = BookTerms {
            matched: 1,
            ..waiting
        };
        assert!(matches!(
            policy.evaluate(&task(full), &ctx),
            Decision::Decline(_)
        ));
        let cheap = BookTerms {
            max_price: 99,
            ..waiting
        };
        assert!(matches!(
            policy.evaluate(&task(cheap), &ctx),
            Decision::Decline(r) if r.contains("price cap")
        ));
        let soon = TaskView {
            deadline: 1_059,
            ..task(waiting)
        };
        assert!(matches!(policy.evaluate(&soon, &ctx), Decision::Decline(_)));
        assert!(matches!(
            OrderBookPolicy { offer: None }.evaluate(&task(waiting), &ctx),
            Decision::Decline(_)
        ));
    }

    #[test]
    fn the_offer_follows_free_capacity() {
        let o = offer(&OrderBookConfig::default(), &cost(), 0, 1).expect("offer");
        let mut s = BookState::new(o);
        assert_eq!(s.sync(1), Some(OfferMove::Post(o)));
        assert_eq!(s.sync(1), None);
        assert_eq!(s.sync(0), Some(OfferMove::Withdraw));
        assert_eq!(s.sync(0), None);
        assert_eq!(s.sync(2), Some(OfferMove::Post(o)));
        s.stopping = true;
        assert_eq!(s.sync(0), None);
    }
}
