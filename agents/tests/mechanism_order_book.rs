//! The order book end to end with real prover agents on anvil, the Rollup's root tasks pinned to the
//! book (price-first): both agents post their standing offers at start; block 1 is matched to the
//! cheaper one (A, one task slot) inside the transaction that opens it, and A withdraws its offer
//! because its own work now fills its capacity — the match stays bound and A proves it; block 2,
//! posted while A's match is live, therefore goes to B (two slots), whose offer stays on the book
//! while its one match is live; both are paid their offer prices, their match collateral comes
//! back, A re-posts once its slot frees, and a graceful shutdown withdraws both offers. Asserted on
//! L1: `OfferPosted` / `OfferMatched` / `OfferWithdrawn(stillBound)` / `ProofAccepted` in chain
//! order, `bookSize`, `offerOf`, stakes and payments.

mod mechanism_support;
mod poll_support;

use std::collections::BTreeMap;
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;
use mechanism_support::{TOKEN, World};
use poll_support::wait_for;
use proofmarket::prover::cost::Prices;
use proofmarket::prover::policy::StrategySection;
use proofmarket::prover::policy::order_book::OrderBookConfig;
use proofmarket::prover::service::ProverSettings;
use proofmarket_bindings::{OrderBook, ProverRegistry, Rollup, TaskRegistry};

/// A standing offer at a fixed price, promising 120 s.
fn offering(price: u128) -> StrategySection {
    StrategySection {
        order_book: OrderBookConfig {
            enabled: true,
            price: Some(price.to_string()),
            proving_time: Some(120),
            ..OrderBookConfig::default()
        },
        ..StrategySection::default()
    }
}

