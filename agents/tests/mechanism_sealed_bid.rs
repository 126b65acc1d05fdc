//! Sealed-bid auction end to end on anvil: root tasks routed to the second-price instance, two real
//! prover agents (one cheap, one dear) and a third bidder that commits and never reveals. Checks on L1
//! that both agents committed and revealed, the cheap one won at the dear one's bid (second price),
//! proved the block with a real Groth16 root proof and was paid that price, its winner collateral came
//! back, and the silent bidder's bid collateral was forfeited.

mod mechanism_support;
mod poll_support;

use std::time::Duration;

use alloy::primitives::{Address, B256, U256, Uint};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use mechanism_support::{TOKEN, World};
use poll_support::wait_for;
use proofmarket::prover::cost::Prices;
use proofmarket::prover::policy::StrategySection;
use proofmarket::prover::policy::sealed_bid::{self, STORE_NAMESPACE};
use proofmarket_bindings::{ProofToken, ProverRegistry, Rollup, SealedBidAuction, TaskRegistry};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_price_auction_is_bid_won_proven_and_the_silent_bidder_forfeits() {
    let world = World::new("sealed-bid").await;
    let auction_address = world.mechanism;
    let cheap = world
        .start_prover(1, Prices::default(), StrategySection::default())
        .await;
    let dear = world
        .start_prover(
            2,
            Prices {
                compute_per_sec: 1e16,
                ..Prices::default()
            },
            StrategySection::default(),
        )
        .await;

    // The silent bidder: registers, and will commit without ever revealing.
    let silent_key = world.key(3);
    let silent = world.provider(3).await;
    let token = ProofToken::new(world.addresses.token, &silent);
    let provers = ProverRegistry::new(world.addresses.prover_registry, &silent);
    token
        .approve(world.addresses.prover_registry, U256::from(200 * TOKEN))
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("receipt");
    provers
        .register(U256::from(200 * TOKEN), 0, 2)
        .send()
        .await
        .expect("register")
        .get_receipt()
        .await
        .expect("receipt");
    world.wait_registered(&[&cheap, &dear]).await;

    let task_id = world.post_block().await;
    let auction = SealedBidAuction::new(auction_address, &silent);
    let round = auction
        .auctionOf(U256::from(task_id))
        .call()
        .await
        .expect("auctionOf")
        .round;
    let bid_collateral = auction.bidCollateral().call().await.expect("collateral");
    let salt = B256::repeat_byte(0x42);
    let commitment = sealed_bid::commitment(task_id, round, silent_key.address(), 1, salt);
    assert_eq!(
        auction
            .commitmentOf(
                U256::from(task_id),
                round,
                silent_key.address(),
                Uint::from(1u8),
                salt
            )
            .call()
            .await
            .expect("commitmentOf"),
        commitment,
        "the agents seal bids exactly as the contract opens them"
    );
    token
        .approve(auction_address, U256::from(bid_collateral))
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("receipt");
    auction
        .commitBid(U256::from(task_id), commitment)
        .send()
        .await
        .expect("silent commit")
        .get_receipt()
        .await
        .expect("receipt");

    let registry = TaskRegistry::new(world.addresses.task_registry, &world.admin);
    wait_for(
        "the cheap prover's root proof on L1",
        Duration::from_secs(420),
        || async {
            assert!(
                !cheap.handle.is_finished(),
                "the cheap prover stopped early"
            );
            registry
                .hasProven(U256::from(task_id), cheap.address)
                .call()
                .await
                .expect("hasProven")
        },
    )
    .await;

    // Every bid, reveal and the settlement, from the auction's logs.
    let logs = world
        .admin
        .get_logs(
            &Filter::new()
                .address(auction_address)
                .from_block(world.addresses.deployed_block),
        )
        .await
        .expect("logs");
    let mut committed = Vec::new();
    let mut revealed = std::collections::BTreeMap::<Address, u128>::new();
    let mut winners = Vec::new();
    let mut finalized = None;
    for log in &logs {
        match log.topic0().copied() {
            Some(t) if t == SealedBidAuction::BidCommitted::SIGNATURE_HASH => {
                committed.push(
                    log.log_decode::<SealedBidAuction::BidCommitted>()
                        .expect("decode")
                        .inner
                        .data
                        .bidder,
                );
            }
            Some(t) if t == SealedBidAuction::BidRevealed::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<SealedBidAuction::BidRevealed>()
                    .expect("decode")
                    .inner
                    .data;
                assert!(e.eligible, "agents bid within the reserve");
                revealed.insert(e.bidder, e.price.to::<u128>());
            }
            Some(t) if t == SealedBidAuction::WinnerAssigned::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<SealedBidAuction::WinnerAssigned>()
                    .expect("decode")
                    .inner
                    .data;
                winners.push((e.winner, e.bid.to::<u128>(), e.price.to::<u128>()));
            }
            Some(t) if t == SealedBidAuction::AuctionFinalized::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<SealedBidAuction::AuctionFinalized>()
                    .expect("decode")
                    .inner
                    .data;
                finalized = Some((e.winners, e.forfeited));
            }
            _ => {}
        }
    }
    committed.sort();
    let mut expected = vec![cheap.address, dear.address, silent_key.address()];
    expected.sort();
    assert_eq!(
        committed, expected,
        "both agents and the silent bidder committed"
    );
    assert_eq!(
        revealed.len(),
        2,
        "both agents revealed, the silent bidder did not"
    );
    let cheap_bid = revealed[&cheap.address];
    let dear_bid = revealed[&dear.address];
    assert!(cheap_bid < dear_bid, "the cheaper cost model bids lower");
    assert_eq!(
        winners,
        vec![(cheap.address, cheap_bid, dear_bid)],
        "second price: the cheap prover wins at the best losing bid"
    );
    assert_eq!(
        finalized,
        Some((U256::from(1u8), U256::from(bid_collateral))),
        "one winner; the silent bidder's collateral forfeited"
    );

    // Paid the clearing price for its accepted proof; the block is proven.
    let accepted = world
        .admin
        .get_logs(
            &Filter::new()
                .address(world.addresses.task_registry)
                .event_signature(TaskRegistry::ProofAccepted::SIGNATURE_HASH)
                .from_block(world.addresses.deployed_block),
        )
        .await
        .expect("logs");
    let paid: Vec<(Address, U256)> = accepted
        .iter()
        .map(|l| {
            let e = l
                .log_decode::<TaskRegistry::ProofAccepted>()
                .expect("decode")
                .inner
                .data;
            (e.prover, e.payment)
        })
        .collect();
    assert_eq!(paid, vec![(cheap.address, U256::from(dear_bid))]);
    assert!(
        Rollup::new(world.rollup, &world.admin)
            .isTaskProven(U256::from(task_id))
            .call()
            .await
            .expect("isTaskProven")
    );

    // Collateral: the winner's is back in its free stake, the agents' bid collateral back in their
    // bonds, the silent bidder's bond empty and its collateral waiting for the treasury.
    let registry_view = ProverRegistry::new(world.addresses.prover_registry, &world.admin);
    assert_eq!(
        registry_view
            .freeStake(cheap.address)
            .call()
            .await
            .expect("freeStake"),
        U256::from(200 * TOKEN)
    );
    let view = SealedBidAuction::new(auction_address, &world.admin);
    for agent in [cheap.address, dear.address] {
        assert_eq!(
            view.bondOf(agent).call().await.expect("bondOf"),
            U256::from(bid_collateral) * U256::from(4u8),
            "the agent's bond is whole after its reveal"
        );
    }
    assert_eq!(
        view.bondOf(silent_key.address())
            .call()
            .await
            .expect("bondOf"),
        U256::ZERO
    );
    assert_eq!(
        view.forfeited().call().await.expect("forfeited"),
        U256::from(bid_collateral)
    );
    // The agent's salt was persisted (a restart would still reveal).
    let stored = cheap
        .store
        .kv_get(
            STORE_NAMESPACE,
            &sealed_bid::store_key(auction_address, U256::from(task_id), u64::from(round)),
        )
        .expect("kv")
        .expect("stored bid");
    assert!(stored.contains(&cheap_bid.to_string()));

    cheap.stop().await;
    dear.stop().await;
}
