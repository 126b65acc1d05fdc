//! The ascending-price lock auction over the one-word TaskLedger, end to end on anvil: tasks routed
//! (pinned) through the one-word router to a `LedgerAscendingPriceAuction`, found by the prover's
//! book, decided by `ledger::ascending::decide` against the chain clock, locked, proven with a real
//! Groth16 proof and paid exactly what the contract says. Then a lock that vanishes: another prover is
//! refused by name while it is live, covers it once it has lapsed (slash, then an unlocked proof) and
//! is paid the ramp's ceiling plus the cover bounty, and the locker's stake pays for it.
//!
//! Every contract is the real one (`LedgerAscendingPriceAuction`, `LedgerMechanismRouter`,
//! `TaskLedger`, a ProverRegistry of the ledger's own, the Groth16 base verifier from
//! `proofmarket::deploy`); the proof is the committed fixture's (`test/fixtures/base.json`, for anvil
//! accounts 1-3).

mod prover_support;
#[macro_use]
mod ledger_support;

use alloy::primitives::{Address, Bytes, U256, Uint};
use alloy::sol_types::SolValue;
use ledger_support::LedgerWorld;
use proofmarket::chain::ChainProvider;
use proofmarket::ledger::ascending::{
    self, AscendingDecision, AuctionTerms, Decline, Prover, Slashed,
};
use proofmarket::ledger::{Closing, LedgerCallError, LedgerSync, chain_time, race};
use proofmarket::prover::cost::{CostModel, Prices, ProvingSpeed};
use proofmarket::prover::policy::ascending::AscendingConfig;
use proofmarket_bindings::ledger_ascending_price_auction::ILedgerAscendingPriceAuction;
use proofmarket_bindings::{LedgerAscendingPriceAuction, LedgerMechanismRouter};
use prover_support::TOKEN;

type U96 = Uint<96, 2>;

/// LedgerTaskLib.FLAG_ROUTED.
const FLAG_ROUTED: u8 = 32;
/// Anvil account 0 administers the ledger and is its treasury; 1 and 2 prove; 3 requests.
const TREASURY: usize = 0;
const REQUESTER: usize = 3;

struct World {
    w: LedgerWorld,
    auction: Address,
    router: Address,
}

impl World {
    /// The ledger core, an auction (20 % floor, 120 s ramp, 600 s lock window, 40-token lock
    /// collateral) as the router's only instance, provers 1 and 2 with 200 tokens staked, and the
    /// requester's 1 000-token deposit.
    async fn start() -> Self {
        let w = LedgerWorld::start(4).await;
        let auction = LedgerAscendingPriceAuction::deploy(
            w.admin().clone(),
            ILedgerAscendingPriceAuction::Params {
                ledger: w.core.ledger,
                floorBps: 2_000,
                rampPeriod: 120,
                lockWindow: 600,
                lockCollateral: U96::from(40 * TOKEN),
            },
        )
        .await
        .expect("deploy LedgerAscendingPriceAuction");
        w.allow(*auction.address()).await;
        let router = w.deploy_router(&[*auction.address()]).await;
        w.register(1, 200 * TOKEN).await;
        w.register(2, 200 * TOKEN).await;
        w.deposit(REQUESTER, 1_000 * TOKEN).await;
        Self {
            auction: *auction.address(),
            router,
            w,
        }
    }

    /// Routes a 100-token task for the fixture's statement, pinned to the auction, due in an hour.
    async fn route(&self) -> U256 {
        let requester = &self.w.providers[REQUESTER];
        let now = chain_time(requester).await.unwrap();
        let request = LedgerMechanismRouter::LedgerRequest {
            circuitId: self.w.fixture.circuit_id,
            inputCommitment: self.w.input_commitment(),
            deadline: now + 3_600,
            maxPayment: U96::from(100 * TOKEN),
            redundancy: 1,
            mechanism: self.auction,
            notifyRequester: false,
            fallbackMechanism: Address::ZERO,
            fallbackWindow: 0,
            minCollateral: U96::ZERO,
            mechanismData: Bytes::new(),
        };
        let qos = LedgerMechanismRouter::QoSProfile {
            speedWeight: 1,
            costWeight: 1,
            safetyWeight: 1,
            censorshipWeight: 1,
            minRedundancy: 1,
            minStakeAtRisk: U96::ZERO,
        };
        let router = LedgerMechanismRouter::new(self.router, requester);
        let receipt = send!(router.route(request, qos)).await;
        receipt
            .decoded_log::<LedgerMechanismRouter::TaskRouted>()
            .expect("TaskRouted")
            .taskId
    }

