// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title LinearPriceRamp
/// @notice Price of an ascending-price (reverse Dutch) auction: it rises linearly from a floor to a ceiling
///         over a ramp period, then stays at the ceiling. Used by AscendingPriceAuction.
/// @dev price(t) = floor + (ceiling − floor) · min(t − start, period) / period, rounded down, so the price
///      is non-decreasing in t, equals `floor` at `start` and `ceiling` from `start + period` on. A zero
///      period means the ceiling at once. All inputs are bounded by the callers' storage types (uint96
///      prices, uint40 times), so the product cannot overflow.
library LinearPriceRamp {
    /// @notice The floor is above the ceiling.
    /// @param floor The floor given.
    /// @param ceiling The ceiling given.
    error FloorAboveCeiling(uint256 floor, uint256 ceiling);

    /// @notice Basis-point denominator for floors given as a fraction of the ceiling.
    uint256 internal constant BPS = 10_000;

    /// @notice The ramp price at time `at`.
    /// @param floor Price at `start` (and before it).
    /// @param ceiling Price from `start + period` on.
    /// @param start When the ramp starts.
    /// @param period Ramp duration in seconds (0: the ceiling at once).
    /// @param at The time to price.
    function priceAt(uint256 floor, uint256 ceiling, uint256 start, uint256 period, uint256 at)
        internal
        pure
        returns (uint256)
    {
        if (floor > ceiling) revert FloorAboveCeiling(floor, ceiling);
        if (at <= start) return period == 0 ? ceiling : floor;
        uint256 elapsed = at - start;
        if (elapsed >= period) return ceiling;
        return floor + (ceiling - floor) * elapsed / period;
    }

    /// @notice `ceiling · bps / 10 000`, rounded down: a floor given as a fraction of the ceiling.
    /// @param ceiling The ceiling.
    /// @param bps Fraction in basis points (≤ 10 000).
    function fractionOf(uint256 ceiling, uint256 bps) internal pure returns (uint256) {
        return ceiling * bps / BPS;
    }
}
