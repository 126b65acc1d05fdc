//! The sealed-bid auction over the one-word TaskLedger, end to end on anvil: provers' strategies
//! commit, reveal and finalize on a `LedgerSealedBidAuction`, the winner proves with the real Groth16
//! fixture proof and is paid the instance's price (second price: the losing bid, or the reserve
//! without one; first price: its own bid), the requester gets the rest back, the loser's bond is
//! intact, a bidder that does not reveal forfeits its collateral, and a bidder rebuilt from its store
//! after committing still reveals.
//!
//! Every contract is the real one (`LedgerSealedBidAuction` ×2, `TaskLedger`, a ProverRegistry of the
//! ledger's own, the Groth16 base verifier from `proofmarket::deploy`); the proofs are the committed
//! fixture's (`test/fixtures/base.json`, for anvil accounts 1-3).

mod prover_support;
#[macro_use]
mod ledger_support;

use std::path::Path;

use alloy::primitives::{Address, U256, Uint};
use ledger_support::{LedgerWorld, cost_model as cost};
use proofmarket::chain::ChainProvider;
use proofmarket::chain::submitter::Submitter;
use proofmarket::ledger::call::task_as;
use proofmarket::ledger::race;
use proofmarket::ledger::sealed_bid::{
    Acted, AuctionTerms, BidStatus, Decline, SealedBidAgent, SealedBidDecision, bid_key,
};
use proofmarket::ledger::{LedgerCallError, LedgerSync};
use proofmarket::prover::cost::CostModel;
use proofmarket::prover::policy::sealed_bid::{SealedBidPolicy, load_bid};
use proofmarket::store::Store;
use proofmarket_bindings::ledger_sealed_bid_auction::ILedgerSealedBidAuction;
use proofmarket_bindings::{LedgerSealedBidAuction, ProofToken, ProverRegistry, TaskLedger};
use prover_support::TOKEN;

type U96 = Uint<96, 2>;

const COMMIT_WINDOW: u32 = 600;
const REVEAL_WINDOW: u32 = 600;
const BID_COLLATERAL: u128 = 10 * TOKEN;
const WINNER_COLLATERAL: u128 = 50 * TOKEN;
const STAKE: u128 = 200 * TOKEN;
const DEPOSIT: u128 = 1_000 * TOKEN;
const MAX_PAYMENT: u128 = 100 * TOKEN;
/// What the agents deposit per bond top-up: four bids' collateral (`BOND_TOP_UP_BIDS`).
const BOND: u128 = 4 * BID_COLLATERAL;

struct World {
    chain: LedgerWorld,
    /// Uniform second price.
    second: Address,
    /// Pay-as-bid.
    first: Address,
}

/// One prover: its book, its submitter and its auction agent over one state file.
struct Prover {
    sync: LedgerSync,
    submitter: Submitter,
    agent: SealedBidAgent,
    cost: CostModel,
}

impl Prover {
    fn me(&self) -> Address {
        self.submitter.address()
    }

    /// Syncs the book and decides on `task_id` at the chain's time.
    async fn decide(&mut self, task_id: U256) -> SealedBidDecision {
        self.sync.sync().await.expect("sync");
        self.agent
            .decide_now(&self.sync, task_id, 1, &self.cost)
            .await
            .expect("decide")
    }

    async fn act(&mut self, task_id: U256, decision: &SealedBidDecision) -> Acted {
        self.agent
            .act(&mut self.sync, &self.submitter, task_id, decision)
            .await
            .expect("act")
            .expect("an action")
    }
}

impl World {
    /// Two auction instances (second and first price) over a ledger core, anvil accounts 1-3
    /// registered with 200 tokens, the requester's 1,000-token deposit.
    async fn start() -> Self {
        let chain = LedgerWorld::start(4).await;
        let mut auctions = Vec::new();
        for second_price in [true, false] {
            let auction = LedgerSealedBidAuction::deploy(
                chain.admin().clone(),
                ILedgerSealedBidAuction::Params {
                    ledger: chain.core.ledger,
                    token: chain.token,
                    treasury: chain.keys[0].address(),
                    secondPrice: second_price,
                    commitWindow: COMMIT_WINDOW,
                    revealWindow: REVEAL_WINDOW,
                    minProvingWindow: 600,
                    bidCollateral: U96::from(BID_COLLATERAL),
                    winnerCollateral: U96::from(WINNER_COLLATERAL),
                    maxBids: 8,
                },
            )
            .await
            .expect("deploy LedgerSealedBidAuction");
            chain.allow(*auction.address()).await;
            auctions.push(*auction.address());
        }
        for i in 1..=3 {
            chain.register_class(i, STAKE, 0).await;
        }
        chain.deposit(0, DEPOSIT).await;
        Self {
            chain,
            second: auctions[0],
            first: auctions[1],
        }
    }

