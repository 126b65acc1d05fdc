//! Sealed-bid reverse auction (`SealedBidAuction`, kind 2): what to bid, and when to reveal and
//! finalize.
//!
//! **Bid.** The price at which proving one slot is worth it: the cost model's estimate for the block
//! (submission gas, compute, the winner collateral at risk over the time left after the reveal window)
//! plus the auction's own gas (commit, reveal, possibly finalize), times the operator's margin. Under a
//! second-price instance that is the whole bid — uniform second price is truthful, a higher ask only
//! loses auctions it would have won at a profit. Under first price (pay-as-bid) the bid is shaded up
//! towards the reserve by `first_price_shade_bps` of the gap. A bid above the reserve, or a task that
//! cannot be proven between the end of the reveal window and the deadline, is declined.
//!
//! **Commit.** `keccak256(abi.encode(taskId, round, bidder, price, salt))` ([`commitment`]), exactly
//! the contract's `commitmentOf`. The salt is random ([`StoredBid::fresh`]) and the service persists
//! `(price, salt)` ([`persist_bid`]) before the commit is sent, so a restarted prover still reveals
//! ([`SealedBidTerms::committed`] carries the stored bid back into the policy, which then re-enters the
//! flow even after the commit window).
//!
//! The TaskLedger's auction (`ledger::sealed_bid`) bids by the same rules: it prices a round with
//! [`SealedBidPolicy::break_even_of`] and [`SealedBidPolicy::bid_under`], seals with
//! [`sealed_commitment`] and persists through [`persist_bid`] / [`load_bid`].
//!
//! **Reveal / finalize.** [`SealedBidTracker`] turns the clock into `Reveal` (first block at or after
//! the commit window's end) and `Finalize` (first block at or after the reveal window's end; anyone
//! may call it and every bidder does, the first one wins, the others' estimation reverts at no gas).
//! A prover assigned by finalize proves through the shared lifecycle; one that lost does nothing more.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::sol_types::SolValue;
use serde::{Deserialize, Serialize};

use super::super::cost::CostModel;
use super::super::strategy::{Action, Context, Decision, MechanismPolicy, TaskId, TaskView};
use super::{gas_tokens, to_price, with_margin};
use crate::store::{Store, StoreError};

/// `[strategy.sealed_bid]`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SealedBidConfig {
    /// Bid in sealed-bid auctions. Default true: a bid costs only gas (the collateral comes back at
    /// reveal) and is never above what the task is worth to this prover.
    pub enabled: bool,
    /// Gas of taking part besides the proof submission: commit (≈42k) + reveal (≈38k) + finalize
    /// (≈121k for one bid, paid by whoever calls it first). Default 210 000: the measured sum, rounded
    /// up (docs/mechanisms.md).
    pub auction_gas: u64,
    /// Under first price only: how far to shade the bid from the break-even price towards the
    /// reserve, in basis points of the gap. Default 2 500: a quarter of the surplus, a hedge between
    /// winning often and earning something when winning; 0 bids break-even as under second price.
    pub first_price_shade_bps: u32,
}

impl Default for SealedBidConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            auction_gas: 210_000,
            first_price_shade_bps: 2_500,
        }
    }
}

/// The auction round a task is in, as read from the instance when the task is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedBidTerms {
    /// Round number (keys the commitment).
    pub round: u8,
    /// Highest eligible bid.
    pub reserve: u128,
    /// End of the commit window (unix seconds).
    pub commit_end: u64,
    /// End of the reveal window.
    pub reveal_end: u64,
    /// Uniform second price (true) or pay-as-bid.
    pub second_price: bool,
    /// Bid collateral locked from the bond per commitment (returned at reveal).
    pub bid_collateral: u128,
    /// Collateral a winner has locked from its stake until it proves.
    pub winner_collateral: u128,
    /// The price this prover already committed to in this round (from its store): a restart resumes
    /// the reveal instead of deciding anew.
    pub committed: Option<u128>,
}

/// The contract's `commitmentOf(taskId, round, bidder, price, salt)`:
/// `keccak256(abi.encode(taskId, round, bidder, price, salt))`.
pub fn commitment(task_id: TaskId, round: u8, bidder: Address, price: u128, salt: B256) -> B256 {
    sealed_commitment(U256::from(task_id), u64::from(round), bidder, price, salt)
}

/// `keccak256(abi.encode(taskId, round, bidder, price, salt))` with every field a static word: the
/// stored auction's commitment (`round` its round number) and the TaskLedger auction's (`round` the
/// task's `openedAt`, `ledger::sealed_bid::commitment`) share this layout.
pub fn sealed_commitment(
    task_id: U256,
    round: u64,
    bidder: Address,
    price: u128,
    salt: B256,
) -> B256 {
    keccak256((task_id, U256::from(round), bidder, U256::from(price), salt).abi_encode())
}

