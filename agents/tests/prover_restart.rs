//! Restart safety of the prover against anvil, asserted on L1 state: a prover killed while proving a
//! block resumes the task from its SQLite store and the log cursor, the block is proven, and the
//! prover sent exactly one `submitProof`; a restart after the proof landed sends nothing.

mod poll_support;
mod prover_support;

use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::Provider;
use poll_support::wait_for;
use proofmarket::store::{SubmissionStatus, TaskState};
use proofmarket_bindings::Rollup;
use prover_support::Net;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_block_resumes_and_submits_exactly_once() {
    let net = Net::start(|_| {}).await;
    let key = net.key(1);
    let me = key.address();
    net.fund(me).await;
    let (block, task_id) = net.post_block().await;
    let store_path = net.dir.path().join("prover.db");
    let registry = net.registry();

    // Life 1: killed hard once it is proving the block (task open, nothing submitted yet).
    let first = net
        .start_prover(&key, &store_path, net.settings(None))
        .await;
    wait_for(
        "the first life to start proving",
        Duration::from_secs(120),
        || {
            let store = first.store.clone();
            // Proving, and the poll that started it has persisted its cursor: the restart resumes
            // from the cursor rather than from the deployment block.
            async move {
                store
                    .task(task_id)
                    .expect("task row")
                    .is_some_and(|t| t.state == TaskState::Proving)
                    && store
                        .cursor(proofmarket::prover::service::CURSOR)
                        .expect("cursor")
                        .is_some()
            }
        },
    )
    .await;
    first.handle.abort(); // no graceful shutdown: the run future is dropped where it stands
    let _ = first.handle.await;
    assert!(
        !registry
            .hasProven(U256::from(task_id), me)
            .call()
            .await
            .expect("hasProven"),
        "killed before it could submit"
    );
    let cursor = first
        .store
        .cursor(proofmarket::prover::service::CURSOR)
        .expect("cursor");
    assert!(cursor.is_some(), "the first life persisted its log cursor");
    assert_eq!(net.submissions_by(me).await.len(), 0);

    // Life 2: same key, same store; resumes from the cursor and finishes the task.
    let second = net
        .start_prover(&key, &store_path, net.settings(None))
        .await;
    wait_for(
        "the resumed prover's proof on L1",
        Duration::from_secs(240),
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
        "the store to record the proof",
        Duration::from_secs(60),
        || {
            let store = second.store.clone();
            async move {
                store
                    .task(task_id)
                    .expect("task row")
                    .is_some_and(|t| t.state == TaskState::Proven)
            }
        },
    )
    .await;
    second.stop().await;

    assert!(
        Rollup::new(net.addresses.rollup.expect("rollup"), &net.admin)
            .isTaskProven(U256::from(task_id))
            .call()
            .await
            .expect("isTaskProven"),
        "block {block} is proven on L1"
    );
    assert_eq!(
        net.submissions_by(me).await.len(),
        1,
        "exactly one submitProof tx"
    );
    assert_eq!(
        net.accepted_for(task_id, me).await,
        1,
        "exactly one ProofAccepted"
    );
    let store = proofmarket::store::Store::open(&store_path).expect("store");
    let submission = store
        .submission(&format!("submit:{task_id}"))
        .expect("read")
        .expect("the submission is recorded");
    // Stopped right after the proof landed, the service may not have read its receipt yet: the row
    // is confirmed, or pending with the hash (the next start settles it).
    assert!(
        matches!(
            submission.status,
            SubmissionStatus::Confirmed | SubmissionStatus::Pending
        ),
        "{submission:?}"
    );
    assert_eq!(submission.tx_hash, Some(net.submissions_by(me).await[0]));
    let claimable = registry.claimable(me).call().await.expect("claimable");
    assert!(claimable > U256::ZERO, "the race paid the prover");

    // Life 3: restart after the proof landed: it catches up and sends nothing.
    let nonce_before = net.admin.get_transaction_count(me).await.expect("nonce");
    let head = net.admin.get_block_number().await.expect("head");
    let third = net
        .start_prover(&key, &store_path, net.settings(None))
        .await;
    // Mine a few blocks so the third life has new logs to scan past the proof.
    for _ in 0..3 {
        net.admin
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .expect("evm_mine");
    }
    let target = head + 3;
    wait_for(
        "the third life's cursor to pass the proof",
        Duration::from_secs(60),
        || {
            let cursor = third.cursor();
            let alive = !third.handle.is_finished();
            async move {
                assert!(alive, "the third life stopped early");
                cursor.is_some_and(|c| c >= target)
            }
        },
    )
    .await;
    // Give it a few more polls to act on anything it would act on.
    tokio::time::sleep(Duration::from_secs(2)).await;
    third.stop().await;
    assert_eq!(
        net.admin.get_transaction_count(me).await.expect("nonce"),
        nonce_before,
        "a restart after the proof landed sends no transaction"
    );
    assert_eq!(net.submissions_by(me).await.len(), 1);
    assert_eq!(
        registry.claimable(me).call().await.expect("claimable"),
        claimable
    );
    assert_eq!(
        store.task(task_id).expect("row").expect("task").state,
        TaskState::Proven
    );
    let submission = store
        .submission(&format!("submit:{task_id}"))
        .expect("read")
        .expect("the submission is recorded");
    assert_eq!(
        submission.status,
        SubmissionStatus::Confirmed,
        "the restart settled it from its receipt"
    );
    assert!(submission.gas_used.is_some_and(|g| g > 0));
}
