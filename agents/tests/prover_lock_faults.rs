//! Crashes of real prover agents holding a locked task (ascending-price auction, lock collateral at
//! stake), against anvil, asserted on L1:
//! - an agent killed mid-proof (its run future dropped, no graceful drain) and restarted from the
//!   same SQLite store resumes the locked task, proves it and submits exactly once: paid its lock
//!   price, its collateral released, nothing slashed, the lock never sent again;
//! - an agent killed mid-proof that never comes back is slashed by another real agent once its lock
//!   lapses (`slashLock`, per the auction's rules); that agent locks the freed slot, proves and is
//!   paid its lock price plus the cover share; the dead agent's stake drops by exactly the lock
//!   collateral, split between treasury, cover bounty and requester per `slashSplit`, every token
//!   accounted for.

mod mechanism_support;
mod poll_support;

use std::path::Path;
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::sol_types::SolCall;
use mechanism_support::{TOKEN, World};
use poll_support::wait_for;
use proofmarket::prover::cost::Prices;
use proofmarket::prover::policy::StrategySection;
use proofmarket::store::SubmissionStatus;
use proofmarket_bindings::{
    AscendingPriceAuction, ITaskRegistry, ProofToken, ProverRegistry, Rollup, TaskRegistry,
};

/// Node proofs in a prover's store (2 base, 1 merge and 1 root make a two-transfer block's tree).
fn cached_nodes(store: &Path) -> i64 {
    let db =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the prover's store read-only");
    db.query_row("SELECT COUNT(*) FROM node_proofs", [], |row| row.get(0))
        .expect("count node proofs")
}

/// Waits until `prover` holds a lock on `task_id` and is mid-proof: one or two of the tree's four
/// nodes proven, so neither the root nor a submission can exist yet.
async fn wait_locked_mid_proof(
    world: &World,
    prover: &mechanism_support::RunningProver,
    task_id: u64,
) {
    let auction = AscendingPriceAuction::new(world.mechanism, &world.admin);
    let store = prover.store.path().to_path_buf();
    wait_for(
        "the locker to be mid-proof",
        Duration::from_secs(120),
        || async {
            assert!(!prover.handle.is_finished(), "the locker stopped early");
            let locked = auction
                .lockOf(U256::from(task_id), prover.address)
                .call()
                .await
                .expect("lockOf")
                .lockDeadline
                != 0;
            locked && (1..=2).contains(&cached_nodes(&store))
        },
    )
    .await;
}

/// `Locked` events of the auction: (prover, price).
async fn locks(world: &World) -> Vec<(Address, U256)> {
    world
        .events::<AscendingPriceAuction::Locked>(vec![world.mechanism])
        .await
        .into_iter()
        .map(|(_, e)| (e.prover, U256::from(e.price)))
        .collect()
}