    /// Anvil account `i`'s prover on `auction`, over the state file `dir/<name>.db` (reopened as it
    /// was left, for a restart), bidding with `cost`.
    async fn prover(
        &self,
        i: usize,
        auction: Address,
        dir: &Path,
        name: &str,
        cost: CostModel,
    ) -> Prover {
        let chain = &self.chain;
        let (provider, store, sync, submitter) =
            chain.prover_state(i, &dir.join(format!("{name}.db"))).await;
        let terms = AuctionTerms::read(&provider, auction).await.unwrap();
        let agent = SealedBidAgent::new(
            provider,
            store,
            terms,
            SealedBidPolicy::default(),
            chain.keys[i].address(),
        );
        Prover {
            sync,
            submitter,
            agent,
            cost,
        }
    }

    /// Opens a 100-token task on `auction`, due in an hour.
    async fn open_task(&self, auction: Address) -> (U256, TaskLedger::LedgerTask) {
        self.chain.open_task(auction, MAX_PAYMENT, 3_600).await
    }

    fn auction(
        &self,
        auction: Address,
    ) -> LedgerSealedBidAuction::LedgerSealedBidAuctionInstance<&ChainProvider> {
        LedgerSealedBidAuction::new(auction, self.chain.admin())
    }

    /// Proves `task_id` for `prover` (whose decision must be Prove at `price`), returns the credit.
    async fn prove(&self, prover: &mut Prover, task_id: U256) -> u128 {
        let decision = prover.decide(task_id).await;
        let SealedBidDecision::Prove { .. } = decision else {
            panic!("the winner proves: {decision:?}");
        };
        let proof = self.chain.proof_of(prover.me());
        let submitted = race::submit_proof(
            &mut prover.sync,
            &prover.submitter,
            task_id,
            self.chain.fixture.inputs.clone(),
            proof,
        )
        .await
        .expect("the winner's proof is accepted");
        assert_eq!(submitted.proofs_accepted, 1);
        submitted.credited.to()
    }
}

/// The prover's decision on `task_id` is to reveal; it does, with its persisted bid.
async fn reveal(prover: &mut Prover, task_id: U256) {
    let decision = prover.decide(task_id).await;
    let SealedBidDecision::Reveal(bid) = decision else {
        panic!("reveal: {decision:?}");
    };
    assert_eq!(
        prover.act(task_id, &decision).await,
        Acted::Revealed(bid),
        "opened with the persisted bid"
    );
    assert_eq!(
        prover
            .agent
            .observe(&prover.sync, task_id)
            .await
            .unwrap()
            .my_status,
        BidStatus::Revealed
    );
}

