//! The order book over the one-word TaskLedger, end to end on anvil: two provers post standing offers
//! (one priced by the cost model, one fixed, dearer and faster); a requester opens tasks on the book
//! and matches them (`matchTask`, its own call on the ledger); price priority assigns the cheaper
//! offer, whose prover decides to prove, proves with a real Groth16 proof and is paid its offer price
//! while the rest of the budget goes back to the requester; time priority assigns the faster offer; a
//! withdrawn offer is not matched; an empty book, and a match by anyone but the requester, are
//! refused by name.
//!
//! Every contract is the real one (`LedgerOrderBook`, `TaskLedger`, a ProverRegistry of the ledger's
//! own, the Groth16 base verifier from `proofmarket::deploy`); the proof is the committed fixture's
//! (`test/fixtures/base.json`, for anvil accounts 1-3).

mod prover_support;
#[macro_use]
mod ledger_support;

use alloy::primitives::{Address, Bytes, U256, Uint};
use alloy::sol_types::SolCall;
use ledger_support::LedgerWorld;
use proofmarket::chain::submitter::Submitter;
use proofmarket::ledger::order_book::{
    self, BookDecision, BookTerms, Decline, Matched, OfferSent, Priority,
};
use proofmarket::ledger::{LedgerCallError, LedgerSync, chain_time, race};
use proofmarket::prover::cost::{CostModel, Prices, ProvingSpeed};
use proofmarket::prover::policy::order_book::{OfferMove, OrderBookConfig};
use proofmarket_bindings::LedgerOrderBook;
use proofmarket_bindings::TaskLedger::{self, LedgerRequest};
use proofmarket_bindings::ledger_order_book::{ILedgerOrderBook, IMechanism};
use prover_support::TOKEN;

type U96 = Uint<96, 2>;

/// Anvil accounts 1 and 2 prove; 3 requests.
const CHEAP: usize = 1;
const FAST: usize = 2;
const REQUESTER: usize = 3;

struct World {
    w: LedgerWorld,
    book: Address,
    dir: tempfile::TempDir,
}

