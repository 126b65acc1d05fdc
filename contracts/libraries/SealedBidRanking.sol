// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A revealed sealed bid: who bid and the price it asks (one storage word).
struct RevealedBid {
    address bidder;
    uint96 price;
}

/// @title SealedBidRanking
/// @notice Ranking and clearing-price rules of the sealed-bid reverse auction (lowest price wins).
/// @dev Order: ascending price; among equal prices, ascending `tieKey(seed, bidder)`. The seed is the XOR of
///      the salts every revealed bid committed to before any reveal, so no bidder knows its tie key when it
///      commits, and after the commit phase its only influence is to withhold its own reveal (which
///      forfeits its bid collateral). The order is strict (distinct bidders have distinct keys with
///      overwhelming probability; equal keys fall back to the bidder address), so the ranking is a
///      deterministic function of the set of revealed bids, independent of reveal order.
library SealedBidRanking {
    /// @notice The tie-break key of `bidder` under `seed` (lower ranks first).
    function tieKey(uint64 seed, address bidder) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, bidder)));
    }

    /// @notice Whether `a` ranks strictly before `b`.
    function ranksBefore(RevealedBid memory a, RevealedBid memory b, uint64 seed) internal pure returns (bool) {
        if (a.price != b.price) return a.price < b.price;
        uint256 ka = tieKey(seed, a.bidder);
        uint256 kb = tieKey(seed, b.bidder);
        if (ka != kb) return ka < kb;
        return a.bidder < b.bidder;
    }

    /// @notice Sorts `bids` in place, best (cheapest) first. Insertion sort: the mechanism caps the number
    ///         of bids per auction, and for the small counts it allows this is cheaper than anything cleverer.
    function sort(RevealedBid[] memory bids, uint64 seed) internal pure {
        uint256 n = bids.length;
        for (uint256 i = 1; i < n; ++i) {
            RevealedBid memory current = bids[i];
            uint256 j = i;
            while (j > 0 && ranksBefore(current, bids[j - 1], seed)) {
                bids[j] = bids[j - 1];
                --j;
            }
            bids[j] = current;
        }
    }

    /// @notice The price every winner is assigned at.
    /// @param sorted Bids ranked best first.
    /// @param winnerPrice The winner's own bid (first-price rule).
    /// @param nextIndex Index in `sorted` of the best bid after the last winner (`sorted.length` if none).
    /// @param reserve The reserve (the requester's per-proof maximum); the second-price rule pays it when
    ///        no losing bid sets the price.
    /// @param secondPrice Uniform (R+1)-th price rule instead of pay-as-bid.
    function clearingPrice(
        RevealedBid[] memory sorted,
        uint96 winnerPrice,
        uint256 nextIndex,
        uint96 reserve,
        bool secondPrice
    ) internal pure returns (uint96) {
        if (!secondPrice) return winnerPrice;
        return nextIndex < sorted.length ? sorted[nextIndex].price : reserve;
    }
}
