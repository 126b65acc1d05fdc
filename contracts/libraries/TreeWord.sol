// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice TreeAssignment's whole per-task state in one storage word (the requester, budget and deadline
///         checks of the registry are read from the registry when needed, the range shapes are recomputed
///         with TreeShape from txCount and rangeSize). Bit layout, from the least significant bit:
///
///         | bits       | field        | meaning                                                          |
///         |------------|--------------|------------------------------------------------------------------|
///         | [0, 2)     | status       | ITreeAssignment.TreeStatus                                       |
///         | 2          | rootAssigned | range 0's owner holds the registry's root assignment             |
///         | [3, 11)    | rangeCount   | ranges the tree splits into                                      |
///         | [11, 43)   | txCount      | leaves                                                           |
///         | [43, 75)   | rangeSize    | leaves per range at most                                         |
///         | [75, 115)  | marker       | seed block while awaiting the draw; range deadline once drawn    |
///         | [115, 155) | deadline     | the task's deadline                                              |
///         | [155, 255) | ranges 0–9   | one 10-bit range field each (see below)                          |
///
///         A range field is `ownerId << 2 | state` (ownerId: the owner's pool slot, 8 bits; state:
///         ITreeAssignment.RangeState, 2 bits). Ranges from `INLINE_RANGES` on live in extra words of
///         `RANGES_PER_WORD` fields each, at the same 10-bit spacing from bit 0.
type TreeWord is uint256;

using TreeWordLib for TreeWord global;

/// @title TreeWordLib
/// @notice Accessors of the packed TreeWord and of range fields.
library TreeWordLib {
    /// @notice Ranges whose fields sit in the task word itself.
    uint256 internal constant INLINE_RANGES = 10;
    /// @notice Range fields per extra word (ranges INLINE_RANGES and up).
    uint256 internal constant RANGES_PER_WORD = 25;
    /// @notice Width of a range field.
    uint256 internal constant FIELD_BITS = 10;
    /// @notice Mask of a range field.
    uint256 internal constant FIELD_MASK = 0x3ff;

    uint256 private constant STATUS_MASK = 0x3;
    uint256 private constant ROOT_ASSIGNED = 1 << 2;
    uint256 private constant COUNT_SHIFT = 3;
    uint256 private constant TX_SHIFT = 11;
    uint256 private constant SIZE_SHIFT = 43;
    uint256 private constant MARKER_SHIFT = 75;
    uint256 private constant DEADLINE_SHIFT = 115;
    uint256 private constant RANGES_SHIFT = 155;
    uint256 private constant U40 = (1 << 40) - 1;

    /// @notice A task awaiting its draw.
    /// @param status_ The TreeStatus to store (AwaitingDraw).
    function open(
        uint256 status_,
        uint256 rangeCount_,
        uint256 txCount_,
        uint256 rangeSize_,
        uint256 drawBlock,
        uint256 deadline_
    ) internal pure returns (TreeWord) {
        return TreeWord.wrap(
            status_ | (rangeCount_ << COUNT_SHIFT) | (uint256(uint32(txCount_)) << TX_SHIFT)
                | (uint256(uint32(rangeSize_)) << SIZE_SHIFT) | ((drawBlock & U40) << MARKER_SHIFT)
                | ((deadline_ & U40) << DEADLINE_SHIFT)
        );
    }

    function status(TreeWord w) internal pure returns (uint256) {
        return TreeWord.unwrap(w) & STATUS_MASK;
    }

    function rootAssigned(TreeWord w) internal pure returns (bool) {
        return TreeWord.unwrap(w) & ROOT_ASSIGNED != 0;
    }

    function rangeCount(TreeWord w) internal pure returns (uint256) {
        return uint8(TreeWord.unwrap(w) >> COUNT_SHIFT);
    }

    function txCount(TreeWord w) internal pure returns (uint256) {
        return uint32(TreeWord.unwrap(w) >> TX_SHIFT);
    }

    function rangeSize(TreeWord w) internal pure returns (uint256) {
        return uint32(TreeWord.unwrap(w) >> SIZE_SHIFT);
    }

    /// @notice The seed block (awaiting the draw) or the range deadline (drawn).
    function marker(TreeWord w) internal pure returns (uint256) {
        return (TreeWord.unwrap(w) >> MARKER_SHIFT) & U40;
    }

    function deadline(TreeWord w) internal pure returns (uint256) {
        return (TreeWord.unwrap(w) >> DEADLINE_SHIFT) & U40;
    }

    function withStatus(TreeWord w, uint256 s) internal pure returns (TreeWord) {
        return TreeWord.wrap((TreeWord.unwrap(w) & ~STATUS_MASK) | s);
    }

    function withRootAssigned(TreeWord w, bool assigned) internal pure returns (TreeWord) {
        uint256 v = TreeWord.unwrap(w) & ~ROOT_ASSIGNED;
        return TreeWord.wrap(assigned ? v | ROOT_ASSIGNED : v);
    }

    function withMarker(TreeWord w, uint256 m) internal pure returns (TreeWord) {
        return TreeWord.wrap((TreeWord.unwrap(w) & ~(U40 << MARKER_SHIFT)) | ((m & U40) << MARKER_SHIFT));
    }

    /// @notice Range field `i` (< INLINE_RANGES) of the task word.
    function field(TreeWord w, uint256 i) internal pure returns (uint256) {
        // i < INLINE_RANGES: the shift is below 256.
        unchecked {
            return (TreeWord.unwrap(w) >> (RANGES_SHIFT + FIELD_BITS * i)) & FIELD_MASK;
        }
    }

    /// @notice The task word with range field `i` (< INLINE_RANGES) set to `f`.
    function withField(TreeWord w, uint256 i, uint256 f) internal pure returns (TreeWord) {
        // i < INLINE_RANGES: the shift is below 256.
        unchecked {
            uint256 shift = RANGES_SHIFT + FIELD_BITS * i;
            return TreeWord.wrap((TreeWord.unwrap(w) & ~(FIELD_MASK << shift)) | (f << shift));
        }
    }

    /// @notice A range field.
    function makeField(uint256 ownerId, uint256 state) internal pure returns (uint256) {
        return (ownerId << 2) | state;
    }

    function fieldOwner(uint256 f) internal pure returns (uint256) {
        return f >> 2;
    }

    function fieldState(uint256 f) internal pure returns (uint256) {
        return f & 0x3;
    }
}