/// `ProofAccepted` events of the registry: (task, prover, credit).
async fn accepted(world: &World) -> Vec<(u64, Address, U256)> {
    world
        .events::<TaskRegistry::ProofAccepted>(vec![world.addresses.task_registry])
        .await
        .into_iter()
        .map(|(_, e)| (e.taskId.to::<u64>(), e.prover, e.payment))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locker_killed_mid_proof_resumes_and_delivers_once() {
    let world = World::new("ascending").await;
    let registry = TaskRegistry::new(world.addresses.task_registry, &world.admin);
    let provers = ProverRegistry::new(world.addresses.prover_registry, &world.admin);
    let auction = AscendingPriceAuction::new(world.mechanism, &world.admin);
    let collateral = U256::from(
        auction
            .lockCollateral()
            .call()
            .await
            .expect("lockCollateral"),
    );

    // Life 1: locks the root task's only slot as soon as the ramp reaches its price, starts proving,
    // and is killed with two of the four nodes at most.
    let first = world
        .start_prover(1, Prices::default(), StrategySection::default())
        .await;
    let me = first.address;
    world.wait_registered(&[&first]).await;
    let task_id = world.post_block().await;
    let id = U256::from(task_id);
    wait_locked_mid_proof(&world, &first, task_id).await;
    assert_eq!(
        provers.freeStake(me).call().await.expect("freeStake"),
        U256::from(200 * TOKEN) - collateral,
        "the lock holds its collateral"
    );
    let store = first.kill().await;
    let lock_key = store
        .submission(&format!(
            "lock:{}:{task_id}:{}",
            world.mechanism,
            auction.auctionOf(id).call().await.expect("auctionOf").round
        ))
        .expect("read")
        .expect("the lock is recorded under its idempotency key");
    assert_eq!(lock_key.status, SubmissionStatus::Confirmed);
    assert!(
        !registry.hasProven(id, me).call().await.expect("hasProven"),
        "killed before its proof"
    );
    let submit = ITaskRegistry::submitProofCall::SELECTOR;
    assert!(
        world
            .txs_from(me, world.addresses.task_registry, submit)
            .await
            .is_empty()
    );
    assert_eq!(
        registry.taskOf(id).call().await.expect("taskOf").status,
        2,
        "still assigned to the dead life's lock"
    );

    // Life 2: same key, same store. It resumes the locked task (the assignment is replayed from
    // before the cursor), proves it on top of the cached nodes and submits once.
    let second = world
        .start_prover(1, Prices::default(), StrategySection::default())
        .await;
    wait_for(
        "the resumed locker's proof on L1",
        Duration::from_secs(240),
        || async {
            assert!(
                !second.handle.is_finished(),
                "the resumed prover stopped early"
            );
            registry.hasProven(id, me).call().await.expect("hasProven")
        },
    )
    .await;
    second.stop().await;

    assert!(
        Rollup::new(world.rollup, &world.admin)
            .isTaskProven(id)
            .call()
            .await
            .expect("isTaskProven")
    );
    assert_eq!(
        world
            .txs_from(me, world.addresses.task_registry, submit)
            .await
            .len(),
        1,
        "exactly one submitProof transaction"
    );
    assert_eq!(
        world
            .txs_from(
                me,
                world.mechanism,
                AscendingPriceAuction::lockCall::SELECTOR
            )
            .await
            .len(),
        1,
        "the lock was never sent again"
    );
    let locked = locks(&world).await;
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0].0, me);
    assert_eq!(
        accepted(&world).await,
        vec![(task_id, me, locked[0].1)],
        "one accepted proof, paid exactly the lock price"
    );
    assert_eq!(
        registry.claimable(me).call().await.expect("claimable"),
        locked[0].1
    );
    let record = provers.proverOf(me).call().await.expect("proverOf");
    assert_eq!(
        U256::from(record.stake),
        U256::from(200 * TOKEN),
        "nothing slashed"
    );
    assert_eq!(
        provers.freeStake(me).call().await.expect("freeStake"),
        U256::from(200 * TOKEN),
        "the lock collateral came back"
    );
    assert!(
        world
            .events::<TaskRegistry::AssignmentSlashed>(vec![world.addresses.task_registry])
            .await
            .is_empty()
    );
    assert!(
        world
            .events::<AscendingPriceAuction::LockSlashed>(vec![world.mechanism])
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_locker_agent_is_slashed_and_covered_by_another_agent() {
    let world = World::new("ascending").await;
    let registry = TaskRegistry::new(world.addresses.task_registry, &world.admin);
    let provers = ProverRegistry::new(world.addresses.prover_registry, &world.admin);
    let token = ProofToken::new(world.addresses.token, &world.admin);
    let auction = AscendingPriceAuction::new(world.mechanism, &world.admin);
    let collateral = U256::from(
        auction
            .lockCollateral()
            .call()
            .await
            .expect("lockCollateral"),
    );
    let lock_window = u64::from(auction.lockWindow().call().await.expect("lockWindow"));

    // C asks the least (default prices: far below the ramp's floor), so it locks at the opening.
    // B prices its proving seconds at half a token: it would lock only some seconds up the ramp,
    // finds the slot taken and watches C's lock instead.
    let doomed = world
        .start_prover(2, Prices::default(), StrategySection::default())
        .await;
    let dear = Prices {
        compute_per_sec: 5e17,
        ..Prices::default()
    };
    let cover = world
        .start_prover(1, dear, StrategySection::default())
        .await;
    let (c, b) = (doomed.address, cover.address);
    world.wait_registered(&[&doomed, &cover]).await;
    let task_id = world.post_block().await;
    let id = U256::from(task_id);
    let task = registry.taskOf(id).call().await.expect("taskOf");
    wait_locked_mid_proof(&world, &doomed, task_id).await;
    // C dies mid-proof and is never restarted.
    drop(doomed.kill().await);

    // Balances once both agents are registered and the task is escrowed; nothing moves tokens
    // between contracts from here on but the slash.
    let split = registry.slashSplit().call().await.expect("slashSplit");
    let (treasury, treasury_bps, cover_bps) = (split._0, split._1, split._2);
    let claimable = |who: Address| {
        let registry = registry.clone();
        async move { registry.claimable(who).call().await.expect("claimable") }
    };
    let balance = |who: Address| {
        let token = token.clone();
        async move { token.balanceOf(who).call().await.expect("balanceOf") }
    };
    let supply = token.totalSupply().call().await.expect("totalSupply");
    let in_provers = balance(world.addresses.prover_registry).await;
    let in_tasks = balance(world.addresses.task_registry).await;
    let treasury_before = claimable(treasury).await;
    let rollup_before = claimable(world.rollup).await;
    let b_before = claimable(b).await;
    let c_stake = provers.proverOf(c).call().await.expect("proverOf").stake;
    assert_eq!(U256::from(c_stake), U256::from(200 * TOKEN));

    // Nobody else may prove a slot C holds; let B follow a few polls, then let the lock lapse.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!registry.hasProven(id, b).call().await.expect("hasProven"));
    world.warp(lock_window + 5).await;

    wait_for(
        "the covering agent's proof on L1",
        Duration::from_secs(300),
        || async {
            assert!(
                !cover.handle.is_finished(),
                "the covering agent stopped early"
            );
            registry.hasProven(id, b).call().await.expect("hasProven")
        },
    )
    .await;
    cover.stop().await;

    // The auction's story: C locked, B slashed the lapsed lock (its own transaction) and locked
    // the freed slot.
    let slashed = world
        .events::<AscendingPriceAuction::LockSlashed>(vec![world.mechanism])
        .await;
    assert_eq!(slashed.len(), 1, "slashed once");
    assert_eq!((slashed[0].1.prover, slashed[0].1.slasher), (c, b));
    assert_eq!(
        world
            .txs_from(
                b,
                world.mechanism,
                AscendingPriceAuction::slashLockCall::SELECTOR
            )
            .await
            .len(),
        1,
        "the covering agent sent the one slashLock"
    );
    let locked = locks(&world).await;
    assert_eq!(locked.len(), 2, "C's lock, then B's: {locked:?}");
    assert_eq!((locked[0].0, locked[1].0), (c, b));
    let b_price = locked[1].1;

    // The slash, exactly per slashSplit: treasury and cover shares in bps of the collateral, the
    // rest to the requester (the Rollup).
    let slashes = world
        .events::<TaskRegistry::AssignmentSlashed>(vec![world.addresses.task_registry])
        .await;
    assert_eq!(slashes.len(), 1);
    let s = &slashes[0].1;
    let bps = U256::from(10_000u64);
    let to_treasury = collateral * U256::from(treasury_bps) / bps;
    let to_cover = collateral * U256::from(cover_bps) / bps;
    assert_eq!((s.taskId, s.prover, s.amount), (id, c, collateral));
    assert_eq!(s.toTreasury, to_treasury);
    assert_eq!(s.toCover, to_cover);
    assert_eq!(s.toRequester, collateral - to_treasury - to_cover);
    assert!(to_cover > U256::ZERO, "the split funds a cover bounty");

    // B: paid its lock price plus the cover share, its collateral back; C: never submitted.
    assert_eq!(
        accepted(&world).await,
        vec![(task_id, b, b_price + to_cover)],
        "one accepted proof: lock price plus the cover bounty"
    );
    assert_eq!(claimable(b).await - b_before, b_price + to_cover);
    assert_eq!(
        world
            .txs_from(
                b,
                world.addresses.task_registry,
                ITaskRegistry::submitProofCall::SELECTOR
            )
            .await
            .len(),
        1
    );
    assert!(
        world
            .txs_from(
                c,
                world.addresses.task_registry,
                ITaskRegistry::submitProofCall::SELECTOR
            )
            .await
            .is_empty(),
        "the dead agent never submitted"
    );
    assert_eq!(
        provers.freeStake(b).call().await.expect("freeStake"),
        U256::from(200 * TOKEN)
    );
    let c_after = provers.proverOf(c).call().await.expect("proverOf");
    assert_eq!(
        U256::from(c_stake - c_after.stake),
        collateral,
        "the dead agent's stake dropped by exactly the lock collateral"
    );
    let record = provers.recordOf(c).call().await.expect("recordOf");
    assert_eq!(
        (record.slashedCount, U256::from(record.slashedAmount)),
        (1, collateral)
    );
    assert_eq!(
        provers.freeStake(c).call().await.expect("freeStake"),
        U256::from(200 * TOKEN) - collateral
    );

    // Every token accounted for: the collateral moved from the prover registry to the task
    // registry; the treasury got its share; the requester its share plus the unspent budget
    // (maxPayment − B's price, refunded at fulfilment); together with B's credit that is exactly
    // the task's escrow plus the collateral. No token was minted or burnt.
    let fulfilled = world
        .events::<TaskRegistry::TaskFulfilled>(vec![world.addresses.task_registry])
        .await;
    assert_eq!(fulfilled.len(), 1);
    let max_payment = U256::from(task.maxPayment);
    assert_eq!(fulfilled[0].1.refunded, max_payment - b_price);
    assert_eq!(claimable(treasury).await - treasury_before, to_treasury);
    assert_eq!(
        claimable(world.rollup).await - rollup_before,
        s.toRequester + max_payment - b_price
    );
    assert_eq!(
        (claimable(b).await - b_before)
            + (claimable(treasury).await - treasury_before)
            + (claimable(world.rollup).await - rollup_before),
        max_payment + collateral
    );
    assert_eq!(
        in_provers - balance(world.addresses.prover_registry).await,
        collateral
    );
    assert_eq!(
        balance(world.addresses.task_registry).await - in_tasks,
        collateral
    );
    assert_eq!(
        token.totalSupply().call().await.expect("totalSupply"),
        supply
    );
    assert!(
        Rollup::new(world.rollup, &world.admin)
            .isTaskProven(id)
            .call()
            .await
            .expect("isTaskProven")
    );
}