impl World {
    /// The ledger core, a book (50 tokens per match, 32 offers), provers 1 and 2 with 200 tokens
    /// staked, the requester's 1 000-token deposit.
    async fn start() -> Self {
        let w = LedgerWorld::start(4).await;
        let book = LedgerOrderBook::deploy(
            w.admin().clone(),
            w.core.ledger,
            ILedgerOrderBook::Params {
                collateralPerMatch: U96::from(50 * TOKEN),
                maxBookSize: 32,
                profile: IMechanism::Profile {
                    kind: 5,
                    speed: 8,
                    cost: 7,
                    safety: 5,
                    censorshipResistance: 3,
                },
            },
        )
        .await
        .expect("deploy LedgerOrderBook");
        w.allow(*book.address()).await;
        w.register(CHEAP, 200 * TOKEN).await;
        w.register(FAST, 200 * TOKEN).await;
        w.deposit(REQUESTER, 1_000 * TOKEN).await;
        Self {
            book: *book.address(),
            w,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn submitter(&self, i: usize) -> Submitter {
        self.w.submitter(i, self.dir.path())
    }

    /// The requester opens a 100-token task for the fixture's statement on the book, due in an
    /// hour, with `priority` (`None`: empty data, price-first), and returns its id. It sends through
    /// its submitter, the account's one nonce manager, which also sends its matches.
    async fn open(&self, requester: &Submitter, priority: Option<Priority>) -> U256 {
        let now = chain_time(&self.w.providers[REQUESTER]).await.unwrap();
        let request = LedgerRequest {
            circuitId: self.w.fixture.circuit_id,
            inputCommitment: self.w.input_commitment(),
            deadline: now + 3_600,
            maxPayment: U96::from(100 * TOKEN),
            redundancy: 1,
            mechanism: self.book,
            notifyRequester: false,
            fallbackMechanism: Address::ZERO,
            fallbackWindow: 0,
            minCollateral: U96::ZERO,
            mechanismData: priority.map_or_else(Bytes::new, Priority::mechanism_data),
        };
        let call = TaskLedger::createTaskCall { request }.abi_encode();
        let sent = requester
            .send(
                "TaskLedger.createTask",
                None,
                None,
                self.w.core.ledger,
                call.into(),
                U256::ZERO,
            )
            .await
            .expect("createTask");
        sent.receipt
            .decoded_log::<TaskLedger::TaskCreated>()
            .expect("TaskCreated")
            .taskId
    }

    /// Decides `id` for prover `i` from its book, at the chain's time.
    async fn decide(&self, sync: &mut LedgerSync, i: usize, id: U256) -> BookDecision {
        sync.sync().await.unwrap();
        let now = chain_time(&self.w.providers[i]).await.unwrap();
        order_book::decide(
            sync.book().get(id).expect("tracked"),
            self.book,
            self.w.accounts[i],
            now,
        )
    }

    /// Live matches of prover `i`'s offer, and whether it is on the book.
    async fn offer_state(&self, i: usize) -> (u16, bool) {
        let o = LedgerOrderBook::new(self.book, self.w.admin())
            .offerOf(self.w.accounts[i])
            .call()
            .await
            .unwrap();
        (o.active, o.position != 0)
    }
}

/// 2 s per base proof, proving at 10 tokens a second, 1 gwei gas, 10 % margin.
fn cost() -> CostModel {
    CostModel {
        speed: ProvingSpeed::default(),
        prices: Prices {
            compute_per_sec: 10.0 * TOKEN as f64,
            ..Prices::default()
        },
        gas_price_wei: 1_000_000_000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_are_matched_by_the_requesters_priority_proven_and_paid_as_offered() {
    let world = World::start().await;
    let w = &world.w;
    let dir = world.dir.path();
    let terms = BookTerms::read(&w.providers[CHEAP], world.book)
        .await
        .unwrap();
    assert_eq!(terms.collateral_per_match, 50 * TOKEN);
    assert_eq!(terms.ledger, w.core.ledger);

    // Prover 1 prices one base proof with its cost model: (2 s × 10 tokens + gas) × 1.1 × 1.2, and
    // promises 2 s × 2 safety + 30 s. Prover 2 asks a fixed 40 tokens for a 20 s promise.
    let derived = OrderBookConfig {
        enabled: true,
        typical_txs: 1,
        capacity: Some(2),
        ..OrderBookConfig::default()
    };
    let cheap = order_book::standing_offer(&derived, &cost(), &terms, 4).unwrap();
    assert_eq!(cheap.proving_time, 34);
    assert!(
        cheap.price > 26 * TOKEN && cheap.price < 27 * TOKEN,
        "{}",
        cheap.price
    );
    let fixed = OrderBookConfig {
        price: Some((40 * TOKEN).to_string()),
        proving_time: Some(20),
        ..derived.clone()
    };
    let fast = order_book::standing_offer(&fixed, &cost(), &terms, 4).unwrap();
    assert_eq!(
        (fast.price, fast.proving_time, fast.capacity),
        (40 * TOKEN, 20, 2)
    );

    let (cheap_submitter, fast_submitter) = (world.submitter(CHEAP), world.submitter(FAST));
    assert_eq!(
        order_book::apply_move(&cheap_submitter, world.book, OfferMove::Post(cheap))
            .await
            .unwrap(),
        OfferSent::Sent { fresh: true }
    );
    assert_eq!(
        order_book::post_offer(&fast_submitter, world.book, &fast)
            .await
            .unwrap(),
        OfferSent::Sent { fresh: true }
    );
    // The same terms again: nothing is sent.
    assert_eq!(
        order_book::post_offer(&cheap_submitter, world.book, &cheap)
            .await
            .unwrap(),
        OfferSent::AlreadyPosted
    );
    assert_eq!(
        order_book::offer_on_book(w.admin(), world.book, w.accounts[CHEAP])
            .await
            .unwrap(),
        Some(cheap)
    );
    let contract = LedgerOrderBook::new(world.book, w.admin());
    assert_eq!(contract.bookSize().call().await.unwrap(), U256::from(2u64));

    let mut requester_book = w.sync(REQUESTER, dir);
    let requester_submitter = world.submitter(REQUESTER);
    let (mut cheap_book, mut fast_book) = (w.sync(CHEAP, dir), w.sync(FAST, dir));
    let requester = w.accounts[REQUESTER];

    // Price first: the cheaper offer.
    let a = world.open(&requester_submitter, None).await;
    requester_book.sync().await.unwrap();
    assert_eq!(
        world.decide(&mut cheap_book, CHEAP, a).await,
        BookDecision::Decline(Decline::AwaitingMatch)
    );
    // Only the requester matches its task.
    fast_book.sync().await.unwrap();
    let err = order_book::match_task(&mut fast_book, &fast_submitter, world.book, a)
        .await
        .expect_err("a prover may not match");
    assert!(
        matches!(&err, LedgerCallError::Refused { reason, .. } if reason.starts_with("OnlyRequester(")),
        "{err}"
    );
    let matched = order_book::match_task(&mut requester_book, &requester_submitter, world.book, a)
        .await
        .expect("matched");
    let match_time = chain_time(w.admin()).await.unwrap();
    assert_eq!(
        matched,
        Matched {
            prover: w.accounts[CHEAP],
            price: cheap.price,
            collateral: 50 * TOKEN,
            promised_by: match_time + 34,
            refreshed: false,
            fresh: true,
        }
    );
    assert_eq!(world.offer_state(CHEAP).await, (1, true));
    assert_eq!(
        world.decide(&mut fast_book, FAST, a).await,
        BookDecision::Decline(Decline::MatchedToOther(w.accounts[CHEAP]))
    );
    let BookDecision::Prove {
        payment,
        promised_by,
        ..
    } = world.decide(&mut cheap_book, CHEAP, a).await
    else {
        panic!("the matched prover proves");
    };
    assert_eq!((payment, promised_by), (cheap.price, match_time + 34));

    let requester_before = w.balance(requester).await;
    let proven = race::submit_proof(
        &mut cheap_book,
        &cheap_submitter,
        a,
        w.fixture.inputs.clone(),
        w.proof_of(w.accounts[CHEAP]),
    )
    .await
    .expect("the match's proof is accepted");
    assert_eq!(proven.credited, U256::from(cheap.price));
    assert_eq!(w.balance(w.accounts[CHEAP]).await, cheap.price);
    assert_eq!(
        w.balance(requester).await - requester_before,
        100 * TOKEN - cheap.price,
        "the unused budget is refunded"
    );
    let stake = w
        .registry()
        .proverOf(w.accounts[CHEAP])
        .call()
        .await
        .unwrap();
    assert_eq!((stake.stake, stake.locked), (200 * TOKEN, 0));
    assert_eq!(
        world.offer_state(CHEAP).await,
        (0, true),
        "the match ended (onTaskClosed)"
    );

    // Time first: the faster offer, dearer as it is.
    let b = world
        .open(&requester_submitter, Some(Priority::TimeFirst))
        .await;
    requester_book.sync().await.unwrap();
    let matched = order_book::match_task(&mut requester_book, &requester_submitter, world.book, b)
        .await
        .expect("matched");
    assert_eq!(
        (matched.prover, matched.price),
        (w.accounts[FAST], 40 * TOKEN)
    );
    assert!(matches!(
        world.decide(&mut fast_book, FAST, b).await,
        BookDecision::Prove { payment, .. } if payment == 40 * TOKEN
    ));
    let requester_before = w.balance(requester).await;
    let proven = race::submit_proof(
        &mut fast_book,
        &fast_submitter,
        b,
        w.fixture.inputs.clone(),
        w.proof_of(w.accounts[FAST]),
    )
    .await
    .expect("accepted");
    assert_eq!(proven.credited, U256::from(40 * TOKEN));
    assert_eq!(w.balance(w.accounts[FAST]).await, 40 * TOKEN);
    assert_eq!(w.balance(requester).await - requester_before, 60 * TOKEN);

    // The fast offer withdrawn: a time-first task goes to the only offer left.
    assert_eq!(
        order_book::apply_move(&fast_submitter, world.book, OfferMove::Withdraw)
            .await
            .unwrap(),
        OfferSent::Sent { fresh: true }
    );
    assert_eq!(
        order_book::withdraw_offer(&fast_submitter, world.book)
            .await
            .unwrap(),
        OfferSent::AlreadyOff
    );
    assert_eq!(world.offer_state(FAST).await, (0, false));
    let c = world
        .open(&requester_submitter, Some(Priority::TimeFirst))
        .await;
    requester_book.sync().await.unwrap();
    let matched = order_book::match_task(&mut requester_book, &requester_submitter, world.book, c)
        .await
        .expect("matched");
    assert_eq!(
        matched.prover, w.accounts[CHEAP],
        "the withdrawn offer is not matched"
    );

    // The cheap offer withdrawn as well (its match stays bound): an empty book refuses by name.
    order_book::withdraw_offer(&cheap_submitter, world.book)
        .await
        .unwrap();
    assert_eq!(world.offer_state(CHEAP).await, (1, false), "still bound");
    assert_eq!(contract.bookSize().call().await.unwrap(), U256::ZERO);
    let d = world.open(&requester_submitter, None).await;
    requester_book.sync().await.unwrap();
    let err = order_book::match_task(&mut requester_book, &requester_submitter, world.book, d)
        .await
        .expect_err("nothing to match");
    assert!(
        matches!(&err, LedgerCallError::Refused { reason, .. } if reason.starts_with("NoOfferMatched(")),
        "{err}"
    );
    assert_eq!(
        world.decide(&mut cheap_book, CHEAP, d).await,
        BookDecision::Decline(Decline::AwaitingMatch)
    );

    // The same offer posted again after its withdrawal: a later nonce, so it is sent.
    assert_eq!(
        order_book::post_offer(&cheap_submitter, world.book, &cheap)
            .await
            .unwrap(),
        OfferSent::Sent { fresh: true }
    );
    assert_eq!(contract.bookSize().call().await.unwrap(), U256::from(1u64));
}
