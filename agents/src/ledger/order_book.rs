//! The order book over the TaskLedger (`LedgerOrderBook`; docs/mechanisms.md "Order book",
//! docs/one-word-tasks.md for what the port changed): the prover's standing offer and the tasks the
//! book assigns it, and the requester's match.
//!
//! * **The offer** is the stored policy's (`prover::policy::order_book::offer`: the cost model's price
//!   for a typical block with the book's `collateralPerMatch` at risk, both margins, the promised
//!   time), priced with the ledger book's collateral ([`standing_offer`]). [`post_offer`] and
//!   [`withdraw_offer`] carry no task, so they go through the `Submitter` directly, and are idempotent:
//!   an offer the book already holds with the same terms is not posted again, an offer off the book is
//!   not withdrawn again, and each send is keyed by its content and the account's nonce, so a
//!   restarted agent waits for a post still in flight instead of signing a second one, while a re-post
//!   of the same terms after a withdrawal (a later nonce) is sent. [`apply_move`] carries out the
//!   stored policy's `BookState` moves (withdraw when full, re-post when a slot frees).
//! * **The match** is its own call on the ledger (a hook cannot act on its own task), and only the
//!   task's requester may make it: [`match_task`], with the book's copy through [`send_task_call`]. The
//!   match is a ledger assignment at the offer's price with `collateralPerMatch` locked, the priority
//!   in `mechanismState` bits 0-7 and the promised time in bits 8-39.
//! * **Tasks** ([`decide`], pure): the assignee proves, paid its offer price (plus any cover bounty);
//!   nobody else may (the book refuses an unassigned proof), so every other task is declined by name.
//!   The proof goes through [`super::race::submit_proof`].

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolCall, SolValue};
use proofmarket_bindings::LedgerOrderBook;
use proofmarket_bindings::TaskLedger::{self, LedgerTask};

use super::book::{TrackedTask, task_hash};
use super::call::{LedgerCallError, live_copy, logged, refused_call, send_mechanism_call};
use super::sync::LedgerSync;
use crate::chain::ChainProvider;
use crate::chain::submitter::Submitter;
use crate::prover::cost::CostModel;
use crate::prover::policy::order_book::{Offer, OfferMove, OrderBookConfig, offer};

/// A book instance's parameters an agent needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookTerms {
    /// The `LedgerOrderBook` contract.
    pub book: Address,
    /// The ledger it serves.
    pub ledger: Address,
    /// Stake locked per match (also the free stake needed to post).
    pub collateral_per_match: u128,
}

impl BookTerms {
    /// Reads the terms of the book at `book`.
    pub async fn read(provider: &ChainProvider, book: Address) -> Result<Self, LedgerCallError> {
        let rpc = LedgerCallError::rpc::<alloy::contract::Error>;
        let contract = LedgerOrderBook::new(book, provider);
        Ok(Self {
            book,
            ledger: contract.ledger().call().await.map_err(rpc("ledger"))?,
            collateral_per_match: contract
                .collateralPerMatch()
                .call()
                .await
                .map_err(rpc("collateralPerMatch"))?
                .to(),
        })
    }
}

/// The offer this prover posts on the book: the stored policy's, with the book's collateral per match
/// at risk. `max_concurrent` is the prover's capacity (the offer's, unless configured).
pub fn standing_offer(
    config: &OrderBookConfig,
    cost: &CostModel,
    terms: &BookTerms,
    max_concurrent: usize,
) -> Result<Offer, String> {
    offer(config, cost, terms.collateral_per_match, max_concurrent)
}

/// `prover`'s offer as the book holds it: `None` when it is off the book (never posted, withdrawn,
/// evicted; a withdrawn offer still bound to live matches is off the book too).
pub async fn offer_on_book(
    provider: &ChainProvider,
    book: Address,
    prover: Address,
) -> Result<Option<Offer>, LedgerCallError> {
    let o = LedgerOrderBook::new(book, provider)
        .offerOf(prover)
        .call()
        .await
        .map_err(LedgerCallError::rpc("offerOf"))?;
    Ok((o.position != 0).then(|| Offer {
        price: o.pricePerProof.to(),
        proving_time: o.provingTime,
        capacity: o.capacity,
        circuit_id: o.circuitId,
    }))
}

/// What an offer call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferSent {
    /// Sent and mined (`fresh`: false when it had been sent under its key in an earlier run).
    Sent {
        /// Whether it was sent now.
        fresh: bool,
    },
    /// Nothing to send: the book already holds this offer with these terms.
    AlreadyPosted,
    /// Nothing to send: the offer is off the book.
    AlreadyOff,
}

