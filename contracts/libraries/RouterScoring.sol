// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title RouterScoring
/// @notice The MechanismRouter's scoring math, kept pure so that it can be checked against a reference
///         model (test/mechanisms/RouterScoringDifferential.t.sol).
/// @dev Units. Ratios and moving averages are in basis points (0–10,000). A QoS dimension score is in
///      milli-points: a declared score of 0–10 points is 0–10,000 milli-points, and an observed score is
///      `10,000 − ratio` so that "10 points" means "ratio 0" (instant, free, never failed).
///
///      Observed scores from the moving averages (all in bps):
///        speed  = 10,000 − latency          (latency = time to proof ÷ time allowed; a failure counts 10,000)
///        cost   = 10,000 − price            (price = paid ÷ max payment; fulfilled tasks only)
///        safety = (10,000 − fail) × (10,000 − slash) ÷ 10,000
///        censorship resistance: not observable on-chain, declared only.
///      Blend of declared d and observed o with confidence weight w (bps):
///        w = observedWeight × min(n, warmup) ÷ warmup   (n = outcomes; for cost, fulfilled outcomes)
///        s = (d × (10,000 − w) + o × w) ÷ 10,000
///      Total: Σ weight_dim × s_dim over the four dimensions (weights 0–10 each; all zero counts as all one).
library RouterScoring {
    /// @notice Basis-point denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice Milli-points per declared point (declared scores are 0–10).
    uint256 internal constant MILLI_PER_POINT = 1000;

    /// @notice A sample ratio above 10,000 bps.
    /// @param sample The offending sample.
    error SampleOutOfRange(uint256 sample);
    /// @notice A smoothing factor of zero or above 10,000 bps.
    /// @param alphaBps The offending factor.
    error AlphaOutOfRange(uint256 alphaBps);

    /// @notice Delivered-QoS moving averages of one instance.
    /// @param latencyBps EWMA of time-to-proof ÷ allowed time (failures count 10,000).
    /// @param priceBps EWMA of paid ÷ max payment over fulfilled tasks.
    /// @param failBps EWMA of the failure indicator (expired or reopened to a fallback) × 10,000.
    /// @param slashBps EWMA of the slash indicator (any collateral slashed on the task) × 10,000.
    /// @param count Outcomes observed (saturates at 2^32 − 1).
    /// @param fulfilled Fulfilled outcomes observed (the price average's sample count).
    struct Stats {
        uint16 latencyBps;
        uint16 priceBps;
        uint16 failBps;
        uint16 slashBps;
        uint32 count;
        uint32 fulfilled;
    }

    /// @notice Exponentially weighted moving average step: `prev + (sample − prev) × alpha`, with the
    ///         first sample taken as is (no bias toward the zero initial value).
    /// @param prev Previous average (bps).
    /// @param sample New sample (bps, ≤ 10,000).
    /// @param alphaBps Weight of the new sample (1–10,000 bps).
    /// @param first Whether this is the first sample.
    function ewma(uint256 prev, uint256 sample, uint256 alphaBps, bool first) internal pure returns (uint16) {
        if (sample > BPS) revert SampleOutOfRange(sample);
        if (alphaBps == 0 || alphaBps > BPS) revert AlphaOutOfRange(alphaBps);
        if (first) return uint16(sample);
        // prev, sample ≤ 10,000 so the result stays in [min, max] of the two and fits uint16.
        if (sample >= prev) return uint16(prev + ((sample - prev) * alphaBps) / BPS);
        return uint16(prev - ((prev - sample) * alphaBps) / BPS);
    }

    /// @notice Latency ratio in bps: elapsed ÷ allowed, capped at 10,000; an allowed time of 0 counts 10,000.
    function latencyRatio(uint256 elapsed, uint256 allowed) internal pure returns (uint256) {
        if (allowed == 0 || elapsed >= allowed) return BPS;
        return (elapsed * BPS) / allowed;
    }

    /// @notice Price ratio in bps: paid ÷ max, capped at 10,000; a max of 0 counts 10,000.
    function priceRatio(uint256 paid, uint256 max) internal pure returns (uint256) {
        if (max == 0 || paid >= max) return BPS;
        return (paid * BPS) / max;
    }

    /// @notice Records one outcome into `s`.
    /// @param s Current averages.
    /// @param failed Whether the task failed (expired or reopened to a fallback).
    /// @param slashed Whether collateral was slashed on the task.
    /// @param latencyBps Latency ratio (ignored and counted 10,000 when failed).
    /// @param priceBps_ Price ratio (ignored when failed).
    /// @param alphaBps Smoothing factor.
    function record(Stats memory s, bool failed, bool slashed, uint256 latencyBps, uint256 priceBps_, uint256 alphaBps)
        internal
        pure
        returns (Stats memory)
    {
        bool first = s.count == 0;
        s.latencyBps = ewma(s.latencyBps, failed ? BPS : latencyBps, alphaBps, first);
        s.failBps = ewma(s.failBps, failed ? BPS : 0, alphaBps, first);
        s.slashBps = ewma(s.slashBps, slashed ? BPS : 0, alphaBps, first);
        if (!failed) {
            s.priceBps = ewma(s.priceBps, priceBps_, alphaBps, s.fulfilled == 0);
            if (s.fulfilled < type(uint32).max) s.fulfilled++;
        }
        if (s.count < type(uint32).max) s.count++;
        return s;
    }

    /// @notice Confidence weight of the observed scores in bps: `observedWeightBps × min(count, warmup) ÷ warmup`.
    /// @dev A warmup of zero trusts observations fully from the first one.
    function confidence(uint256 observedWeightBps, uint256 count, uint256 warmup) internal pure returns (uint256) {
        if (warmup == 0) return count == 0 ? 0 : observedWeightBps;
        uint256 c = count < warmup ? count : warmup;
        return (observedWeightBps * c) / warmup;
    }

    /// @notice One instance's score for a requester: Σ weight_dim × blend(declared_dim, observed_dim).
    /// @param declared Declared (or overridden) speed, cost, safety, censorship resistance, 0–10 each.
    /// @param s Delivered-QoS averages.
    /// @param weights Requester's weights: speed, cost, safety, censorship resistance (all zero: all one).
    /// @param observedWeightBps Weight of observed vs declared once warmed up.
    /// @param warmup Outcomes needed for full confidence.
    /// @dev Speed and safety use the confidence of all outcomes, cost that of fulfilled outcomes only (a
    ///      failure says nothing about price); censorship resistance is declared only.
    function score(
        uint8[4] memory declared,
        Stats memory s,
        uint8[4] memory weights,
        uint256 observedWeightBps,
        uint256 warmup
    ) internal pure returns (uint256 total) {
        uint256 w = confidence(observedWeightBps, s.count, warmup);
        uint256 wCost = confidence(observedWeightBps, s.fulfilled, warmup);
        bool equal = uint256(weights[0]) + weights[1] + weights[2] + weights[3] == 0;
        uint256 safetyObserved = ((BPS - s.failBps) * (BPS - s.slashBps)) / BPS;
        total = (equal ? 1 : weights[0]) * _mix(declared[0] * MILLI_PER_POINT, BPS - s.latencyBps, w);
        total += (equal ? 1 : weights[1]) * _mix(declared[1] * MILLI_PER_POINT, BPS - s.priceBps, wCost);
        total += (equal ? 1 : weights[2]) * _mix(declared[2] * MILLI_PER_POINT, safetyObserved, w);
        total += (equal ? 1 : uint256(weights[3])) * declared[3] * MILLI_PER_POINT;
    }

    function _mix(uint256 d, uint256 o, uint256 wBps) private pure returns (uint256) {
        return (d * (BPS - wBps) + o * wBps) / BPS;
    }
}
