//! The sealed-bid reverse auction over the TaskLedger (`LedgerSealedBidAuction`; docs/mechanisms.md,
//! docs/one-word-tasks.md "Sealed-bid: R = 1 only"): what a prover does with a task the
//! [`super::TaskBook`] tracks under the auction, and the calls that carry it out.
//!
//! A round is keyed by the task's `(taskId, openedAt, deadline)`. In the commit window a registered
//! prover posts `commitmentOf(taskId, openedAt, bidder, price, salt)` and the instance locks its bid
//! collateral from its bond; in the reveal window it opens the bid and gets the collateral back; from
//! the reveal window's end until the deadline anyone calls `finalize` with every committer in ascending
//! address order, which assigns the best bid through the ledger (first price: at its bid; second price:
//! at the best losing bid, or the reserve — the task's `maxPayment` — without one). A committer that
//! does not reveal forfeits its collateral.
//!
//! **The decision is pure** ([`decide`]): the task as the book holds it, the instance's terms (read once:
//! [`AuctionTerms::read`]), what the agent knows of the round ([`RoundView`]: its own bid's status on
//! chain, the bid it persisted, the committers from the `BidCommitted` logs, the commitment count in the
//! task word), the cost model and the chain time. The price is the stored-task policy's
//! ([`SealedBidPolicy::break_even_of`] and [`SealedBidPolicy::bid_under`]): one pricing rule for both task
//! cores.
//!
//! **The calls** ([`SealedBidAgent`]): `commit` and `finalize` carry the task and go through
//! [`send_task_call`] (rebuilt once on `StaleTask`); `reveal`, `depositBond` and `withdrawBond` carry none
//! and go through the [`Submitter`] directly. Each is sent at most once per idempotency key
//! (`ledger:<auction>:<call>:<taskId>:<openedAt>`). The bid (price and a fresh salt) is persisted in the
//! agent's store *before* its commitment is sent (the stored policy's [`persist_bid`]), so a prover
//! restarted after committing still reveals; a lost salt would forfeit the collateral.

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolCall, SolEvent};
use proofmarket_bindings::LedgerSealedBidAuction::{self, AuctionFinalized, BidCommitted};
use proofmarket_bindings::ProofToken;
use proofmarket_bindings::TaskLedger::{self, LedgerTask};

use super::book::TrackedTask;
use super::call::{
    LedgerCallError, TaskCallSent, live_copy, refused, send_task_call, task_as, view,
};
use super::sync::LedgerSync;
use crate::chain::ChainProvider;
use crate::chain::monitor::get_logs_halving;
use crate::chain::submitter::Submitter;
use crate::prover::auctions::BOND_TOP_UP_BIDS;
use crate::prover::cost::CostModel;
use crate::prover::policy::sealed_bid::{
    RoundCost, SealedBidPolicy, StoredBid, load_bid, persist_bid, sealed_commitment, store_key,
};
use crate::store::Store;

/// `LedgerSealedBidAuction.FINALIZED`: the task's `mechanismState` once its round is settled (set by the
/// winner's assignment, or without one when nobody won). A task opens and reopens with 0.
pub const FINALIZED: u64 = 1;

/// Blocks per `eth_getLogs` when reading a round's commitments.
const LOG_CHUNK_BLOCKS: u64 = 2_000;

/// An auction instance's immutable parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuctionTerms {
    /// The `LedgerSealedBidAuction` contract.
    pub auction: Address,
    /// Uniform second price (the winner is paid the best losing bid) or pay-as-bid.
    pub second_price: bool,
    /// Seconds from the task's `openedAt` during which bids may be committed.
    pub commit_window: u32,
    /// Seconds after the commit window during which bids may be revealed.
    pub reveal_window: u32,
    /// Locked from the bond per commitment; forfeited if the bid is not revealed.
    pub bid_collateral: u128,
    /// Registry stake the winner's assignment locks (at least the task's `minCollateral`).
    pub winner_collateral: u128,
    /// Commitments accepted per round.
    pub max_bids: u8,
}

/// The two windows of one round (`LedgerSealedBidAuction.windowsOf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundWindows {
    /// Commits are accepted before this time; reveals from it.
    pub commit_end: u64,
    /// Reveals are accepted before this time; `finalize` from it until the deadline.
    pub reveal_end: u64,
}

impl AuctionTerms {
    /// Reads the terms of the auction at `auction`.
    pub async fn read(provider: &ChainProvider, auction: Address) -> Result<Self, LedgerCallError> {
        let contract = LedgerSealedBidAuction::new(auction, provider);
        Ok(Self {
            auction,
            second_price: view("secondPrice", contract.secondPrice().call()).await?,
            commit_window: view("commitWindow", contract.commitWindow().call()).await?,
            reveal_window: view("revealWindow", contract.revealWindow().call()).await?,
            bid_collateral: view("bidCollateral", contract.bidCollateral().call())
                .await?
                .to(),
            winner_collateral: view("winnerCollateral", contract.winnerCollateral().call())
                .await?
                .to(),
            max_bids: view("maxBids", contract.maxBids().call()).await?,
        })
    }

    /// The round's windows: the contract's `windowsOf(task)`, computed from the terms (the anvil test
    /// checks it against the view).
    pub fn windows_of(&self, task: &LedgerTask) -> RoundWindows {
        let commit_end = u64::from(task.openedAt) + u64::from(self.commit_window);
        RoundWindows {
            commit_end,
            reveal_end: commit_end + u64::from(self.reveal_window),
        }
    }