/// The idempotency key of posting `offer` on `book` from an account whose mined nonce is `nonce`.
pub fn post_key(book: Address, offer: &Offer, nonce: u64) -> String {
    format!(
        "ledger:{book:#x}:postOffer:{}:{}:{}:{}:{nonce}",
        offer.price, offer.proving_time, offer.capacity, offer.circuit_id
    )
}

/// The idempotency key of withdrawing from `book` at mined nonce `nonce`.
pub fn withdraw_key(book: Address, nonce: u64) -> String {
    format!("ledger:{book:#x}:withdrawOffer:{nonce}")
}

/// Posts (or replaces) the submitter's offer on `book`, unless the book holds it with these terms.
/// Refusals come back by name (`ProverNotRegistered`, `InsufficientFreeStake`, `BookFull`).
pub async fn post_offer(
    submitter: &Submitter,
    book: Address,
    offer: &Offer,
) -> Result<OfferSent, LedgerCallError> {
    let me = submitter.address();
    if offer_on_book(submitter.provider(), book, me).await? == Some(*offer) {
        return Ok(OfferSent::AlreadyPosted);
    }
    let key = post_key(book, offer, mined_nonce(submitter).await?);
    let call = LedgerOrderBook::postOfferCall {
        pricePerProof: offer
            .price
            .try_into()
            .map_err(|_| LedgerCallError::CallRefused {
                call: "LedgerOrderBook.postOffer",
                reason: format!("price {} does not fit a uint96", offer.price),
            })?,
        provingTime: offer.proving_time,
        capacity: offer.capacity,
        circuitId: offer.circuit_id,
    };
    send_offer_call(
        submitter,
        "LedgerOrderBook.postOffer",
        &key,
        book,
        call.abi_encode(),
    )
    .await
}

/// Takes the submitter's offer off `book` (its live matches stay bound and must be proven), unless
/// it is off the book already.
pub async fn withdraw_offer(
    submitter: &Submitter,
    book: Address,
) -> Result<OfferSent, LedgerCallError> {
    if offer_on_book(submitter.provider(), book, submitter.address())
        .await?
        .is_none()
    {
        return Ok(OfferSent::AlreadyOff);
    }
    let key = withdraw_key(book, mined_nonce(submitter).await?);
    let call = LedgerOrderBook::withdrawOfferCall {};
    send_offer_call(
        submitter,
        "LedgerOrderBook.withdrawOffer",
        &key,
        book,
        call.abi_encode(),
    )
    .await
}

/// Carries out a move of the stored policy's `BookState` on the ledger book.
pub async fn apply_move(
    submitter: &Submitter,
    book: Address,
    step: OfferMove,
) -> Result<OfferSent, LedgerCallError> {
    match step {
        OfferMove::Post(offer) => post_offer(submitter, book, &offer).await,
        OfferMove::Withdraw => withdraw_offer(submitter, book).await,
    }
}

/// The submitter's account's mined transaction count: what makes an offer call's key unique to
/// this intent (a restart before it is mined finds the same count, a later intent a higher one).
async fn mined_nonce(submitter: &Submitter) -> Result<u64, LedgerCallError> {
    submitter
        .provider()
        .get_transaction_count(submitter.address())
        .await
        .map_err(LedgerCallError::rpc("eth_getTransactionCount"))
}

async fn send_offer_call(
    submitter: &Submitter,
    call: &'static str,
    key: &str,
    book: Address,
    data: Vec<u8>,
) -> Result<OfferSent, LedgerCallError> {
    let sent = submitter
        .send(call, Some(key), None, book, data.into(), U256::ZERO)
        .await
        .map_err(|e| refused_call(call, e))?;
    Ok(OfferSent::Sent { fresh: sent.fresh })
}

/// Why the prover leaves a task alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decline {
    /// The book holds it as closed.
    Closed,
    /// It runs under another mechanism (e.g. reopened under its fallback).
    OtherMechanism(Address),
    /// Its deadline has passed.
    Expired,
    /// Not matched yet: only its requester may match it, and the book then picks the offer.
    AwaitingMatch,
    /// Matched to another prover's offer; only that prover may prove it.
    MatchedToOther(Address),
}

/// The book decision for one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookDecision {
    /// The book matched it to this prover: prove it before the deadline, or the expiry slashes the
    /// match's collateral.
    Prove {
        /// The offer price it was matched at, plus any cover bounty the task carries.
        payment: u128,
        /// The time the offer promised (match time + its proving time); the ledger enforces only
        /// the deadline.
        promised_by: u64,
        /// The task's deadline.
        deadline: u64,
    },
    /// Leave it.
    Decline(Decline),
}

