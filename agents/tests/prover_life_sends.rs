//! Sends that are in flight when a life of the supervised prover ends, on anvil, asserted on L1:
//! - a life fails (its RPC answers 502) while its `submitProof` send waits for the account's nonce
//!   (a JSON-RPC proxy holds that one `eth_getTransactionCount`); the supervisor starts the next
//!   life, which proves from the node cache and submits; then the held read is answered. Exactly one
//!   `submitProof` is on chain and the account nonce moved by one: the ended life's send was
//!   cancelled with it, so it never signed a second transaction for the intent. (Before sends were
//!   tracked per life, that send lived on in a detached task with its own lock, read the next
//!   nonce once released, and signed and broadcast a second `submitProof`.)
//! - a graceful shutdown (the Ctrl-C path: the supervisor's token cancelled) while a send is in
//!   flight: the life does not end, and the supervisor does not return, until that send has
//!   finished; it lands once and the store records it confirmed.

mod poll_support;
mod prover_support;

use std::time::{Duration, Instant};

use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use poll_support::wait_for;
use proofmarket::store::{Store, SubmissionStatus, TaskState};
use proofmarket::supervisor::Outcome;
use proofmarket_bindings::{ITaskRegistry, ProverRegistry};
use prover_support::{Net, RpcProxy, restarts};

async fn wait_registered(net: &Net, me: Address) {
    let registry = ProverRegistry::new(net.addresses.prover_registry, &net.admin);
    wait_for("the prover to register", Duration::from_secs(120), || {
        let registry = registry.clone();
        async move {
            registry
                .isRegistered(me)
                .call()
                .await
                .expect("isRegistered")
        }
    })
    .await;
}

async fn wait_proving(store: &Store, task_id: u64) {
    wait_for(
        "the prover to prove the block",
        Duration::from_secs(120),
        || {
            let store = store.clone();
            async move {
                store
                    .task(task_id)
                    .expect("task row")
                    .is_some_and(|t| t.state == TaskState::Proving)
            }
        },
    )
    .await;
}

