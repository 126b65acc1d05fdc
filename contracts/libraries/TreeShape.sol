// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title TreeShape
/// @notice Splits a block's proof tree into leaf ranges for TreeAssignment, following the tree shape of
///         docs/architecture.md: a node over m > 1 leaves has a left subtree over the largest power of two
///         strictly below m and a right subtree over the rest (Aztec's rule). A subtree over at most
///         `rangeSize` leaves is one range, proven by one prover (its base proofs and inner merges).
/// @dev Outputs, per range i in left-to-right order:
///      - `start[i]`, `count[i]`: the leaves it covers;
///      - `mergesLed[i]`: merges above the ranges whose leftmost range is i (a merge goes to the prover of
///        its left child, so recursively to the owner of its leftmost range);
///      - `sibling[i]`: the range whose owner owns i's sibling subtree (the other child of i's parent):
///        the leftmost range of that subtree; `NO_SIBLING` for a single-range tree.
///      Node count: n base proofs, n − 1 merges (Σ(count − 1) + Σ mergesLed), one root proof.
library TreeShape {
    /// @notice Marks a range without a sibling (the tree is a single range).
    uint8 internal constant NO_SIBLING = type(uint8).max;

    /// @param txCount The transaction count given.
    error EmptyTree(uint256 txCount);
    /// @param rangeSize The range size given.
    error ZeroRangeSize(uint256 rangeSize);
    /// @param ranges Ranges the tree would split into.
    /// @param maxRanges The cap.
    error TooManyRanges(uint256 ranges, uint256 maxRanges);

    /// @notice The split of a tree into ranges.
    struct Split {
        uint32[] start;
        uint32[] count;
        uint8[] mergesLed;
        uint8[] sibling;
        uint256 length;
    }

    /// @notice Largest power of two strictly below `m` (m ≥ 2).
    function leftSize(uint256 m) internal pure returns (uint256 p) {
        p = 1;
        while (p << 1 < m) p <<= 1;
    }

    /// @notice Number of ranges `split` yields, without allocating.
    function rangeCount(uint256 txCount, uint256 rangeSize) internal pure returns (uint256) {
        if (txCount <= rangeSize) return 1;
        uint256 l = leftSize(txCount);
        return rangeCount(l, rangeSize) + rangeCount(txCount - l, rangeSize);
    }

    /// @notice Splits a tree of `txCount` leaves into ranges of at most `rangeSize` leaves.
    /// @param maxRanges Cap on the number of ranges (≤ 254).
    function split(uint256 txCount, uint256 rangeSize, uint256 maxRanges) internal pure returns (Split memory s) {
        if (txCount == 0) revert EmptyTree(txCount);
        if (rangeSize == 0) revert ZeroRangeSize(rangeSize);
        // ceil(n / rangeSize) is a lower bound on the range count: refuse early so that counting is bounded.
        uint256 lower = (txCount + rangeSize - 1) / rangeSize;
        if (lower > maxRanges) revert TooManyRanges(lower, maxRanges);
        uint256 k = rangeCount(txCount, rangeSize);
        if (k > maxRanges || k >= NO_SIBLING) revert TooManyRanges(k, maxRanges);
        s.start = new uint32[](k);
        s.count = new uint32[](k);
        s.mergesLed = new uint8[](k);
        s.sibling = new uint8[](k);
        _split(s, 0, txCount, rangeSize);
        if (k == 1) s.sibling[0] = NO_SIBLING;
    }

    /// @notice Contribution units of range `i`: its base proofs, its inner merges and the merges it leads.
    function rangeUnits(Split memory s, uint256 i, uint256 baseWeight, uint256 mergeWeight)
        internal
        pure
        returns (uint256)
    {
        return baseWeight * s.count[i] + mergeWeight * (s.count[i] - 1 + s.mergesLed[i]);
    }

    /// @notice Total units of a tree of `txCount` leaves: n base, n − 1 merges, one root.
    function totalUnits(uint256 txCount, uint256 baseWeight, uint256 mergeWeight, uint256 rootWeight)
        internal
        pure
        returns (uint256)
    {
        return baseWeight * txCount + mergeWeight * (txCount - 1) + rootWeight;
    }

    /// @dev Appends the ranges of the subtree over [lo, lo + m) and returns the index of its leftmost range.
    function _split(Split memory s, uint256 lo, uint256 m, uint256 rangeSize) private pure returns (uint256 first) {
        first = s.length;
        if (m <= rangeSize) {
            s.start[first] = uint32(lo);
            s.count[first] = uint32(m);
            s.length = first + 1;
            return first;
        }
        uint256 l = leftSize(m);
        uint256 li = _split(s, lo, l, rangeSize);
        uint256 ri = _split(s, lo + l, m - l, rangeSize);
        // This node is a merge led by its leftmost range.
        s.mergesLed[li] += 1;
        if (l <= rangeSize) s.sibling[li] = uint8(ri);
        if (m - l <= rangeSize) s.sibling[ri] = uint8(li);
    }
}
