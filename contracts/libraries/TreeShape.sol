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
        unchecked {
            while (p << 1 < m) p <<= 1;
        }
    }

    /// @notice Number of ranges `split` yields, without allocating.
    function rangeCount(uint256 txCount, uint256 rangeSize) internal pure returns (uint256 k) {
        // Down the right spine: each left subtree is a perfect tree of l leaves, which splits into l / 2^b
        // ranges (2^b the largest power of two ≤ rangeSize; halving until a half fits) or is one range.
        uint256 b = leftSize(rangeSize + 1);
        uint256 m = txCount;
        unchecked {
            while (m > rangeSize) {
                uint256 l = leftSize(m);
                k += l > b ? l / b : 1;
                m -= l;
            }
        }
        return k + 1;
    }

    /// @notice The number of ranges of a valid tree (what `split` checks, without allocating).
    /// @param maxRanges Cap on the number of ranges (≤ 254).
    function checkedRangeCount(uint256 txCount, uint256 rangeSize, uint256 maxRanges)
        internal
        pure
        returns (uint256 k)
    {
        if (txCount == 0) revert EmptyTree(txCount);
        if (rangeSize == 0) revert ZeroRangeSize(rangeSize);
        // ceil(n / rangeSize) is a lower bound on the range count: refuse early so that counting is bounded.
        uint256 lower = (txCount + rangeSize - 1) / rangeSize;
        if (lower > maxRanges) revert TooManyRanges(lower, maxRanges);
        k = rangeCount(txCount, rangeSize);
        if (k > maxRanges || k >= NO_SIBLING) revert TooManyRanges(k, maxRanges);
    }

    /// @notice Splits a tree of `txCount` leaves into ranges of at most `rangeSize` leaves.
    /// @param maxRanges Cap on the number of ranges (≤ 254).
    function split(uint256 txCount, uint256 rangeSize, uint256 maxRanges) internal pure returns (Split memory s) {
        uint256 k = checkedRangeCount(txCount, rangeSize, maxRanges);
        uint256[] memory p = packedSplit(txCount, rangeSize, k);
        s.start = new uint32[](k);
        s.count = new uint32[](k);
        s.mergesLed = new uint8[](k);
        s.sibling = new uint8[](k);
        s.length = k;
        for (uint256 i; i < k; ++i) {
            s.start[i] = uint32(p[i]);
            s.count[i] = count(p[i]);
            s.mergesLed[i] = mergesLed(p[i]);
            s.sibling[i] = sibling(p[i]);
        }
    }

    /// @notice The split of a tree already known to have `k` ranges (`checkedRangeCount`), one word per
    ///         range: start (bits 0–31) | count (32–63) | mergesLed (64–71) | sibling (72–79). What the
    ///         mechanism uses on chain: one array instead of four.
    function packedSplit(uint256 txCount, uint256 rangeSize, uint256 k) internal pure returns (uint256[] memory p) {
        p = new uint256[](k);
        _packed(p, 0, 0, txCount, rangeSize);
        if (k == 1) p[0] |= uint256(NO_SIBLING) << 72;
    }

    /// @notice First leaf of a packed range.
    function start(uint256 range) internal pure returns (uint32) {
        return uint32(range);
    }

    /// @notice Leaves of a packed range.
    function count(uint256 range) internal pure returns (uint32) {
        return uint32(range >> 32);
    }

    /// @notice Merges above the ranges that a packed range leads.
    function mergesLed(uint256 range) internal pure returns (uint8) {
        return uint8(range >> 64);
    }

    /// @notice Sibling of a packed range (NO_SIBLING for a single-range tree).
    function sibling(uint256 range) internal pure returns (uint8) {
        return uint8(range >> 72);
    }

    /// @notice Contribution units of a packed range: its base proofs, its inner merges and the merges it leads.
    function units(uint256 range, uint256 baseWeight, uint256 mergeWeight) internal pure returns (uint256) {
        uint256 c = count(range);
        // count ≥ 1 and all factors are below 2^40: no overflow.
        unchecked {
            return baseWeight * c + mergeWeight * (c - 1 + mergesLed(range));
        }
    }

    /// @notice Total units of a tree of `txCount` leaves: n base, n − 1 merges, one root.
    function totalUnits(uint256 txCount, uint256 baseWeight, uint256 mergeWeight, uint256 rootWeight)
        internal
        pure
        returns (uint256)
    {
        return baseWeight * txCount + mergeWeight * (txCount - 1) + rootWeight;
    }

    /// @dev Writes the ranges of the subtree over [lo, lo + m) from index `next` on; returns the index of
    ///      its leftmost range and the next free index.
    function _packed(uint256[] memory p, uint256 next, uint256 lo, uint256 m, uint256 rangeSize)
        private
        pure
        returns (uint256 first, uint256 end)
    {
        // Values stay far below 2^256 (indices are bounds-checked).
        unchecked {
            if (m <= rangeSize) {
                p[next] = lo | (m << 32);
                return (next, next + 1);
            }
            uint256 l = leftSize(m);
            uint256 li;
            uint256 ri;
            (li, end) = _packed(p, next, lo, l, rangeSize);
            (ri, end) = _packed(p, end, lo + l, m - l, rangeSize);
            // This node is a merge led by its leftmost range; a range that is a whole child of this node has
            // the other child's leftmost range as its sibling (each range is a whole child of one node only).
            uint256 left = p[li] + (1 << 64);
            if (l <= rangeSize) left |= ri << 72;
            p[li] = left;
            if (m - l <= rangeSize) p[ri] |= li << 72;
            first = li;
        }
    }
}
