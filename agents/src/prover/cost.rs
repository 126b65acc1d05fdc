//! The prover's cost model: what a task costs this machine (time, gas, capital at risk) in the
//! payment token, so strategies can compare it with what the task pays.
//!
//! Everything here is pure arithmetic on measured or configured numbers:
//! * **proving speed** — seconds per base / merge / root proof, measured by a calibration run on this
//!   machine (`calibrate` in `tree.rs`), never guessed from constraint counts;
//! * **gas** — gas units per submission (measured on devnet, configurable) × the current gas price,
//!   converted to tokens with a configured rate (the token is not ETH);
//! * **compute** — an operator-set price per proving second (power, amortised hardware);
//! * **stake at risk** — collateral a mechanism locks × the probability of missing the deadline,
//!   which grows as the estimated finish time approaches the deadline.

use serde::{Deserialize, Serialize};

/// Measured proving speed of this machine, per circuit kind, with the worker pool it was measured on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProvingSpeed {
    /// Seconds for one base (transaction) proof.
    pub base_secs: f64,
    /// Seconds for one merge proof.
    pub merge_secs: f64,
    /// Seconds for one root proof.
    pub root_secs: f64,
    /// Proofs the local pool runs at once.
    pub workers: usize,
}

impl Default for ProvingSpeed {
    /// Conservative figures for a 2-core machine before calibration (base/merge/root circuits of a few
    /// thousand constraints at ≈30 µs each, rounded up); `calibrate` replaces them.
    fn default() -> Self {
        Self {
            base_secs: 1.5,
            merge_secs: 1.0,
            root_secs: 0.5,
            workers: 1,
        }
    }
}

impl ProvingSpeed {
    /// Wall-clock seconds to prove a whole block tree of `txs` transactions: `txs` base proofs,
    /// `txs − 1` merges and one root, with base proofs spread over the workers and merges limited by
    /// the tree's depth (each level waits for the one below).
    pub fn block_secs(&self, txs: u64) -> f64 {
        let txs = txs.max(1);
        let workers = self.workers.max(1) as f64;
        let base = (txs as f64 / workers).ceil() * self.base_secs;
        let merges = txs - 1;
        let depth = if txs <= 1 {
            0.0
        } else {
            (txs as f64).log2().ceil()
        };
        // Merges at one level run in parallel; a level never takes less than one merge.
        let merge = ((merges as f64 / workers).ceil()).max(depth) * self.merge_secs;
        base + if merges == 0 { 0.0 } else { merge } + self.root_secs
    }
}

/// Operator-configured prices that turn seconds and gas into payment tokens.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prices {
    /// Token base units one wei of gas costs (the operator's ETH/token rate). Default 1: on devnet
    /// the token and ETH both have 18 decimals and equal nominal value.
    pub token_per_wei: f64,
    /// Token base units one second of local proving costs (power and hardware). Default 1e12 (a
    /// micro-token per second): small next to devnet payments, not zero so idle work is not free.
    pub compute_per_sec: f64,
    /// Gas one proof submission uses (TaskRegistry.submitProof with a Groth16 verify and payout).
    /// Default 450k: ≈235k verify with 5 inputs + registry bookkeeping, measured on devnet, rounded up.
    pub submit_gas: u64,
    /// Required margin over cost before taking a task, in basis points. Default 1000 (10%): covers
    /// estimate error in gas price and speed.
    pub min_margin_bps: u32,
    /// Multiplier on the speed estimate when checking a deadline. Default 2.0: a loaded machine or a
    /// slow RPC must not turn a taken task into a miss.
    pub deadline_safety: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Self {
            token_per_wei: 1.0,
            compute_per_sec: 1e12,
            submit_gas: 450_000,
            min_margin_bps: 1_000,
            deadline_safety: 2.0,
        }
    }
}

/// The full cost model: speed, prices and the live gas price.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostModel {
    /// Measured speed.
    pub speed: ProvingSpeed,
    /// Configured prices.
    pub prices: Prices,
    /// Latest observed gas price (wei per gas).
    pub gas_price_wei: u128,
}

/// What one task would cost, broken down (all in token base units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostEstimate {
    /// Seconds of wall-clock proving.
    pub prove_secs: f64,
    /// Gas for submitting, in tokens.
    pub gas_tokens: f64,
    /// Local compute, in tokens.
    pub compute_tokens: f64,
    /// Expected slashing loss: collateral × probability of missing.
    pub risk_tokens: f64,
}

