//! The chain side of the auction strategies (sealed bid, ascending lock, order book): reading a task's
//! per-mechanism terms for the strategy, and carrying out its auction actions as idempotent
//! transactions through the prover's [`Sender`].
//!
//! Idempotency keys (one intent, one transaction, across restarts):
//! `sealed:commit:{auction}:{task}:{round}`, `sealed:reveal:…`, `sealed:finalize:{auction}:{task}:{round}`,
//! `sealed:bond:{auction}:{task}:{round}` (+ `:approve`), `lock:{auction}:{task}:{round}`,
//! `slashLock:{auction}:{task}:{prover}:{round}`, `matchTask:{book}:{task}`; offers are keyed by the
//! moment they are posted (re-posting replaces the offer in place, so a duplicate is harmless).
//!
//! The sealed-bid salt is drawn from the OS RNG and written to the store *before* the commit is sent:
//! a prover that crashes after committing still reveals (the policy sees the stored bid in the terms).

use alloy::primitives::{Address, U256, Uint};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use proofmarket_bindings::{AscendingPriceAuction, OrderBook, ProofToken, SealedBidAuction};
use tracing::{debug, info, warn};

use super::cost::CostModel;
use super::error::ProverError;
use super::policy::ascending::AscendingTerms;
use super::policy::order_book::{self, BookTerms, Offer, OrderBookConfig};
use super::policy::sealed_bid::{self, SealedBidTerms, StoredBid};
use super::strategy::{Action, Event, MechanismKind, MechanismTerms, TaskId};
use super::submit::{SendError, Sender};
use crate::chain::ChainProvider;
use crate::chain::addresses::Addresses;
use crate::store::{Store, TaskState};

type U96 = Uint<96, 2>;

/// Bid collateral deposited per top-up of the sealed-bid bond, in commitments' worth. Default 4: a few
/// auctions at once without a deposit each time, little capital parked in one auction.
pub(crate) const BOND_TOP_UP_BIDS: u64 = 4;

fn chain_err(context: &str, e: impl std::fmt::Display) -> ProverError {
    ProverError::Chain(format!("{context}: {e}"))
}

fn to_u64(v: U256) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

fn describe(e: &SendError) -> String {
    match e {
        SendError::Reverted(r) => format!("reverted: {r}"),
        other => other.to_string(),
    }
}

/// Auction I/O for one prover.
#[derive(Clone)]
pub struct AuctionIo {
    /// Chain connection.
    pub provider: ChainProvider,
    /// The prover's idempotent sender.
    pub sender: Sender,
    /// The prover's store (bids, task states).
    pub store: Store,
    /// The payment/stake token.
    pub token: Address,
    /// The order book our offer is on, if any.
    pub book: Option<Address>,
}

impl AuctionIo {
    fn me(&self) -> Address {
        self.sender.address()
    }

    fn record(&self, task_id: TaskId, state: TaskState, detail: &str) {
        if let Err(e) = self.store.set_task_state(task_id, state, Some(detail)) {
            warn!(task_id, error = %e, "cannot record task state");
        }
    }

    async fn send(
        &self,
        key: &str,
        task_id: Option<TaskId>,
        kind: &str,
        to: Address,
        data: Vec<u8>,
    ) -> Result<(), SendError> {
        let sent = self
            .sender
            .send_once(key, task_id, kind, to, data.into())
            .await?;
        debug!(key, tx = %sent.tx_hash, gas = sent.gas_used, fresh = sent.fresh, "{kind} sent");
        Ok(())
    }

    /// The idempotency key for another attempt at `base`: `base` itself unless an earlier attempt
    /// under it was refused (a lock tried while the slot was taken may be tried again once it frees),
    /// then `base:1`, `base:2`, …
    fn attempt_key(&self, base: &str) -> Result<String, ProverError> {
        for n in 0u32.. {
            let key = if n == 0 {
                base.to_string()
            } else {
                format!("{base}:{n}")
            };
            let previous = self
                .store
                .submission(&key)
                .map_err(|e| ProverError::Store(e.to_string()))?;
            if previous.is_none_or(|p| p.status != crate::store::SubmissionStatus::Reverted) {
                return Ok(key);
            }
        }
        Ok(base.to_string())
    }

    fn stored_bid(
        &self,
        auction: Address,
        task_id: TaskId,
        round: u8,
    ) -> Result<Option<StoredBid>, ProverError> {
        stored_bid(&self.store, auction, task_id, round)
    }

