// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title WeightedDraw
/// @notice Stake-weighted sampling without replacement by rejection, in gas independent of how many
///         provers are registered. Each attempt picks a uniformly random index among `count` candidates
///         and accepts it with probability min(weight, cap) / cap; an ineligible or already-drawn candidate
///         is rejected. Conditioned on acceptance, a candidate is drawn with probability proportional to
///         min(weight, cap) among the eligible ones not yet drawn — exact stake weighting whenever `cap`
///         is at least the largest stake, and a bounded whale weight otherwise.
/// @dev Each attempt's randomness is keccak256(seed, attempt): the index from the low 128 bits, the
///      acceptance draw from the high 128 bits, so they are independent. The expected attempts per draw
///      are cap / mean(min(weight, cap)) divided by the eligible fraction; the caller bounds the attempts.
library WeightedDraw {
    /// @notice The candidate index and acceptance draw of attempt number `attemptNumber`.
    /// @param seed The draw's seed.
    /// @param attemptNumber Attempt number (0, 1, …).
    /// @param count Number of candidates (> 0).
    /// @return index The candidate to consider.
    /// @return acceptDraw Uniform in [0, 2^128): accept when acceptDraw · cap < min(weight, cap) · 2^128.
    function attempt(bytes32 seed, uint256 attemptNumber, uint256 count)
        internal
        pure
        returns (uint256 index, uint256 acceptDraw)
    {
        uint256 r = uint256(keccak256(abi.encode(seed, attemptNumber)));
        index = uint128(r) % count;
        acceptDraw = r >> 128;
    }

    /// @notice Whether a candidate of weight `weight` is accepted by `acceptDraw` under `cap`.
    /// @param weight The candidate's weight (its stake).
    /// @param cap The weight at which acceptance is certain (> 0).
    /// @param acceptDraw From `attempt`.
    function accepts(uint256 weight, uint256 cap, uint256 acceptDraw) internal pure returns (bool) {
        uint256 w = weight < cap ? weight : cap;
        // acceptDraw / 2^128 < w / cap  ⇔  acceptDraw · cap < w · 2^128 (both sides < 2^256 for cap, w < 2^128).
        return acceptDraw * cap < w << 128;
    }
}
