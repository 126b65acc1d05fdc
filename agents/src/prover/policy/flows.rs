//! The auction policies inside the shared lifecycle ([`ProverStrategy`]): event sequences in, actions
//! out, as the service would see them.

use alloy::primitives::{Address, B256};

use super::super::cost::{CostModel, Prices, ProvingSpeed};
use super::super::strategy::{
    Action, Event, MechanismKind, MechanismTerms, Phase, ProverStrategy, Strategy, StrategyConfig,
    TaskView,
};
use super::ascending::{AscendingConfig, AscendingTerms};
use super::order_book::{BookTerms, Offer};
use super::sealed_bid::{SealedBidConfig, SealedBidTerms};

const ME: Address = Address::repeat_byte(0xaa);
const OTHER: Address = Address::repeat_byte(0xbb);
const TOKEN: u128 = 1_000_000_000_000_000_000;

fn cost(gas_price_wei: u128) -> CostModel {
    CostModel {
        speed: ProvingSpeed {
            base_secs: 1.0,
            merge_secs: 1.0,
            root_secs: 1.0,
            workers: 1,
        },
        prices: Prices::default(),
        gas_price_wei,
    }
}

const OFFER: Offer = Offer {
    price: 1_000,
    proving_time: 60,
    capacity: 1,
    circuit_id: B256::ZERO,
};

fn strategy(gas_price_wei: u128, max_concurrent: usize, offer: Option<Offer>) -> ProverStrategy {
    let mut s = ProverStrategy::new(
        ME,
        cost(gas_price_wei),
        StrategyConfig {
            max_concurrent,
            ..Default::default()
        },
    )
    .with_auctions(
        SealedBidConfig::default(),
        AscendingConfig::default(),
        offer,
    );
    s.process_event(Event::Clock { now: 1_000 });
    s
}

fn view(id: u64, kind: MechanismKind, terms: MechanismTerms) -> TaskView {
    TaskView {
        task_id: id,
        mechanism: Address::repeat_byte(0x11),
        kind,
        block_txs: Some(2),
        max_payment: TOKEN,
        created_at: 1_000,
        deadline: 1_900,
        redundancy: 1,
        proofs_accepted: 0,
        race: None,
        collateral: 0,
        terms,
    }
}

#[test]
fn sealed_bid_commits_reveals_finalizes_and_proves_when_won() {
    let mut s = strategy(1_000_000_000, 2, None);
    let terms = SealedBidTerms {
        round: 1,
        reserve: TOKEN,
        commit_end: 1_008,
        reveal_end: 1_016,
        second_price: true,
        bid_collateral: 10 * TOKEN,
        winner_collateral: 50 * TOKEN,
        committed: None,
    };
    let open = s.process_event(Event::TaskOpened(view(
        1,
        MechanismKind::SealedBid,
        MechanismTerms::SealedBid(terms),
    )));
    assert!(matches!(&open[..], [Action::Bid { task_id: 1, price }] if *price < TOKEN));
    assert!(s.process_event(Event::Clock { now: 1_007 }).is_empty());
    assert_eq!(
        s.process_event(Event::Clock { now: 1_008 }),
        vec![Action::Reveal { task_id: 1 }]
    );
    assert_eq!(
        s.process_event(Event::Clock { now: 1_016 }),
        vec![Action::Finalize { task_id: 1 }]
    );
    assert_eq!(
        s.process_event(Event::Assigned {
            task_id: 1,
            prover: ME
        }),
        vec![Action::FetchData { task_id: 1 }]
    );
}