    /// Carries out one auction action on `mechanism` (the task's, or the book for offers); returns
    /// the events the strategy should hear about its outcome.
    pub async fn execute(&self, action: Action, mechanism: Option<Address>) -> Vec<Event> {
        let result = match (&action, mechanism) {
            (Action::PostOffer(offer), _) => self.post_offer(offer).await,
            (Action::WithdrawOffer, _) => self.withdraw_offer().await.map(|_| Vec::new()),
            (_, None) => Err(ProverError::Chain(format!(
                "{action:?}: the task's mechanism is unknown"
            ))),
            (Action::Bid { task_id, price }, Some(m)) => {
                self.commit(m, *task_id, *price).await.map(|_| Vec::new())
            }
            (Action::Reveal { task_id }, Some(m)) => {
                self.reveal(m, *task_id).await.map(|_| Vec::new())
            }
            (Action::Finalize { task_id }, Some(m)) => {
                self.finalize(m, *task_id).await.map(|_| Vec::new())
            }
            (Action::Lock { task_id, .. }, Some(m)) => {
                self.lock(m, *task_id).await.map(|_| Vec::new())
            }
            (Action::SlashLock { task_id, prover }, Some(m)) => {
                self.slash_lock(m, *task_id, *prover).await
            }
            (Action::MatchTask { task_id }, Some(m)) => {
                self.match_task(m, *task_id).await.map(|_| Vec::new())
            }
            _ => Ok(Vec::new()),
        };
        match result {
            Ok(events) => events,
            Err(e) => {
                warn!(prover = %self.me(), ?action, error = %e, "auction action failed");
                Vec::new()
            }
        }
    }

    /// Seals and commits a bid: salt persisted first, bond topped up if short, then `commitBid`.
    async fn commit(
        &self,
        auction: Address,
        task_id: TaskId,
        price: u128,
    ) -> Result<(), ProverError> {
        let contract = SealedBidAuction::new(auction, &self.provider);
        let id = U256::from(task_id);
        let round = contract
            .auctionOf(id)
            .call()
            .await
            .map_err(|e| chain_err("auctionOf", e))?
            .round;
        let bid = match self.stored_bid(auction, task_id, round)? {
            Some(bid) => bid,
            None => {
                let bid = StoredBid::fresh(price);
                sealed_bid::persist_bid(&self.store, &bid_key(auction, task_id, round), &bid)
                    .map_err(|e| ProverError::Store(e.to_string()))?;
                bid
            }
        };
        if U96::try_from(bid.price).is_err() {
            return Err(ProverError::Chain(format!(
                "bid {} above uint96",
                bid.price
            )));
        }
        let commitment = sealed_bid::commitment(task_id, round, self.me(), bid.price, bid.salt);
        let key = format!("sealed:commit:{auction}:{task_id}:{round}");
        if self
            .store
            .submission(&key)
            .map_err(|e| ProverError::Store(e.to_string()))?
            .is_none()
        {
            self.top_up_bond(&contract, auction, task_id, round).await?;
        }
        let call = SealedBidAuction::commitBidCall {
            taskId: id,
            commitment,
        };
        self.send(&key, Some(task_id), "commitBid", auction, call.abi_encode())
            .await
            .map_err(|e| ProverError::Chain(format!("commitBid: {}", describe(&e))))?;
        self.record(
            task_id,
            TaskState::Committed,
            &format!("sealed bid {} committed (round {round})", bid.price),
        );
        info!(prover = %self.me(), task_id, round, price = bid.price, "sealed bid committed");
        Ok(())
    }

    /// Deposits bid collateral for a few bids when the free bond is below one bid's collateral.
    async fn top_up_bond(
        &self,
        contract: &SealedBidAuction::SealedBidAuctionInstance<&ChainProvider>,
        auction: Address,
        task_id: TaskId,
        round: u8,
    ) -> Result<(), ProverError> {
        let need = contract
            .bidCollateral()
            .call()
            .await
            .map_err(|e| chain_err("bidCollateral", e))?;
        let bond = contract
            .bondOf(self.me())
            .call()
            .await
            .map_err(|e| chain_err("bondOf", e))?;
        let need = U256::from(need);
        if bond >= need {
            return Ok(());
        }
        let amount = need * U256::from(BOND_TOP_UP_BIDS);
        let key = format!("sealed:bond:{auction}:{task_id}:{round}");
        let approve = ProofToken::approveCall {
            spender: auction,
            value: amount,
        };
        self.send(
            &format!("{key}:approve"),
            Some(task_id),
            "approve",
            self.token,
            approve.abi_encode(),
        )
        .await
        .map_err(|e| ProverError::Chain(format!("approving the bond: {}", describe(&e))))?;
        let deposit = SealedBidAuction::depositBondCall { amount };
        self.send(
            &key,
            Some(task_id),
            "depositBond",
            auction,
            deposit.abi_encode(),
        )
        .await
        .map_err(|e| ProverError::Chain(format!("depositBond: {}", describe(&e))))?;
        Ok(())
    }

