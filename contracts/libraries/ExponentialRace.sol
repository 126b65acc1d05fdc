// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ExponentialRace
/// @notice Weighted selection in which each candidate's chance depends on its own weight and its own key
///         only: candidate j gets the key E_j / w_j, where E_j = −ln(u_j) is an exponential variate made
///         from u_j = keccak256(seed, candidate, round) and w_j is its weight, and the smallest key wins.
///         The minimum of independent exponentials of rates w_j falls on j with probability w_j / Σ w over
///         whatever set of candidates is compared, and ranking every candidate by its key is weighted
///         sampling without replacement (the k smallest keys are k successive weighted draws).
/// @dev Why not a prefix-sum draw (`hash mod Σ w`, walk the weights): there every candidate's outcome
///      depends on every other weight, so one participant who can change its own weight (or join) after
///      the seed is known moves everyone's interval and steers the pick. Here a change of one candidate's
///      weight changes that candidate's key and nothing else, so a caller that excludes candidates whose
///      weight changed after the seed became known leaves the others' order fixed.
///      Precision: E is within 2^-40 of the exact −ln(u) (see `exponential`), so two candidates can swap
///      order only when their exact keys lie that close; that moves a candidate's probability by less than
///      about n · 2^-40 for n candidates, far below anything a draw of a few hundred members can show.
library ExponentialRace {
    /// @dev Fixed-point constants with 64 fractional bits: 1, ln 2, ln √2, √2 and 1/√2 (rounded down).
    uint256 internal constant ONE = 1 << 64;
    uint256 internal constant LN2 = 0xb17217f7d1cf79ab;
    uint256 internal constant LN_SQRT2 = 0x58b90bfbe8e7bcd5;
    uint256 internal constant SQRT2 = 0x16a09e667f3bcc908;
    uint256 internal constant INV_SQRT2 = 0xb504f333f9de6484;

    /// @notice The key of `candidate` in round `round` of a race seeded by `seed`, for weight `weight`.
    /// @param seed The race's seed.
    /// @param candidate The candidate's identity (its address).
    /// @param round Which independent race (e.g. which pick, when keys are not reused).
    /// @param weight The candidate's weight (> 0, < 2^96).
    /// @return key Smaller wins: (E << 128) / weight, with E = exponential(keccak256(seed, candidate, round)).
    function keyOf(bytes32 seed, address candidate, uint256 round, uint256 weight) internal pure returns (uint256 key) {
        uint256 h;
        assembly ("memory-safe") {
            // keccak256(abi.encode(seed, candidate, round)) in the memory past the free pointer (not kept).
            let ptr := mload(0x40)
            mstore(ptr, seed)
            mstore(add(ptr, 0x20), candidate)
            mstore(add(ptr, 0x40), round)
            h := keccak256(ptr, 0x60)
        }
        return (exponential(h) << 128) / weight;
    }

    /// @notice −ln(u) for u = (h | 1) / 2^256 ∈ (0, 1): an exponential variate of rate 1 when h is uniform;
    ///         64 fractional bits, at least 1 (2^-64).
    /// @dev −ln(u) = (k + 1) · ln 2 − ln(m) for u = m · 2^-(k + 1), m ∈ [1, 2). ln(m) by one range
    ///      reduction (m ≥ √2: m / √2, plus ln √2), then ln(m) = 2 · atanh(s) = 2 · (s + s³/3 + … + s¹³/13)
    ///      with s = (m − 1) / (m + 1) ≤ 0.1716; the first term left out, doubled, is below 4.4 · 10^-13 ≈ 2^-41,
    ///      and each fixed-point step rounds down by at most 2^-64. So E is within 2^-40 of −ln(u) (the test
    ///      suite's reference measures at most 0.99 · 2^-41).
    function exponential(uint256 h) internal pure returns (uint256 e) {
        uint256 x = h | 1;
        // u = x / 2^256 = mantissa · 2^-(k + 1) with the mantissa in [1, 2) once x is shifted up by k to its
        // top bit. For a hash, k is 0 half the time and exceeds c with probability 2^-(c + 1), so a shift
        // loop is cheaper than a binary search for the top bit.
        uint256 k;
        uint256 m;
        assembly ("memory-safe") {
            for {} iszero(shr(255, x)) {} {
                x := shl(1, x)
                k := add(k, 1)
            }
            // The mantissa in [2^64, 2^65), i.e. [1, 2) with 64 fractional bits.
            m := shr(191, x)
        }
        uint256 lnM;
        assembly ("memory-safe") {
            // All values below are < 2^66 and their products < 2^132: no overflow.
            if iszero(lt(m, SQRT2)) {
                m := shr(64, mul(m, INV_SQRT2))
                // Rounding can leave m just below 1 for m near √2 (ln m is ~0 there).
                if lt(m, ONE) { m := ONE }
                lnM := LN_SQRT2
            }
            let s := div(shl(64, sub(m, ONE)), add(m, ONE))
            let s2 := shr(64, mul(s, s))
            let t := shr(64, mul(s, s2))
            let sum := add(s, div(t, 3))
            t := shr(64, mul(t, s2))
            sum := add(sum, div(t, 5))
            t := shr(64, mul(t, s2))
            sum := add(sum, div(t, 7))
            t := shr(64, mul(t, s2))
            sum := add(sum, div(t, 9))
            t := shr(64, mul(t, s2))
            sum := add(sum, div(t, 11))
            t := shr(64, mul(t, s2))
            sum := add(sum, div(t, 13))
            lnM := add(lnM, shl(1, sum))
        }
        unchecked {
            uint256 base = (k + 1) * LN2;
            // Rounding can bring x near 2^256 (E near 0) to or below zero: floor E at 2^-64.
            e = base > lnM ? base - lnM : 1;
        }
    }
}
