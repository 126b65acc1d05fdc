//! The sequencer against a real Rollup on anvil: a built block is posted (its root-proof task opened),
//! the post is never repeated under the same key, and a call that would revert is refused with the
//! decoded error.

use std::path::PathBuf;
use std::time::Duration;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use proofmarket::chain::connect;
use proofmarket::chain::submitter::{SubmitError, Submitter, SubmitterConfig};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::sequencer::l1::{BlockPoster, BuildPolicy};
use proofmarket::sequencer::node::{L2Node, status};
use proofmarket::store::Store;
use proofmarket_bindings::Rollup;
use proofmarket_circuits::state::{Transaction, devnet_genesis, devnet_key};

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

#[tokio::test]
async fn posts_a_block_once_and_decodes_reverts() {
    let anvil = anvil();
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let me = signer.address();
    let provider = connect(&anvil.endpoint(), Some(signer.clone()))
        .await
        .unwrap();
    let addresses = deploy(&provider, me, &DeployParams::devnet(me))
        .await
        .unwrap();
    let rollup = addresses.rollup.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sequencer.db")).unwrap();
    let node = L2Node::restore(store.clone(), devnet_genesis(), 100).unwrap();
    let submitter = Submitter::new(
        provider.clone(),
        signer,
        store.clone(),
        SubmitterConfig::default(),
        "test",
    );

    // A revert is refused before signing, decoded by name.
    let finalize_nothing = Rollup::finalizeCall { headers: vec![] }.abi_encode();
    let err = submitter
        .send(
            "finalize",
            Some("finalize:none"),
            None,
            rollup,
            finalize_nothing.into(),
            U256::ZERO,
        )
        .await
        .unwrap_err();
    match &err {
        SubmitError::WouldRevert { revert, .. } => assert_eq!(revert.display, "NoBlocks()"),
        other => panic!("expected a decoded revert, got {other}"),
    }
    assert!(
        err.to_string()
            .starts_with("[T001] finalize would revert: NoBlocks()"),
        "{err}"
    );

    // Two transfers, one block, posted.
    for (nonce, amount) in [(0u64, 10u64), (1, 20)] {
        let tx = Transaction {
            from: 1,
            to: 2,
            amount,
            nonce,
        }
        .sign(&devnet_key(1));
        node.submit(tx).unwrap().unwrap();
    }
    let built = node.build_block(8).unwrap().unwrap();
    let poster = BlockPoster {
        node: node.clone(),
        submitter: submitter.clone(),
        rollup,
        policy: BuildPolicy {
            max_block_txs: 8,
            block_interval: Duration::from_millis(50),
        },
    };
    poster.post_pending().await.unwrap();
    let row = store.block(1).unwrap().unwrap();
    assert_eq!(row.status, status::POSTED);
    let task_id = row.task_id.expect("the Rollup opened a root-proof task");
    assert!(task_id >= 1);

    let rollup_contract = Rollup::new(rollup, &provider);
    let pending = rollup_contract.pendingTip().call().await.unwrap();
    assert_eq!(pending.number, 1);
    assert_eq!(pending.stateRoot, built.body.new_state_root);
    // The task commits to the root statement the provers will prove.
    let task = proofmarket_bindings::TaskRegistry::new(addresses.task_registry, &provider)
        .taskOf(U256::from(task_id))
        .call()
        .await
        .unwrap();
    assert_eq!(
        task.circuitId,
        proofmarket_circuits::circuits::CircuitKind::Root.id()
    );
    assert_eq!(task.requester, rollup);

    // Posting again (a restart) finds the key confirmed and sends nothing.
    let nonce_before = alloy::providers::Provider::get_transaction_count(&provider, me)
        .await
        .unwrap();
    store.update_block(1, status::BUILT, None, None).unwrap();
    poster.post_pending().await.unwrap();
    let nonce_after = alloy::providers::Provider::get_transaction_count(&provider, me)
        .await
        .unwrap();
    assert_eq!(
        nonce_before, nonce_after,
        "the same block must not be posted twice"
    );
    assert_eq!(store.block(1).unwrap().unwrap().status, status::POSTED);
}