    /// Opens our commitment with the stored price and salt.
    async fn reveal(&self, auction: Address, task_id: TaskId) -> Result<(), ProverError> {
        let contract = SealedBidAuction::new(auction, &self.provider);
        let id = U256::from(task_id);
        let round = contract
            .auctionOf(id)
            .call()
            .await
            .map_err(|e| chain_err("auctionOf", e))?
            .round;
        let bid = self.stored_bid(auction, task_id, round)?.ok_or_else(|| {
            ProverError::Store(format!("no stored bid for task {task_id} round {round}"))
        })?;
        let call = SealedBidAuction::revealBidCall {
            taskId: id,
            price: U96::try_from(bid.price)
                .map_err(|_| ProverError::Chain(format!("bid {} above uint96", bid.price)))?,
            salt: bid.salt,
        };
        self.send(
            &format!("sealed:reveal:{auction}:{task_id}:{round}"),
            Some(task_id),
            "revealBid",
            auction,
            call.abi_encode(),
        )
        .await
        .map_err(|e| ProverError::Chain(format!("revealBid: {}", describe(&e))))?;
        info!(prover = %self.me(), task_id, round, price = bid.price, "sealed bid revealed");
        Ok(())
    }

    /// `finalize`; losing the race to another caller (`AuctionNotActive`) is fine.
    async fn finalize(&self, auction: Address, task_id: TaskId) -> Result<(), ProverError> {
        let contract = SealedBidAuction::new(auction, &self.provider);
        let id = U256::from(task_id);
        let a = contract
            .auctionOf(id)
            .call()
            .await
            .map_err(|e| chain_err("auctionOf", e))?;
        if a.status != 1 {
            debug!(task_id, status = a.status, "auction already settled");
            return Ok(());
        }
        let call = SealedBidAuction::finalizeCall { taskId: id };
        match self
            .send(
                &format!("sealed:finalize:{auction}:{task_id}:{}", a.round),
                Some(task_id),
                "finalize",
                auction,
                call.abi_encode(),
            )
            .await
        {
            Ok(()) => {
                info!(prover = %self.me(), task_id, "auction finalized");
                Ok(())
            }
            Err(SendError::Reverted(r)) => {
                debug!(task_id, reason = %r, "finalize not needed");
                Ok(())
            }
            Err(e) => Err(ProverError::Chain(format!("finalize: {e}"))),
        }
    }

    /// Locks a slot at the current price.
    async fn lock(&self, auction: Address, task_id: TaskId) -> Result<(), ProverError> {
        let contract = AscendingPriceAuction::new(auction, &self.provider);
        let id = U256::from(task_id);
        let round = contract
            .auctionOf(id)
            .call()
            .await
            .map_err(|e| chain_err("auctionOf", e))?
            .round;
        let price = contract
            .currentPrice(id)
            .call()
            .await
            .map_err(|e| chain_err("currentPrice", e))?;
        let call = AscendingPriceAuction::lockCall { taskId: id };
        match self
            .send(
                &self.attempt_key(&format!("lock:{auction}:{task_id}:{round}"))?,
                Some(task_id),
                "lock",
                auction,
                call.abi_encode(),
            )
            .await
        {
            Ok(()) => {
                info!(prover = %self.me(), task_id, %price, "locked");
                self.record(task_id, TaskState::Committed, &format!("locked at {price}"));
                Ok(())
            }
            Err(e) => {
                let reason = describe(&e);
                self.record(task_id, TaskState::Lost, &format!("lock refused: {reason}"));
                Err(ProverError::Chain(format!("lock: {reason}")))
            }
        }
    }