    /// The collateral a winner of `task` has locked: the instance's, or the task's minimum if higher.
    pub fn winner_collateral_of(&self, task: &LedgerTask) -> u128 {
        self.winner_collateral.max(task.minCollateral.to())
    }
}

/// The contract's `commitmentOf(taskId, openedAt, bidder, price, salt)`:
/// `keccak256(abi.encode(taskId, openedAt, bidder, price, salt))`, the stored auction's layout with the
/// task's `openedAt` as its round.
pub fn commitment(task_id: U256, opened_at: u32, bidder: Address, price: u128, salt: B256) -> B256 {
    sealed_commitment(task_id, u64::from(opened_at), bidder, price, salt)
}

/// Where the bid of the round `(task_id, opened_at)` of `auction` is persisted (the stored strategy's
/// namespace and key format, with `openedAt` as the round).
pub fn bid_key(auction: Address, task_id: U256, opened_at: u32) -> String {
    store_key(auction, task_id, u64::from(opened_at))
}

/// The idempotency key of `call` on the round `(task_id, opened_at)` of `auction`.
pub fn call_key(auction: Address, call: &str, task_id: U256, opened_at: u32) -> String {
    format!("ledger:{auction:#x}:{call}:{task_id:#x}:{opened_at}")
}

/// Where a bidder's word stands in a round (`ILedgerSealedBidAuction.BidStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BidStatus {
    /// No commitment (never committed, or the word was settled by a finalize that forfeited it).
    None,
    /// Committed, not revealed: the bid collateral is held.
    Committed,
    /// Revealed: the collateral is back in the bond.
    Revealed,
}

impl BidStatus {
    /// The contract's enum value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Committed,
            2 => Self::Revealed,
            _ => Self::None,
        }
    }
}

/// What the agent knows of a task's current round besides the task itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundView {
    /// This prover's word in the round (`bidOf`).
    pub my_status: BidStatus,
    /// The bid this prover persisted for the round, if any.
    pub stored: Option<StoredBid>,
    /// Every committer of the round seen in the `BidCommitted` logs, ascending.
    pub committers: Vec<Address>,
    /// Commitments the ledger counted (the task word's mechanism counter): `finalize` needs exactly
    /// this many committers.
    pub commits: u8,
}

/// Why the prover does nothing with a task now. Some reasons are for good in this round
/// ([`Decline::is_final`]); the others say what the prover waits for.
#[derive(Clone, Debug, PartialEq)]
pub enum Decline {
    /// The book holds the task as closed.
    Closed,
    /// It runs under another mechanism (e.g. reopened under its fallback).
    OtherMechanism(Address),
    /// Its deadline has passed (finalize is refused from then on: `AuctionExpired`).
    Expired,
    /// Finalize assigned another prover.
    AssignedToOther(Address),
    /// The round was finalized and nobody won (no eligible bid the ledger accepted).
    FinalizedWithoutWinner,
    /// `[strategy.sealed_bid].enabled` is off.
    Disabled,
    /// The round already holds the instance's maximum of commitments.
    AuctionFull {
        /// The instance's cap.
        max_bids: u8,
    },
    /// The proof would not fit between the reveal window's end and the deadline.
    TooLate {
        /// Estimated proving time.
        prove_secs: f64,
        /// Seconds between the reveal window's end (or now) and the deadline.
        slack_secs: f64,
    },
    /// The break-even price (cost and margin) is above the reserve: the bid would not compete, and
    /// winning below it would lose money.
    BidAboveReserve {
        /// Break-even, token base units.
        break_even: f64,
        /// The reserve (the task's `maxPayment`).
        reserve: u128,
    },
    /// This prover committed; it reveals from `reveal_from`.
    AlreadyCommitted {
        /// The commit window's end.
        reveal_from: u64,
    },
    /// The commit window closed without a bid of this prover.
    CommitWindowPassed {
        /// When it closed.
        commit_end: u64,
    },
    /// This prover committed but holds no stored bid to open it with (its store was lost): the
    /// collateral will be forfeited.
    NoStoredBid,
    /// The reveal window closed before this prover revealed: its collateral is forfeited.
    RevealWindowPassed {
        /// When it closed.
        reveal_end: u64,
    },
    /// Revealed; the round can be finalized from `from`.
    AwaitingFinalize {
        /// The reveal window's end.
        from: u64,
    },
    /// The logs show fewer (or more) committers than the ledger counted, so a finalize would be
    /// refused (`CommitterCountMismatch`): the logs are behind; read them again.
    CommittersIncomplete {
        /// Committers seen in the logs.
        seen: usize,
        /// Commitments the ledger counted.
        counted: u8,
    },
}

impl Decline {
    /// Whether the prover is done with the task's current round (nothing it can do will change that).
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            Self::AlreadyCommitted { .. }
                | Self::AwaitingFinalize { .. }
                | Self::CommittersIncomplete { .. }
        )
    }
}