#[test]
fn ascending_waits_locks_and_covers_a_lapsed_lock() {
    // 10 gwei: the reservation (≈ 6.6e15) is reached part way up a 1e15 → 1e16 ramp.
    let mut s = strategy(10_000_000_000, 2, None);
    let terms = AscendingTerms {
        round: 1,
        opened_at: 1_000,
        floor: TOKEN / 1_000,
        ceiling: TOKEN / 100,
        ramp_period: 100,
        lock_window: 120,
        lock_collateral: 50 * TOKEN,
    };
    let open = s.process_event(Event::TaskOpened(view(
        2,
        MechanismKind::Ascending,
        MechanismTerms::Ascending(terms),
    )));
    assert!(open.is_empty(), "waits for the price: {open:?}");
    // Someone cheaper locks first at 1 010; our deferred lock still fires (and is refused on chain,
    // at no gas): the strategy does not know the slot count.
    assert!(
        s.process_event(Event::Assigned {
            task_id: 2,
            prover: OTHER
        })
        .is_empty()
    );
    let at_ceiling = s.process_event(Event::Clock { now: 1_100 });
    assert!(at_ceiling.contains(&Action::Lock {
        task_id: 2,
        collateral: 50 * TOKEN
    }));
    // The other lock is dated from our clock (1 000 + 120): slashing is tried after 1 122; the
    // service reads the real deadline and reports it.
    let early = s.process_event(Event::Clock { now: 1_123 });
    assert_eq!(
        early,
        vec![Action::SlashLock {
            task_id: 2,
            prover: OTHER
        }]
    );
    assert!(
        s.process_event(Event::LockHeld {
            task_id: 2,
            prover: OTHER,
            until: 1_130
        })
        .is_empty()
    );
    assert!(s.process_event(Event::Clock { now: 1_132 }).is_empty());
    assert_eq!(
        s.process_event(Event::Clock { now: 1_133 }),
        vec![Action::SlashLock {
            task_id: 2,
            prover: OTHER
        }]
    );
    // Slashed: the slot is decided again, at the ceiling now, and locked.
    assert_eq!(
        s.process_event(Event::Reconsider { task_id: 2 }),
        vec![Action::Lock {
            task_id: 2,
            collateral: 50 * TOKEN
        }]
    );
    assert_eq!(
        s.process_event(Event::Assigned {
            task_id: 2,
            prover: ME
        }),
        vec![Action::FetchData { task_id: 2 }]
    );
    assert_eq!(s.phase(2), Some(Phase::Fetching));
}

#[test]
fn an_order_book_match_before_the_open_is_proven_and_the_offer_follows_capacity() {
    let mut s = ProverStrategy::new(
        ME,
        cost(1_000_000_000),
        StrategyConfig {
            max_concurrent: 1,
            ..Default::default()
        },
    )
    .with_auctions(
        SealedBidConfig::default(),
        AscendingConfig::default(),
        Some(OFFER),
    );
    assert_eq!(
        s.process_event(Event::Clock { now: 1_000 }),
        vec![Action::PostOffer(OFFER)]
    );
    // Matched in the opening transaction: the assignment log precedes the task's.
    assert!(
        s.process_event(Event::Assigned {
            task_id: 3,
            prover: ME
        })
        .is_empty()
    );
    let terms = BookTerms {
        live: true,
        max_price: TOKEN,
        redundancy: 1,
        matched: 1,
    };
    let opened = s.process_event(Event::TaskOpened(view(
        3,
        MechanismKind::OrderBook,
        MechanismTerms::OrderBook(terms),
    )));
    assert_eq!(
        opened,
        vec![Action::FetchData { task_id: 3 }, Action::WithdrawOffer],
        "proven, and the offer leaves the book while our only slot is busy"
    );
    s.process_event(Event::DataChecked {
        task_id: 3,
        ok: true,
    });
    s.process_event(Event::ProofReady { task_id: 3 });
    let done = s.process_event(Event::ProofAccepted {
        task_id: 3,
        prover: ME,
        proofs_accepted: 1,
    });
    assert_eq!(done, vec![Action::PostOffer(OFFER)], "a free slot re-posts");
    // A task waiting for offers that ours fits is matched by us.
    let waiting = BookTerms {
        matched: 0,
        ..terms
    };
    assert_eq!(
        s.process_event(Event::TaskOpened(view(
            4,
            MechanismKind::OrderBook,
            MechanismTerms::OrderBook(waiting),
        ))),
        vec![Action::MatchTask { task_id: 4 }]
    );
    assert!(s.stop_offering(), "the offer was on the book at shutdown");
    assert!(!s.stop_offering());
}
