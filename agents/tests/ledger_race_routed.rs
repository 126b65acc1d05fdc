//! The race over the one-word TaskLedger, end to end on anvil, with tasks opened through the
//! one-word router: a requester routes by QoS (the arbitrage bot's weights pick the race), the
//! prover's book finds the task, the race strategy decides to prove, a real Groth16 proof is
//! submitted with the book's copy and paid, and the ledger reports the outcome to the router. Then a
//! copy made stale by a reopen is rebuilt from the logs and the proof goes through with the fresh
//! copy (the failed first life counted once, the second not at all), and a refused proof comes back
//! by name.
//!
//! Every contract is the real one (`LedgerProofRace`, `LedgerMechanismRouter`, `TaskLedger`, a
//! ProverRegistry of the ledger's own, the Groth16 base verifier from `proofmarket::deploy`); the
//! proof is the committed fixture's (`test/fixtures/base.json`, for anvil accounts 1-3).

mod prover_support;
#[macro_use]
mod ledger_support;

use alloy::primitives::{Address, Bytes, U256, Uint};
use alloy::providers::Provider;
use ledger_support::LedgerWorld;
use proofmarket::chain::ChainProvider;
use proofmarket::ledger::Closing;
use proofmarket::ledger::race::{self, LedgerRaceError, RaceDecision, RaceTerms};
use proofmarket::prover::cost::{CostModel, Prices, ProvingSpeed};
use proofmarket_bindings::ledger_proof_race::IMechanism;
use proofmarket_bindings::{LedgerMechanismRouter, LedgerProofRace};
use prover_support::TOKEN;

type U96 = Uint<96, 2>;

/// LedgerTaskLib.FLAG_ROUTED.
const FLAG_ROUTED: u8 = 32;

struct World {
    /// Account 0: deployer, admin and requester; 1: a registered prover; 2: never registered.
    w: LedgerWorld,
    race: Address,
    router: Address,
}

impl World {
    async fn start() -> Self {
        let w = LedgerWorld::start(3).await;
        // The race with the deployment's defaults (K 4, floor 25 %, decay over the task's window).
        let race = LedgerProofRace::deploy(
            w.admin().clone(),
            w.core.ledger,
            4,
            2500,
            0,
            IMechanism::Profile {
                kind: 1,
                speed: 9,
                cost: 4,
                safety: 3,
                censorshipResistance: 9,
            },
        )
        .await
        .expect("deploy LedgerProofRace");
        w.allow(*race.address()).await;
        let router = w.deploy_router(&[*race.address()]).await;
        w.register(1, 200 * TOKEN).await;
        w.deposit(0, 1_000 * TOKEN).await;
        Self {
            race: *race.address(),
            router,
            w,
        }
    }

    fn router(&self) -> LedgerMechanismRouter::LedgerMechanismRouterInstance<&ChainProvider> {
        LedgerMechanismRouter::new(self.router, self.w.admin())
    }

    /// Routes a task for the fixture's statement with the arbitrage bot's QoS (speed 10, cost 3,
    /// safety 1, censorship resistance 1), due in `seconds`, with the race as fallback when
    /// `fallback`; returns its id and the instance chosen.
    async fn route(&self, seconds: u64, fallback: bool) -> (U256, U256) {
        let now = race::chain_time(self.w.admin()).await.unwrap();
        let request = LedgerMechanismRouter::LedgerRequest {
            circuitId: self.w.fixture.circuit_id,
            inputCommitment: self.w.input_commitment(),
            deadline: now + seconds,
            maxPayment: U96::from(100 * TOKEN),
            redundancy: 1,
            mechanism: Address::ZERO,
            notifyRequester: false,
            fallbackMechanism: if fallback { self.race } else { Address::ZERO },
            fallbackWindow: if fallback { 600 } else { 0 },
            minCollateral: U96::ZERO,
            mechanismData: Bytes::new(),
        };
        let qos = LedgerMechanismRouter::QoSProfile {
            speedWeight: 10,
            costWeight: 3,
            safetyWeight: 1,
            censorshipWeight: 1,
            minRedundancy: 1,
            minStakeAtRisk: U96::ZERO,
        };
        let receipt = send!(self.router().route(request, qos)).await;
        let routed = receipt
            .decoded_log::<LedgerMechanismRouter::TaskRouted>()
            .expect("TaskRouted");
        (routed.taskId, routed.instanceId)
    }

    /// The race instance's (count, fulfilled, failBps) in the router.
    async fn race_stats(&self) -> (u32, u32, u16) {
        let s = self.router().statsOf(U256::ZERO).call().await.unwrap();
        (s.count, s.fulfilled, s.failBps)
    }
}