/// The sealed-bid decision for one task at one time.
#[derive(Clone, Debug, PartialEq)]
pub enum SealedBidDecision {
    /// Commit a sealed bid at `price` (the stored bid's, if one was persisted and not yet committed).
    Commit {
        /// The bid, token base units.
        price: u128,
    },
    /// Open the persisted bid.
    Reveal(StoredBid),
    /// Finalize the round with every committer, ascending.
    Finalize {
        /// The committers.
        committers: Vec<Address>,
    },
    /// Finalize assigned this prover at `price`: prove before the deadline.
    Prove {
        /// The assigned price, paid on the proof.
        price: u128,
    },
    /// Do nothing now.
    Decline(Decline),
}

/// What `me` should do with `tracked` under the auction `terms` at `now`: `round` is what it knows of
/// the round, `txs` sizes the statement for the cost model (1 for one base proof).
#[allow(clippy::too_many_arguments)] // the decision's inputs, each named; a struct would only rename them
pub fn decide(
    tracked: &TrackedTask,
    terms: &AuctionTerms,
    round: &RoundView,
    me: Address,
    now: u64,
    txs: u64,
    cost: &CostModel,
    policy: &SealedBidPolicy,
) -> SealedBidDecision {
    use SealedBidDecision as D;
    let task = &tracked.task;
    let decline = D::Decline;
    if task.mechanism != terms.auction {
        return decline(Decline::OtherMechanism(task.mechanism));
    }
    let windows = terms.windows_of(task);
    let in_reveal_window = now >= windows.commit_end && now < windows.reveal_end;
    // A committed bid is opened in its window whatever became of the task: after a cancel the reveal
    // is the only way to get the collateral back.
    if round.my_status == BidStatus::Committed && in_reveal_window {
        return match round.stored {
            Some(bid) => D::Reveal(bid),
            None => decline(Decline::NoStoredBid),
        };
    }
    if !tracked.is_live() {
        return decline(Decline::Closed);
    }
    let deadline = u64::from(task.deadline);
    if now > deadline {
        return decline(Decline::Expired);
    }
    if task.assignee == me {
        return D::Prove {
            price: task.price.to(),
        };
    }
    if task.assignee != Address::ZERO {
        return decline(Decline::AssignedToOther(task.assignee));
    }
    if task.mechanismState == FINALIZED {
        return decline(Decline::FinalizedWithoutWinner);
    }
    if now < windows.commit_end {
        return commit_decision(task, terms, round, &windows, now, txs, cost, policy);
    }
    match round.my_status {
        BidStatus::None => decline(Decline::CommitWindowPassed {
            commit_end: windows.commit_end,
        }),
        BidStatus::Committed => decline(Decline::RevealWindowPassed {
            reveal_end: windows.reveal_end,
        }),
        BidStatus::Revealed if in_reveal_window => decline(Decline::AwaitingFinalize {
            from: windows.reveal_end,
        }),
        BidStatus::Revealed => {
            if round.committers.len() != usize::from(round.commits) {
                return decline(Decline::CommittersIncomplete {
                    seen: round.committers.len(),
                    counted: round.commits,
                });
            }
            D::Finalize {
                committers: round.committers.clone(),
            }
        }
    }
}

/// The decision inside the commit window.
#[allow(clippy::too_many_arguments)]
fn commit_decision(
    task: &LedgerTask,
    terms: &AuctionTerms,
    round: &RoundView,
    windows: &RoundWindows,
    now: u64,
    txs: u64,
    cost: &CostModel,
    policy: &SealedBidPolicy,
) -> SealedBidDecision {
    let decline = SealedBidDecision::Decline;
    if round.my_status != BidStatus::None {
        return decline(Decline::AlreadyCommitted {
            reveal_from: windows.commit_end,
        });
    }
    if let Some(bid) = round.stored {
        // Persisted in an earlier life but not on chain: commit that bid (its salt), not a new one.
        return SealedBidDecision::Commit { price: bid.price };
    }
    if !policy.config.enabled {
        return decline(Decline::Disabled);
    }
    if round.commits >= terms.max_bids {
        return decline(Decline::AuctionFull {
            max_bids: terms.max_bids,
        });
    }
    let round_cost = RoundCost {
        txs,
        deadline: u64::from(task.deadline),
        reveal_end: windows.reveal_end,
        winner_collateral: terms.winner_collateral_of(task),
    };
    let break_even = match policy.break_even_of(&round_cost, now, cost) {
        Ok(v) => v,
        Err(slow) => {
            return decline(Decline::TooLate {
                prove_secs: slow.prove_secs,
                slack_secs: slow.slack_secs,
            });
        }
    };
    let reserve: u128 = task.maxPayment.to();
    match policy.bid_under(break_even, reserve, terms.second_price) {
        Some(price) => SealedBidDecision::Commit { price },
        None => decline(Decline::BidAboveReserve {
            break_even,
            reserve,
        }),
    }
}

/// A committed bid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The bid as persisted.
    pub bid: StoredBid,
    /// The commitment posted.
    pub commitment: B256,
    /// False when the commit had been sent under its key before (an earlier run).
    pub fresh: bool,
}

/// A finalized round (`AuctionFinalized`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finalized {
    /// The assigned winner (zero: nobody won).
    pub winner: Address,
    /// The winner's bid.
    pub bid: u128,
    /// The price it was assigned at.
    pub price: u128,
    /// Collateral forfeited by committers that did not reveal.
    pub forfeited: U256,
}

/// What [`SealedBidAgent::act`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acted {
    /// The bid was committed (or had been, under its key).
    Committed(Committed),
    /// The persisted bid was opened.
    Revealed(StoredBid),
    /// The round was settled.
    Finalized(Finalized),
}

