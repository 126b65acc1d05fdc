//! A prover killed between recording a signed transaction and its broadcast reaching the node,
//! against anvil: a JSON-RPC proxy in front of anvil swallows the broadcast (never forwarded, never
//! answered), the process is killed with the transaction recorded in its store (hash, nonce, raw
//! bytes) and unknown to the chain, and the restart broadcasts exactly those bytes once: the same
//! hash, the recorded nonce, no second signature for the intent, no second submission.
//! - `ProverService` end to end: the root proof's `submitProof`, proven and paid after the restart;
//! - `Sender` alone: asked again under the same key with different calldata, it sends the recorded
//!   transaction, not a new one.

mod poll_support;
mod prover_support;

use std::time::Duration;

use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use poll_support::wait_for;
use proofmarket::chain::connect;
use proofmarket::prover::submit::Sender;
use proofmarket::store::{Store, SubmissionStatus};
use proofmarket_bindings::{ITaskRegistry, ProofToken, Rollup};
use prover_support::{Net, RpcProxy, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_recorded_but_never_broadcast_is_broadcast_once_after_a_restart() {
    let net = Net::start(|_| {}).await;
    let key = net.key(1);
    let me = key.address();
    net.fund(me).await;
    let proxy = RpcProxy::start(
        &net.anvil.endpoint(),
        ITaskRegistry::submitProofCall::SELECTOR,
    )
    .await;
    proxy.hold_next_broadcast();
    let (block, task_id) = net.post_block().await;
    let store_path = net.dir.path().join("prover.db");
    let submit_key = format!("submit:{task_id}");
    let registry = net.registry();

    // Life 1: proves the block, signs and records its submission; the broadcast never arrives.
    let first = net
        .start_prover_via(&proxy.url, &key, &store_path, net.settings(None))
        .await;
    wait_for(
        "the submission recorded and its broadcast swallowed",
        Duration::from_secs(180),
        || {
            let store = first.store.clone();
            let held = proxy.held().len();
            let alive = !first.handle.is_finished();
            let submit_key = submit_key.clone();
            async move {
                assert!(alive, "the first life stopped early");
                held == 1
                    && store
                        .submission(&submit_key)
                        .expect("read")
                        .is_some_and(|s| s.status == SubmissionStatus::Signed)
            }
        },
    )
    .await;
    // Killed there: the run future dropped, its proxied connections left hanging.
    first.handle.abort();
    let _ = first.handle.await;
    let recorded = first
        .store
        .submission(&submit_key)
        .expect("read")
        .expect("recorded");
    let hash = recorded
        .tx_hash
        .expect("the hash is recorded before the broadcast");
    let nonce = recorded.nonce.expect("the nonce is recorded");
    let raw = Bytes::from(
        first
            .store
            .submission_raw(&submit_key)
            .expect("read")
            .expect("the signed bytes are recorded before the broadcast"),
    );
    assert_eq!(
        proxy.held(),
        vec![raw.clone()],
        "the bytes the broadcast carried are the recorded ones"
    );
    assert!(
        net.admin
            .get_transaction_by_hash(hash)
            .await
            .expect("lookup")
            .is_none(),
        "the node never saw the transaction"
    );
    assert_eq!(
        net.admin.get_transaction_count(me).await.expect("nonce"),
        nonce,
        "the recorded nonce is still the account's next"
    );
    assert!(net.submissions_by(me).await.is_empty());
    assert!(
        !registry
            .hasProven(U256::from(task_id), me)
            .call()
            .await
            .expect("hasProven")
    );

    // Life 2: same key, same store, same proxy (holding nothing now). It resumes the task, finds
    // the submission recorded and unknown to the chain, and broadcasts the recorded bytes.
    let second = net
        .start_prover_via(&proxy.url, &key, &store_path, net.settings(None))
        .await;
    wait_for(
        "the resumed prover's proof on L1",
        Duration::from_secs(180),
        || {
            let registry = registry.clone();
            let alive = !second.handle.is_finished();
            async move {
                assert!(alive, "the resumed prover stopped early");
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
        "the submission settled in the store",
        Duration::from_secs(60),
        || {
            let store = second.store.clone();
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
    second.stop().await;

    assert_eq!(
        net.submissions_by(me).await,
        vec![hash],
        "one submitProof on chain: the recorded transaction"
    );
    let mined = net
        .admin
        .get_transaction_by_hash(hash)
        .await
        .expect("lookup")
        .expect("mined");
    assert_eq!(mined.nonce(), nonce, "sent at the recorded nonce");
    assert_eq!(
        proxy.forwarded(),
        vec![raw],
        "broadcast once, byte for byte the recorded transaction"
    );
    assert_eq!(
        net.admin.get_transaction_count(me).await.expect("nonce"),
        nonce + 1,
        "nothing else signed after it"
    );
    assert_eq!(net.accepted_for(task_id, me).await, 1);
    assert!(
        Rollup::new(net.addresses.rollup.expect("rollup"), &net.admin)
            .isTaskProven(U256::from(task_id))
            .call()
            .await
            .expect("isTaskProven"),
        "block {block} is proven"
    );
    assert!(
        registry.claimable(me).call().await.expect("claimable") > U256::ZERO,
        "the race paid the prover"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_rebroadcasts_the_recorded_transaction_and_never_signs_the_intent_again() {
    let net = Net::start(|_| {}).await;
    let key = net.key(2);
    let me = key.address();
    let spender = Address::repeat_byte(0x5e);
    let approve = |amount: u128| -> Bytes {
        ProofToken::approveCall {
            spender,
            value: U256::from(amount),
        }
        .abi_encode()
        .into()
    };
    let proxy = RpcProxy::start(&net.anvil.endpoint(), ProofToken::approveCall::SELECTOR).await;
    proxy.hold_next_broadcast();
    let store = Store::open(&net.dir.path().join("sender.db")).expect("store");
    let via_proxy = connect(&proxy.url, Some(key.clone()))
        .await
        .expect("connect");
    let token = net.addresses.token;

    // Life 1: the send is cut off inside the broadcast, after the record.
    let sender = Sender::new(via_proxy, key.clone(), store.clone());
    let first = tokio::spawn({
        let data = approve(TOKEN);
        async move {
            sender
                .send_once("approve:once", None, "approve", token, data)
                .await
        }
    });
    wait_for(
        "the approval recorded and held",
        Duration::from_secs(30),
        || {
            let store = store.clone();
            let held = proxy.held().len();
            async move {
                held == 1
                    && store
                        .submission("approve:once")
                        .expect("read")
                        .is_some_and(|s| s.status == SubmissionStatus::Signed)
            }
        },
    )
    .await;
    first.abort();
    assert!(first.await.is_err(), "killed inside the broadcast");
    let recorded = store
        .submission("approve:once")
        .expect("read")
        .expect("recorded");
    let hash = recorded.tx_hash.expect("hash");
    let nonce = recorded.nonce.expect("nonce");
    assert_eq!(nonce, 0, "the account's first transaction");

    // Life 2, straight to anvil: reconciling settles nothing (the chain has no receipt), and
    // asking again under the same key — even with other calldata — sends the recorded bytes.
    let direct = net.provider(&key).await;
    let sender = Sender::new(direct, key.clone(), store.clone());
    assert_eq!(sender.reconcile().await.expect("reconcile"), 0);
    let sent = sender
        .send_once("approve:once", None, "approve", token, approve(2 * TOKEN))
        .await
        .expect("the recorded transaction lands");
    assert_eq!(
        sent.tx_hash, hash,
        "the recorded transaction, not a new one"
    );
    assert!(!sent.fresh, "signed by the earlier life");
    let mined = net
        .admin
        .get_transaction_by_hash(hash)
        .await
        .expect("lookup")
        .expect("mined");
    assert_eq!(mined.nonce(), nonce);
    assert_eq!(
        ProofToken::new(token, &net.admin)
            .allowance(me, spender)
            .call()
            .await
            .expect("allowance"),
        U256::from(TOKEN),
        "the chain executed the recorded intent"
    );
    assert_eq!(
        net.admin.get_transaction_count(me).await.expect("nonce"),
        1,
        "one transaction from the account"
    );
    assert_eq!(
        store
            .submission("approve:once")
            .expect("read")
            .expect("row")
            .status,
        SubmissionStatus::Confirmed
    );
    // And once more: answered from the store, nothing sent.
    let again = sender
        .send_once("approve:once", None, "approve", token, approve(3 * TOKEN))
        .await
        .expect("confirmed earlier");
    assert_eq!((again.tx_hash, again.fresh), (hash, false));
    assert_eq!(net.admin.get_transaction_count(me).await.expect("nonce"), 1);
    assert!(proxy.forwarded().is_empty(), "life 2 never used the proxy");
}
