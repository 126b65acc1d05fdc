//! Ascending-price lock auction end to end on anvil, with a locker that vanishes: a test actor locks
//! the root task's only slot and never proves; the real prover agent, started after it, finds the slot
//! locked, watches the lock, slashes it once it lapses, locks the freed slot itself, proves the block
//! with a real Groth16 root proof and is paid its lock price plus the cover bounty from the slash.

mod mechanism_support;
mod poll_support;

use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use mechanism_support::{TOKEN, World};
use poll_support::wait_for;
use proofmarket::prover::cost::Prices;
use proofmarket::prover::policy::StrategySection;
use proofmarket_bindings::{
    AscendingPriceAuction, ProofToken, ProverRegistry, Rollup, TaskRegistry,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_locker_is_slashed_and_covered_by_the_agent() {
    let world = World::new("ascending").await;
    let auction_address = world.mechanism;

    // The locker that will vanish.
    let ghost_key = world.key(3);
    let ghost = world.provider(3).await;
    ProofToken::new(world.addresses.token, &ghost)
        .approve(world.addresses.prover_registry, U256::from(200 * TOKEN))
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("receipt");
    ProverRegistry::new(world.addresses.prover_registry, &ghost)
        .register(U256::from(200 * TOKEN), 0, 2)
        .send()
        .await
        .expect("register")
        .get_receipt()
        .await
        .expect("receipt");
    let task_id = world.post_block().await;
    let auction = AscendingPriceAuction::new(auction_address, &ghost);
    auction
        .lock(U256::from(task_id))
        .send()
        .await
        .expect("ghost lock")
        .get_receipt()
        .await
        .expect("receipt");
    let lock_window = auction.lockWindow().call().await.expect("lockWindow");
    let collateral = auction
        .lockCollateral()
        .call()
        .await
        .expect("lockCollateral");

    // The agent starts with the slot taken.
    let agent = world
        .start_prover(1, Prices::default(), StrategySection::default())
        .await;
    world.wait_registered(&[&agent]).await;
    let registry = TaskRegistry::new(world.addresses.task_registry, &world.admin);
    // Give it a few polls to see the task and the lock, then let the lock lapse.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        !registry
            .hasProven(U256::from(task_id), agent.address)
            .call()
            .await
            .expect("hasProven"),
        "nobody proves a slot another prover holds"
    );
    world.warp(u64::from(lock_window) + 5).await;

    wait_for(
        "the agent's cover proof on L1",
        Duration::from_secs(420),
        || async {
            assert!(!agent.handle.is_finished(), "the agent stopped early");
            registry
                .hasProven(U256::from(task_id), agent.address)
                .call()
                .await
                .expect("hasProven")
        },
    )
    .await;

    // The auction's story: ghost locked, the agent slashed it and locked the freed slot.
    let logs = world
        .admin
        .get_logs(
            &Filter::new()
                .address(auction_address)
                .from_block(world.addresses.deployed_block),
        )
        .await
        .expect("logs");
    let mut locks: Vec<(Address, u128)> = Vec::new();
    let mut slashes: Vec<(Address, Address)> = Vec::new();
    for log in &logs {
        match log.topic0().copied() {
            Some(t) if t == AscendingPriceAuction::Locked::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<AscendingPriceAuction::Locked>()
                    .expect("decode")
                    .inner
                    .data;
                locks.push((e.prover, e.price.to::<u128>()));
            }
            Some(t) if t == AscendingPriceAuction::LockSlashed::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<AscendingPriceAuction::LockSlashed>()
                    .expect("decode")
                    .inner
                    .data;
                slashes.push((e.prover, e.slasher));
            }
            _ => {}
        }
    }
    assert_eq!(slashes, vec![(ghost_key.address(), agent.address)]);
    assert_eq!(locks.len(), 2, "the ghost's lock, then the agent's");
    assert_eq!(locks[0].0, ghost_key.address());
    assert_eq!(locks[1].0, agent.address);
    let agent_price = locks[1].1;
    assert!(
        agent_price >= locks[0].1,
        "the ramp never falls: the cover lock is at least the lapsed lock's price"
    );

    // The slash: the ghost lost its collateral, part of it became the cover bounty the agent was
    // paid on top of its lock price.
    let registry_logs = world
        .admin
        .get_logs(
            &Filter::new()
                .address(world.addresses.task_registry)
                .from_block(world.addresses.deployed_block),
        )
        .await
        .expect("logs");
    let mut to_cover = None;
    let mut paid = Vec::new();
    for log in &registry_logs {
        match log.topic0().copied() {
            Some(t) if t == TaskRegistry::AssignmentSlashed::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<TaskRegistry::AssignmentSlashed>()
                    .expect("decode")
                    .inner
                    .data;
                assert_eq!(e.prover, ghost_key.address());
                assert_eq!(e.amount, U256::from(collateral));
                to_cover = Some(e.toCover);
            }
            Some(t) if t == TaskRegistry::ProofAccepted::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<TaskRegistry::ProofAccepted>()
                    .expect("decode")
                    .inner
                    .data;
                paid.push((e.prover, e.payment));
            }
            _ => {}
        }
    }
    let to_cover = to_cover.expect("the ghost was slashed");
    assert!(to_cover > U256::ZERO);
    assert_eq!(
        paid,
        vec![(agent.address, U256::from(agent_price) + to_cover)],
        "lock price plus the cover bounty"
    );
    let provers = ProverRegistry::new(world.addresses.prover_registry, &world.admin);
    assert_eq!(
        provers
            .freeStake(agent.address)
            .call()
            .await
            .expect("freeStake"),
        U256::from(200 * TOKEN),
        "the agent's lock collateral came back"
    );
    assert_eq!(
        provers
            .freeStake(ghost_key.address())
            .call()
            .await
            .expect("freeStake"),
        U256::from(200 * TOKEN) - U256::from(collateral),
        "the ghost's collateral is gone"
    );
    assert!(
        Rollup::new(world.rollup, &world.admin)
            .isTaskProven(U256::from(task_id))
            .call()
            .await
            .expect("isTaskProven")
    );
    agent.stop().await;
}
