// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExponentialRace} from "../../contracts/libraries/ExponentialRace.sol";
import {Test} from "forge-std/Test.sol";

/// @notice ExponentialRace against an independent reference (−ln by bit-by-bit log2), on known values, and
///         in distribution: the smallest key falls on a candidate in proportion to its weight, and the
///         order of keys is weighted sampling without replacement.
contract ExponentialRaceTest is Test {
    /// @dev ln 2 with 128 fractional bits (rounded down), for the reference only.
    uint256 internal constant LN2_Q128 = 0xb17217f7d1cf79abc9e3b39803f2f6af;
    /// @dev Largest distance allowed from the reference, in units of 2^-64: 2^-40.
    uint256 internal constant TOLERANCE = 1 << 24;

    /// @dev Reference −ln(x / 2^256), 64 fractional bits: log2 by the textbook squaring method to 64 bits
    ///      (each squaring of the mantissa doubles its log; a square ≥ 2 gives a one bit), times ln 2.
    function referenceExponential(uint256 h) internal pure returns (uint256) {
        uint256 x = h | 1;
        uint256 msb;
        for (uint256 v = x >> 1; v != 0; v >>= 1) {
            ++msb;
        }
        // Mantissa with 127 fractional bits.
        uint256 m = msb >= 127 ? x >> (msb - 127) : x << (127 - msb);
        uint256 frac;
        for (uint256 bit = 1 << 63; bit != 0; bit >>= 1) {
            m = (m * m) >> 127;
            if (m >= 1 << 128) {
                m >>= 1;
                frac |= bit;
            }
        }
        uint256 minusLog2 = ((256 - msb) << 64) - frac;
        return (minusLog2 * LN2_Q128) >> 128;
    }

    function assertClose(uint256 a, uint256 b, string memory what) internal pure {
        uint256 d = a > b ? a - b : b - a;
        assertLe(d, TOLERANCE, what);
    }

    function test_KnownValues() public pure {
        // u = 1/2 (+2^-256): ln 2.
        assertClose(ExponentialRace.exponential(1 << 255), 12_786_308_645_202_655_659, "ln 2");
        // u = 3/4: ln(4/3).
        assertClose(ExponentialRace.exponential(3 << 254), 5_306_797_565_112_371_680, "ln 4/3");
        // u = 2^-256 (h = 0, taken as 1): 256 ln 2, the largest variate.
        assertClose(ExponentialRace.exponential(0), 3_273_295_013_171_879_848_905, "256 ln 2");
        // u just below 1: the variate is floored at 2^-64, never zero (a key never divides to 0 alone).
        assertGe(ExponentialRace.exponential(type(uint256).max), 1);
        assertLe(ExponentialRace.exponential(type(uint256).max), TOLERANCE);
    }

    function testFuzz_MatchesTheReference(uint256 h) public pure {
        assertClose(ExponentialRace.exponential(h), referenceExponential(h), "exponential");
    }

    /// @dev Small inputs take the long shift path (k up to 255).
    function testFuzz_MatchesTheReferenceForSmallInputs(uint256 h, uint8 bits) public pure {
        h = h >> bits;
        assertClose(ExponentialRace.exponential(h), referenceExponential(h), "exponential");
    }

    function testFuzz_DecreasesWithTheInput(uint256 a, uint256 b) public pure {
        (a, b) = a < b ? (a, b) : (b, a);
        // A larger u, a smaller −ln(u), up to rounding.
        assertLe(ExponentialRace.exponential(b), ExponentialRace.exponential(a) + TOLERANCE);
    }

    function testFuzz_KeyScalesInverselyWithWeight(bytes32 seed, address a, uint256 round, uint96 w) public pure {
        w = uint96(bound(w, 1, type(uint96).max / 2));
        uint256 one = ExponentialRace.keyOf(seed, a, round, w);
        uint256 twice = ExponentialRace.keyOf(seed, a, round, uint256(w) * 2);
        // Integer division: twice ∈ [one / 2 − 1, one / 2].
        assertLe(twice, one / 2);
        assertGe(twice + 1, one / 2);
    }

    /// @dev Weights 100/300/600 over 4000 seeds: the smallest key falls on each candidate 10/30/60 % of
    ///      the time (within ±3 points), and the second smallest on the lightest one with the probability of
    ///      a second weighted draw without replacement, 0.3·(0.1/0.7) + 0.6·(0.1/0.4) ≈ 19.3 % (± 3 points).
    function test_FrequenciesFollowWeight() public pure {
        uint256[3] memory w = [uint256(100e18), 300e18, 600e18];
        uint256[3] memory first;
        uint256 lightestSecond;
        for (uint256 s; s < 4000; ++s) {
            bytes32 seed = keccak256(abi.encode("seed", s));
            uint256[3] memory key;
            for (uint256 j; j < 3; ++j) {
                key[j] = ExponentialRace.keyOf(seed, address(uint160(j + 1)), 0, w[j]);
            }
            uint256 best = key[0] < key[1] ? (key[0] < key[2] ? 0 : 2) : (key[1] < key[2] ? 1 : 2);
            ++first[best];
            // The lightest is second when it is not first and beats the remaining one.
            if (best != 0 && key[0] < key[best == 1 ? 2 : 1]) ++lightestSecond;
        }
        assertApproxEqAbs(first[0], 400, 120, "weight 100");
        assertApproxEqAbs(first[1], 1200, 120, "weight 300");
        assertApproxEqAbs(first[2], 2400, 120, "weight 600");
        assertApproxEqAbs(lightestSecond, 771, 120, "second pick of the lightest");
    }

    /// @dev Rounds are independent races: over 4000 seeds the winner of round 0 and of round 1 agree about
    ///      as often as two independent 50/50 draws do (50 % ± 3 points), for equal weights.
    function test_RoundsAreIndependent() public pure {
        uint256 agree;
        for (uint256 s; s < 4000; ++s) {
            bytes32 seed = keccak256(abi.encode("rounds", s));
            bool a0 =
                ExponentialRace.keyOf(seed, address(1), 0, 1e18) < ExponentialRace.keyOf(seed, address(2), 0, 1e18);
            bool a1 =
                ExponentialRace.keyOf(seed, address(1), 1, 1e18) < ExponentialRace.keyOf(seed, address(2), 1, 1e18);
            if (a0 == a1) ++agree;
        }
        assertApproxEqAbs(agree, 2000, 120);
    }
}
