//! `proofmarket devnet --ledger` end to end, small: anvil, the deployment with the one-word market and
//! its LedgerRollup, the in-process sequencer posting to it, two in-process `LedgerProverService`s,
//! blocks of two transfers proven with real Groth16 root proofs verified on L1 and finalized. Asserts
//! on the returned summary, read back from the ledger's, its router's and the LedgerRollup's events.

use std::collections::BTreeSet;

use alloy::primitives::U256;
use proofmarket::devnet::{DevnetArgs, LedgerDevnetSummary, render_ledger, run_ledger_devnet};

const BPS: u64 = 10_000;

/// What every ledger run owes, whatever the mechanism: every block proven and finalized, the
/// sequencer's share of each block's reward credited at finalisation, the rest the root task's
/// budget, each prover's totals the sum of its accepted proofs, and the honest provers' stakes in
/// the ledger's registry untouched.
fn check_blocks_rewards_and_stakes(summary: &LedgerDevnetSummary, blocks: u64) {
    let terms = &summary.terms;
    assert_eq!(
        summary.blocks.iter().map(|b| b.number).collect::<Vec<_>>(),
        (1..=blocks).collect::<Vec<_>>()
    );
    assert_eq!(summary.proven_tip.0, blocks, "every block finalized");
    assert_eq!(
        summary.proven_tip.1,
        summary.blocks.last().unwrap().state_root
    );
    let share = terms.block_reward * U256::from(terms.sequencer_share_bps) / U256::from(BPS);
    assert!(share > U256::ZERO);
    let mut task_ids = BTreeSet::new();
    let mut parent = summary.genesis_root;
    for block in &summary.blocks {
        assert_eq!(block.txs, 2, "block {} holds its transfers", block.number);
        assert!(task_ids.insert(block.task_id), "one root task per block");
        assert_ne!(
            block.state_root, parent,
            "block {} moved the state",
            block.number
        );
        parent = block.state_root;
        assert!(block.post_gas > 0);
        assert!(
            !block.proofs.is_empty(),
            "block {}: an accepted root proof",
            block.number
        );
        assert!(block.proofs.iter().all(|p| p.gas_used > 0));
        assert_eq!(
            block.sequencer_reward, share,
            "block {}: the sequencer's share of the block reward",
            block.number
        );
        assert_eq!(
            U256::from(block.task.maxPayment),
            terms.block_reward - share,
            "block {}: the provers' budget is the rest",
            block.number
        );
    }
    assert_eq!(
        summary.sequencer_claimable,
        share * U256::from(blocks),
        "the sequencer {} can claim its share of every finalized block",
        summary.sequencer
    );
    assert_eq!(summary.provers.len(), 2);
    let mut won = 0;
    for prover in &summary.provers {
        let credited: U256 = summary
            .blocks
            .iter()
            .flat_map(|b| &b.proofs)
            .filter(|p| p.prover == prover.address)
            .map(|p| p.credited)
            .sum();
        assert_eq!(prover.paid, credited);
        assert_eq!(
            prover.balance, prover.paid,
            "{}: its ledger balance is what it was paid",
            prover.address
        );
        assert_eq!(
            prover.stake, terms.prover_stake,
            "{}: an honest prover's stake in the ledger's registry is untouched",
            prover.address
        );
        assert_eq!(prover.slashed_count, 0);
        won += prover.blocks_won.len();
    }
    assert!(won >= blocks as usize, "each block has a paid winner");
}

