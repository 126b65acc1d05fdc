//! The prover against a misbehaving chain, on anvil, asserted on L1 state:
//! - the RPC drops mid-proof (a TCP proxy in front of anvil is cut): the service's life ends, the
//!   supervisor restarts it with backoff until the RPC is back, and the block is proven with exactly
//!   one `submitProof`;
//! - a reorg (anvil `evm_snapshot`/`evm_revert`) takes away the blocks holding a task's opening and
//!   our accepted proof, and the task is opened again in new blocks: the prover proves it again and
//!   revives its one signed submission — one `submitProof` on the canonical chain, not zero, not two;
//! - the `Sender` alone: a transaction broadcast, mined and then taken by a reorg before the sender
//!   saw its receipt (a JSON-RPC proxy holds the first receipt poll until after the `evm_revert`) is
//!   noticed missing and rebroadcast from its recorded bytes within a second, and confirmed once
//!   with the same hash (before, the send waited out its 60 s receipt timeout).

mod poll_support;
mod prover_support;

use std::time::{Duration, Instant};

use alloy::consensus::Transaction as _;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use poll_support::wait_for;
use proofmarket::chain::connect;
use proofmarket::prover::service::CURSOR;
use proofmarket::prover::submit::Sender;
use proofmarket::store::{Store, SubmissionStatus, TaskState};
use proofmarket::supervisor::Outcome;
use proofmarket_bindings::{ProofToken, ProverRegistry, Rollup, TaskRegistry};
use prover_support::{Net, Proxy, RpcProxy, TOKEN, restarts};