/// One prover's side of one auction instance: its reads, its store, its calls.
#[derive(Clone, Debug)]
pub struct SealedBidAgent {
    provider: ChainProvider,
    store: Store,
    terms: AuctionTerms,
    policy: SealedBidPolicy,
    me: Address,
}

impl SealedBidAgent {
    /// The agent of prover `me` (the submitter's account) on the auction `terms`, persisting its bids
    /// in `store`.
    pub fn new(
        provider: ChainProvider,
        store: Store,
        terms: AuctionTerms,
        policy: SealedBidPolicy,
        me: Address,
    ) -> Self {
        Self {
            provider,
            store,
            terms,
            policy,
            me,
        }
    }

    /// The auction's terms.
    pub fn terms(&self) -> &AuctionTerms {
        &self.terms
    }

    fn contract(&self) -> LedgerSealedBidAuction::LedgerSealedBidAuctionInstance<&ChainProvider> {
        LedgerSealedBidAuction::new(self.terms.auction, &self.provider)
    }

    /// What the agent knows of `task_id`'s current round: its bid's status (`bidOf`), its stored bid,
    /// the committers (`BidCommitted` logs of the round) and the ledger's commitment count.
    pub async fn observe(
        &self,
        sync: &LedgerSync,
        task_id: U256,
    ) -> Result<RoundView, LedgerCallError> {
        let tracked = sync
            .book()
            .get(task_id)
            .ok_or(LedgerCallError::NotLive(task_id))?;
        let task = &tracked.task;
        let rpc = LedgerCallError::rpc::<alloy::contract::Error>;
        let bid = self
            .contract()
            .bidOf(task_id, task.openedAt, task.deadline, self.me)
            .call()
            .await
            .map_err(rpc("bidOf"))?;
        let word: U256 = TaskLedger::new(sync.ledger(), &self.provider)
            .taskWord(task_id)
            .call()
            .await
            .map_err(rpc("taskWord"))?;
        Ok(RoundView {
            my_status: BidStatus::from_u8(bid.status),
            stored: load_bid(
                &self.store,
                &bid_key(self.terms.auction, task_id, task.openedAt),
            )?,
            committers: self.committers(task_id, tracked.created_block).await?,
            // Bits 8-15 of the word: the mechanism counter (zero once the task closed).
            commits: ((word >> 8usize) & U256::from(0xffu8)).to::<u8>(),
        })
    }

    /// The committers of `task_id`'s current round, ascending: the bidders of its `BidCommitted` logs
    /// since `from_block`, restarting at each log that counts the round's first commitment (a reopen
    /// to this instance starts a new round with the counter at zero).
    async fn committers(
        &self,
        task_id: U256,
        from_block: u64,
    ) -> Result<Vec<Address>, LedgerCallError> {
        let head = self
            .provider
            .get_block_number()
            .await
            .map_err(LedgerCallError::rpc("eth_blockNumber"))?;
        let base = Filter::new()
            .address(self.terms.auction)
            .event_signature(BidCommitted::SIGNATURE_HASH)
            .topic1(B256::from(task_id.to_be_bytes::<32>()));
        let mut committers = Vec::new();
        let mut chunk = LOG_CHUNK_BLOCKS;
        let mut next = from_block;
        while next <= head {
            let (logs, end) = get_logs_halving(&self.provider, &base, next, head, &mut chunk)
                .await
                .map_err(LedgerCallError::rpc("eth_getLogs"))?;
            for log in &logs {
                let Ok(decoded) = log.log_decode::<BidCommitted>() else {
                    continue;
                };
                let e = decoded.inner.data;
                if e.commits == U256::from(1u8) {
                    committers.clear();
                }
                committers.push(e.bidder);
            }
            next = end + 1;
        }
        committers.sort();
        committers.dedup();
        Ok(committers)
    }

    /// Observes the task and decides at the chain's time.
    pub async fn decide_now(
        &self,
        sync: &LedgerSync,
        task_id: U256,
        txs: u64,
        cost: &CostModel,
    ) -> Result<SealedBidDecision, LedgerCallError> {
        let round = self.observe(sync, task_id).await?;
        let now = super::call::chain_time(&self.provider).await?;
        let tracked = sync
            .book()
            .get(task_id)
            .ok_or(LedgerCallError::NotLive(task_id))?;
        Ok(decide(
            tracked,
            &self.terms,
            &round,
            self.me,
            now,
            txs,
            cost,
            &self.policy,
        ))
    }

    /// Carries out a commit, reveal or finalize decision; `None` for the others (a `Prove` goes
    /// through [`super::race::submit_proof`] once the proof is ready; a decline sends nothing).
    pub async fn act(
        &self,
        sync: &mut LedgerSync,
        submitter: &Submitter,
        task_id: U256,
        decision: &SealedBidDecision,
    ) -> Result<Option<Acted>, LedgerCallError> {
        Ok(Some(match decision {
            SealedBidDecision::Commit { price } => {
                Acted::Committed(self.commit(sync, submitter, task_id, *price).await?)
            }
            SealedBidDecision::Reveal(_) => {
                Acted::Revealed(self.reveal(sync, submitter, task_id).await?)
            }
            SealedBidDecision::Finalize { committers } => {
                Acted::Finalized(self.finalize(sync, submitter, task_id, committers).await?)
            }
            SealedBidDecision::Prove { .. } | SealedBidDecision::Decline(_) => return Ok(None),
        }))
    }