/// The block rows of the printed summary, with the mechanism's column.
fn rendered_rows(summary: &LedgerDevnetSummary) -> Vec<String> {
    let text = render_ledger(&summary.clone());
    println!("{text}");
    summary
        .blocks
        .iter()
        .map(|b| {
            text.lines()
                .find(|l| l.split_whitespace().next() == Some(&b.number.to_string()))
                .unwrap_or_else(|| panic!("a row for block {}", b.number))
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ledger_blocks_are_proven_through_the_ledger_race_and_finalized() {
    let args = DevnetArgs {
        blocks: 2,
        txs_per_block: 2,
        provers: 2,
        timeout: 240,
        ledger: true,
        ..DevnetArgs::default()
    };
    let summary = run_ledger_devnet(&args)
        .await
        .expect("the ledger devnet runs to completion");
    check_blocks_rewards_and_stakes(&summary, 2);
    for (block, row) in summary.blocks.iter().zip(rendered_rows(&summary)) {
        // The LedgerRollup's default: its root tasks open directly under the ledger race.
        assert_eq!(block.mechanism, "race");
        assert_eq!(block.why, "pinned by the sequencer");
        assert!(block.assignments.is_empty(), "a race assigns nobody");
        assert!(
            row.contains(" race ") && row.contains("pinned by the sequencer"),
            "{row}"
        );
        // Each winner paid exactly the race's payment at its acceptance (LedgerProofRace.paymentAt),
        // decayed below the full slot, the rest of the slot refunded to the rollup.
        let slot = U256::from(block.task.maxPayment) / U256::from(block.task.redundancy);
        for proof in &block.proofs {
            let due = U256::from(
                summary
                    .terms
                    .race
                    .payment_at(&block.task, proof.accepted_at),
            );
            assert_eq!(
                proof.credited, due,
                "block {}: credited {} at t={}, the race pays {due}",
                block.number, proof.credited, proof.accepted_at
            );
            assert!(proof.accepted_at > u64::from(block.task.openedAt));
            assert!(due > U256::ZERO && due < slot);
            assert_eq!(proof.credited + proof.refunded, slot, "the slot settled");
        }
    }
}

/// Pinned to the ledger's ascending auction: a prover locks the root task at the ramp's price, then
/// proves it and is paid exactly the locked price; its lock collateral is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_block_pinned_to_the_ascending_auction_is_locked_then_proven() {
    let args = DevnetArgs {
        blocks: 1,
        txs_per_block: 2,
        provers: 2,
        timeout: 240,
        mechanism: Some("ascending".into()),
        ledger: true,
        ..DevnetArgs::default()
    };
    let summary = run_ledger_devnet(&args)
        .await
        .expect("the ledger devnet runs to completion");
    check_blocks_rewards_and_stakes(&summary, 1);
    let row = &rendered_rows(&summary)[0];
    let block = &summary.blocks[0];
    assert_eq!(block.mechanism, "ascending");
    assert_eq!(block.why, "pinned by the sequencer");
    assert!(
        row.contains(" ascending ") && row.contains("assigned to"),
        "{row}"
    );
    assert_eq!(block.assignments.len(), 1, "one lock");
    let lock = block.assignments[0];
    assert!(lock.price > U256::ZERO && lock.collateral > U256::ZERO);
    assert_eq!(block.proofs.len(), 1);
    assert_eq!(block.proofs[0].prover, lock.prover, "the locker proves");
    assert_eq!(
        block.proofs[0].credited, lock.price,
        "paid the locked price"
    );
}

/// A QoS persona through the ledger's router: the arbitrage bot's block goes to the ledger race
/// (docs/one-word-tasks.md's personas), and the summary says so with the router's scores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_block_routed_for_the_arbitrage_persona_goes_to_the_race() {
    let args = DevnetArgs {
        blocks: 1,
        txs_per_block: 2,
        provers: 2,
        timeout: 240,
        qos: Some("arbitrage".into()),
        ledger: true,
        ..DevnetArgs::default()
    };
    let summary = run_ledger_devnet(&args)
        .await
        .expect("the ledger devnet runs to completion");
    check_blocks_rewards_and_stakes(&summary, 1);
    let row = &rendered_rows(&summary)[0];
    let block = &summary.blocks[0];
    assert_eq!(block.mechanism, "race");
    assert!(
        block.why.starts_with("router: best QoS score"),
        "{}",
        block.why
    );
    assert!(row.contains(&block.why), "{row}");
    assert!(
        block.why.ends_with("skipped tree (missing data)"),
        "the ledger devnet routes without the tree: {}",
        block.why
    );
}

/// The Aztec-like persona, which the stored devnet routes to the tree: on the ledger the tree is
/// left out of routing (no ledger prover serves it yet), so the block goes to the best of the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_block_routed_for_the_rollup_block_persona_skips_the_tree() {
    let args = DevnetArgs {
        blocks: 1,
        txs_per_block: 2,
        provers: 2,
        timeout: 240,
        qos: Some("rollup-block".into()),
        ledger: true,
        ..DevnetArgs::default()
    };
    let summary = run_ledger_devnet(&args)
        .await
        .expect("the ledger devnet runs to completion");
    check_blocks_rewards_and_stakes(&summary, 1);
    let row = &rendered_rows(&summary)[0];
    let block = &summary.blocks[0];
    assert_ne!(block.mechanism, "tree");
    assert!(
        block.why.starts_with("router: best QoS score")
            && block.why.ends_with("skipped tree (missing data)"),
        "{}",
        block.why
    );
    assert!(row.contains(&block.mechanism), "{row}");
}