/// Waits until `prover`'s proof of `task_id` is on L1 and its store has seen it accepted.
async fn wait_proven(net: &Net, store: &Store, task_id: u64, prover: Address) {
    let registry = net.registry();
    wait_for("the prover's proof on L1", Duration::from_secs(240), || {
        let registry = registry.clone();
        async move {
            registry
                .hasProven(U256::from(task_id), prover)
                .call()
                .await
                .expect("hasProven")
        }
    })
    .await;
    wait_for(
        "the store to record the proof",
        Duration::from_secs(60),
        || {
            let store = store.clone();
            async move {
                store
                    .task(task_id)
                    .expect("task row")
                    .is_some_and(|t| t.state == TaskState::Proven)
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_rpc_is_ridden_out_and_the_block_proven_once() {
    let started = Instant::now();
    proofmarket::metrics::install().expect("metrics recorder");
    let net = Net::start(|_| {}).await;
    let key = net.key(1);
    let me = key.address();
    net.fund(me).await;
    let proxy = Proxy::start(&net.anvil.endpoint()).await;
    let store = Store::open(&net.dir.path().join("prover.db")).expect("store");
    let (shutdown, supervised) = net
        .start_supervised_prover_via(&proxy.url, &key, &store, Duration::from_secs(10))
        .await;

    let (_, task_id) = net.post_block().await;
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
                    && store.cursor(CURSOR).expect("cursor").is_some()
            }
        },
    )
    .await;

    // The provider drops: open connections die, new ones are closed on accept.
    proxy.cut();
    let before = restarts("prover");
    wait_for(
        "the supervisor to restart the prover (twice: once when the RPC dropped, once more while it was down)",
        Duration::from_secs(60),
        || {
            let n = restarts("prover");
            async move { n >= before + 2 }
        },
    )
    .await;
    assert!(proxy.refused() > 0, "the prover kept trying the RPC");
    assert!(!supervised.is_finished(), "an RPC outage is not fatal");
    assert_eq!(
        net.submissions_by(me).await.len(),
        0,
        "nothing submitted yet"
    );

    proxy.restore();
    wait_proven(&net, &store, task_id, me).await;
    shutdown.cancel();
    let outcome = supervised.await.expect("join");
    assert!(matches!(outcome, Outcome::Drained), "{outcome:?}");

    assert_eq!(
        net.submissions_by(me).await.len(),
        1,
        "exactly one submitProof"
    );
    assert_eq!(net.accepted_for(task_id, me).await, 1);
    assert!(
        Rollup::new(net.addresses.rollup.expect("rollup"), &net.admin)
            .isTaskProven(U256::from(task_id))
            .call()
            .await
            .expect("isTaskProven")
    );
    assert!(
        net.registry()
            .claimable(me)
            .call()
            .await
            .expect("claimable")
            > U256::ZERO
    );
    // `status` shows the live record: one completed task for the prover, the task fulfilled and paid.
    let status = proofmarket::status::collect(&net.admin, &net.addresses, 10)
        .await
        .expect("status");
    let record = status
        .provers
        .iter()
        .find(|p| p.address == me)
        .expect("the prover's record");
    assert_eq!(
        (record.completed, record.missed, record.slashed_count),
        (1, 0, 0)
    );
    let task = status
        .tasks
        .iter()
        .find(|t| t.id == task_id)
        .expect("the task");
    assert_eq!(task.status, "fulfilled");
    assert_eq!(task.proofs, "1/1");
    assert!(task.paid > U256::ZERO);
    let text = proofmarket::status::render(&status);
    assert!(text.contains(&me.to_string()), "{text}");
    println!(
        "restarts: {}, refused connections: {}, wall {:.1}s",
        restarts("prover") - before,
        proxy.refused(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_that_takes_our_proof_is_proven_again_with_one_submission() {
    let started = Instant::now();
    let net = Net::start(|_| {}).await;
    let key = net.key(2);
    let me = key.address();
    net.fund(me).await;
    let running = net
        .start_prover(&key, &net.dir.path().join("prover.db"), net.settings(None))
        .await;
    let prover_registry = ProverRegistry::new(net.addresses.prover_registry, &net.admin);
    wait_for("the prover to register", Duration::from_secs(120), || {
        let registry = prover_registry.clone();
        async move {
            registry
                .isRegistered(me)
                .call()
                .await
                .expect("isRegistered")
        }
    })
    .await;

    // The fork point: everything after it is what the reorg replaces.
    let snapshot: serde_json::Value = net
        .admin
        .raw_request("evm_snapshot".into(), ())
        .await
        .expect("evm_snapshot");
    let fork_head = net.admin.get_block_number().await.expect("head");
    let (number, task_id) = net.post_block().await;
    let post_tx = net
        .seq_store
        .block(number)
        .expect("row")
        .expect("block row")
        .l1_tx
        .expect("posting tx");
    let post = net
        .admin
        .get_transaction_by_hash(post_tx)
        .await
        .expect("tx")
        .expect("the posting transaction");
    let calldata = alloy::consensus::Transaction::input(&post).clone();
    wait_proven(&net, &running.store, task_id, me).await;
    let first = net.submissions_by(me).await;
    assert_eq!(first.len(), 1);

    // The reorg: the blocks with the task's opening and our proof are gone ...
    let reverted: bool = net
        .admin
        .raw_request("evm_revert".into(), (snapshot,))
        .await
        .expect("evm_revert");
    assert!(reverted);
    assert_eq!(net.admin.get_block_number().await.expect("head"), fork_head);
    let registry = net.registry();
    assert!(
        !registry
            .hasProven(U256::from(task_id), me)
            .call()
            .await
            .expect("hasProven")
    );
    // ... and the other branch carries the same block's posting, so the same task opens again in
    // blocks with other hashes.
    let receipt = net
        .admin
        .send_transaction(
            TransactionRequest::default()
                .with_to(net.addresses.rollup.expect("rollup"))
                .with_input(calldata),
        )
        .await
        .expect("re-post")
        .get_receipt()
        .await
        .expect("re-post receipt");
    assert!(receipt.status());
    // Read from the re-post's own logs, not from the task's status: the prover may already have
    // rebroadcast its proof into the next block by the time a status read arrives.
    let reopened: Vec<U256> = receipt
        .inner
        .logs()
        .iter()
        .filter_map(|l| l.log_decode::<TaskRegistry::TaskCreated>().ok())
        .map(|e| e.inner.data.taskId)
        .collect();
    assert_eq!(
        reopened,
        vec![U256::from(task_id)],
        "the task is open again under the same id"
    );

    wait_proven(&net, &running.store, task_id, me).await;
    running.assert_alive();
    running.stop().await;
    let canonical = net.submissions_by(me).await;
    assert_eq!(canonical.len(), 1, "one submitProof on the canonical chain");
    assert_eq!(
        canonical, first,
        "the same signed transaction, rebroadcast: no second signing for the intent"
    );
    assert_eq!(net.accepted_for(task_id, me).await, 1);
    assert!(
        Rollup::new(net.addresses.rollup.expect("rollup"), &net.admin)
            .isTaskProven(U256::from(task_id))
            .call()
            .await
            .expect("isTaskProven")
    );
    assert!(registry.claimable(me).call().await.expect("claimable") > U256::ZERO);
    println!("wall {:.1}s", started.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_rebroadcasts_a_transaction_a_reorg_took_before_its_receipt() {
    let net = Net::start(|_| {}).await;
    let key = net.key(3);
    let me = key.address();
    let spender = Address::repeat_byte(0x5e);
    let token = net.addresses.token;
    let proxy = RpcProxy::start(&net.anvil.endpoint(), ProofToken::approveCall::SELECTOR).await;
    let store = Store::open(&net.dir.path().join("sender.db")).expect("store");
    let via_proxy = connect(&proxy.url, Some(key.clone()))
        .await
        .expect("connect");
    let sender = Sender::new(via_proxy, key.clone(), store.clone())
        .with_presence_interval(Duration::from_millis(200));

    let snapshot: serde_json::Value = net
        .admin
        .raw_request("evm_snapshot".into(), ())
        .await
        .expect("evm_snapshot");
    let fork_head = net.admin.get_block_number().await.expect("head");
    // The sender's first receipt poll after its broadcast is held: the reorg lands before it.
    proxy.hold_next_call_of("eth_getTransactionReceipt");
    let send = tokio::spawn({
        let data: Bytes = ProofToken::approveCall {
            spender,
            value: U256::from(TOKEN),
        }
        .abi_encode()
        .into();
        async move {
            sender
                .send_once("approve:reorg", None, "approve", token, data)
                .await
        }
    });
    wait_for(
        "the broadcast and the first receipt poll held",
        Duration::from_secs(30),
        || {
            let held = proxy.calls_held();
            async move { held == 1 }
        },
    )
    .await;
    let recorded = store
        .submission("approve:reorg")
        .expect("read")
        .expect("recorded");
    assert_eq!(recorded.status, SubmissionStatus::Pending);
    let hash = recorded.tx_hash.expect("hash");
    let raw = store
        .submission_raw("approve:reorg")
        .expect("read")
        .expect("raw bytes recorded");
    assert!(
        net.admin
            .get_transaction_receipt(hash)
            .await
            .expect("receipt")
            .is_some(),
        "anvil mined it at once"
    );

    // The reorg takes the block with the transaction; the node forgets it entirely.
    let reverted: bool = net
        .admin
        .raw_request("evm_revert".into(), (snapshot,))
        .await
        .expect("evm_revert");
    assert!(reverted);
    assert_eq!(net.admin.get_block_number().await.expect("head"), fork_head);
    assert!(
        net.admin
            .get_transaction_by_hash(hash)
            .await
            .expect("lookup")
            .is_none(),
        "the node no longer knows the transaction"
    );
    let released = Instant::now();
    proxy.release_held_calls();
    let sent = tokio::time::timeout(Duration::from_secs(20), send)
        .await
        .expect("the send settles long before its 60 s receipt timeout")
        .expect("join")
        .expect("the transaction lands");
    let settled_in = released.elapsed();
    assert!(
        settled_in < Duration::from_secs(5),
        "rebroadcast and confirmed within a few seconds, took {settled_in:?}"
    );
    assert_eq!(
        sent.tx_hash, hash,
        "the recorded transaction, not a new one"
    );
    assert!(sent.fresh);
    assert_eq!(
        proxy.forwarded(),
        vec![Bytes::from(raw.clone()), Bytes::from(raw)],
        "broadcast twice, both times byte for byte the recorded transaction"
    );
    let mined = net
        .admin
        .get_transaction_by_hash(hash)
        .await
        .expect("lookup")
        .expect("mined again");
    assert_eq!(mined.nonce(), 0, "at the recorded nonce");
    assert!(
        net.admin
            .get_transaction_receipt(hash)
            .await
            .expect("receipt")
            .expect("mined on the new branch")
            .status()
    );
    assert_eq!(
        net.admin.get_transaction_count(me).await.expect("nonce"),
        1,
        "one transaction from the account: nothing re-signed"
    );
    assert_eq!(
        ProofToken::new(token, &net.admin)
            .allowance(me, spender)
            .call()
            .await
            .expect("allowance"),
        U256::from(TOKEN)
    );
    let row = store
        .submission("approve:reorg")
        .expect("read")
        .expect("row");
    assert_eq!(
        (row.status, row.tx_hash),
        (SubmissionStatus::Confirmed, Some(hash))
    );
    println!("settled {:.2}s after the reorg", settled_in.as_secs_f64());
}
