//! The agent's book of TaskLedger tasks against a real ledger on anvil: every kind of log the ledger
//! writes (creation, assignment, state, unassignment, slash, expiry into the fallback, a real Groth16
//! proof that fulfils, cancellation, final expiry) is folded into the task's current version, and
//! after each step the ledger itself accepts that version (`checkTask`, the `StaleTask` check every
//! call makes). Then: a restart restores the book from the store and reads on from its cursor, and a
//! copy made stale by a log the book has not read is detected (`taskWord`) and rebuilt from the
//! task's own logs.
//!
//! The ledger, ProverRegistry, token and the Groth16 base verifier are the real contracts (the
//! verifier registry comes from `proofmarket::deploy`); the proof is the committed fixture's
//! (`test/fixtures/base.json`, for anvil accounts 1-3). The mechanisms are the ledger suite's own
//! (`test/ledger/LedgerMechanisms.sol`): an assigner that assigns, unassigns, slashes and sets state
//! when told, and an open race as the fallback — the fold under test is the agent's, not theirs.

mod prover_support;
#[macro_use]
mod ledger_support;

use alloy::primitives::{Address, Bytes, U256, Uint, keccak256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use proofmarket::chain::{ChainProvider, connect};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::ledger::{Closing, LedgerSync, TrackedTask};
use proofmarket::store::Store;
use proofmarket_bindings::TaskLedger::{self, LedgerRequest, LedgerTask};
use proofmarket_bindings::{ProofToken, ProverRegistry};
use prover_support::{Fixture, TOKEN, anvil, fixture};

type U96 = Uint<96, 2>;

// One module each: both artifacts carry the shared types (`LedgerTask`, `IMechanism`).
mod assigner {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        LedgerAssigner,
        "../out/LedgerMechanisms.sol/LedgerAssigner.json"
    );
}
mod race {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug)]
        LedgerRace,
        "../out/LedgerMechanisms.sol/LedgerRace.json"
    );
}
use assigner::LedgerAssigner;
use race::LedgerRace;

/// HOOK_OPEN | HOOK_CLOSE | HOOK_ASSIGNED_PROOF | HOOK_CONTRIBUTORS (LedgerTaskLib).
const ALL_HOOKS: u8 = 8 | 2 | 4 | 16;

/// The same task in another binding's type (each `sol!` makes its own `LedgerTask`).
fn as_assigner(t: &LedgerTask) -> LedgerAssigner::LedgerTask {
    LedgerAssigner::LedgerTask::abi_decode(&t.abi_encode()).unwrap()
}

struct World {
    _anvil: alloy::node_bindings::AnvilInstance,
    admin: ChainProvider,
    provers: Vec<ChainProvider>,
    /// Anvil accounts 0 (admin, requester), 1 and 2 (provers).
    accounts: Vec<Address>,
    ledger: Address,
    assigner: Address,
    race: Address,
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

        // A ProverRegistry of the ledger's own (one binds one task core) and the ledger.
        let core = ledger_support::deploy_ledger_core(
            &admin,
            keys[0].address(),
            addresses.token,
            addresses.verifier_registry,
        )
        .await;
        let registry = ProverRegistry::new(core.registry, admin.clone());
        let ledger = TaskLedger::new(core.ledger, admin.clone());
        let assigner = LedgerAssigner::deploy(admin.clone(), *ledger.address(), ALL_HOOKS)
            .await
            .expect("deploy LedgerAssigner");
        let race = LedgerRace::deploy(admin.clone(), *ledger.address(), 4)
            .await
            .expect("deploy LedgerRace");
        send!(ledger.setMechanism(*assigner.address(), true)).await;
        send!(ledger.setMechanism(*race.address(), true)).await;

        let mut provers = Vec::new();
        for key in &keys[1..] {
            let provider = connect(&anvil.endpoint(), Some(key.clone())).await.unwrap();
            let token = ProofToken::new(addresses.token, &provider);
            send!(token.approve(*registry.address(), U256::from(200 * TOKEN))).await;
            send!(
                ProverRegistry::new(*registry.address(), &provider).register(
                    U256::from(200 * TOKEN),
                    0,
                    4
                )
            )
            .await;
            provers.push(provider);
        }
        let token = ProofToken::new(addresses.token, admin.clone());
        send!(token.approve(*ledger.address(), U256::from(1_000 * TOKEN))).await;
        send!(ledger.deposit(U256::from(1_000 * TOKEN))).await;

