//! The prover against a real deployment on anvil: a posted block's root task (an open race) is
//! decided, its data rebuilt from L1 calldata and checked, its tree proven with real Groth16 proofs,
//! and the root proof accepted on L1 (verified by the generated verifier) and paid.

mod poll_support;

use std::path::PathBuf;
use std::time::Duration;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use poll_support::wait_for;
use proofmarket::chain::connect;
use proofmarket::chain::submitter::{Submitter, SubmitterConfig};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::prover::cost::{Prices, ProvingSpeed};
use proofmarket::prover::service::{ProverService, ProverSettings};
use proofmarket::sequencer::l1::{BlockPoster, BuildPolicy};
use proofmarket::sequencer::node::L2Node;
use proofmarket::store::Store;
use proofmarket_bindings::{ProofToken, Rollup, TaskRegistry};
use proofmarket_circuits::state::{Transaction, devnet_genesis, devnet_key};
use tokio_util::sync::CancellationToken;

fn anvil() -> AnvilInstance {
    let repo_anvil = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    let launcher = if repo_anvil.exists() {
        Anvil::at(repo_anvil)
    } else {
        Anvil::new()
    };
    launcher
        .try_spawn()
        .expect("anvil (from node_modules or PATH) must start")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_block_is_raced_proven_and_paid() {
    let anvil = anvil();
    let deployer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let prover_key: PrivateKeySigner = anvil.keys()[1].clone().into();
    let admin = connect(&anvil.endpoint(), Some(deployer.clone()))
        .await
        .expect("connect");
    let addresses = deploy(
        &admin,
        deployer.address(),
        &DeployParams::devnet(deployer.address()),
    )
    .await
    .expect("deploy");
    let rollup = addresses.rollup.expect("rollup deployed");

    // Stake tokens for the prover.
    ProofToken::new(addresses.token, &admin)
        .mint(
            prover_key.address(),
            U256::from(1_000u64) * U256::from(10u64).pow(U256::from(18u64)),
        )
        .send()
        .await
        .expect("mint")
        .get_receipt()
        .await
        .expect("mint receipt");

    // The sequencer posts one block of two transfers.
    let dir = tempfile::tempdir().expect("tempdir");
    let seq_store = Store::open(&dir.path().join("sequencer.db")).expect("store");
    let node = L2Node::restore(seq_store.clone(), devnet_genesis(), 100).expect("node");
    let submitter = Submitter::new(
        admin.clone(),
        deployer,
        seq_store.clone(),
        SubmitterConfig::default(),
        "test",
    );
    for (nonce, amount) in [(0u64, 10u64), (1, 20)] {
        node.submit(
            Transaction {
                from: 1,
                to: 2,
                amount,
                nonce,
            }
            .sign(&devnet_key(1)),
        )
        .expect("submit")
        .expect("accepted");
    }
    node.build_block(8).expect("build").expect("a block");
    let poster = BlockPoster {
        node: node.clone(),
        submitter,
        rollup,
        policy: BuildPolicy {
            max_block_txs: 8,
            block_interval: Duration::from_millis(50),
        },
    };
    poster.post_pending().await.expect("post");
    let task_id = seq_store
        .block(1)
        .expect("row")
        .expect("block 1")
        .task_id
        .expect("root task");

    // The prover: no sequencer URL, so the data comes from L1 calldata.
    let provider = connect(&anvil.endpoint(), Some(prover_key.clone()))
        .await
        .expect("connect prover");
    let store = Store::open(&dir.path().join("prover.db")).expect("prover store");
    let settings = ProverSettings {
        sequencer_url: None,
        workers: 1,
        max_concurrent: 2,
        stake: U256::from(100u64) * U256::from(10u64).pow(U256::from(18u64)),
        hardware_class: 0,
        poll_interval: Duration::from_millis(200),
        log_chunk_blocks: 1_000,
        reorg_depth: 12,
        prices: Prices::default(),
        speed: Some(ProvingSpeed {
            base_secs: 2.0,
            merge_secs: 1.0,
            root_secs: 1.0,
            workers: 1,
        }),
        key_dir: proofmarket_circuits::keys::default_key_dir(),
    };
    let service = ProverService::new(
        provider.clone(),
        prover_key.clone(),
        addresses.clone(),
        store.clone(),
        settings,
    );
    let outcomes = service.outcomes();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(service.run(shutdown.clone()));

    let registry = TaskRegistry::new(addresses.task_registry, &provider);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    wait_for(
        "the prover's proof on L1",
        Duration::from_secs(240),
        || async {
            if registry
                .hasProven(U256::from(task_id), prover_key.address())
                .call()
                .await
                .expect("hasProven")
            {
                return true;
            }
            assert!(!handle.is_finished(), "the prover stopped early");
            false
        },
    )
    .await;
    // The proof is on chain once the transaction is mined; the service records its outcome (with the
    // receipt's gas) a moment later. Wait for that record before shutting down, or the test races it.
    wait_for(
        "the outcome recorded, within the proof's 240 s",
        deadline.saturating_duration_since(tokio::time::Instant::now()),
        || async {
            outcomes
                .lock()
                .expect("outcomes")
                .get(&task_id)
                .is_some_and(|o| o.gas_used > 0)
        },
    )
    .await;
    shutdown.cancel();
    handle.await.expect("join").expect("prover ran cleanly");

    // Paid, recorded once, and the Rollup heard about it.
    let claimable = registry
        .claimable(prover_key.address())
        .call()
        .await
        .expect("claimable");
    assert!(claimable > U256::ZERO, "the race paid the prover");
    assert!(
        Rollup::new(rollup, &provider)
            .isTaskProven(U256::from(task_id))
            .call()
            .await
            .expect("isTaskProven")
    );
    let submission = store
        .submission(&format!("submit:{task_id}"))
        .expect("read")
        .expect("one submission");
    assert!(submission.tx_hash.is_some());
    let outcome = outcomes
        .lock()
        .expect("outcomes")
        .get(&task_id)
        .cloned()
        .expect("outcome");
    assert_eq!(outcome.block, 1);
    assert_eq!(
        outcome.proven_nodes + outcome.reused_nodes,
        4,
        "2 leaves, 1 merge, 1 root"
    );
    assert!(outcome.gas_used > 0);
}
