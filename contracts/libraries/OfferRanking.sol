// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title OfferRanking
/// @notice How the OrderBook ranks standing offers for a task (the =nil; rule: the requester's own
///         priority, adjusted by each prover's on-chain record).
/// @dev Reliability (Laplace-smoothed success rate, 1e18 = 100 %):
///        r = (completed + 1) × 1e18 ÷ (completed + missed + 2)
///      so a new prover starts at 50 %, and one with 98 completions and 0 misses is at 99 %.
///      Effective key of an offer (lower is better):
///        price-first: primary = price × 1e18 ÷ r,        secondary = time × 1e18 ÷ r
///        time-first:  primary = time × 1e18 ÷ r,         secondary = price × 1e18 ÷ r
///      i.e. an offer is worth its price (or time) divided by the chance the prover delivers. Ties on
///      both keys go to the older position in the book (lower scan index).
library OfferRanking {
    /// @notice Fixed-point one.
    uint256 internal constant WAD = 1e18;

    /// @notice Priority codes a request's mechanismData may carry.
    uint8 internal constant PRICE_FIRST = 0;
    uint8 internal constant TIME_FIRST = 1;

    /// @notice Laplace-smoothed reliability in WAD.
    function reliability(uint256 completed, uint256 missed) internal pure returns (uint256) {
        return ((completed + 1) * WAD) / (completed + missed + 2);
    }

    /// @notice Ranking keys of an offer (lower is better).
    /// @param priority PRICE_FIRST or TIME_FIRST.
    /// @param price Offer price per proof.
    /// @param time Promised proving time in seconds.
    /// @param rel Prover reliability (WAD, > 0).
    function keys(uint8 priority, uint256 price, uint256 time, uint256 rel)
        internal
        pure
        returns (uint256 primary, uint256 secondary)
    {
        uint256 p = (price * WAD) / rel;
        uint256 t = (time * WAD) / rel;
        return priority == TIME_FIRST ? (t, p) : (p, t);
    }

    /// @notice Whether keys (a1, a2) rank strictly before (b1, b2).
    function better(uint256 a1, uint256 a2, uint256 b1, uint256 b2) internal pure returns (bool) {
        return a1 < b1 || (a1 == b1 && a2 < b2);
    }
}