/// What the service persists before committing, to reveal after a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBid {
    /// The committed price.
    pub price: u128,
    /// The commitment's salt.
    pub salt: B256,
}

impl StoredBid {
    /// A bid at `price` with a fresh salt from the OS RNG (a guessable salt would let a rival open
    /// the commitment by brute force over prices).
    pub fn fresh(price: u128) -> Self {
        Self {
            price,
            salt: alloy::signers::local::PrivateKeySigner::random().to_bytes(),
        }
    }
}

/// The store key of a bid (namespace [`STORE_NAMESPACE`]): the stored auction's task id and round
/// number, or a TaskLedger task's id and `openedAt` (its round). Decimal ids, as the stored agent has
/// always written them.
pub fn store_key(auction: Address, task_id: U256, round: u64) -> String {
    format!("{auction}:{task_id}:{round}")
}

/// Store namespace of persisted bids.
pub const STORE_NAMESPACE: &str = "sealed-bid";

/// The bid persisted under `key` ([`store_key`]), if any. The one reader of persisted bids, for the
/// stored and the ledger strategies alike; an unreadable value counts as none (the reveal then fails
/// by name rather than with a guessed salt).
pub fn load_bid(store: &Store, key: &str) -> Result<Option<StoredBid>, StoreError> {
    let raw = store.kv_get(STORE_NAMESPACE, key)?;
    Ok(raw.and_then(|s| serde_json::from_str(&s).ok()))
}

/// Persists `bid` under `key`, before its commitment is sent: a prover that crashes after
/// committing can still reveal.
pub fn persist_bid(store: &Store, key: &str, bid: &StoredBid) -> Result<(), StoreError> {
    let json = serde_json::to_string(bid).map_err(|e| StoreError::Corrupt {
        table: "kv",
        message: format!("encoding a sealed bid: {e}"),
    })?;
    store.kv_set(STORE_NAMESPACE, key, &json)
}

/// What a winner's cost depends on in one auction round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundCost {
    /// Transactions in the block the task proves (1 for one base proof).
    pub txs: u64,
    /// The task's deadline (unix seconds).
    pub deadline: u64,
    /// End of the reveal window: proving starts at the earliest then.
    pub reveal_end: u64,
    /// Collateral the winner has locked until it proves.
    pub winner_collateral: u128,
}

/// The proof would not fit between the end of the reveal window and the deadline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TooSlow {
    /// Estimated proving time.
    pub prove_secs: f64,
    /// Seconds between the reveal window's end (or now) and the deadline.
    pub slack_secs: f64,
}

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "too slow: {:.1}s estimated, {:.0}s between the reveal window and the deadline",
            self.prove_secs, self.slack_secs
        )
    }
}

/// The bidding policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct SealedBidPolicy {
    /// Parameters.
    pub config: SealedBidConfig,
}

impl SealedBidPolicy {
    /// Break-even price (cost + margin, in tokens) of proving `task` if it is won, or why not.
    pub fn break_even(
        &self,
        task: &TaskView,
        terms: &SealedBidTerms,
        ctx: &Context<'_>,
    ) -> Result<f64, String> {
        let Some(txs) = task.block_txs else {
            return Err("not a block task this prover can build".into());
        };
        let round = RoundCost {
            txs,
            deadline: task.deadline,
            reveal_end: terms.reveal_end,
            winner_collateral: terms.winner_collateral,
        };
        self.break_even_of(&round, ctx.now, ctx.cost)
            .map_err(|slow| slow.to_string())
    }

    /// Break-even price of a round (whichever task core runs it) at `now`, or [`TooSlow`].
    pub fn break_even_of(
        &self,
        round: &RoundCost,
        now: u64,
        cost: &CostModel,
    ) -> Result<f64, TooSlow> {
        // Proving starts once finalize assigns us, right after the reveal window.
        let start = round.reveal_end.max(now);
        let slack = round.deadline.saturating_sub(start) as f64;
        let estimate = cost.estimate(round.txs, round.winner_collateral, slack);
        if !cost.fits_deadline(estimate.prove_secs, slack) {
            return Err(TooSlow {
                prove_secs: estimate.prove_secs,
                slack_secs: slack,
            });
        }
        let total = estimate.total() + gas_tokens(cost, self.config.auction_gas);
        Ok(with_margin(total, cost.prices.min_margin_bps))
    }

    /// The bid for a break-even price, or `None` when it is above the reserve.
    pub fn bid(&self, break_even: f64, terms: &SealedBidTerms) -> Option<u128> {
        self.bid_under(break_even, terms.reserve, terms.second_price)
    }