/// Holds the next nonce read of `me` (the next send's, which happens after its simulation and
/// before it signs) and waits until the proxy holds it.
async fn hold_next_send(proxy: &RpcProxy, me: Address) {
    let held = proxy.calls_held();
    proxy.hold_next_call("eth_getTransactionCount", &me.to_string());
    wait_for(
        "the submission's nonce read held in flight",
        Duration::from_secs(180),
        || {
            let n = proxy.calls_held();
            async move { n > held }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_in_flight_when_a_life_fails_never_signs_next_to_the_next_life() {
    let started = Instant::now();
    proofmarket::metrics::install().expect("metrics recorder");
    let net = Net::start(|_| {}).await;
    let key = net.key(1);
    let me = key.address();
    net.fund(me).await;
    let proxy = RpcProxy::start(
        &net.anvil.endpoint(),
        ITaskRegistry::submitProofCall::SELECTOR,
    )
    .await;
    let store = Store::open(&net.dir.path().join("prover.db")).expect("store");
    let (shutdown, supervised) = net
        .start_supervised_prover_via(&proxy.url, &key, &store, Duration::from_secs(20))
        .await;
    wait_registered(&net, me).await;
    let (_, task_id) = net.post_block().await;
    let submit_key = format!("submit:{task_id}");
    wait_proving(&store, task_id).await;

    // Life 1 proves, simulates its submitProof and asks for the nonce: that read stays in flight.
    hold_next_send(&proxy, me).await;
    assert!(
        store.submission(&submit_key).expect("read").is_none(),
        "nothing signed yet"
    );
    let nonce = net.admin.get_transaction_count(me).await.expect("nonce");

    // The provider goes away: life 1's monitor fails, the life ends, the supervisor restarts it
    // (and again while the RPC is down). The held read is untouched by the cut.
    let before = restarts("prover");
    proxy.cut();
    wait_for(
        "the supervisor to restart the prover",
        Duration::from_secs(60),
        || {
            let n = restarts("prover");
            async move { n > before }
        },
    )
    .await;
    assert!(proxy.refused() > 0, "the prover kept trying the RPC");
    proxy.restore();

    // The next life resumes the task, proves it from the node cache and submits once.
    let registry = net.registry();
    wait_for(
        "the next life's proof on L1",
        Duration::from_secs(180),
        || {
            let registry = registry.clone();
            async move {
                registry
                    .hasProven(U256::from(task_id), me)
                    .call()
                    .await
                    .expect("hasProven")
            }
        },
    )
    .await;
    wait_for(
        "the submission confirmed in the store",
        Duration::from_secs(60),
        || {
            let store = store.clone();
            let submit_key = submit_key.clone();
            async move {
                store
                    .submission(&submit_key)
                    .expect("read")
                    .is_some_and(|s| s.status == SubmissionStatus::Confirmed)
            }
        },
    )
    .await;
    let recorded = store.submission(&submit_key).expect("read").expect("row");

    // Now the ended life's nonce read is answered. A send of that life still running would read
    // `nonce + 1`, sign a second submitProof and broadcast it within milliseconds: give it 5 s.
    proxy.release_held_calls();
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(5) && proxy.forwarded().len() < 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    let outcome = supervised.await.expect("join");
    assert!(matches!(outcome, Outcome::Drained), "{outcome:?}");

    let on_chain = net.submissions_by(me).await;
    assert_eq!(on_chain.len(), 1, "exactly one submitProof for the intent");
    assert_eq!(proxy.forwarded().len(), 1, "one submitProof broadcast");
    assert_eq!(Some(on_chain[0]), recorded.tx_hash, "the recorded one");
    let mined = net
        .admin
        .get_transaction_by_hash(on_chain[0])
        .await
        .expect("lookup")
        .expect("mined");
    assert_eq!(mined.nonce(), nonce, "at the nonce the held read was for");
    assert_eq!(
        net.admin.get_transaction_count(me).await.expect("nonce"),
        nonce + 1,
        "the account's nonce advanced by one"
    );
    let row = store.submission(&submit_key).expect("read").expect("row");
    assert_eq!(
        (row.status, row.tx_hash, row.nonce),
        (SubmissionStatus::Confirmed, Some(on_chain[0]), Some(nonce)),
        "the store still records the one transaction"
    );
    assert_eq!(net.accepted_for(task_id, me).await, 1);
    println!(
        "restarts: {}, refused: {}, wall {:.1}s",
        restarts("prover") - before,
        proxy.refused(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_waits_for_the_send_in_flight() {
    let started = Instant::now();
    let net = Net::start(|_| {}).await;
    let key = net.key(2);
    let me = key.address();
    net.fund(me).await;
    let proxy = RpcProxy::start(
        &net.anvil.endpoint(),
        ITaskRegistry::submitProofCall::SELECTOR,
    )
    .await;
    let store = Store::open(&net.dir.path().join("prover.db")).expect("store");
    let (shutdown, supervised) = net
        .start_supervised_prover_via(&proxy.url, &key, &store, Duration::from_secs(20))
        .await;
    wait_registered(&net, me).await;
    let (_, task_id) = net.post_block().await;
    let submit_key = format!("submit:{task_id}");
    wait_proving(&store, task_id).await;
    hold_next_send(&proxy, me).await;
    let nonce = net.admin.get_transaction_count(me).await.expect("nonce");

    // Ctrl-C: the life drains; its submission is in flight, so neither the life nor the
    // supervisor is done.
    shutdown.cancel();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !supervised.is_finished(),
        "the shutdown waits for the send in flight"
    );
    assert!(net.submissions_by(me).await.is_empty());

    proxy.release_held_calls();
    let outcome = tokio::time::timeout(Duration::from_secs(60), supervised)
        .await
        .expect("the drain ends once the send has")
        .expect("join");
    assert!(matches!(outcome, Outcome::Drained), "{outcome:?}");
    let on_chain = net.submissions_by(me).await;
    assert_eq!(on_chain.len(), 1, "the drained send landed once");
    let row = store.submission(&submit_key).expect("read").expect("row");
    assert_eq!(
        (row.status, row.tx_hash, row.nonce),
        (SubmissionStatus::Confirmed, Some(on_chain[0]), Some(nonce)),
        "settled before the life ended"
    );
    assert_eq!(
        net.admin.get_transaction_count(me).await.expect("nonce"),
        nonce + 1
    );
    assert_eq!(net.accepted_for(task_id, me).await, 1);
    println!("wall {:.1}s", started.elapsed().as_secs_f64());
}