fn commit_price(decision: &SealedBidDecision) -> u128 {
    match decision {
        SealedBidDecision::Commit { price } => *price,
        other => panic!("expected Commit, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bidders_second_price_and_a_bidder_that_does_not_reveal() {
    let world = World::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (cheap_cost, dear_cost) = (cost(1e12), cost(1e15));
    let mut cheap = world
        .prover(1, world.second, dir.path(), "cheap", cheap_cost)
        .await;
    let mut dear = world
        .prover(2, world.second, dir.path(), "dear", dear_cost)
        .await;
    let mut silent = world
        .prover(3, world.second, dir.path(), "silent", cheap_cost)
        .await;
    assert!(cheap.agent.terms().second_price);
    assert_eq!(cheap.agent.terms().bid_collateral, BID_COLLATERAL);

    // Task A: both bid, both reveal, the cheaper wins at the dearer bid.
    let balance_before = world.chain.requester_balance().await;
    let (a, task_a) = world.open_task(world.second).await;
    let windows = cheap.agent.terms().windows_of(&task_a);
    let on_chain = world
        .auction(world.second)
        .windowsOf(task_as(&task_a))
        .call()
        .await
        .unwrap();
    assert_eq!(
        (
            U256::from(windows.commit_end),
            U256::from(windows.reveal_end)
        ),
        (on_chain.commitEnd, on_chain.revealEnd),
        "the agent's windows are the contract's windowsOf"
    );

    let cheap_bid = commit_price(&cheap.decide(a).await);
    let dear_bid = commit_price(&dear.decide(a).await);
    assert!(cheap_bid < dear_bid, "{cheap_bid} vs {dear_bid}");
    for (prover, name) in [(&mut cheap, "cheap"), (&mut dear, "dear")] {
        let decision = prover.decide(a).await;
        let Acted::Committed(committed) = prover.act(a, &decision).await else {
            panic!("committed");
        };
        assert!(committed.fresh);
        // The seal is the contract's commitmentOf, and its bid was persisted before it was sent.
        let sealed = world
            .auction(world.second)
            .commitmentOf(
                a,
                task_a.openedAt,
                prover.me(),
                U96::from(committed.bid.price),
                committed.bid.salt,
            )
            .call()
            .await
            .unwrap();
        assert_eq!(committed.commitment, sealed);
        let key = bid_key(world.second, a, task_a.openedAt);
        let store = Store::open(&dir.path().join(format!("{name}.db"))).unwrap();
        assert_eq!(load_bid(&store, &key).unwrap(), Some(committed.bid));
        // Committed once: the bond paid the collateral, and the decision now waits for the reveal.
        assert_eq!(
            prover.decide(a).await,
            SealedBidDecision::Decline(Decline::AlreadyCommitted {
                reveal_from: windows.commit_end
            })
        );
    }
    assert_eq!(
        world
            .auction(world.second)
            .bondOf(cheap.me())
            .call()
            .await
            .unwrap(),
        U256::from(BOND - BID_COLLATERAL),
        "one bid's collateral locked from a four-bid bond"
    );

    // A refused call comes back by name: finalize before the reveal window is over.
    let only_me = [cheap.me()];
    let err = cheap
        .agent
        .finalize(&mut cheap.sync, &cheap.submitter, a, &only_me)
        .await
        .expect_err("finalize is refused in the commit window");
    assert!(
        matches!(&err, LedgerCallError::Refused { reason, .. } if reason.contains("RevealWindowOpen")),
        "{err}"
    );

    // Task B on the same instance: the cheap prover and a silent one bid; the silent never reveals.
    let (b, _) = world.open_task(world.second).await;
    for prover in [&mut cheap, &mut silent] {
        let decision = prover.decide(b).await;
        prover.act(b, &decision).await;
    }

    world.chain.warp(COMMIT_WINDOW.into()).await;
    reveal(&mut cheap, a).await;
    reveal(&mut dear, a).await;
    reveal(&mut cheap, b).await;
    assert_eq!(
        silent
            .agent
            .observe(&silent.sync, b)
            .await
            .unwrap()
            .my_status,
        BidStatus::Committed
    );

    world.chain.warp(REVEAL_WINDOW.into()).await;
    // The silent bidder missed its window: it declines, and its collateral goes with the finalize.
    assert!(matches!(
        silent.decide(b).await,
        SealedBidDecision::Decline(Decline::RevealWindowPassed { .. })
    ));

    // Task A: both decide to finalize with the same sorted list; the loser's finalize is mined first.
    let mut sorted = vec![cheap.me(), dear.me()];
    sorted.sort();
    let decision = dear.decide(a).await;
    assert_eq!(
        decision,
        SealedBidDecision::Finalize {
            committers: sorted.clone()
        }
    );
    assert_eq!(cheap.decide(a).await, decision);
    let Acted::Finalized(finalized) = dear.act(a, &decision).await else {
        panic!("finalized");
    };
    assert_eq!(finalized.winner, cheap.me());
    assert_eq!(finalized.bid, cheap_bid);
    assert_eq!(finalized.price, dear_bid, "second price: the losing bid");
    assert_eq!(finalized.forfeited, U256::ZERO);
    assert_eq!(
        dear.decide(a).await,
        SealedBidDecision::Decline(Decline::AssignedToOther(cheap.me()))
    );
    assert_eq!(
        cheap.decide(a).await,
        SealedBidDecision::Prove { price: dear_bid }
    );
    let paid = world.prove(&mut cheap, a).await;
    assert_eq!(paid, dear_bid, "the winner is paid the second price");

    // Task B: the revealed bidder finalizes; the silent one's collateral is forfeited.
    let decision = cheap.decide(b).await;
    let SealedBidDecision::Finalize { committers } = &decision else {
        panic!("finalize B: {decision:?}");
    };
    assert_eq!(committers.len(), 2, "the silent committer is listed too");
    let Acted::Finalized(finalized_b) = cheap.act(b, &decision).await else {
        panic!("finalized");
    };
    assert_eq!(finalized_b.winner, cheap.me());
    assert_eq!(
        finalized_b.price, MAX_PAYMENT,
        "second price with no eligible losing bid: the reserve"
    );
    assert_eq!(finalized_b.forfeited, U256::from(BID_COLLATERAL));
    let paid_b = world.prove(&mut cheap, b).await;
    assert_eq!(paid_b, MAX_PAYMENT);

    let auction = world.auction(world.second);
    assert_eq!(
        auction.bondOf(silent.me()).call().await.unwrap(),
        U256::from(BOND - BID_COLLATERAL),
        "the silent bidder's collateral is gone"
    );
    assert_eq!(
        auction.forfeited().call().await.unwrap(),
        U256::from(BID_COLLATERAL)
    );
    // The loser's bond is intact, and it can take it out.
    assert_eq!(
        auction.bondOf(dear.me()).call().await.unwrap(),
        U256::from(BOND)
    );
    let token = ProofToken::new(world.chain.token, world.chain.admin());
    let wallet = token.balanceOf(dear.me()).call().await.unwrap();
    dear.agent
        .withdraw_bond(&dear.submitter, U256::from(BOND), "test-exit")
        .await
        .expect("withdraw the bond");
    assert_eq!(
        token.balanceOf(dear.me()).call().await.unwrap(),
        wallet + U256::from(BOND)
    );
    assert_eq!(auction.bondOf(dear.me()).call().await.unwrap(), U256::ZERO);

    // The requester: escrowed 100 per task, got back what the winners were not paid.
    assert_eq!(
        world.chain.requester_balance().await,
        balance_before - U256::from(dear_bid) - U256::from(MAX_PAYMENT),
        "task A refunded maxPayment − the second price, task B nothing"
    );
    // The winner's collateral came back to its free stake with each proof.
    let registry = ProverRegistry::new(world.chain.core.registry, world.chain.admin());
    assert_eq!(
        registry.freeStake(cheap.me()).call().await.unwrap(),
        U256::from(STAKE)
    );
    let ledger = world.chain.ledger(0);
    assert_eq!(
        ledger.balanceOf(cheap.me()).call().await.unwrap(),
        U256::from(dear_bid + MAX_PAYMENT)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bidder_rebuilt_from_its_store_after_committing_still_reveals_and_wins_at_its_bid() {
    let world = World::start().await;
    let dir = tempfile::tempdir().unwrap();
    let balance_before = world.chain.requester_balance().await;
    let (c, task_c) = world.open_task(world.first).await;

    let committed = {
        let mut before = world
            .prover(2, world.first, dir.path(), "restart", cost(1e12))
            .await;
        assert!(!before.agent.terms().second_price);
        let decision = before.decide(c).await;
        let Acted::Committed(committed) = before.act(c, &decision).await else {
            panic!("committed");
        };
        committed
        // The prover goes down here: its book, submitter and agent are dropped.
    };

    world.chain.warp(COMMIT_WINDOW.into()).await;
    let mut after = world
        .prover(2, world.first, dir.path(), "restart", cost(1e12))
        .await;
    assert!(
        after.sync.book().get(c).is_some(),
        "the book came back from the store"
    );
    let decision = after.decide(c).await;
    assert_eq!(
        decision,
        SealedBidDecision::Reveal(committed.bid),
        "the restarted prover opens the bid it committed, salt and all"
    );
    let Acted::Revealed(revealed) = after.act(c, &decision).await else {
        panic!("revealed");
    };
    assert_eq!(revealed, committed.bid);
    let status = world
        .auction(world.first)
        .bidOf(c, task_c.openedAt, task_c.deadline, after.me())
        .call()
        .await
        .unwrap();
    assert_eq!(
        (status.status, status.price),
        (2, U96::from(committed.bid.price)),
        "revealed on chain"
    );

    world.chain.warp(REVEAL_WINDOW.into()).await;
    let decision = after.decide(c).await;
    assert_eq!(
        decision,
        SealedBidDecision::Finalize {
            committers: vec![after.me()]
        }
    );
    let Acted::Finalized(finalized) = after.act(c, &decision).await else {
        panic!("finalized");
    };
    assert_eq!(
        (finalized.winner, finalized.price),
        (after.me(), committed.bid.price),
        "one bidder, first price: paid its bid"
    );
    let paid = world.prove(&mut after, c).await;
    assert_eq!(paid, committed.bid.price);
    assert_eq!(
        world.chain.requester_balance().await,
        balance_before - U256::from(committed.bid.price),
        "the requester got maxPayment − the bid back"
    );
}