    /// Seals and commits a bid at `price` (or the bid already persisted for the round): the bid is
    /// persisted first, the bond topped up if short, then `commit` is sent with the book's copy.
    pub async fn commit(
        &self,
        sync: &mut LedgerSync,
        submitter: &Submitter,
        task_id: U256,
        price: u128,
    ) -> Result<Committed, LedgerCallError> {
        let opened_at = live_copy(sync, task_id)?.openedAt;
        let key = bid_key(self.terms.auction, task_id, opened_at);
        let bid = match load_bid(&self.store, &key)? {
            Some(bid) => bid,
            None => {
                let bid = StoredBid::fresh(price);
                persist_bid(&self.store, &key, &bid)?;
                bid
            }
        };
        if bid.price >> 96 != 0 {
            return Err(LedgerCallError::Refused {
                task_id,
                reason: format!("bid {} above uint96", bid.price),
            });
        }
        self.top_up_bond(submitter, task_id, opened_at).await?;
        let me = self.me;
        let TaskCallSent { sent, .. } = send_task_call(
            sync,
            submitter,
            task_id,
            "LedgerSealedBidAuction.commit",
            Some(&call_key(self.terms.auction, "commit", task_id, opened_at)),
            self.terms.auction,
            // Sealed for the round of the copy actually sent (a rebuilt copy is a new round only if the
            // task was reopened here, and then the bid is persisted under that round too, below).
            |task| {
                LedgerSealedBidAuction::commitCall {
                    taskId: task_id,
                    task: task_as(task),
                    commitment: commitment(task_id, task.openedAt, me, bid.price, bid.salt),
                }
                .abi_encode()
            },
        )
        .await?;
        let committed_round = live_copy(sync, task_id)?.openedAt;
        if committed_round != opened_at {
            persist_bid(
                &self.store,
                &bid_key(self.terms.auction, task_id, committed_round),
                &bid,
            )?;
        }
        tracing::info!(prover = %me, task = %format!("{task_id:#x}"), price = bid.price, "sealed bid committed on the ledger auction");
        Ok(Committed {
            bid,
            commitment: commitment(task_id, committed_round, me, bid.price, bid.salt),
            fresh: sent.fresh,
        })
    }

    /// Deposits bid collateral for a few bids when the free bond is below one bid's collateral (the
    /// commit would otherwise pull the shortfall itself, one transfer per bid).
    async fn top_up_bond(
        &self,
        submitter: &Submitter,
        task_id: U256,
        opened_at: u32,
    ) -> Result<(), LedgerCallError> {
        let bond = self
            .contract()
            .bondOf(self.me)
            .call()
            .await
            .map_err(LedgerCallError::rpc::<alloy::contract::Error>("bondOf"))?;
        let need = U256::from(self.terms.bid_collateral);
        if bond >= need {
            return Ok(());
        }
        let token = self
            .contract()
            .token()
            .call()
            .await
            .map_err(LedgerCallError::rpc::<alloy::contract::Error>("token"))?;
        let amount = need * U256::from(BOND_TOP_UP_BIDS);
        let key = call_key(self.terms.auction, "depositBond", task_id, opened_at);
        let approve = ProofToken::approveCall {
            spender: self.terms.auction,
            value: amount,
        };
        submitter
            .send(
                "ProofToken.approve",
                Some(&format!("{key}:approve")),
                None,
                token,
                approve.abi_encode().into(),
                U256::ZERO,
            )
            .await
            .map_err(|e| refused(task_id, e))?;
        let deposit = LedgerSealedBidAuction::depositBondCall { amount };
        submitter
            .send(
                "LedgerSealedBidAuction.depositBond",
                Some(&key),
                None,
                self.terms.auction,
                deposit.abi_encode().into(),
                U256::ZERO,
            )
            .await
            .map_err(|e| refused(task_id, e))?;
        Ok(())
    }

    /// Opens this prover's commitment with the persisted bid. Needs no live task (a cancelled task's
    /// bidders reveal to get their collateral back): the round is the book's last copy.
    pub async fn reveal(
        &self,
        sync: &LedgerSync,
        submitter: &Submitter,
        task_id: U256,
    ) -> Result<StoredBid, LedgerCallError> {
        let task = &sync
            .book()
            .get(task_id)
            .ok_or(LedgerCallError::NotLive(task_id))?
            .task;
        let bid = load_bid(
            &self.store,
            &bid_key(self.terms.auction, task_id, task.openedAt),
        )?
        .ok_or_else(|| LedgerCallError::Refused {
            task_id,
            reason: format!("no stored bid for the round opened at {}", task.openedAt),
        })?;
        let call = LedgerSealedBidAuction::revealCall {
            taskId: task_id,
            openedAt: task.openedAt,
            deadline: task.deadline,
            price: alloy::primitives::Uint::<96, 2>::from(bid.price),
            salt: bid.salt,
        };
        submitter
            .send(
                "LedgerSealedBidAuction.reveal",
                Some(&call_key(
                    self.terms.auction,
                    "reveal",
                    task_id,
                    task.openedAt,
                )),
                None,
                self.terms.auction,
                call.abi_encode().into(),
                U256::ZERO,
            )
            .await
            .map_err(|e| refused(task_id, e))?;
        tracing::info!(prover = %self.me, task = %format!("{task_id:#x}"), price = bid.price, "sealed bid revealed on the ledger auction");
        Ok(bid)
    }