    /// Slashes a lapsed lock, after checking on chain that it is lapsed; answers `LockHeld` with the
    /// exact deadline when it is not yet, `Reconsider` once the slot is free.
    async fn slash_lock(
        &self,
        auction: Address,
        task_id: TaskId,
        prover: Address,
    ) -> Result<Vec<Event>, ProverError> {
        let contract = AscendingPriceAuction::new(auction, &self.provider);
        let id = U256::from(task_id);
        let lock = contract
            .lockOf(id, prover)
            .call()
            .await
            .map_err(|e| chain_err("lockOf", e))?;
        let until = to_u64(U256::from(lock.lockDeadline));
        if until == 0 {
            // Delivered, or slashed by someone else.
            return Ok(vec![Event::Reconsider { task_id }]);
        }
        let now = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| chain_err("head block", e))?
            .map(|b| b.header.timestamp)
            .unwrap_or_default();
        if now <= until {
            return Ok(vec![Event::LockHeld {
                task_id,
                prover,
                until,
            }]);
        }
        let call = AscendingPriceAuction::slashLockCall { taskId: id, prover };
        match self
            .send(
                &format!("slashLock:{auction}:{task_id}:{prover}:{}", lock.round),
                Some(task_id),
                "slashLock",
                auction,
                call.abi_encode(),
            )
            .await
        {
            Ok(()) => {
                info!(prover = %self.me(), task_id, locker = %prover, "slashed a lapsed lock")
            }
            Err(SendError::Reverted(r)) => {
                debug!(task_id, reason = %r, "slashLock not needed")
            }
            Err(e) => return Err(ProverError::Chain(format!("slashLock: {e}"))),
        }
        Ok(vec![Event::Reconsider { task_id }])
    }

    /// `matchTask` on a task waiting for offers.
    async fn match_task(&self, book: Address, task_id: TaskId) -> Result<(), ProverError> {
        let call = OrderBook::matchTaskCall {
            taskId: U256::from(task_id),
        };
        match self
            .send(
                &self.attempt_key(&format!("matchTask:{book}:{task_id}"))?,
                Some(task_id),
                "matchTask",
                book,
                call.abi_encode(),
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(SendError::Reverted(r)) => {
                debug!(task_id, reason = %r, "matchTask refused");
                Ok(())
            }
            Err(e) => Err(ProverError::Chain(format!("matchTask: {e}"))),
        }
    }

    /// Posts (or replaces) our standing offer.
    async fn post_offer(&self, offer: &Offer) -> Result<Vec<Event>, ProverError> {
        let book = self
            .book
            .ok_or_else(|| ProverError::Config("no order book configured".into()))?;
        let call = OrderBook::postOfferCall {
            pricePerProof: U96::try_from(offer.price).map_err(|_| {
                ProverError::Config(format!("offer price {} above uint96", offer.price))
            })?,
            provingTime: offer.proving_time,
            capacity: offer.capacity,
            circuitId: offer.circuit_id,
        };
        let key = format!("postOffer:{book}:{}", unique_suffix());
        self.send(&key, None, "postOffer", book, call.abi_encode())
            .await
            .map_err(|e| ProverError::Chain(format!("postOffer: {}", describe(&e))))?;
        info!(prover = %self.me(), price = offer.price, proving_time = offer.proving_time,
              capacity = offer.capacity, "offer posted");
        Ok(Vec::new())
    }

    /// Takes our offer off the book (bound matches stay bound). No offer: nothing to do.
    pub async fn withdraw_offer(&self) -> Result<(), ProverError> {
        let Some(book) = self.book else {
            return Ok(());
        };
        let offer = OrderBook::new(book, &self.provider)
            .offerOf(self.me())
            .call()
            .await
            .map_err(|e| chain_err("offerOf", e))?;
        if offer.bookIndex == 0 {
            return Ok(());
        }
        let key = format!("withdrawOffer:{book}:{}", unique_suffix());
        let call = OrderBook::withdrawOfferCall {};
        self.send(&key, None, "withdrawOffer", book, call.abi_encode())
            .await
            .map_err(|e| ProverError::Chain(format!("withdrawOffer: {}", describe(&e))))?;
        info!(prover = %self.me(), "offer withdrawn");
        Ok(())
    }
}