    /// The router's (count, fulfilled) for the auction.
    async fn outcomes(&self) -> (u32, u32) {
        let router = LedgerMechanismRouter::new(self.router, self.w.admin());
        let s = router.statsOf(U256::ZERO).call().await.unwrap();
        (s.count, s.fulfilled)
    }

    /// The auction's own `priceAt(task, at)` view.
    async fn contract_price_at(&self, sync: &LedgerSync, id: U256, at: u64) -> u128 {
        let task = &sync.book().get(id).unwrap().task;
        // The auction's binding declares its own `LedgerTask`; the ABI layout is the ledger's.
        let copy =
            ledger_auction_task(&task.abi_encode()).expect("the ledger's task layout decodes");
        LedgerAscendingPriceAuction::new(self.auction, self.w.admin())
            .priceAt(copy, U256::from(at))
            .call()
            .await
            .unwrap()
            .to()
    }

    /// (stake, locked) of `prover` in the registry.
    async fn stake_of(&self, prover: Address) -> (u128, u128) {
        let p = self.w.registry().proverOf(prover).call().await.unwrap();
        (p.stake, p.locked)
    }
}

fn ledger_auction_task(
    encoded: &[u8],
) -> alloy::sol_types::Result<LedgerAscendingPriceAuction::LedgerTask> {
    LedgerAscendingPriceAuction::LedgerTask::abi_decode(encoded)
}

/// The default speed (2 s for one base proof), proving priced at 20 tokens a second, 1 gwei gas,
/// a 10 % margin: a reservation of ≈ 44 tokens, reached ≈ 36 s up a 20 → 100 token ramp.
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