/// The book's and the registry's story per prover, in chain order.
fn story(logs: &[Log], provers: &[Address]) -> BTreeMap<Address, Vec<String>> {
    let mut out: BTreeMap<Address, Vec<String>> =
        provers.iter().map(|p| (*p, Vec::new())).collect();
    for log in logs {
        let (prover, line) = match log.topic0().copied() {
            Some(t) if t == OrderBook::OfferPosted::SIGNATURE_HASH => {
                let e = log.log_decode::<OrderBook::OfferPosted>().expect("decode");
                (e.inner.data.prover, "posted".to_string())
            }
            Some(t) if t == OrderBook::OfferMatched::SIGNATURE_HASH => {
                let e = log.log_decode::<OrderBook::OfferMatched>().expect("decode");
                let d = e.inner.data;
                (d.prover, format!("matched {} at {}", d.taskId, d.price))
            }
            Some(t) if t == OrderBook::OfferWithdrawn::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<OrderBook::OfferWithdrawn>()
                    .expect("decode");
                let d = e.inner.data;
                (d.prover, format!("withdrawn, {} still bound", d.stillBound))
            }
            Some(t) if t == TaskRegistry::ProofAccepted::SIGNATURE_HASH => {
                let e = log
                    .log_decode::<TaskRegistry::ProofAccepted>()
                    .expect("decode");
                let d = e.inner.data;
                (d.prover, format!("proven {} for {}", d.taskId, d.payment))
            }
            _ => continue,
        };
        if let Some(lines) = out.get_mut(&prover) {
            lines.push(line);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_follow_capacity_and_a_bound_offer_delivers() {
    let world = World::new("order-book").await;
    let book = OrderBook::new(world.mechanism, &world.admin);
    let registry = TaskRegistry::new(world.addresses.task_registry, &world.admin);
    let provers = ProverRegistry::new(world.addresses.prover_registry, &world.admin);
    let (cheap, dear) = (TOKEN, 2 * TOKEN);

    let one_slot = ProverSettings {
        max_concurrent: 1,
        ..world.settings(Prices::default())
    };
    let a = world.start_prover_with(1, one_slot, offering(cheap)).await;
    let b = world
        .start_prover_with(2, world.settings(Prices::default()), offering(dear))
        .await;
    let (pa, pb) = (a.address, b.address);
    world.wait_registered(&[&a, &b]).await;
    wait_for(
        "both offers on the book",
        Duration::from_secs(60),
        || async { book.bookSize().call().await.expect("bookSize") == U256::from(2) },
    )
    .await;
    let offer_a = book.offerOf(pa).call().await.expect("offerOf");
    assert_eq!(
        (
            U256::from(offer_a.pricePerProof),
            offer_a.provingTime,
            offer_a.capacity
        ),
        (U256::from(cheap), 120, 1),
        "A's offer: its configured price and time, capacity = its one slot"
    );
    assert_eq!(book.offerOf(pb).call().await.expect("offerOf").capacity, 2);

    // Block 1: matched to A in the opening transaction; A's work fills its slot, so it takes its
    // offer off the book before its proof is in — the match stays bound.
    let (_, t1) = world.post_next_block().await;
    assert_eq!(
        book.matchedProvers(U256::from(t1))
            .call()
            .await
            .expect("matched"),
        vec![pa]
    );
    wait_for(
        "A to withdraw its full offer",
        Duration::from_secs(60),
        || async {
            assert!(!a.handle.is_finished(), "A stopped early");
            book.offerOf(pa).call().await.expect("offerOf").bookIndex == 0
        },
    )
    .await;
    let bound = book.offerOf(pa).call().await.expect("offerOf");
    assert_eq!(
        bound.active, 1,
        "the withdrawn offer's match is still bound"
    );
    assert!(
        !registry
            .hasProven(U256::from(t1), pa)
            .call()
            .await
            .expect("hasProven"),
        "withdrawn while A is still working"
    );
    assert_eq!(
        book.bookSize().call().await.expect("bookSize"),
        U256::from(1)
    );
    assert_eq!(book.bookAt(U256::ZERO).call().await.expect("bookAt"), pb);

    // Block 2, while A's match is live: only B's offer is on the book.
    let (_, t2) = world.post_next_block().await;
    assert_eq!(
        book.matchedProvers(U256::from(t2))
            .call()
            .await
            .expect("matched"),
        vec![pb]
    );
    // B has a second slot: its offer stays on the book the whole time its match is live.
    wait_for("B's proof on L1", Duration::from_secs(240), || async {
        assert!(!b.handle.is_finished(), "B stopped early");
        let proven = registry
            .hasProven(U256::from(t2), pb)
            .call()
            .await
            .expect("hasProven");
        let offer = book.offerOf(pb).call().await.expect("offerOf");
        if !proven && offer.active == 1 {
            assert_ne!(
                offer.bookIndex, 0,
                "B's offer left the book during its live match"
            );
        }
        proven
    })
    .await;
    wait_for("A's proof on L1", Duration::from_secs(240), || async {
        assert!(!a.handle.is_finished(), "A stopped early");
        registry
            .hasProven(U256::from(t1), pa)
            .call()
            .await
            .expect("hasProven")
    })
    .await;
    wait_for(
        "A to re-post once its slot frees",
        Duration::from_secs(60),
        || async { book.offerOf(pa).call().await.expect("offerOf").bookIndex != 0 },
    )
    .await;
    assert_eq!(
        book.bookSize().call().await.expect("bookSize"),
        U256::from(2)
    );
    for p in [pa, pb] {
        assert_eq!(
            provers.freeStake(p).call().await.expect("freeStake"),
            U256::from(200 * TOKEN),
            "{p}'s match collateral came back"
        );
        assert_eq!(book.offerOf(p).call().await.expect("offerOf").active, 0);
    }

    // Shutdown withdraws what is on the book.
    a.stop().await;
    b.stop().await;
    assert_eq!(book.bookSize().call().await.expect("bookSize"), U256::ZERO);

    let logs = world
        .logs(vec![world.mechanism, world.addresses.task_registry])
        .await;
    let story = story(&logs, &[pa, pb]);
    assert_eq!(
        story[&pa],
        vec![
            "posted".to_string(),
            format!("matched {t1} at {cheap}"),
            "withdrawn, 1 still bound".to_string(),
            format!("proven {t1} for {cheap}"),
            "posted".to_string(),
            "withdrawn, 0 still bound".to_string(),
        ],
        "A: posted, matched, withdrawn when full (match bound), delivered, re-posted, withdrawn at shutdown"
    );
    assert_eq!(
        story[&pb],
        vec![
            "posted".to_string(),
            format!("matched {t2} at {dear}"),
            format!("proven {t2} for {dear}"),
            "withdrawn, 0 still bound".to_string(),
        ],
        "B: never withdrawn while its match was live"
    );
    let rollup = Rollup::new(world.rollup, &world.admin);
    for t in [t1, t2] {
        assert!(
            rollup
                .isTaskProven(U256::from(t))
                .call()
                .await
                .expect("isTaskProven")
        );
    }
    assert_eq!(
        registry.claimable(pa).call().await.expect("claimable"),
        U256::from(cheap)
    );
    assert_eq!(
        registry.claimable(pb).call().await.expect("claimable"),
        U256::from(dear)
    );
}