/// The promised time of a match: `mechanismState` bits 8-39.
pub fn promised_by(mechanism_state: u64) -> u64 {
    (mechanism_state >> 8) & u64::from(u32::MAX)
}

/// What `me` should do about `tracked` under the order book `book` at `now`.
pub fn decide(tracked: &TrackedTask, book: Address, me: Address, now: u64) -> BookDecision {
    let task = &tracked.task;
    let decline = BookDecision::Decline;
    if !tracked.is_live() {
        return decline(Decline::Closed);
    }
    if task.mechanism != book {
        return decline(Decline::OtherMechanism(task.mechanism));
    }
    let deadline = u64::from(task.deadline);
    if now > deadline {
        return decline(Decline::Expired);
    }
    if task.assignee == Address::ZERO {
        return decline(Decline::AwaitingMatch);
    }
    if task.assignee != me {
        return decline(Decline::MatchedToOther(task.assignee));
    }
    BookDecision::Prove {
        payment: task.price.to::<u128>() + task.coverBounty.to::<u128>(),
        promised_by: promised_by(task.mechanismState),
        deadline,
    }
}

/// The requester's priority for a task on the book (`OfferRanking`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    /// Cheapest offer first (per reliability), then fastest.
    PriceFirst = 0,
    /// Fastest offer first (per reliability), then cheapest.
    TimeFirst = 1,
}

impl Priority {
    /// The request's `mechanismData`: `abi.encode(uint256 priority)` (empty also means price-first).
    pub fn mechanism_data(self) -> Bytes {
        U256::from(self as u8).abi_encode().into()
    }
}

/// A match that went through (or had gone through under its key in an earlier run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matched {
    /// The matched prover.
    pub prover: Address,
    /// Its offer price, now the task's price.
    pub price: u128,
    /// Collateral locked.
    pub collateral: u128,
    /// The time its offer promised.
    pub promised_by: u64,
    /// Whether the book's copy was stale and the task had to be rebuilt first.
    pub refreshed: bool,
    /// False when this match had already been sent under its key (an earlier run).
    pub fresh: bool,
}

/// The idempotency key of matching `task` (the version the match is asked for): one match per
/// version; a reopen under the book makes a new version, which may be matched anew.
pub fn match_key(book: Address, task_id: U256, task: &LedgerTask) -> String {
    format!(
        "ledger:{book:#x}:matchTask:{task_id:#x}:{}",
        task_hash(task)
    )
}