    /// The bid for a break-even price under a `reserve` and a pricing rule, or `None` when it is
    /// above the reserve.
    pub fn bid_under(&self, break_even: f64, reserve: u128, second_price: bool) -> Option<u128> {
        let floor = to_price(break_even);
        if floor > reserve {
            return None;
        }
        if second_price {
            return Some(floor);
        }
        // Reserves are uint96, so gap × 10 000 cannot overflow a u128.
        let gap = reserve - floor;
        let shade =
            gap.saturating_mul(u128::from(self.config.first_price_shade_bps.min(10_000))) / 10_000;
        Some(floor + shade)
    }
}

impl MechanismPolicy for SealedBidPolicy {
    fn evaluate(&self, task: &TaskView, ctx: &Context<'_>) -> Decision {
        let Some(terms) = task.terms.sealed_bid() else {
            return Decision::Decline("no auction round for this task".into());
        };
        if let Some(price) = terms.committed {
            // Committed in an earlier life: carry on to the reveal whatever the clock says now.
            return Decision::Bid { price };
        }
        if !self.config.enabled {
            return Decision::Decline(
                "sealed-bid auctions disabled in [strategy.sealed_bid]".into(),
            );
        }
        if ctx.now >= terms.commit_end {
            return Decision::Decline(format!(
                "commit window closed at {} (now {})",
                terms.commit_end, ctx.now
            ));
        }
        let break_even = match self.break_even(task, &terms, ctx) {
            Ok(v) => v,
            Err(reason) => return Decision::Decline(reason),
        };
        match self.bid(break_even, &terms) {
            Some(price) => Decision::Bid { price },
            None => Decision::Decline(format!(
                "unprofitable: break-even {break_even:.3e} above the reserve {}",
                terms.reserve
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OpenBid {
    commit_end: u64,
    reveal_end: u64,
    revealed: bool,
}

/// Bids this prover committed, waiting for their reveal and finalize times.
#[derive(Clone, Debug, Default)]
pub struct SealedBidTracker {
    bids: BTreeMap<TaskId, OpenBid>,
}

impl SealedBidTracker {
    /// Starts following a bid committed (or being committed) on `task_id`.
    pub fn committed(&mut self, task_id: TaskId, terms: &SealedBidTerms) {
        self.bids.entry(task_id).or_insert(OpenBid {
            commit_end: terms.commit_end,
            reveal_end: terms.reveal_end,
            revealed: false,
        });
    }

    /// Whether a bid on `task_id` is being followed.
    pub fn is_open(&self, task_id: TaskId) -> bool {
        self.bids.contains_key(&task_id)
    }

    /// Forgets a task (it closed, or we were assigned).
    pub fn close(&mut self, task_id: TaskId) {
        self.bids.remove(&task_id);
    }

    /// The reveals and finalizes due at `now`.
    pub fn on_clock(&mut self, now: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let mut done = Vec::new();
        for (task_id, bid) in &mut self.bids {
            if !bid.revealed && now >= bid.commit_end && now < bid.reveal_end {
                bid.revealed = true;
                out.push(Action::Reveal { task_id: *task_id });
            }
            if now >= bid.reveal_end {
                if bid.revealed {
                    out.push(Action::Finalize { task_id: *task_id });
                }
                done.push(*task_id);
            }
        }
        for task_id in done {
            self.bids.remove(&task_id);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::cost::{CostModel, Prices, ProvingSpeed};
    use super::super::super::strategy::{MechanismKind, MechanismTerms};
    use super::*;

    const ME: Address = Address::repeat_byte(0xaa);
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

    fn terms(second_price: bool) -> SealedBidTerms {
        SealedBidTerms {
            round: 1,
            reserve: TOKEN,
            commit_end: 1_120,
            reveal_end: 1_240,
            second_price,
            bid_collateral: 10 * TOKEN,
            winner_collateral: 50 * TOKEN,
            committed: None,
        }
    }

    fn task(terms: SealedBidTerms) -> TaskView {
        TaskView {
            task_id: 7,
            mechanism: Address::repeat_byte(0x22),
            kind: MechanismKind::SealedBid,
            block_txs: Some(2),
            max_payment: TOKEN,
            created_at: 1_000,
            deadline: 1_900,
            redundancy: 1,
            proofs_accepted: 0,
            race: None,
            collateral: terms.winner_collateral,
            terms: MechanismTerms::SealedBid(terms),
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
    fn second_price_bids_break_even_and_first_price_shades_up() {
        let c = cost();
        let policy = SealedBidPolicy::default();
        // Gas: (450k + 210k) × 1 gwei = 6.6e14; compute: 4 s × 1e12 = 4e12; no risk (4× headroom).
        // Margin 10 %.
        let expected = ((660_000.0 * 1e9 + 4.0 * 1e12) * 1.1f64).ceil() as u128;
        let second = policy.evaluate(&task(terms(true)), &ctx(&c, 1_000));
        assert_eq!(second, Decision::Bid { price: expected });
        let Decision::Bid { price: first } = policy.evaluate(&task(terms(false)), &ctx(&c, 1_000))
        else {
            panic!("first price bids too");
        };
        assert_eq!(first, expected + (TOKEN - expected) / 4);
        assert!(first <= TOKEN);
    }

    #[test]
    fn never_bids_above_the_reserve() {
        let c = cost();
        let cheap = SealedBidTerms {
            reserve: 100_000_000_000_000,
            ..terms(true)
        };
        assert!(matches!(
            SealedBidPolicy::default().evaluate(&task(cheap), &ctx(&c, 1_000)),
            Decision::Decline(r) if r.starts_with("unprofitable")
        ));
        // A reserve just at break-even is bid, at the reserve exactly, under either rule.
        let be = SealedBidPolicy::default()
            .break_even(&task(terms(true)), &terms(true), &ctx(&c, 1_000))
            .expect("fits");
        let exact = SealedBidTerms {
            reserve: to_price(be),
            second_price: false,
            ..terms(true)
        };
        assert_eq!(
            SealedBidPolicy::default().evaluate(&task(exact), &ctx(&c, 1_000)),
            Decision::Bid {
                price: to_price(be)
            }
        );
    }

    #[test]
    fn declines_when_too_slow_after_the_reveal_window_or_the_window_closed() {
        let c = cost();
        // 4 s × 2 safety = 8 s needed; 5 s between reveal end and deadline.
        let tight = TaskView {
            deadline: 1_245,
            ..task(terms(true))
        };
        assert!(matches!(
            SealedBidPolicy::default().evaluate(&tight, &ctx(&c, 1_000)),
            Decision::Decline(r) if r.starts_with("too slow")
        ));
        assert!(matches!(
            SealedBidPolicy::default().evaluate(&task(terms(true)), &ctx(&c, 1_120)),
            Decision::Decline(r) if r.starts_with("commit window closed")
        ));
        let off = SealedBidPolicy {
            config: SealedBidConfig {
                enabled: false,
                ..Default::default()
            },
        };
        assert!(matches!(
            off.evaluate(&task(terms(true)), &ctx(&c, 1_000)),
            Decision::Decline(_)
        ));
    }

    #[test]
    fn a_stored_bid_resumes_after_the_commit_window() {
        let c = cost();
        let resumed = SealedBidTerms {
            committed: Some(42),
            ..terms(true)
        };
        assert_eq!(
            SealedBidPolicy::default().evaluate(&task(resumed), &ctx(&c, 1_200)),
            Decision::Bid { price: 42 }
        );
    }

    #[test]
    fn reveals_inside_the_window_then_finalizes_once() {
        let mut t = SealedBidTracker::default();
        t.committed(7, &terms(true));
        assert!(t.on_clock(1_119).is_empty());
        assert_eq!(t.on_clock(1_120), vec![Action::Reveal { task_id: 7 }]);
        assert!(t.on_clock(1_200).is_empty(), "revealed once");
        assert_eq!(t.on_clock(1_240), vec![Action::Finalize { task_id: 7 }]);
        assert!(t.on_clock(1_300).is_empty());
        assert!(!t.is_open(7));
        // A clock that jumps past the whole reveal window: too late to reveal, nothing to finalize
        // for us (our collateral is forfeited either way).
        let mut late = SealedBidTracker::default();
        late.committed(8, &terms(true));
        assert!(late.on_clock(1_500).is_empty());
    }

    #[test]
    fn commitment_binds_every_field() {
        let salt = B256::repeat_byte(0x5a);
        let base = commitment(7, 1, ME, 100, salt);
        assert_ne!(base, commitment(8, 1, ME, 100, salt));
        assert_ne!(base, commitment(7, 2, ME, 100, salt));
        assert_ne!(base, commitment(7, 1, Address::ZERO, 100, salt));
        assert_ne!(base, commitment(7, 1, ME, 101, salt));
        assert_ne!(base, commitment(7, 1, ME, 100, B256::ZERO));
        // abi.encode of five static words: 160 bytes.
        let encoded = (
            U256::from(7u64),
            U256::from(1u8),
            ME,
            U256::from(100u128),
            salt,
        )
            .abi_encode();
        assert_eq!(encoded.len(), 160);
        assert_eq!(base, keccak256(encoded));
    }
}
