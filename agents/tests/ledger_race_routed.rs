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

use alloy::primitives::{Address, Bytes, U256, Uint, keccak256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use proofmarket::chain::submitter::{Submitter, SubmitterConfig};
use proofmarket::chain::{ChainProvider, connect};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::ledger::race::{self, LedgerRaceError, RaceDecision, RaceTerms};
use proofmarket::ledger::{Closing, LedgerSync};
use proofmarket::prover::cost::{CostModel, Prices, ProvingSpeed};
use proofmarket::store::Store;
use proofmarket_bindings::ledger_mechanism_router::IRouterInstances;
use proofmarket_bindings::ledger_proof_race::IMechanism;
use proofmarket_bindings::{
    LedgerMechanismRouter, LedgerProofRace, ProofToken, ProverRegistry, TaskLedger,
};
use prover_support::{Fixture, TOKEN, anvil, fixture};

type U96 = Uint<96, 2>;

/// LedgerTaskLib.FLAG_ROUTED.
const FLAG_ROUTED: u8 = 32;

struct World {
    _anvil: alloy::node_bindings::AnvilInstance,
    /// Anvil account 0: deployer, admin and requester.
    admin: ChainProvider,
    /// Anvil account 1 (registered prover) and 2 (never registered), and their keys.
    prover: ChainProvider,
    keys: Vec<PrivateKeySigner>,
    accounts: Vec<Address>,
    ledger: Address,
    race: Address,
    router: Address,
    start_block: u64,
    fixture: Fixture,
}

impl World {
    async fn start() -> Self {
        let anvil = anvil();
        let keys: Vec<PrivateKeySigner> = (0..3).map(|i| anvil.keys()[i].clone().into()).collect();
        let admin = connect(&anvil.endpoint(), Some(keys[0].clone()))
            .await
            .unwrap();
        let mut params = DeployParams::devnet(keys[0].address());
        params.rollup = None;
        params.fund = vec![keys[0].address(), keys[1].address(), keys[2].address()];
        let addresses = deploy(&admin, keys[0].address(), &params)
            .await
            .expect("deploy");
        let start_block = admin.get_block_number().await.unwrap() + 1;

        let core = ledger_support::deploy_ledger_core(
            &admin,
            keys[0].address(),
            addresses.token,
            addresses.verifier_registry,
        )
        .await;
        let registry = ProverRegistry::new(core.registry, admin.clone());
        let ledger = TaskLedger::new(core.ledger, admin.clone());

        // The race with the deployment's defaults (K 4, floor 25 %, decay over the task's window).
        let race = LedgerProofRace::deploy(
            admin.clone(),
            *ledger.address(),
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
        send!(ledger.setMechanism(*race.address(), true)).await;
        let router =
            LedgerMechanismRouter::deploy(admin.clone(), *ledger.address(), keys[0].address())
                .await
                .expect("deploy LedgerMechanismRouter");
        let router_role = ledger.ROUTER_ROLE().call().await.unwrap();
        send!(ledger.grantRole(router_role, *router.address())).await;
        send!(ledger.setRouter(*router.address())).await;
        send!(router.addInstance(
            *race.address(),
            IRouterInstances::Limits {
                maxRedundancy: 4,
                stakeAtRisk: U96::ZERO,
                minLeadTime: 0,
                minPricePerProof: U96::ZERO,
                requiresData: false,
            }
        ))
        .await;

        let prover = connect(&anvil.endpoint(), Some(keys[1].clone()))
            .await
            .unwrap();
        let token = ProofToken::new(addresses.token, &prover);
        send!(token.approve(*registry.address(), U256::from(200 * TOKEN))).await;
        send!(ProverRegistry::new(*registry.address(), &prover).register(
            U256::from(200 * TOKEN),
            0,
            4
        ))
        .await;

        let token = ProofToken::new(addresses.token, admin.clone());
        send!(token.approve(*ledger.address(), U256::from(1_000 * TOKEN))).await;
        send!(ledger.deposit(U256::from(1_000 * TOKEN))).await;

        Self {
            _anvil: anvil,
            admin,
            prover,
            keys: keys.clone(),
            accounts: keys.iter().map(|k| k.address()).collect(),
            ledger: *ledger.address(),
            race: *race.address(),
            router: *router.address(),
            start_block,
            fixture: fixture(),
        }
    }

    /// A submitter for anvil account `i`, with a store of its own under `dir`.
    fn submitter(&self, i: usize, dir: &std::path::Path) -> Submitter {
        Submitter::new(
            self.prover.clone(),
            self.keys[i].clone(),
            Store::open(&dir.join(format!("submitter-{i}.db"))).unwrap(),
            SubmitterConfig::default(),
            "ledger-race-test",
        )
    }

    fn router(&self) -> LedgerMechanismRouter::LedgerMechanismRouterInstance<&ChainProvider> {
        LedgerMechanismRouter::new(self.router, &self.admin)
    }

    /// Routes a task for the fixture's statement with the arbitrage bot's QoS (speed 10, cost 3,
    /// safety 1, censorship resistance 1), due in `seconds`, with the race as fallback when
    /// `fallback`; returns its id and the instance chosen.
    async fn route(&self, seconds: u64, fallback: bool) -> (U256, U256) {
        let now = race::chain_time(&self.admin).await.unwrap();
        let request = LedgerMechanismRouter::LedgerRequest {
            circuitId: self.fixture.circuit_id,
            inputCommitment: keccak256(self.fixture.inputs.abi_encode_packed()),
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

    fn proof_of(&self, prover: Address) -> Bytes {
        self.fixture
            .proofs
            .iter()
            .find(|(p, _)| *p == prover)
            .map(|(_, b)| b.clone())
            .expect("a fixture proof for the prover")
    }

    async fn warp(&self, seconds: u64) {
        self.admin
            .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
            .await
            .expect("evm_increaseTime");
        self.admin
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .expect("evm_mine");
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
    let me = world.accounts[1];
    let dir = tempfile::tempdir().unwrap();
    let mut sync = LedgerSync::restore(
        world.prover.clone(),
        world.ledger,
        Store::open(&dir.path().join("prover.db")).unwrap(),
        world.start_block,
        50,
    )
    .unwrap();
    let terms = RaceTerms::read(&world.prover, world.race).await.unwrap();
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
        &world.submitter(2, dir.path()),
        a,
        world.fixture.inputs.clone(),
        world.proof_of(world.accounts[2]),
    )
    .await
    .expect_err("an unregistered prover is refused");
    assert!(
        matches!(&err, LedgerRaceError::Refused { reason, .. } if reason.contains("NotRegistered")),
        "{err}"
    );

    let now = race::chain_time(&world.prover).await.unwrap();
    let decision = race::decide(&tracked, &terms, me, false, now, 1, &cost());
    let RaceDecision::Prove { payment, .. } = decision else {
        panic!("the race strategy proves a fresh 100-token task: {decision:?}");
    };
    let submitter = world.submitter(1, dir.path());
    let submitted = race::submit_proof(
        &mut sync,
        &submitter,
        a,
        world.fixture.inputs.clone(),
        world.proof_of(me),
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
    sync.sync().await.unwrap();
    assert_eq!(sync.book().get(a).unwrap().closed, Some(Closing::Fulfilled));
    let ledger = TaskLedger::new(world.ledger, &world.prover);
    assert_eq!(
        ledger.balanceOf(me).call().await.unwrap(),
        submitted.credited
    );

    // Task B: the prover's copy goes stale when the task expires into its fallback.
    let (b, _) = world.route(120, true).await;
    sync.sync().await.unwrap();
    let before = sync.book().get(b).unwrap().task.clone();
    world.warp(200).await;
    let expire = TaskLedger::new(world.ledger, &world.admin);
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
        world.fixture.inputs.clone(),
        world.proof_of(me),
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