/// Matches `task_id` to the best offer on `book`, by the priority the task carries; the submitter
/// must be the task's requester. Sent with the book's copy, rebuilt once on `StaleTask`; refusals
/// come back by name (`NoOfferMatched` when no offer qualifies or the book is empty, `OnlyRequester`,
/// `AlreadyMatched`, `TaskPastDeadline`).
pub async fn match_task(
    sync: &mut LedgerSync,
    submitter: &Submitter,
    book: Address,
    task_id: U256,
) -> Result<Matched, LedgerCallError> {
    let key = match_key(book, task_id, &live_copy(sync, task_id)?);
    let sent = send_mechanism_call(
        sync,
        submitter,
        task_id,
        "LedgerOrderBook.matchTask",
        &key,
        (book, LedgerOrderBook::matchTaskCall::SELECTOR),
    )
    .await?;
    let assigned = logged::<TaskLedger::ProverAssigned>(task_id, &sent)?;
    Ok(Matched {
        prover: assigned.prover,
        price: assigned.price.to(),
        collateral: assigned.collateral.to(),
        promised_by: promised_by(assigned.mechanismState),
        refreshed: sent.refreshed,
        fresh: sent.sent.fresh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::book::{Closing, test_task};
    use crate::prover::cost::{Prices, ProvingSpeed};
    use alloy::primitives::{B256, Uint};

    type U96 = Uint<96, 2>;
    const BOOK: Address = Address::repeat_byte(0x55);
    const ME: Address = Address::repeat_byte(0x01);
    const OTHER: Address = Address::repeat_byte(0x03);
    const TOKEN: u128 = 1_000_000_000_000_000_000;

    /// A 100-token task on the book, opened at 1 000, due an hour later, time-first, not matched.
    fn tracked() -> TrackedTask {
        let mut t = test_task(BOOK, 100 * TOKEN, 1_000);
        t.task.flags = 8 | 2;
        t.task.mechanismState = Priority::TimeFirst as u64;
        t
    }

    /// `tracked()` as the book's match to `prover` at 1 010 leaves it (offer: 30 tokens, 120 s).
    fn matched_to(prover: Address) -> TrackedTask {
        let mut t = tracked();
        t.task.assignee = prover;
        t.task.price = U96::from(30 * TOKEN);
        t.task.collateral = U96::from(50 * TOKEN);
        t.task.mechanismState = Priority::TimeFirst as u64 | ((1_010 + 120) << 8);
        t
    }

    #[test]
    fn proves_what_the_book_matched_to_it() {
        assert_eq!(
            decide(&matched_to(ME), BOOK, ME, 1_020),
            BookDecision::Prove {
                payment: 30 * TOKEN,
                promised_by: 1_130,
                deadline: 4_600
            }
        );
        // Past the promise but before the deadline: the ledger slashes only at expiry, so prove.
        let mut bountied = matched_to(ME);
        bountied.task.coverBounty = U96::from(7 * TOKEN);
        assert!(matches!(
            decide(&bountied, BOOK, ME, 2_000),
            BookDecision::Prove { payment, .. } if payment == 37 * TOKEN
        ));
    }

    #[test]
    fn declines_every_other_task_by_name() {
        let no = BookDecision::Decline;
        assert_eq!(
            decide(&tracked(), BOOK, ME, 1_020),
            no(Decline::AwaitingMatch)
        );
        assert_eq!(
            decide(&matched_to(OTHER), BOOK, ME, 1_020),
            no(Decline::MatchedToOther(OTHER))
        );
        let mut closed = matched_to(ME);
        closed.closed = Some(Closing::Fulfilled);
        assert_eq!(decide(&closed, BOOK, ME, 1_020), no(Decline::Closed));
        // Our match missed the deadline: expired into its fallback (the race), no longer ours.
        let mut moved = tracked();
        moved.task.mechanism = Address::repeat_byte(0xaa);
        assert_eq!(
            decide(&moved, BOOK, ME, 5_000),
            no(Decline::OtherMechanism(Address::repeat_byte(0xaa)))
        );
        assert_eq!(
            decide(&matched_to(ME), BOOK, ME, 4_601),
            no(Decline::Expired)
        );
    }

    #[test]
    fn the_promised_time_is_bits_8_to_39() {
        assert_eq!(promised_by(1 | (1_130 << 8)), 1_130);
        assert_eq!(promised_by(u64::MAX), u64::from(u32::MAX));
        assert_eq!(promised_by(Priority::PriceFirst as u64), 0);
    }

    #[test]
    fn the_priority_is_one_abi_word() {
        let data = Priority::TimeFirst.mechanism_data();
        assert_eq!(data.len(), 32);
        assert_eq!(U256::from_be_slice(&data), U256::from(1u64));
        assert_eq!(
            U256::from_be_slice(&Priority::PriceFirst.mechanism_data()),
            U256::ZERO
        );
    }

    #[test]
    fn the_offer_is_the_stored_policys_with_the_books_collateral() {
        let cost = CostModel {
            speed: ProvingSpeed::default(),
            prices: Prices::default(),
            gas_price_wei: 1_000_000_000,
        };
        let terms = BookTerms {
            book: BOOK,
            ledger: Address::repeat_byte(0x11),
            collateral_per_match: 50 * TOKEN,
        };
        let config = OrderBookConfig {
            enabled: true,
            typical_txs: 1,
            ..OrderBookConfig::default()
        };
        assert_eq!(
            standing_offer(&config, &cost, &terms, 3),
            offer(&config, &cost, 50 * TOKEN, 3)
        );
    }

    #[test]
    fn offer_keys_name_the_content_and_the_nonce() {
        let o = Offer {
            price: 30 * TOKEN,
            proving_time: 120,
            capacity: 2,
            circuit_id: B256::ZERO,
        };
        assert_eq!(
            post_key(BOOK, &o, 4),
            post_key(BOOK, &o, 4),
            "a restart finds it"
        );
        assert_ne!(
            post_key(BOOK, &o, 4),
            post_key(BOOK, &o, 7),
            "a later re-post"
        );
        let dearer = Offer {
            price: o.price + 1,
            ..o
        };
        assert_ne!(post_key(BOOK, &o, 4), post_key(BOOK, &dearer, 4));
        assert_ne!(withdraw_key(BOOK, 4), withdraw_key(BOOK, 5));
    }
}
