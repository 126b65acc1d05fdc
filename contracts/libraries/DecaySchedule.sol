// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title DecaySchedule
/// @notice A linear time decay: an amount is paid in full at `start`, falls linearly to `floorBps` of itself
///         at `start + window`, and stays at the floor afterwards. The open proof race pays each of its
///         winners this way, so that proving early pays more than proving late.
/// @dev value(t) = amount − amount·(10000 − floorBps)·min(t − start, window) / (10000·window), rounded so
///      that the drop is rounded down (the value is never below amount·floorBps/10000 rounded down, and is
///      exactly `amount` at t ≤ start). Monotone non-increasing in t. No overflow for amount < 2^128 and
///      window < 2^64.
library DecaySchedule {
    /// @notice Basis-point denominator.
    uint256 internal constant BPS = 10_000;

    /// @notice floorBps above 10000.
    /// @param floorBps The floor asked for.
    error FloorAboveFull(uint256 floorBps);

    /// @notice The decayed value of `amount` at time `t`.
    /// @param amount Full value (at or before `start`).
    /// @param start When the decay starts.
    /// @param window Seconds from full to floor (0: the floor applies from `start` on, exclusive).
    /// @param floorBps Share of `amount` paid from `start + window` on, in basis points (≤ 10000).
    /// @param t The time to evaluate at.
    function decayed(uint256 amount, uint256 start, uint256 window, uint256 floorBps, uint256 t)
        internal
        pure
        returns (uint256)
    {
        if (floorBps > BPS) revert FloorAboveFull(floorBps);
        if (t <= start) return amount;
        uint256 elapsed = t - start;
        if (elapsed >= window) return amount - amount * (BPS - floorBps) / BPS;
        return amount - amount * (BPS - floorBps) * elapsed / (BPS * window);
    }
}
