//! The devnet end to end, small: anvil, the full deployment, one sequencer, two provers, two blocks
//! of two transfers each proven with real Groth16 root proofs verified on L1. Asserts on the returned
//! summary, which is read back from L1 events and the sequencer's store.

use std::collections::BTreeSet;

use alloy::primitives::U256;
use proofmarket::devnet::{DevnetArgs, DevnetSummary, TaskBudget, Terms, render, run_devnet};

const BPS: u64 = 10_000;

/// `DecaySchedule.decayed` for a fresh race: the per-proof base (`maxPayment / redundancy`) falls
/// linearly from `openedAt` over the decay window (the task's whole window when the instance's is
/// 0) down to `floorBps` of itself, evaluated at the accepting block's timestamp.
fn race_payment(budget: &TaskBudget, terms: &Terms, at: u64) -> U256 {
    let base = budget.max_payment / U256::from(budget.redundancy);
    let window = match terms.race_decay_window {
        0 => budget.deadline - budget.opened_at,
        w => u64::from(w),
    };
    let (bps, floor) = (U256::from(BPS), U256::from(terms.race_floor_bps));
    if at <= budget.opened_at {
        return base;
    }
    let elapsed = at - budget.opened_at;
    if elapsed >= window {
        return base - base * (bps - floor) / bps;
    }
    base - base * (bps - floor) * U256::from(elapsed) / (bps * U256::from(window))
}

/// What every run owes, whatever the mechanism: the sequencer's share of each block's reward
/// credited at finalisation, the rest escrowed as the root task's budget, and the honest provers'
/// stakes untouched.
fn check_rewards_and_stakes(summary: &DevnetSummary) {
    let terms = &summary.terms;
    let share = terms.block_reward * U256::from(terms.sequencer_share_bps) / U256::from(BPS);
    assert!(share > U256::ZERO);
    for block in &summary.blocks {
        assert_eq!(
            block.sequencer_reward, share,
            "block {}: the sequencer's share of the block reward",
            block.number
        );
        assert_eq!(
            block.budget.max_payment,
            terms.block_reward - share,
            "block {}: the provers' budget is the rest",
            block.number
        );
        assert!(block.budget.paid > U256::ZERO && block.budget.paid <= block.budget.max_payment);
    }
    assert_eq!(
        summary.sequencer_claimable,
        share * U256::from(summary.blocks.len()),
        "the sequencer {} can claim its share of every finalised block",
        summary.sequencer
    );
    for prover in &summary.provers {
        assert_eq!(
            prover.stake, terms.prover_stake,
            "{}: an honest prover's stake is untouched",
            prover.address
        );
        assert_eq!(
            prover.slashed_count, 0,
            "{} was never slashed",
            prover.address
        );
    }
}

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

    // Each race payout is exactly the linear decay at its acceptance block, and decayed (the
    // provers took seconds, the formula is not just the full share).
    for block in &summary.blocks {
        for proof in &block.proofs {
            let expected = race_payment(&block.budget, &summary.terms, proof.accepted_at);
            assert_eq!(
                proof.payment, expected,
                "block {}: paid {} at t={}, the decay formula says {expected}",
                block.number, proof.payment, proof.accepted_at
            );
            assert!(proof.accepted_at > block.budget.opened_at);
            assert_eq!(
                block.budget.paid, proof.payment,
                "one slot, paid as accepted"
            );
            assert!(proof.payment < block.budget.max_payment / U256::from(block.budget.redundancy));
        }
    }
    check_rewards_and_stakes(&summary);
}

/// One block through the devnet, and what the summary says about it.
async fn one_block(
    mechanism: Option<&str>,
    qos: Option<&str>,
) -> proofmarket::devnet::BlockSummary {
    let args = DevnetArgs {
        blocks: 1,
        txs_per_block: 2,
        provers: 2,
        timeout: 180,
        mechanism: mechanism.map(str::to_string),
        qos: qos.map(str::to_string),
        ..DevnetArgs::default()
    };
    let summary = run_devnet(&args).await.expect("devnet runs to completion");
    println!("{}", render(&summary));
    assert_eq!(summary.proven_tip.0, 1, "the block is proven and finalized");
    assert_eq!(summary.blocks.len(), 1);
    let block = summary.blocks[0].clone();
    assert!(!block.proofs.is_empty(), "an accepted root proof");
    assert!(block.proofs.iter().all(|p| p.payment > U256::ZERO));
    assert_eq!(summary.proven_tip.1, block.state_root);
    check_rewards_and_stakes(&summary);
    block
}

/// The order book through the real agents: both provers post standing offers at start, the root
/// task is matched to one of them inside `createTask`, and it proves and is paid its offer price.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_pinned_to_the_order_book_is_matched_to_an_offer_and_proven() {
    let block = one_block(Some("order-book"), None).await;
    assert_eq!(block.mechanism, "order-book");
    assert_eq!(block.why, "pinned by the sequencer");
}

/// A QoS profile through the router: the Aztec-like persona's block goes to the tree assignment
/// (DESIGN.md §6; scores in docs/mechanisms.md), whose ranges the two provers draw, prove and attest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rollup_block_persona_is_routed_to_the_tree_and_proven() {
    let block = one_block(None, Some("rollup-block")).await;
    assert_eq!(block.mechanism, "tree");
    assert!(
        block
            .why
            .starts_with("router: best QoS score 212 vs election-race 203"),
        "{}",
        block.why
    );
}