/// The default cost model with a measured-looking speed: proving is a few seconds, gas is cheap
/// next to a 100-token task.
fn cost() -> CostModel {
    CostModel {
        speed: ProvingSpeed::default(),
        prices: Prices::default(),
        gas_price_wei: 1_000_000_000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routed_race_task_is_found_decided_proven_paid_and_reported() {
    let world = World::start().await;
    let me = world.w.accounts[1];
    let dir = tempfile::tempdir().unwrap();
    let mut sync = world.w.sync(1, dir.path());
    let terms = RaceTerms::read(&world.w.providers[1], world.race)
        .await
        .unwrap();
    assert_eq!((terms.floor_bps, terms.decay_window), (2500, 0));

    // The arbitrage bot's QoS routes to the race (the only instance, and the fastest anyway).
    let (a, instance) = world.route(3_600, false).await;
    assert_eq!(instance, U256::ZERO);
    sync.sync().await.unwrap();
    let tracked = sync
        .book()
        .get(a)
        .expect("the book found the routed task")
        .clone();
    assert_eq!(tracked.task.mechanism, world.race);
    assert_eq!(
        tracked.task.flags & FLAG_ROUTED,
        FLAG_ROUTED,
        "the ledger marked it routed"
    );

    // An outsider's proof (never registered) is refused by name; nothing changes.
    let err = race::submit_proof(
        &mut sync,
        &world.w.submitter(2, dir.path()),
        a,
        world.w.fixture.inputs.clone(),
        world.w.proof_of(world.w.accounts[2]),
    )
    .await
    .expect_err("an unregistered prover is refused");
    assert!(
        matches!(&err, LedgerRaceError::Refused { reason, .. } if reason.contains("NotRegistered")),
        "{err}"
    );

    let now = race::chain_time(&world.w.providers[1]).await.unwrap();
    let decision = race::decide(&tracked, &terms, me, false, now, 1, &cost());
    let RaceDecision::Prove { payment, .. } = decision else {
        panic!("the race strategy proves a fresh 100-token task: {decision:?}");
    };
    let submitter = world.w.submitter(1, dir.path());
    let submitted = race::submit_proof(
        &mut sync,
        &submitter,
        a,
        world.w.fixture.inputs.clone(),
        world.w.proof_of(me),
    )
    .await
    .expect("the proof is accepted");
    assert_eq!(submitted.proofs_accepted, 1);
    assert!(!submitted.refreshed);
    assert!(submitted.fresh);
    let credited: u128 = submitted.credited.to();
    // Paid the decayed slot: at most what the decision expected at its (later) submission estimate
    // plus a few seconds of decay either way.
    assert!(
        credited > 99 * TOKEN && credited <= 100 * TOKEN,
        "credited {credited}"
    );
    assert!(
        payment <= credited + TOKEN,
        "decision {payment} vs paid {credited}"
    );
    assert_eq!(
        world.race_stats().await,
        (1, 1, 0),
        "the ledger reported the fulfilment"
    );
    // Asked again for the same proof (a restarted agent whose book has not read the proof's log
    // yet): the submitter returns the mined receipt under the proof's key and sends nothing.
    let nonce = world.w.providers[1]
        .get_transaction_count(me)
        .await
        .unwrap();
    let again = race::submit_proof(
        &mut sync,
        &submitter,
        a,
        world.w.fixture.inputs.clone(),
        world.w.proof_of(me),
    )
    .await
    .expect("the stored receipt");
    assert!(!again.fresh, "not sent twice");
    assert_eq!(again.credited, submitted.credited);
    assert_eq!(
        world.w.providers[1]
            .get_transaction_count(me)
            .await
            .unwrap(),
        nonce
    );
    sync.sync().await.unwrap();
    assert_eq!(sync.book().get(a).unwrap().closed, Some(Closing::Fulfilled));
    let ledger = world.w.ledger(1);
    assert_eq!(
        ledger.balanceOf(me).call().await.unwrap(),
        submitted.credited
    );

    // Task B: the prover's copy goes stale when the task expires into its fallback.
    let (b, _) = world.route(120, true).await;
    sync.sync().await.unwrap();
    let before = sync.book().get(b).unwrap().task.clone();
    world.w.warp(200).await;
    let expire = world.w.ledger(0);
    send!(expire.expire(b, before.clone())).await;
    assert_eq!(
        world.race_stats().await.0,
        2,
        "the first life's failure was reported"
    );
    assert_ne!(world.race_stats().await.2, 0);

    let submitted = race::submit_proof(
        &mut sync,
        &submitter,
        b,
        world.w.fixture.inputs.clone(),
        world.w.proof_of(me),
    )
    .await
    .expect("accepted after the rebuild");
    assert!(
        submitted.refreshed,
        "the stale copy was rebuilt from the logs"
    );
    assert_eq!(submitted.proofs_accepted, 1);
    let (count, fulfilled, _) = world.race_stats().await;
    assert_eq!(
        (count, fulfilled),
        (2, 1),
        "the reopened life is not reported"
    );
    sync.sync().await.unwrap();
    let b_now = sync.book().get(b).unwrap();
    assert_eq!(b_now.closed, Some(Closing::Fulfilled));
    assert_eq!(
        b_now.task.flags & FLAG_ROUTED,
        0,
        "the reopened version is not routed"
    );
}