    /// Finalizes the round with `committers` (every committer, ascending) and the book's copy.
    pub async fn finalize(
        &self,
        sync: &mut LedgerSync,
        submitter: &Submitter,
        task_id: U256,
        committers: &[Address],
    ) -> Result<Finalized, LedgerCallError> {
        let opened_at = live_copy(sync, task_id)?.openedAt;
        let TaskCallSent { sent, .. } = send_task_call(
            sync,
            submitter,
            task_id,
            "LedgerSealedBidAuction.finalize",
            Some(&call_key(
                self.terms.auction,
                "finalize",
                task_id,
                opened_at,
            )),
            self.terms.auction,
            |task| {
                LedgerSealedBidAuction::finalizeCall {
                    taskId: task_id,
                    task: task_as(task),
                    committers: committers.to_vec(),
                }
                .abi_encode()
            },
        )
        .await?;
        let e = sent
            .receipt
            .decoded_log::<AuctionFinalized>()
            .ok_or_else(|| LedgerCallError::Refused {
                task_id,
                reason: "mined without an AuctionFinalized log".into(),
            })?;
        Ok(Finalized {
            winner: e.winner,
            bid: e.bid.to(),
            price: e.price.to(),
            forfeited: e.forfeited,
        })
    }

    /// Withdraws `amount` of this prover's free bond; `intent` names the withdrawal in its
    /// idempotency key (one transaction per intent, across restarts).
    pub async fn withdraw_bond(
        &self,
        submitter: &Submitter,
        amount: U256,
        intent: &str,
    ) -> Result<(), LedgerCallError> {
        let call = LedgerSealedBidAuction::withdrawBondCall { amount };
        submitter
            .send(
                "LedgerSealedBidAuction.withdrawBond",
                Some(&format!(
                    "ledger:{:#x}:withdrawBond:{intent}",
                    self.terms.auction
                )),
                None,
                self.terms.auction,
                call.abi_encode().into(),
                U256::ZERO,
            )
            .await
            .map_err(|e| refused(U256::ZERO, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::book::{Closing, test_task};
    use crate::prover::cost::{Prices, ProvingSpeed};
    use crate::prover::policy::sealed_bid::SealedBidConfig;
    use alloy::primitives::{Uint, keccak256};

    type U96 = Uint<96, 2>;
    const AUCTION: Address = Address::repeat_byte(0xaa);
    const ME: Address = Address::repeat_byte(0x01);
    const RIVAL: Address = Address::repeat_byte(0x03);
    const TOKEN: u128 = 1_000_000_000_000_000_000;
    const OPENED: u64 = 1_000;
    const COMMIT_END: u64 = OPENED + 600;
    const REVEAL_END: u64 = COMMIT_END + 600;
    const DEADLINE: u64 = OPENED + 3_600;

    fn terms(second_price: bool) -> AuctionTerms {
        AuctionTerms {
            auction: AUCTION,
            second_price,
            commit_window: 600,
            reveal_window: 600,
            bid_collateral: 10 * TOKEN,
            winner_collateral: 50 * TOKEN,
            max_bids: 4,
        }
    }

    fn tracked() -> TrackedTask {
        test_task(AUCTION, 100 * TOKEN, OPENED as u32)
    }

    fn fresh_round() -> RoundView {
        RoundView {
            my_status: BidStatus::None,
            stored: None,
            committers: Vec::new(),
            commits: 0,
        }
    }

    fn bid(price: u128) -> StoredBid {
        StoredBid {
            price,
            salt: B256::repeat_byte(0x5a),
        }
    }

    /// 20 s per base proof, 1 gwei gas at 1 token base unit per wei, a micro-token per second.
    fn cost() -> CostModel {
        CostModel {
            speed: ProvingSpeed {
                base_secs: 20.0,
                ..ProvingSpeed::default()
            },
            prices: Prices::default(),
            gas_price_wei: 1_000_000_000,
        }
    }

    fn policy() -> SealedBidPolicy {
        SealedBidPolicy::default()
    }

    fn at(round: &RoundView, now: u64, second_price: bool) -> SealedBidDecision {
        decide(
            &tracked(),
            &terms(second_price),
            round,
            ME,
            now,
            1,
            &cost(),
            &policy(),
        )
    }

    /// The stored policy's price for this round (the one pricing rule).
    fn expected_bid(second_price: bool, now: u64) -> u128 {
        let round = RoundCost {
            txs: 1,
            deadline: DEADLINE,
            reveal_end: REVEAL_END,
            winner_collateral: 50 * TOKEN,
        };
        let be = policy().break_even_of(&round, now, &cost()).unwrap();
        policy().bid_under(be, 100 * TOKEN, second_price).unwrap()
    }

    #[test]
    fn the_commitment_is_the_contracts_formula() {
        let salt = B256::repeat_byte(0x5a);
        let id = (U256::from(0x1234u64) << 96usize) | U256::from(3u64);
        // abi.encode(uint256 taskId, uint32 openedAt, address bidder, uint96 price, bytes32 salt):
        // five static words.
        let mut encoded = Vec::new();
        encoded.extend_from_slice(&id.to_be_bytes::<32>());
        encoded.extend_from_slice(&U256::from(1_000u32).to_be_bytes::<32>());
        encoded.extend_from_slice(&[0u8; 12]);
        encoded.extend_from_slice(ME.as_slice());
        encoded.extend_from_slice(&U256::from(42u128).to_be_bytes::<32>());
        encoded.extend_from_slice(salt.as_slice());
        assert_eq!(encoded.len(), 160);
        assert_eq!(commitment(id, 1_000, ME, 42, salt), keccak256(&encoded));
        assert_ne!(
            commitment(id, 1_001, ME, 42, salt),
            commitment(id, 1_000, ME, 42, salt),
            "a reopened round seals differently"
        );
    }

    #[test]
    fn windows_and_collateral_follow_the_contract() {
        let t = tracked().task;
        assert_eq!(
            terms(true).windows_of(&t),
            RoundWindows {
                commit_end: COMMIT_END,
                reveal_end: REVEAL_END
            }
        );
        let mut high = t.clone();
        high.minCollateral = U96::from(70 * TOKEN);
        assert_eq!(terms(true).winner_collateral_of(&t), 50 * TOKEN);
        assert_eq!(terms(true).winner_collateral_of(&high), 70 * TOKEN);
    }

    #[test]
    fn commits_at_the_stored_policys_price_under_either_rule() {
        let second = at(&fresh_round(), OPENED + 10, true);
        assert_eq!(
            second,
            SealedBidDecision::Commit {
                price: expected_bid(true, OPENED + 10)
            }
        );
        let SealedBidDecision::Commit { price: first } = at(&fresh_round(), OPENED + 10, false)
        else {
            panic!("first price commits too");
        };
        assert_eq!(first, expected_bid(false, OPENED + 10));
        // Pay-as-bid shades towards the reserve; uniform second price bids break-even.
        assert!(first > expected_bid(true, OPENED + 10) && first <= 100 * TOKEN);
    }

    #[test]
    fn a_persisted_bid_is_committed_as_it_is_and_never_twice() {
        let persisted = RoundView {
            stored: Some(bid(42)),
            ..fresh_round()
        };
        assert_eq!(
            at(&persisted, OPENED + 10, true),
            SealedBidDecision::Commit { price: 42 },
            "a bid persisted before a crash is committed with its own salt, not repriced"
        );
        let on_chain = RoundView {
            my_status: BidStatus::Committed,
            stored: Some(bid(42)),
            commits: 1,
            committers: vec![ME],
        };
        assert_eq!(
            at(&on_chain, OPENED + 10, true),
            SealedBidDecision::Decline(Decline::AlreadyCommitted {
                reveal_from: COMMIT_END
            })
        );
        assert!(!Decline::AlreadyCommitted { reveal_from: 0 }.is_final());
    }

    #[test]
    fn declines_a_bid_above_the_reserve_or_too_slow_or_a_full_round() {
        let mut cheap = tracked();
        cheap.task.maxPayment = U96::from(1_000u64);
        let SealedBidDecision::Decline(Decline::BidAboveReserve {
            break_even,
            reserve,
        }) = decide(
            &cheap,
            &terms(true),
            &fresh_round(),
            ME,
            OPENED,
            1,
            &cost(),
            &policy(),
        )
        else {
            panic!("a break-even above the reserve is not bid");
        };
        assert_eq!(reserve, 1_000);
        assert!(break_even > 1_000.0);

        // 20.5 s × 2 safety does not fit in the 30 s between the reveal window and the deadline.
        let mut tight = tracked();
        tight.task.deadline = (REVEAL_END + 30) as u32;
        assert!(matches!(
            decide(
                &tight,
                &terms(true),
                &fresh_round(),
                ME,
                OPENED,
                1,
                &cost(),
                &policy()
            ),
            SealedBidDecision::Decline(Decline::TooLate { slack_secs, .. }) if slack_secs == 30.0
        ));

        let full = RoundView {
            commits: 4,
            committers: vec![Address::repeat_byte(9); 4],
            ..fresh_round()
        };
        assert_eq!(
            at(&full, OPENED, true),
            SealedBidDecision::Decline(Decline::AuctionFull { max_bids: 4 })
        );
        let off = SealedBidPolicy {
            config: SealedBidConfig {
                enabled: false,
                ..SealedBidConfig::default()
            },
        };
        assert_eq!(
            decide(
                &tracked(),
                &terms(true),
                &fresh_round(),
                ME,
                OPENED,
                1,
                &cost(),
                &off
            ),
            SealedBidDecision::Decline(Decline::Disabled)
        );
    }

    #[test]
    fn reveals_in_the_window_from_the_persisted_bid_only() {
        let committed = RoundView {
            my_status: BidStatus::Committed,
            stored: Some(bid(42)),
            committers: vec![ME],
            commits: 1,
        };
        assert_eq!(
            at(&committed, COMMIT_END, true),
            SealedBidDecision::Reveal(bid(42))
        );
        assert_eq!(
            at(&committed, REVEAL_END - 1, true),
            SealedBidDecision::Reveal(bid(42))
        );
        // Revealing late: the window is over, the collateral is forfeited.
        assert_eq!(
            at(&committed, REVEAL_END, true),
            SealedBidDecision::Decline(Decline::RevealWindowPassed {
                reveal_end: REVEAL_END
            })
        );
        // A lost store cannot open the commitment.
        let lost = RoundView {
            stored: None,
            ..committed.clone()
        };
        assert_eq!(
            at(&lost, COMMIT_END, true),
            SealedBidDecision::Decline(Decline::NoStoredBid)
        );
        // A cancelled task's bidder still reveals: it is the only way back to its collateral.
        let mut cancelled = tracked();
        cancelled.closed = Some(Closing::Cancelled);
        assert_eq!(
            decide(
                &cancelled,
                &terms(true),
                &committed,
                ME,
                COMMIT_END + 5,
                1,
                &cost(),
                &policy()
            ),
            SealedBidDecision::Reveal(bid(42))
        );
        assert_eq!(
            decide(
                &cancelled,
                &terms(true),
                &fresh_round(),
                ME,
                COMMIT_END + 5,
                1,
                &cost(),
                &policy()
            ),
            SealedBidDecision::Decline(Decline::Closed)
        );
        // Never bid: nothing to do after the commit window.
        assert_eq!(
            at(&fresh_round(), COMMIT_END, true),
            SealedBidDecision::Decline(Decline::CommitWindowPassed {
                commit_end: COMMIT_END
            })
        );
    }

    #[test]
    fn finalizes_with_every_committer_once_the_reveal_window_is_over() {
        let revealed = RoundView {
            my_status: BidStatus::Revealed,
            stored: Some(bid(42)),
            committers: vec![ME, RIVAL],
            commits: 2,
        };
        assert_eq!(
            at(&revealed, COMMIT_END + 1, true),
            SealedBidDecision::Decline(Decline::AwaitingFinalize { from: REVEAL_END })
        );
        assert_eq!(
            at(&revealed, REVEAL_END, true),
            SealedBidDecision::Finalize {
                committers: vec![ME, RIVAL]
            }
        );
        // One bidder: the list is just this prover.
        let alone = RoundView {
            committers: vec![ME],
            commits: 1,
            ..revealed.clone()
        };
        assert_eq!(
            at(&alone, REVEAL_END, true),
            SealedBidDecision::Finalize {
                committers: vec![ME]
            }
        );
        // A tie is the contract's to break (the XOR of the revealed salts): both bidders, who cannot
        // know the outcome, send the same finalize and the first one mined settles it.
        let tie_rival = decide(
            &tracked(),
            &terms(true),
            &RoundView {
                my_status: BidStatus::Revealed,
                stored: Some(bid(42)),
                committers: vec![ME, RIVAL],
                commits: 2,
            },
            RIVAL,
            REVEAL_END,
            1,
            &cost(),
            &policy(),
        );
        assert_eq!(tie_rival, at(&revealed, REVEAL_END, true));
        // The logs are behind the ledger's count: finalize would be refused.
        let behind = RoundView {
            committers: vec![ME],
            ..revealed.clone()
        };
        assert_eq!(
            at(&behind, REVEAL_END, true),
            SealedBidDecision::Decline(Decline::CommittersIncomplete {
                seen: 1,
                counted: 2
            })
        );
        // Past the deadline the round cannot be finalized.
        assert_eq!(
            at(&revealed, DEADLINE + 1, true),
            SealedBidDecision::Decline(Decline::Expired)
        );
    }

    #[test]
    fn proves_when_assigned_and_leaves_what_is_not_its_own() {
        let revealed = RoundView {
            my_status: BidStatus::Revealed,
            stored: Some(bid(42)),
            committers: vec![ME, RIVAL],
            commits: 2,
        };
        let mut won = tracked();
        won.task.assignee = ME;
        won.task.price = U96::from(60u64);
        won.task.mechanismState = FINALIZED;
        assert_eq!(
            decide(
                &won,
                &terms(true),
                &revealed,
                ME,
                REVEAL_END + 5,
                1,
                &cost(),
                &policy()
            ),
            SealedBidDecision::Prove { price: 60 }
        );
        let mut lost = won.clone();
        lost.task.assignee = RIVAL;
        assert_eq!(
            decide(
                &lost,
                &terms(true),
                &revealed,
                ME,
                REVEAL_END + 5,
                1,
                &cost(),
                &policy()
            ),
            SealedBidDecision::Decline(Decline::AssignedToOther(RIVAL))
        );
        let mut nobody = tracked();
        nobody.task.mechanismState = FINALIZED;
        assert_eq!(
            decide(
                &nobody,
                &terms(true),
                &revealed,
                ME,
                REVEAL_END + 5,
                1,
                &cost(),
                &policy()
            ),
            SealedBidDecision::Decline(Decline::FinalizedWithoutWinner)
        );
        let mut moved = tracked();
        moved.task.mechanism = Address::repeat_byte(0xbb);
        assert_eq!(
            decide(
                &moved,
                &terms(true),
                &fresh_round(),
                ME,
                OPENED,
                1,
                &cost(),
                &policy()
            ),
            SealedBidDecision::Decline(Decline::OtherMechanism(Address::repeat_byte(0xbb)))
        );
        let mut done = won.clone();
        done.closed = Some(Closing::Fulfilled);
        assert_eq!(
            decide(
                &done,
                &terms(true),
                &revealed,
                ME,
                REVEAL_END + 5,
                1,
                &cost(),
                &policy()
            ),
            SealedBidDecision::Decline(Decline::Closed)
        );
    }
}
