//! The devnet end to end, small: anvil, the full deployment, one sequencer, two provers, two blocks
//! of two transfers each proven with real Groth16 root proofs verified on L1. Asserts on the returned
//! summary, which is read back from L1 events and the sequencer's store.

use std::collections::BTreeSet;

use alloy::primitives::U256;
use proofmarket::devnet::{DevnetArgs, render, run_devnet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_small_blocks_are_proven_on_l1_and_every_winner_is_paid() {
    let args = DevnetArgs {
        blocks: 2,
        txs_per_block: 2,
        provers: 2,
        timeout: 240,
        ..DevnetArgs::default()
    };
    let summary = run_devnet(&args).await.expect("devnet runs to completion");
    println!("{}", render(&summary));

    // Every block proven on L1, in order, with the transfers it was given.
    assert_eq!(
        summary.blocks.iter().map(|b| b.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let mut task_ids = BTreeSet::new();
    for block in &summary.blocks {
        assert_eq!(
            block.txs, 2,
            "block {} holds its two transfers",
            block.number
        );
        assert_eq!(block.mechanism, "race", "the devnet's default mechanism");
        assert_eq!(block.why, "pinned by the sequencer");
        assert!(task_ids.insert(block.task_id), "one task per block");
        assert!(
            !block.proofs.is_empty(),
            "block {} has an accepted root proof",
            block.number
        );
        assert!(block.post_gas > 0);
        assert!(block.proofs.iter().all(|p| p.gas_used > 0));
        assert!(
            block.prove_ms.is_some(),
            "the winner reported its proving time"
        );
    }

    // The state advanced: each block's root differs from its predecessor's and L1's proven tip is
    // the last block's root.
    assert_ne!(summary.blocks[0].state_root, summary.genesis_root);
    assert_ne!(summary.blocks[1].state_root, summary.blocks[0].state_root);
    assert_eq!(summary.proven_tip.0, 2);
    assert_eq!(summary.proven_tip.1, summary.blocks[1].state_root);

    // Every prover that won a block was paid for it, and its claimable balance holds the payments.
    assert_eq!(summary.provers.len(), 2);
    let mut won = 0;
    for prover in &summary.provers {
        if prover.blocks_won.is_empty() {
            assert_eq!(prover.paid, U256::ZERO);
            continue;
        }
        won += prover.blocks_won.len();
        assert!(
            prover.paid > U256::ZERO,
            "{} won but was not paid",
            prover.address
        );
        assert!(
            prover.claimable >= prover.paid,
            "{} can claim what it was paid",
            prover.address
        );
    }
    assert!(won >= 2, "each block has at least one paid winner");
}