/// The per-task terms of `mechanism` for `task_id` (none for mechanisms without them).
pub async fn read_terms(
    provider: &ChainProvider,
    store: &Store,
    kind: MechanismKind,
    mechanism: Address,
    task_id: TaskId,
) -> Result<MechanismTerms, ProverError> {
    let id = U256::from(task_id);
    match kind {
        MechanismKind::SealedBid => {
            let auction = SealedBidAuction::new(mechanism, provider);
            let a = auction
                .auctionOf(id)
                .call()
                .await
                .map_err(|e| chain_err("auctionOf", e))?;
            let windows = auction
                .windowsOf(id)
                .call()
                .await
                .map_err(|e| chain_err("windowsOf", e))?;
            let second_price = auction
                .secondPrice()
                .call()
                .await
                .map_err(|e| chain_err("secondPrice", e))?;
            let bid_collateral = auction
                .bidCollateral()
                .call()
                .await
                .map_err(|e| chain_err("bidCollateral", e))?;
            let winner_collateral = auction
                .winnerCollateral()
                .call()
                .await
                .map_err(|e| chain_err("winnerCollateral", e))?;
            let committed = stored_bid(store, mechanism, task_id, a.round)?.map(|b| b.price);
            Ok(MechanismTerms::SealedBid(SealedBidTerms {
                round: a.round,
                reserve: a.reserve.to::<u128>(),
                commit_end: windows.commitEnd,
                reveal_end: windows.revealEnd,
                second_price,
                bid_collateral: bid_collateral.to::<u128>(),
                winner_collateral: winner_collateral.to::<u128>(),
                committed,
            }))
        }
        MechanismKind::Ascending => {
            let auction = AscendingPriceAuction::new(mechanism, provider);
            let a = auction
                .auctionOf(id)
                .call()
                .await
                .map_err(|e| chain_err("auctionOf", e))?;
            let floor_bps = auction
                .floorBps()
                .call()
                .await
                .map_err(|e| chain_err("floorBps", e))?;
            let ramp = auction
                .rampPeriod()
                .call()
                .await
                .map_err(|e| chain_err("rampPeriod", e))?;
            let window = auction
                .lockWindow()
                .call()
                .await
                .map_err(|e| chain_err("lockWindow", e))?;
            let collateral = auction
                .lockCollateral()
                .call()
                .await
                .map_err(|e| chain_err("lockCollateral", e))?;
            Ok(MechanismTerms::Ascending(AscendingTerms::from_slot(
                a.round,
                to_u64(U256::from(a.openedAt)),
                a.slotMax.to::<u128>(),
                floor_bps,
                u64::from(ramp),
                u64::from(window),
                collateral.to::<u128>(),
            )))
        }
        MechanismKind::OrderBook => {
            let book = OrderBook::new(mechanism, provider);
            let t = book
                .bookTaskOf(id)
                .call()
                .await
                .map_err(|e| chain_err("bookTaskOf", e))?;
            Ok(MechanismTerms::OrderBook(BookTerms {
                live: t.live,
                max_price: t.maxPricePerProof.to::<u128>(),
                redundancy: t.redundancy,
                matched: t.matched,
            }))
        }
        _ => Ok(MechanismTerms::None),
    }
}

/// The collateral a mechanism takes from a winner or locker (the strategy's risk term).
pub fn collateral_of(terms: &MechanismTerms) -> u128 {
    match terms {
        MechanismTerms::SealedBid(t) => t.winner_collateral,
        MechanismTerms::Ascending(t) => t.lock_collateral,
        _ => 0,
    }
}

fn stored_bid(
    store: &Store,
    auction: Address,
    task_id: TaskId,
    round: u8,
) -> Result<Option<StoredBid>, ProverError> {
    sealed_bid::load_bid(store, &bid_key(auction, task_id, round))
        .map_err(|e| ProverError::Store(e.to_string()))
}

/// Where a stored-task bid is persisted.
fn bid_key(auction: Address, task_id: TaskId, round: u8) -> String {
    sealed_bid::store_key(auction, U256::from(task_id), u64::from(round))
}

/// The order book `[strategy.order_book].book` names (a deployment name or an address), if any.
pub fn book_address(addresses: &Addresses, config: &OrderBookConfig) -> Option<Address> {
    if !config.enabled {
        return None;
    }
    addresses
        .mechanisms
        .get(&config.book)
        .copied()
        .or_else(|| config.book.parse().ok())
}

/// Our standing offer for the configured book (priced with its `collateralPerMatch` at risk), or
/// `None` when the order-book strategy is off.
pub async fn book_offer(
    provider: &ChainProvider,
    addresses: &Addresses,
    config: &OrderBookConfig,
    cost: &CostModel,
    max_concurrent: usize,
) -> Result<Option<Offer>, ProverError> {
    let Some(book) = book_address(addresses, config) else {
        if config.enabled {
            return Err(ProverError::Config(format!(
                "[strategy.order_book].book {:?} is neither a deployed mechanism nor an address",
                config.book
            )));
        }
        return Ok(None);
    };
    let collateral = OrderBook::new(book, provider)
        .collateralPerMatch()
        .call()
        .await
        .map_err(|e| chain_err("collateralPerMatch", e))?;
    order_book::offer(config, cost, collateral.to::<u128>(), max_concurrent)
        .map(Some)
        .map_err(ProverError::Config)
}

/// 32 bytes from the OS CSPRNG (a fresh secp256k1 secret key: alloy draws it from `OsRng`; a
/// scalar below the curve order is as unpredictable as a salt needs to be).
/// A per-call key suffix for actions that are not tied to a task (nanoseconds since the epoch).
fn unique_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}
