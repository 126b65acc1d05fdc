//! Mechanism policies beyond the open race: what a prover decides for a task under each mechanism
//! family, as pure functions of the task's terms, the clock and the cost model (no I/O; the service
//! reads the terms from chain and carries out the resulting actions).
//!
//! * [`sealed_bid`]: bid cost + margin in a commit–reveal reverse auction, reveal in the window,
//!   finalize, prove if assigned;
//! * [`ascending`]: lock when the ramping price reaches the reservation price, cover lapsed locks;
//! * [`order_book`]: post a standing offer, prove what it is matched to, withdraw it when full or
//!   shutting down.
//!
//! `[strategy.*]` in the prover config ([`StrategySection`]) sets their parameters.

pub mod ascending;
pub mod election;
#[cfg(test)]
mod flows;
pub mod order_book;
pub mod sealed_bid;
pub mod tree;

use serde::Deserialize;

/// `[strategy]` in the prover config: one table per mechanism family.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrategySection {
    /// `[strategy.sealed_bid]`.
    pub sealed_bid: sealed_bid::SealedBidConfig,
    /// `[strategy.ascending]`.
    pub ascending: ascending::AscendingConfig,
    /// `[strategy.order_book]`.
    pub order_book: order_book::OrderBookConfig,
    /// `[strategy.election]`.
    pub election: election::ElectionConfig,
    /// `[strategy.tree]`.
    pub tree: super::mech::TreeSection,
}

/// Tokens `gas` units cost at the model's gas price.
pub(crate) fn gas_tokens(cost: &super::cost::CostModel, gas: u64) -> f64 {
    gas as f64 * cost.gas_price_wei as f64 * cost.prices.token_per_wei
}

/// `value × (1 + bps / 10 000)`.
pub(crate) fn with_margin(value: f64, bps: u32) -> f64 {
    value * (1.0 + f64::from(bps) / 10_000.0)
}

/// A token amount as an integer price (rounded up, at least 1).
pub(crate) fn to_price(value: f64) -> u128 {
    if !value.is_finite() || value <= 1.0 {
        return 1;
    }
    if value >= u128::MAX as f64 {
        return u128::MAX;
    }
    value.ceil() as u128
}
