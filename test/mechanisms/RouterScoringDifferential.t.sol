// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RouterScoring} from "../../contracts/libraries/RouterScoring.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Exposes the library's internal functions (so reverts surface as calls) for the tests below.
contract RouterScoringHarness {
    function ewma(uint256 prev, uint256 sample, uint256 alphaBps, bool first) external pure returns (uint16) {
        return RouterScoring.ewma(prev, sample, alphaBps, first);
    }

    function record(
        RouterScoring.Stats memory s,
        bool failed,
        bool slashed,
        uint256 latencyBps,
        uint256 priceBps,
        uint256 alphaBps
    ) external pure returns (RouterScoring.Stats memory) {
        return RouterScoring.record(s, failed, slashed, latencyBps, priceBps, alphaBps);
    }

    function score(
        uint8[4] memory declared,
        RouterScoring.Stats memory s,
        uint8[4] memory weights,
        uint256 observedWeightBps,
        uint256 warmup
    ) external pure returns (uint256) {
        return RouterScoring.score(declared, s, weights, observedWeightBps, warmup);
    }
}

/// @title RouterScoringDifferential
/// @notice The router's scoring library against an independent reference model written from the formula
///         in docs/mechanisms.md ("MechanismRouter"): the model keeps every quantity as a 1e18 fixed-point
///         fraction (no basis-point rounding), the library works in basis points and milli-points. They
///         must agree within the rounding the library's units allow.
contract RouterScoringDifferentialTest is Test {
    uint256 internal constant WAD = 1e18;

    RouterScoringHarness internal h;

    /// @dev The reference model's state: moving averages as WAD fractions.
    struct RefStats {
        uint256 latency;
        uint256 price;
        uint256 fail;
        uint256 slash;
        uint256 count;
        uint256 fulfilled;
    }

    function setUp() public {
        h = new RouterScoringHarness();
    }

    // ------------------------------------------------------------------ reference model

    function _refEwma(uint256 prev, uint256 sample, uint256 alpha, bool first) internal pure returns (uint256) {
        if (first) return sample;
        // prev + (sample − prev) · alpha, in signed WAD arithmetic.
        int256 delta = int256(sample) - int256(prev);
        return uint256(int256(prev) + (delta * int256(alpha)) / int256(WAD));
    }

    function _refRecord(RefStats memory s, bool failed, bool slashed, uint256 latency, uint256 price, uint256 alpha)
        internal
        pure
    {
        bool first = s.count == 0;
        s.latency = _refEwma(s.latency, failed ? WAD : latency, alpha, first);
        s.fail = _refEwma(s.fail, failed ? WAD : 0, alpha, first);
        s.slash = _refEwma(s.slash, slashed ? WAD : 0, alpha, first);
        if (!failed) {
            s.price = _refEwma(s.price, price, alpha, s.fulfilled == 0);
            s.fulfilled++;
        }
        s.count++;
    }

    function _refConfidence(uint256 observedWeight, uint256 n, uint256 warmup) internal pure returns (uint256) {
        if (warmup == 0) return n == 0 ? 0 : observedWeight;
        return (observedWeight * (n < warmup ? n : warmup)) / warmup;
    }

    /// @dev Score in milli-points × weight, from the formula: Σ w_d · (d_d·(1−c) + o_d·c) · 1000 · 10.
    function _refScore(
        uint8[4] memory declared,
        RefStats memory s,
        uint8[4] memory weights,
        uint256 observedWeight,
        uint256 warmup
    ) internal pure returns (uint256) {
        uint256 c = _refConfidence(observedWeight, s.count, warmup);
        uint256 cCost = _refConfidence(observedWeight, s.fulfilled, warmup);
        uint256[4] memory o = [WAD - s.latency, WAD - s.price, ((WAD - s.fail) * (WAD - s.slash)) / WAD, 0];
        uint256[4] memory w = [uint256(weights[0]), weights[1], weights[2], weights[3]];
        if (w[0] + w[1] + w[2] + w[3] == 0) w = [uint256(1), 1, 1, 1];
        uint256 sum;
        for (uint256 d; d < 4; ++d) {
            uint256 dec = (uint256(declared[d]) * WAD) / 10;
            uint256 cd = d == 1 ? cCost : c;
            uint256 blended = d == 3 ? dec : (dec * (WAD - cd) + o[d] * cd) / WAD;
            sum += w[d] * blended; // WAD fraction of 10 points
        }
        return (sum * 10_000) / WAD;
    }

    // ------------------------------------------------------------------ differential

    /// @notice A random history of outcomes, recorded by both, yields the same score for random declared
    ///         profiles and requester weights, within the library's rounding.
    function testFuzz_ScoreMatchesReferenceModel(
        uint256 seed,
        uint8 outcomes,
        uint16 alphaBps,
        uint16 observedWeightBps,
        uint8 warmup,
        uint8[4] memory declared,
        uint8[4] memory weights
    ) public view {
        outcomes = uint8(bound(outcomes, 0, 40));
        alphaBps = uint16(bound(alphaBps, 500, 10_000));
        observedWeightBps = uint16(bound(observedWeightBps, 0, 10_000));
        warmup = uint8(bound(warmup, 0, 20));
        for (uint256 d; d < 4; ++d) {
            declared[d] = uint8(bound(declared[d], 0, 10));
            weights[d] = uint8(bound(weights[d], 0, 10));
        }

        (RouterScoring.Stats memory lib, RefStats memory ref) = _replay(seed, outcomes, alphaBps);

        // Averages agree within the bps rounding accumulated by the EWMA (≤ 1 bps per step, contracted by
        // 1 − α each step, so ≤ 1/α bps in total) plus one.
        uint256 tolBps = 10_000 / alphaBps + 1;
        assertApproxEqAbs(uint256(lib.latencyBps) * 1e14, ref.latency, tolBps * 1e14, "latency");
        assertApproxEqAbs(uint256(lib.priceBps) * 1e14, ref.price, tolBps * 1e14, "price");
        assertApproxEqAbs(uint256(lib.failBps) * 1e14, ref.fail, tolBps * 1e14, "fail");
        assertApproxEqAbs(uint256(lib.slashBps) * 1e14, ref.slash, tolBps * 1e14, "slash");
        assertEq(lib.count, ref.count, "count");
        assertEq(lib.fulfilled, ref.fulfilled, "fulfilled");

        uint256 got = h.score(declared, lib, weights, observedWeightBps, warmup);
        uint256 want = _refScore(declared, ref, weights, uint256(observedWeightBps) * 1e14, warmup);
        // Each weighted dimension may be off by the average's tolerance (safety: twice) plus 2 of rounding.
        uint256 wsum = uint256(weights[0]) + weights[1] + weights[2] + weights[3];
        if (wsum == 0) wsum = 4;
        assertApproxEqAbs(got, want, wsum * (2 * tolBps + 2), "score");
    }

    /// @dev Records the same pseudo-random history of `outcomes` outcomes into the library and the model.
    function _replay(uint256 seed, uint256 outcomes, uint256 alphaBps)
        internal
        view
        returns (RouterScoring.Stats memory lib, RefStats memory ref)
    {
        for (uint256 i; i < outcomes; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            bool failed = r % 5 == 0;
            bool slashed = (r >> 8) % 7 == 0;
            uint256 latencyBps = (r >> 16) % 10_001;
            uint256 priceBps = (r >> 32) % 10_001;
            lib = h.record(lib, failed, slashed, latencyBps, priceBps, alphaBps);
            _refRecord(ref, failed, slashed, latencyBps * 1e14, priceBps * 1e14, uint256(alphaBps) * 1e14);
        }
    }

    // ------------------------------------------------------------------ exact values

    function test_Ewma_FirstSampleTakenAsIs() public view {
        assertEq(h.ewma(0, 7000, 2500, true), 7000);
    }

    function test_Ewma_Step() public view {
        // 4000 + (8000 − 4000) × 0.25 = 5000; 8000 − (8000 − 4000) × 0.25 = 7000.
        assertEq(h.ewma(4000, 8000, 2500, false), 5000);
        assertEq(h.ewma(8000, 4000, 2500, false), 7000);
    }

    function test_RevertWhen_SampleAboveOne() public {
        vm.expectRevert(abi.encodeWithSelector(RouterScoring.SampleOutOfRange.selector, 10_001));
        h.ewma(0, 10_001, 2500, false);
    }

    function test_RevertWhen_AlphaZero() public {
        vm.expectRevert(abi.encodeWithSelector(RouterScoring.AlphaOutOfRange.selector, 0));
        h.ewma(0, 1, 0, false);
    }

    function test_Score_DeclaredOnlyBeforeAnyOutcome() public view {
        RouterScoring.Stats memory s;
        // 10 × 9000 + 3 × 3000 + 1 × 4000 + 1 × 8000 (race profile 9/3/4/8 for the arbitrage bot).
        assertEq(h.score([9, 3, 4, 8], s, [10, 3, 1, 1], 7000, 5), 111_000);
    }

    function test_Score_AllZeroWeightsCountAsEqual() public view {
        RouterScoring.Stats memory s;
        assertEq(h.score([1, 2, 3, 4], s, [0, 0, 0, 0], 7000, 5), 10_000);
    }

    function test_Score_FailuresPullSpeedAndSafetyDown() public view {
        RouterScoring.Stats memory s;
        for (uint256 i; i < 5; ++i) {
            s = h.record(s, true, true, 0, 0, 2500);
        }
        // Warmed up: speed = 9000 × 0.3 + 0 × 0.7 = 2700; cost stays declared (no fulfilled outcome says
        // anything about price); safety 4000 × 0.3 = 1200; censorship resistance is declared only.
        assertEq(h.score([9, 3, 4, 8], s, [10, 0, 0, 0], 7000, 5), 27_000);
        assertEq(h.score([9, 3, 4, 8], s, [0, 1, 0, 0], 7000, 5), 3000);
        assertEq(h.score([9, 3, 4, 8], s, [0, 0, 1, 0], 7000, 5), 1200);
        assertEq(h.score([9, 3, 4, 8], s, [0, 0, 0, 1], 7000, 5), 8000);
    }
}