        Self {
            _anvil: anvil,
            admin,
            provers,
            accounts: keys.iter().map(|k| k.address()).collect(),
            ledger: *ledger.address(),
            assigner: *assigner.address(),
            race: *race.address(),
            start_block,
            fixture: fixture(),
        }
    }

    fn ledger(&self) -> TaskLedger::TaskLedgerInstance<&ChainProvider> {
        TaskLedger::new(self.ledger, &self.admin)
    }

    fn assigner(&self) -> LedgerAssigner::LedgerAssignerInstance<&ChainProvider> {
        LedgerAssigner::new(self.assigner, &self.admin)
    }

    /// Opens a task on the assigner (the race as fallback when `with_fallback`), proof due in
    /// `seconds`; returns its id.
    async fn open(&self, seconds: u64, with_fallback: bool) -> U256 {
        let now = self
            .admin
            .get_block(alloy::eips::BlockId::latest())
            .await
            .unwrap()
            .unwrap()
            .header
            .timestamp;
        let request = LedgerRequest {
            circuitId: self.fixture.circuit_id,
            inputCommitment: keccak256(self.fixture.inputs.abi_encode_packed()),
            deadline: now + seconds,
            maxPayment: U96::from(100 * TOKEN),
            redundancy: 1,
            mechanism: self.assigner,
            notifyRequester: false,
            fallbackMechanism: if with_fallback {
                self.race
            } else {
                Address::ZERO
            },
            fallbackWindow: if with_fallback { 600 } else { 0 },
            minCollateral: U96::ZERO,
            mechanismData: Bytes::new(),
        };
        let id = self
            .ledger()
            .nextTaskId(self.accounts[0])
            .call()
            .await
            .unwrap();
        send!(self.ledger().createTask(request)).await;
        id
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

/// The book's copy of `id`, after asserting that the ledger takes it as the live task.
async fn current(world: &World, sync: &LedgerSync, id: U256) -> TrackedTask {
    let tracked = sync.book().get(id).expect("tracked").clone();
    assert!(tracked.is_live(), "task {id:#x} is live");
    assert!(
        sync.is_current(id).await.unwrap(),
        "the word matches the book's copy"
    );
    let check = world
        .ledger()
        .checkTask(id, tracked.task.clone())
        .call()
        .await;
    let counters = check.expect("checkTask accepts the book's copy");
    assert_eq!(counters.proofsAccepted, U256::from(tracked.proofs_accepted));
    tracked
}

/// Whether `checkTask(id, task)` reverts `StaleTask(id)`.
async fn is_stale(world: &World, id: U256, task: &LedgerTask) -> bool {
    match world.ledger().checkTask(id, task.clone()).call().await {
        Ok(_) => false,
        Err(e) => matches!(
            e.as_decoded_interface_error::<TaskLedger::TaskLedgerErrors>(),
            Some(TaskLedger::TaskLedgerErrors::StaleTask(s)) if s.taskId == id
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_book_follows_every_ledger_log_survives_a_restart_and_rebuilds_a_stale_task() {
    let world = World::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("prover.db");
    // Small chunks, so that the backfill crosses chunk boundaries.
    let mut sync = LedgerSync::restore(
        world.admin.clone(),
        world.ledger,
        Store::open(&store_path).unwrap(),
        world.start_block,
        3,
    )
    .unwrap();
    let p1 = world.accounts[1];
    let p2 = world.accounts[2];

    // Task A: every transition, then the fallback, then a real proof.
    let a = world.open(300, true).await;
    let report = sync.sync().await.unwrap();
    assert_eq!(report.applied, 1);
    let t = current(&world, &sync, a).await;
    assert_eq!(t.task.mechanism, world.assigner);

    send!(world.assigner().assign(
        a,
        as_assigner(&t.task),
        p1,
        U96::from(60 * TOKEN),
        U96::from(20 * TOKEN)
    ))
    .await;
    sync.sync().await.unwrap();
    let t = current(&world, &sync, a).await;
    assert_eq!((t.task.assignee, t.task.price), (p1, U96::from(60 * TOKEN)));

    send!(world.assigner().setState(a, as_assigner(&t.task), 77)).await;
    sync.sync().await.unwrap();
    let t = current(&world, &sync, a).await;
    assert_eq!(t.task.mechanismState, 77);

    send!(world.assigner().unassign(a, as_assigner(&t.task))).await;
    sync.sync().await.unwrap();
    let t = current(&world, &sync, a).await;
    assert_eq!(t.task.assignee, Address::ZERO);

    send!(world.assigner().assign(
        a,
        as_assigner(&t.task),
        p2,
        U96::from(50 * TOKEN),
        U96::from(20 * TOKEN)
    ))
    .await;
    sync.sync().await.unwrap();
    let t = current(&world, &sync, a).await;
    send!(world.assigner().slash(a, as_assigner(&t.task))).await;
    sync.sync().await.unwrap();
    let t = current(&world, &sync, a).await;
    assert_eq!(t.task.assignee, Address::ZERO);
    let cover_after_slash = t.task.coverBounty;
    assert!(
        cover_after_slash > U96::ZERO,
        "the slash's cover share is in the task"
    );

    // Assigned again, the deadline passes: expire slashes the assignee and reopens under the race.
    send!(world.assigner().assign(
        a,
        as_assigner(&t.task),
        p1,
        U96::from(50 * TOKEN),
        U96::from(20 * TOKEN)
    ))
    .await;
    world.warp(301).await;
    sync.sync().await.unwrap();
    let t = current(&world, &sync, a).await;
    send!(world.ledger().expire(a, t.task.clone())).await;
    let report = sync.sync().await.unwrap();
    assert_eq!(report.applied, 2, "AssignmentSlashed then TaskReopened");
    let t = current(&world, &sync, a).await;
    assert_eq!(t.task.mechanism, world.race);
    assert_eq!(t.task.fallbackMechanism, Address::ZERO);
    assert!(
        t.task.coverBounty > cover_after_slash,
        "the expiry slash added its share"
    );

    // A real Groth16 proof by p1 (the fixture's first prover) fulfils it under the race.
    let (fixture_prover, proof) = world.fixture.proofs[0].clone();
    assert_eq!(fixture_prover, p1);
    let before_proof = t.task.clone();
    send!(
        TaskLedger::new(world.ledger, &world.provers[0]).submitProof(
            a,
            t.task.clone(),
            world.fixture.inputs.clone(),
            proof
        )
    )
    .await;
    sync.sync().await.unwrap();
    let done = sync.book().get(a).unwrap();
    assert_eq!(
        (done.closed, done.proofs_accepted),
        (Some(Closing::Fulfilled), 1)
    );
    assert!(!sync.is_current(a).await.unwrap());
    assert!(
        is_stale(&world, a, &before_proof).await,
        "a closed task has no word"
    );

    // Task B: cancelled. Task C: expires for good (no fallback).
    let b = world.open(300, false).await;
    sync.sync().await.unwrap();
    let t = current(&world, &sync, b).await;
    send!(world.ledger().cancelTask(b, t.task.clone())).await;
    let c = world.open(60, false).await;
    world.warp(61).await;
    sync.sync().await.unwrap();
    let t = current(&world, &sync, c).await;
    send!(world.ledger().expire(c, t.task.clone())).await;
    sync.sync().await.unwrap();
    assert_eq!(sync.book().get(b).unwrap().closed, Some(Closing::Cancelled));
    assert_eq!(sync.book().get(c).unwrap().closed, Some(Closing::Expired));

    // A restart: the book comes back from the store, and the cursor means nothing is read twice.
    let before: Vec<TrackedTask> = [a, b, c]
        .iter()
        .map(|id| sync.book().get(*id).unwrap().clone())
        .collect();
    drop(sync);
    let mut sync = LedgerSync::restore(
        world.admin.clone(),
        world.ledger,
        Store::open(&store_path).unwrap(),
        world.start_block,
        3,
    )
    .unwrap();
    let after: Vec<TrackedTask> = [a, b, c]
        .iter()
        .map(|id| sync.book().get(*id).unwrap().clone())
        .collect();
    assert_eq!(
        before, after,
        "the store kept every task as the book had it"
    );
    let d = world.open(300, false).await;
    let report = sync.sync().await.unwrap();
    assert_eq!(
        (report.applied, report.replayed),
        (1, 0),
        "only the new log is read"
    );
    let t = current(&world, &sync, d).await;

    // A log the book has not read makes its copy stale; the ledger says so, and a refresh rebuilds it.
    send!(world.assigner().assign(
        d,
        as_assigner(&t.task),
        p2,
        U96::from(40 * TOKEN),
        U96::from(10 * TOKEN)
    ))
    .await;
    assert!(!sync.is_current(d).await.unwrap());
    assert!(
        is_stale(&world, d, &t.task).await,
        "the ledger names the stale copy: StaleTask(d)"
    );
    let rebuilt = sync.refresh(d).await.unwrap().expect("rebuilt").clone();
    assert_eq!(rebuilt.task.assignee, p2);
    let t = current(&world, &sync, d).await;
    assert_eq!(t, rebuilt);
    // The refreshed copy is in the store too, and the next sync only replays that log.
    let stored = Store::open(&store_path)
        .unwrap()
        .ledger_task(world.ledger, d)
        .unwrap()
        .unwrap();
    assert_eq!(TrackedTask::from_row(&stored).unwrap(), rebuilt);
    let report = sync.sync().await.unwrap();
    assert_eq!((report.applied, report.replayed), (0, 1));
}
