//! The whole one-word market at once, on anvil: `proofmarket deploy --ledger`'s deployment (its
//! ProverRegistry, the TaskLedger, one instance of each of the five ported families, the router), two
//! provers each running a [`LedgerProver`] over every instance, and a requester that routes one task
//! to each family (pinned through the router, so the router learns every outcome). Passes of both
//! runners, with the clock moved a few seconds between them, take every task from open to fulfilled
//! through its own mechanism — race proof; ascending lock and proof; sealed-bid commits, reveals,
//! finalize and the winner's proof; election draw and the elected's proof; order-book offers, the
//! requester's match and the matched prover's proof — with real Groth16 proofs (the committed base
//! fixture, whose statement the provers' proof source recognises by its input commitment). Then the
//! books balance: every token the requester deposited is paid to a prover, refunded, or still
//! escrowed nowhere.

mod prover_support;
#[macro_use]
mod ledger_support;

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, Bytes, U256, Uint, keccak256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use proofmarket::chain::connect;
use proofmarket::chain::submitter::{Submitter, SubmitterConfig};
use proofmarket::deploy::{DeployParams, LEDGER_INSTANCES, deploy};

/// The instances a `LedgerProver` serves: every family but the tree (router id 5), whose tasks are a
/// rollup block's proof tree and which has no ledger strategy yet (the runner refuses its kind by
/// name). Router ids 0–4, in order.
const SERVED: [&str; 5] = [
    LEDGER_INSTANCES[0],
    LEDGER_INSTANCES[1],
    LEDGER_INSTANCES[2],
    LEDGER_INSTANCES[3],
    LEDGER_INSTANCES[4],
];
use proofmarket::ledger::order_book::{self, Priority};
use proofmarket::ledger::runner::{Acted, LedgerProver, ProofSource};
use proofmarket::ledger::{Closing, LedgerSync, chain_time};
use proofmarket::prover::policy::StrategySection;
use proofmarket::store::Store;
use proofmarket_bindings::TaskLedger::LedgerTask;
use proofmarket_bindings::{LedgerMechanismRouter, ProofToken, ProverRegistry, TaskLedger};
use prover_support::{Fixture, TOKEN, anvil, fixture};

/// The committed base fixture: one statement, a proof of it for each of anvil accounts 1-3.
struct FixtureSource {
    fixture: Fixture,
    commitment: B256,
}

impl ProofSource for FixtureSource {
    fn statement_size(&self, task: &LedgerTask) -> Option<u64> {
        (task.circuitId == self.fixture.circuit_id && task.inputCommitment == self.commitment)
            .then_some(1)
    }

