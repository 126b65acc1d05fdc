// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TreeWordLib} from "./TreeWord.sol";

/// @notice LedgerTreeAssignment's per-tree state in one storage word: the stored tree's `TreeWord` with the shape
///         narrowed to the ledger port's 16 bits and the task's nonce added, so that a word can be reused by a later
///         tree of the same requester (the word is keyed by requester and nonce mod 256, and keeps its USED bit
///         after the tree closes: the next draw in that slot rewrites a non-zero word, 2.9k, instead of filling a
///         fresh one, 22.1k). Bit layout, from the least significant bit:
///
///         | bits       | field        | meaning                                                          |
///         |------------|--------------|------------------------------------------------------------------|
///         | [0, 2)     | status       | ITreeAssignment.TreeStatus (None once closed, Drawn while live)  |
///         | 2          | rootAssigned | range 0's owner holds the ledger's root assignment               |
///         | [3, 11)    | rangeCount   | ranges the tree splits into                                      |
///         | [11, 27)   | txCount      | leaves                                                           |
///         | [27, 43)   | rangeSize    | leaves per range at most                                         |
///         | [43, 83)   | marker       | the range deadline                                               |
///         | [83, 123)  | deadline     | the task's deadline                                              |
///         | [123, 155) | nonce        | the low 32 bits of the task id (which tree of the slot this is)  |
///         | [155, 255) | ranges 0–9   | one 10-bit range field each (TreeWordLib's layout)               |
///         | 255        | USED         | set on the slot's first tree, never cleared                      |
///
///         Range fields (`TreeWordLib.makeField`, `fieldOwner`, `fieldState`) and the extra words of ranges from
///         `TreeWordLib.INLINE_RANGES` on are TreeWordLib's; ranges 0–9 sit at the same bits as in a TreeWord.
type LedgerTreeWord is uint256;

using LedgerTreeWordLib for LedgerTreeWord global;

/// @title LedgerTreeWordLib
/// @notice Accessors of the packed LedgerTreeWord (range fields themselves: TreeWordLib).
library LedgerTreeWordLib {
    uint256 private constant STATUS_MASK = 0x3;
    uint256 private constant ROOT_ASSIGNED = 1 << 2;
    uint256 private constant COUNT_SHIFT = 3;
    /// @notice Set on a slot's first tree and kept after it closes.
    uint256 internal constant USED = 1 << 255;

    uint256 private constant TX_SHIFT = 11;
    uint256 private constant SIZE_SHIFT = 27;
    uint256 private constant MARKER_SHIFT = 43;
    uint256 private constant DEADLINE_SHIFT = 83;
    uint256 private constant NONCE_SHIFT = 123;
    uint256 private constant RANGES_SHIFT = 155;
    uint256 private constant U16 = 0xffff;
    uint256 private constant U40 = (1 << 40) - 1;

    /// @notice A drawn tree of the task whose id ends in `nonce_` (status Drawn, USED set).
    /// @param rangeDeadline The range deadline (the marker).
    function open(
        uint256 rangeCount_,
        uint256 txCount_,
        uint256 rangeSize_,
        uint256 rangeDeadline,
        uint256 deadline_,
        uint256 nonce_
    ) internal pure returns (LedgerTreeWord) {
        return LedgerTreeWord.wrap(
            USED | 2 | (rangeCount_ << COUNT_SHIFT) | ((txCount_ & U16) << TX_SHIFT)
                | ((rangeSize_ & U16) << SIZE_SHIFT) | ((rangeDeadline & U40) << MARKER_SHIFT)
                | ((deadline_ & U40) << DEADLINE_SHIFT) | (uint256(uint32(nonce_)) << NONCE_SHIFT)
        );
    }

    /// @notice Whether `w` is the live tree of the task `taskId` (drawn, and its nonce is the id's).
    function isTreeOf(LedgerTreeWord w, uint256 taskId) internal pure returns (bool) {
        uint256 v = LedgerTreeWord.unwrap(w);
        return v & STATUS_MASK == 2 && (v >> NONCE_SHIFT) & 0xffffffff == taskId & 0xffffffff;
    }

    /// @notice The low 32 bits of the id of the task whose tree this is.
    function nonce(LedgerTreeWord w) internal pure returns (uint256) {
        return (LedgerTreeWord.unwrap(w) >> NONCE_SHIFT) & 0xffffffff;
    }

    function status(LedgerTreeWord w) internal pure returns (uint256) {
        return LedgerTreeWord.unwrap(w) & STATUS_MASK;
    }

    function rootAssigned(LedgerTreeWord w) internal pure returns (bool) {
        return LedgerTreeWord.unwrap(w) & ROOT_ASSIGNED != 0;
    }

    function rangeCount(LedgerTreeWord w) internal pure returns (uint256) {
        return uint8(LedgerTreeWord.unwrap(w) >> COUNT_SHIFT);
    }

    function txCount(LedgerTreeWord w) internal pure returns (uint256) {
        return (LedgerTreeWord.unwrap(w) >> TX_SHIFT) & U16;
    }

    function rangeSize(LedgerTreeWord w) internal pure returns (uint256) {
        return (LedgerTreeWord.unwrap(w) >> SIZE_SHIFT) & U16;
    }

    /// @notice The range deadline.
    function marker(LedgerTreeWord w) internal pure returns (uint256) {
        return (LedgerTreeWord.unwrap(w) >> MARKER_SHIFT) & U40;
    }

    function deadline(LedgerTreeWord w) internal pure returns (uint256) {
        return (LedgerTreeWord.unwrap(w) >> DEADLINE_SHIFT) & U40;
    }

    function withRootAssigned(LedgerTreeWord w, bool assigned) internal pure returns (LedgerTreeWord) {
        uint256 v = LedgerTreeWord.unwrap(w) & ~ROOT_ASSIGNED;
        return LedgerTreeWord.wrap(assigned ? v | ROOT_ASSIGNED : v);
    }

    /// @notice Range field `i` (< TreeWordLib.INLINE_RANGES) of the tree word.
    function field(LedgerTreeWord w, uint256 i) internal pure returns (uint256) {
        // i < TreeWordLib.INLINE_RANGES: the shift is below 256.
        unchecked {
            return (LedgerTreeWord.unwrap(w) >> (RANGES_SHIFT + TreeWordLib.FIELD_BITS * i)) & TreeWordLib.FIELD_MASK;
        }
    }

    /// @notice The tree word with range field `i` (< TreeWordLib.INLINE_RANGES) set to `f`.
    function withField(LedgerTreeWord w, uint256 i, uint256 f) internal pure returns (LedgerTreeWord) {
        // i < TreeWordLib.INLINE_RANGES: the shift is below 256.
        unchecked {
            uint256 shift = RANGES_SHIFT + TreeWordLib.FIELD_BITS * i;
            return LedgerTreeWord.wrap((LedgerTreeWord.unwrap(w) & ~(TreeWordLib.FIELD_MASK << shift)) | (f << shift));
        }
    }
}