async fn decide_now(
    world: &World,
    sync: &LedgerSync,
    terms: &AuctionTerms,
    i: usize,
    id: U256,
) -> AscendingDecision {
    let provider: &ChainProvider = &world.w.providers[i];
    let me = world.w.accounts[i];
    let (cost, config) = (cost(), AscendingConfig::default());
    let prover = Prover {
        address: me,
        cost: &cost,
        config: &config,
        free_stake: Some(
            ascending::free_stake(provider, terms.registry, me)
                .await
                .unwrap(),
        ),
    };
    let now = chain_time(provider).await.unwrap();
    ascending::decide(sync.book().get(id).unwrap(), terms, &prover, now, 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_for_its_price_locks_proves_and_is_paid_the_locked_price() {
    let world = World::start().await;
    let w = &world.w;
    let dir = tempfile::tempdir().unwrap();
    let me = w.accounts[1];
    let mut sync = w.sync(1, dir.path());
    let submitter = w.submitter(1, dir.path());
    let terms = AuctionTerms::read(&w.providers[1], world.auction)
        .await
        .unwrap();
    assert_eq!(
        terms,
        AuctionTerms {
            auction: world.auction,
            ledger: w.core.ledger,
            registry: w.core.registry,
            floor_bps: 2_000,
            ramp_period: 120,
            lock_window: 600,
            lock_collateral: 40 * TOKEN,
            cover_bps: 5_000,
        }
    );

    let id = world.route().await;
    sync.sync().await.unwrap();
    let task = sync
        .book()
        .get(id)
        .expect("the book found the task")
        .task
        .clone();
    assert_eq!(task.mechanism, world.auction);
    assert_eq!(
        task.flags & FLAG_ROUTED,
        FLAG_ROUTED,
        "opened by the router"
    );
    let opened = u64::from(task.openedAt);

    let AscendingDecision::Wait { until, reservation } =
        decide_now(&world, &sync, &terms, 1, id).await
    else {
        panic!("a fresh task starts at the floor (20), below the ≈ 44-token reservation");
    };
    assert!(reservation > 44 * TOKEN && reservation < 45 * TOKEN);
    assert_eq!(until, opened + 37, "36.001 s up the ramp, rounded up");
    // The agent's ramp is the contract's, second by second around the moment it waits for.
    for at in [
        opened - 1,
        opened,
        opened + 1,
        until - 1,
        until,
        opened + 119,
        opened + 120,
        opened + 4_000,
    ] {
        assert_eq!(
            terms.price_at(&task, at),
            world.contract_price_at(&sync, id, at).await,
            "priceAt({at})"
        );
    }

    w.warp_to(until - 1).await;
    assert_eq!(
        decide_now(&world, &sync, &terms, 1, id).await,
        AscendingDecision::Wait { until, reservation },
        "a second early, it still waits"
    );
    w.warp_to(until).await;
    let AscendingDecision::Lock {
        price, collateral, ..
    } = decide_now(&world, &sync, &terms, 1, id).await
    else {
        panic!("the ramp has reached the reservation");
    };
    assert!(price >= reservation);
    assert_eq!(collateral, 40 * TOKEN);

    let locked = ascending::lock(&mut sync, &submitter, world.auction, id)
        .await
        .expect("the lock goes through");
    assert!(locked.fresh && !locked.refreshed);
    // The lock takes the price of its own block (a second or so after the decision, never less).
    let lock_time = locked.lock_deadline - 600;
    assert!(lock_time >= until);
    assert_eq!(locked.price, terms.price_at(&task, lock_time));
    assert_eq!(
        locked.price,
        world.contract_price_at(&sync, id, lock_time).await
    );
    assert!(locked.price >= price);
    assert_eq!(locked.collateral, 40 * TOKEN);
    assert_eq!(
        world.stake_of(me).await,
        (200 * TOKEN, 40 * TOKEN),
        "the collateral is locked"
    );

    sync.sync().await.unwrap();
    assert_eq!(
        decide_now(&world, &sync, &terms, 1, id).await,
        AscendingDecision::Prove {
            payment: locked.price,
            lock_deadline: locked.lock_deadline
        }
    );
    let requester = w.accounts[REQUESTER];
    let requester_before = w.balance(requester).await;
    let submitted = race::submit_proof(
        &mut sync,
        &submitter,
        id,
        w.fixture.inputs.clone(),
        w.proof_of(me),
    )
    .await
    .expect("the locker's proof is accepted");
    assert_eq!(submitted.credited, U256::from(locked.price));
    assert_eq!(w.balance(me).await, locked.price, "paid the locked price");
    assert_eq!(
        w.balance(requester).await - requester_before,
        100 * TOKEN - locked.price,
        "the rest of the budget goes back to the requester"
    );
    assert_eq!(
        world.stake_of(me).await,
        (200 * TOKEN, 0),
        "the collateral is released"
    );
    assert_eq!(world.outcomes().await, (1, 1), "the router learnt it");

    sync.sync().await.unwrap();
    assert_eq!(
        sync.book().get(id).unwrap().closed,
        Some(Closing::Fulfilled)
    );
    assert_eq!(
        decide_now(&world, &sync, &terms, 1, id).await,
        AscendingDecision::Decline(Decline::Closed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_that_vanishes_is_slashed_and_covered_for_the_bounty() {
    let world = World::start().await;
    let w = &world.w;
    let dir = tempfile::tempdir().unwrap();
    let (vanishing, coverer) = (w.accounts[1], w.accounts[2]);
    let mut sync1 = w.sync(1, dir.path());
    let mut sync2 = w.sync(2, dir.path());
    let (submitter1, submitter2) = (w.submitter(1, dir.path()), w.submitter(2, dir.path()));
    let terms = AuctionTerms::read(&w.providers[2], world.auction)
        .await
        .unwrap();

    let id = world.route().await;
    sync1.sync().await.unwrap();
    sync2.sync().await.unwrap();
    // Prover 1 locks at once (at its own price, near the floor) and is never heard of again.
    let lock = ascending::lock(&mut sync1, &submitter1, world.auction, id)
        .await
        .expect("prover 1 locks");
    assert!(
        lock.price < 22 * TOKEN,
        "a lock near the floor: {}",
        lock.price
    );

    // Prover 2's copy is the unlocked one: the ledger says StaleTask, the task is rebuilt from its
    // logs, and the lock is then refused by name.
    let err = ascending::lock(&mut sync2, &submitter2, world.auction, id)
        .await
        .expect_err("the task is locked already");
    assert!(
        matches!(&err, LedgerCallError::Refused { reason, .. }
            if reason.starts_with("AlreadyAssigned(") && reason.contains(&format!("{vanishing}"))),
        "{err}"
    );
    let err = ascending::slash_lock(&mut sync2, &submitter2, world.auction, id)
        .await
        .expect_err("the lock is live");
    assert!(
        matches!(&err, LedgerCallError::Refused { reason, .. } if reason.starts_with("LockNotExpired(")),
        "{err}"
    );
    assert_eq!(
        decide_now(&world, &sync2, &terms, 2, id).await,
        AscendingDecision::Decline(Decline::LockedByOther {
            prover: vanishing,
            lock_deadline: lock.lock_deadline
        })
    );

    // Past the lock window and the 2 s grace: cover.
    w.warp_to(lock.lock_deadline + 3).await;
    let AscendingDecision::Cover {
        locker, payment, ..
    } = decide_now(&world, &sync2, &terms, 2, id).await
    else {
        panic!("the lapsed lock is covered");
    };
    assert_eq!(locker, vanishing);
    assert_eq!(
        payment,
        100 * TOKEN + 20 * TOKEN,
        "the ceiling plus half the collateral"
    );

    let requester = w.accounts[REQUESTER];
    let treasury = w.accounts[TREASURY];
    let (requester_before, treasury_before) =
        (w.balance(requester).await, w.balance(treasury).await);
    let slashed = ascending::slash_lock(&mut sync2, &submitter2, world.auction, id)
        .await
        .expect("the lapsed lock is slashed");
    assert_eq!(
        slashed,
        Slashed {
            prover: vanishing,
            amount: 40 * TOKEN,
            to_cover: 20 * TOKEN,
            refreshed: false,
            fresh: true,
        }
    );
    assert_eq!(
        world.stake_of(vanishing).await,
        (160 * TOKEN, 0),
        "prover 1 loses its collateral"
    );
    assert_eq!(
        w.registry()
            .recordOf(vanishing)
            .call()
            .await
            .unwrap()
            .missed,
        1
    );
    assert_eq!(
        w.balance(treasury).await - treasury_before,
        8 * TOKEN,
        "20 % to the treasury"
    );

    let submitted = race::submit_proof(
        &mut sync2,
        &submitter2,
        id,
        w.fixture.inputs.clone(),
        w.proof_of(coverer),
    )
    .await
    .expect("the cover proof is accepted");
    assert!(
        submitted.refreshed,
        "the copy before the slash was stale, rebuilt from the logs"
    );
    assert_eq!(
        submitted.credited,
        U256::from(120 * TOKEN),
        "the ramp's ceiling plus the cover bounty"
    );
    assert_eq!(w.balance(coverer).await, 120 * TOKEN);
    assert_eq!(
        w.balance(requester).await - requester_before,
        12 * TOKEN,
        "30 % of the slash; the whole slot was paid"
    );
    assert_eq!(w.balance(vanishing).await, 0);
    assert_eq!(world.stake_of(coverer).await, (200 * TOKEN, 0));
    assert_eq!(
        world.outcomes().await,
        (1, 1),
        "a covered task is fulfilled"
    );

    sync1.sync().await.unwrap();
    assert_eq!(
        sync1.book().get(id).unwrap().closed,
        Some(Closing::Fulfilled)
    );
}