    async fn prove(&self, task: &LedgerTask, prover: Address) -> Option<(Vec<U256>, Bytes)> {
        self.statement_size(task)?;
        let proof = self.fixture.proofs.iter().find(|(p, _)| *p == prover)?;
        Some((self.fixture.inputs.clone(), proof.1.clone()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_at_once_from_routing_to_payment() {
    let anvil = anvil();
    let keys: Vec<PrivateKeySigner> = (0..3).map(|i| anvil.keys()[i].clone().into()).collect();
    let requester = keys[0].address();
    let admin = connect(&anvil.endpoint(), Some(keys[0].clone()))
        .await
        .unwrap();
    let mut params = DeployParams::devnet(requester);
    params.rollup = None;
    params.ledger = true;
    params.fund = keys.iter().map(|k| k.address()).collect();
    let addresses = deploy(&admin, requester, &params).await.expect("deploy");
    let market = addresses.ledger.clone().expect("the ledger market");
    let start_block = admin.get_block_number().await.unwrap();
    let fixture = fixture();
    let commitment = keccak256(fixture.inputs.abi_encode_packed());

    // Two provers stake in the ledger's registry (500 tokens, capacity 4, class 0).
    for key in &keys[1..] {
        let p = connect(&anvil.endpoint(), Some(key.clone())).await.unwrap();
        send!(
            ProofToken::new(addresses.token, &p)
                .approve(market.prover_registry, U256::from(500 * TOKEN))
        )
        .await;
        send!(ProverRegistry::new(market.prover_registry, &p).register(
            U256::from(500 * TOKEN),
            0,
            4
        ))
        .await;
    }
    // The requester deposits its escrow in the ledger.
    let deposit = U256::from(1_000 * TOKEN);
    send!(ProofToken::new(addresses.token, &admin).approve(market.ledger, deposit)).await;
    send!(TaskLedger::new(market.ledger, &admin).deposit(deposit)).await;

    // Each prover: its book, submitter and sealed bids in one state file, a cheap cost model
    // (0.01 token per proving second: every task here pays), the order book switched on.
    let dir = tempfile::tempdir().unwrap();
    let instances: Vec<Address> = SERVED.iter().map(|n| market.mechanisms[*n]).collect();
    let mut strategy = StrategySection::default();
    strategy.order_book.enabled = true;
    let mut runners = Vec::new();
    for (i, key) in keys.iter().enumerate().skip(1) {
        let provider = connect(&anvil.endpoint(), Some(key.clone())).await.unwrap();
        let store = Store::open(&dir.path().join(format!("prover-{i}.db"))).unwrap();
        let sync = LedgerSync::restore(
            provider.clone(),
            market.ledger,
            store.clone(),
            start_block,
            50,
        )
        .unwrap();
        let submitter = Submitter::new(
            provider,
            key.clone(),
            store.clone(),
            SubmitterConfig::default(),
            "ledger-market",
        );
        let runner = LedgerProver::start(
            sync,
            submitter,
            store,
            &instances,
            ledger_support::cost_model(1e16),
            &strategy,
            4,
            FixtureSource {
                fixture: prover_support::fixture(),
                commitment,
            },
        )
        .await
        .expect("runner starts");
        let families: Vec<&str> = runner.families().values().map(|f| f.name()).collect();
        assert_eq!(
            families.len(),
            5,
            "every instance's family is read from its profile"
        );
        runners.push(runner);
    }
    let book = market.mechanisms["order-book"];
    for key in &keys[1..] {
        assert!(
            order_book::offer_on_book(&admin, book, key.address())
                .await
                .unwrap()
                .is_some(),
            "each runner posted its standing offer"
        );
    }

    // One task per family, pinned through the router (a 100-token proof due in 10 minutes).
    let router = LedgerMechanismRouter::new(market.router, &admin);
    let now = chain_time(&admin).await.unwrap();
    let mut tasks: BTreeMap<&str, U256> = BTreeMap::new();
    for name in SERVED {
        let request = LedgerMechanismRouter::LedgerRequest {
            circuitId: fixture.circuit_id,
            inputCommitment: commitment,
            deadline: now + 600,
            maxPayment: Uint::from(100 * TOKEN),
            redundancy: 1,
            mechanism: market.mechanisms[name],
            notifyRequester: false,
            fallbackMechanism: Address::ZERO,
            fallbackWindow: 0,
            minCollateral: Uint::ZERO,
            mechanismData: if name == "order-book" {
                Priority::PriceFirst.mechanism_data()
            } else {
                Bytes::new()
            },
        };
        let qos = LedgerMechanismRouter::QoSProfile {
            speedWeight: 5,
            costWeight: 5,
            safetyWeight: 5,
            censorshipWeight: 5,
            minRedundancy: 1,
            minStakeAtRisk: Uint::ZERO,
        };
        let receipt = send!(router.route(request, qos)).await;
        let routed = receipt
            .decoded_log::<LedgerMechanismRouter::TaskRouted>()
            .expect("TaskRouted");
        assert!(routed.pinned);
        tasks.insert(name, routed.taskId);
    }

    // The requester's side: its book of the ledger, and its one call, the order book's match.
    let requester_submitter = Submitter::new(
        admin.clone(),
        keys[0].clone(),
        Store::open(&dir.path().join("requester.db")).unwrap(),
        SubmitterConfig::default(),
        "ledger-market",
    );
    let mut requester_book = LedgerSync::restore(
        admin.clone(),
        market.ledger,
        Store::open(&dir.path().join("requester-book.db")).unwrap(),
        start_block,
        50,
    )
    .unwrap();
    requester_book.sync().await.unwrap();
    let matched = order_book::match_task(
        &mut requester_book,
        &requester_submitter,
        book,
        tasks["order-book"],
    )
    .await
    .expect("the requester matches its book task");

    // Passes of both runners, 3 s apart, until every task is closed.
    let mut acted: BTreeMap<U256, Vec<(Address, Acted)>> = BTreeMap::new();
    let mut passes = 0;
    loop {
        for (runner, key) in runners.iter_mut().zip(&keys[1..]) {
            for (task, a) in runner.step().await.expect("a pass") {
                assert!(
                    !matches!(a, Acted::Failed { .. }),
                    "prover {} on task {task:#x}: {a:?}",
                    key.address()
                );
                acted.entry(task).or_default().push((key.address(), a));
            }
        }
        requester_book.sync().await.unwrap();
        let open = tasks
            .values()
            .filter(|id| requester_book.book().get(**id).unwrap().closed.is_none())
            .count();
        if open == 0 {
            break;
        }
        passes += 1;
        assert!(
            passes < 60,
            "still {open} open after {passes} passes: {acted:?}"
        );
        admin
            .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (3u64,))
            .await
            .unwrap();
        admin
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .unwrap();
    }

    // Every task was fulfilled by one proof of one of the runners, through its own mechanism's steps.
    let ledger = TaskLedger::new(market.ledger, &admin);
    let mut paid = U256::ZERO;
    for (name, id) in &tasks {
        let tracked = requester_book.book().get(*id).unwrap();
        assert_eq!(tracked.closed, Some(Closing::Fulfilled), "{name}");
        let steps = &acted[id];
        let proofs: Vec<_> = steps
            .iter()
            .filter_map(|(who, a)| match a {
                Acted::Proved { credited } => Some((*who, *credited)),
                _ => None,
            })
            .collect();
        assert_eq!(proofs.len(), 1, "{name}: one proof ({steps:?})");
        let (prover, credited) = proofs[0];
        assert!(credited > U256::ZERO && credited <= U256::from(100 * TOKEN));
        paid += credited;
        let has = |f: fn(&Acted) -> bool| steps.iter().any(|(_, a)| f(a));
        match *name {
            "ascending" => assert!(has(|a| matches!(a, Acted::Locked { .. })), "locked first"),
            "sealed-bid" => {
                assert!(has(|a| matches!(a, Acted::Committed)));
                assert!(has(|a| matches!(a, Acted::Revealed)));
                assert!(
                    steps
                        .iter()
                        .any(|(_, a)| *a == Acted::Finalized { winner: prover }),
                    "the finalized winner proves"
                );
            }
            "election-race" => assert!(has(|a| matches!(a, Acted::Drawn))),
            "order-book" => assert_eq!(prover, matched.prover, "the matched prover proves"),
            _ => {}
        }
        eprintln!(
            "{name}: proven by {prover} for {credited} after {} steps",
            steps.len()
        );
    }
    eprintln!("all five fulfilled after {passes} passes of 3 s");

    // The router was told every outcome: one fulfilled task per instance.
    for id in 0..SERVED.len() {
        let s = router.statsOf(U256::from(id)).call().await.unwrap();
        assert_eq!((s.count, s.fulfilled), (1, 1), "instance {id}");
    }

    // Escrow conserved: the requester's deposit is what it has left plus what the provers were paid
    // (no slash happened, so the treasury took nothing).
    let left = ledger.balanceOf(requester).call().await.unwrap();
    assert_eq!(left + paid, deposit, "deposit = refunds kept + payments");
    let credits: U256 = {
        let mut sum = U256::ZERO;
        for key in &keys[1..] {
            sum += ledger.balanceOf(key.address()).call().await.unwrap();
        }
        sum
    };
    assert_eq!(
        credits, paid,
        "the provers' ledger credits are exactly what was paid"
    );
}