impl CostEstimate {
    /// Sum of every component.
    pub fn total(&self) -> f64 {
        self.gas_tokens + self.compute_tokens + self.risk_tokens
    }
}

impl CostModel {
    /// Cost of proving a block of `txs` transactions and submitting once, with `collateral` locked
    /// and `slack_secs` seconds between now and the deadline.
    pub fn estimate(&self, txs: u64, collateral: u128, slack_secs: f64) -> CostEstimate {
        let prove_secs = self.speed.block_secs(txs);
        let gas_tokens =
            self.prices.submit_gas as f64 * self.gas_price_wei as f64 * self.prices.token_per_wei;
        let compute_tokens = prove_secs * self.prices.compute_per_sec;
        let risk_tokens = collateral as f64 * miss_probability(prove_secs, slack_secs);
        CostEstimate {
            prove_secs,
            gas_tokens,
            compute_tokens,
            risk_tokens,
        }
    }

    /// Whether `payment` covers `cost` with the configured margin.
    pub fn worth_it(&self, payment: f64, cost: &CostEstimate) -> bool {
        payment >= cost.total() * (1.0 + self.prices.min_margin_bps as f64 / 10_000.0)
    }

    /// Whether a proof estimated at `prove_secs` fits in `slack_secs` with the safety factor.
    pub fn fits_deadline(&self, prove_secs: f64, slack_secs: f64) -> bool {
        prove_secs * self.prices.deadline_safety <= slack_secs
    }
}

/// Probability of missing a deadline `slack_secs` away with an estimate of `prove_secs`: zero with
/// 4× headroom, one when the estimate already exceeds the slack, linear in between. A crude model,
/// but monotone and conservative, which is what the decision needs.
pub fn miss_probability(prove_secs: f64, slack_secs: f64) -> f64 {
    if slack_secs <= 0.0 || prove_secs >= slack_secs {
        return 1.0;
    }
    let headroom = slack_secs / prove_secs.max(f64::EPSILON);
    if headroom >= 4.0 {
        0.0
    } else {
        (4.0 - headroom) / 3.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> CostModel {
        CostModel {
            speed: ProvingSpeed {
                base_secs: 2.0,
                merge_secs: 1.0,
                root_secs: 0.5,
                workers: 2,
            },
            prices: Prices::default(),
            gas_price_wei: 1_000_000_000,
        }
    }

    #[test]
    fn block_time_grows_with_size_and_shrinks_with_workers() {
        let m = model();
        // 1 tx: one base, no merge, one root.
        assert_eq!(m.speed.block_secs(1), 2.5);
        // 4 txs on 2 workers: 2 rounds of base, max(ceil(3/2)=2, depth 2) merges, root.
        assert_eq!(m.speed.block_secs(4), 4.0 + 2.0 + 0.5);
        let one = ProvingSpeed {
            workers: 1,
            ..m.speed
        };
        assert!(one.block_secs(4) > m.speed.block_secs(4));
        assert!(m.speed.block_secs(8) > m.speed.block_secs(4));
    }

    #[test]
    fn gas_and_compute_are_priced_in_tokens() {
        let m = model();
        let c = m.estimate(1, 0, 1_000.0);
        assert_eq!(c.gas_tokens, 450_000.0 * 1e9);
        assert_eq!(c.compute_tokens, 2.5 * 1e12);
        assert_eq!(c.risk_tokens, 0.0);
    }

    #[test]
    fn risk_grows_as_the_deadline_nears() {
        assert_eq!(miss_probability(10.0, 100.0), 0.0);
        assert_eq!(miss_probability(10.0, 5.0), 1.0);
        assert_eq!(miss_probability(10.0, 0.0), 1.0);
        let near = miss_probability(10.0, 15.0);
        let far = miss_probability(10.0, 30.0);
        assert!(near > far && far > 0.0 && near < 1.0);
        let m = model();
        let risky = m.estimate(1, 1_000_000, 3.0);
        assert_eq!(risky.risk_tokens, 1_000_000.0 * miss_probability(2.5, 3.0));
    }

    #[test]
    fn margin_is_required() {
        let m = model();
        let c = CostEstimate {
            prove_secs: 1.0,
            gas_tokens: 100.0,
            compute_tokens: 0.0,
            risk_tokens: 0.0,
        };
        assert!(!m.worth_it(105.0, &c));
        assert!(m.worth_it(111.0, &c));
        assert!(m.fits_deadline(1.0, 2.0));
        assert!(!m.fits_deadline(1.0, 1.9));
    }
}
