// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title BlockHeaderRandomness
/// @notice Reads the RANDAO value (`prevrandao`, the header's `mixHash` field) of a *past* block from its
///         RLP-encoded header, checked against `blockhash`. The EVM exposes `block.prevrandao` only for the
///         current block; a draw that used it would let the caller pick the block (and so the outcome) by
///         choosing when to send its transaction. Fixing the target block in advance and reading its
///         prevrandao from the header removes that choice.
/// @dev Bias bound: prevrandao of block B is the beacon RANDAO mix after B's parent slot. It cannot be
///      ground (it is an XOR of BLS signatures that are deterministic per proposer and epoch); the only
///      influence is a proposer withholding its block, which leaves the mix unchanged and shifts the
///      target number to the next proposer's block: one bit of choice per slot the adversary proposes
///      between the target's fixing and the target, at the cost of that slot's block reward and fees.
///      Header layout (every fork since London): parentHash, ommersHash, beneficiary, stateRoot,
///      transactionsRoot, receiptsRoot, logsBloom, difficulty, number, gasLimit, gasUsed, timestamp,
///      extraData, mixHash, … — mixHash is item 13 of the header list.
library BlockHeaderRandomness {
    /// @notice The target block's hash is not available (in the future, the current block, or > 256 back).
    /// @param blockNumber The block asked for.
    error BlockHashUnavailable(uint256 blockNumber);
    /// @notice keccak256 of the header given is not the target block's hash.
    /// @param blockNumber The target block.
    /// @param expected Its hash.
    /// @param actual keccak256 of the header given.
    error HeaderHashMismatch(uint256 blockNumber, bytes32 expected, bytes32 actual);
    /// @notice The header is not an RLP list of at least 14 string items with a 32-byte mixHash.
    error MalformedHeader();

    /// @dev Index of mixHash in the header list.
    uint256 private constant MIX_HASH_INDEX = 13;

    /// @notice Verifies `header` is block `blockNumber`'s header and returns its prevrandao (mixHash).
    /// @param blockNumber A block among the last 256, not the current one.
    /// @param header Its RLP-encoded header.
    function prevrandaoOf(uint256 blockNumber, bytes calldata header) internal view returns (bytes32) {
        bytes32 expected = blockhash(blockNumber);
        if (expected == bytes32(0)) revert BlockHashUnavailable(blockNumber);
        bytes32 actual = keccak256(header);
        if (actual != expected) revert HeaderHashMismatch(blockNumber, expected, actual);
        return mixHashOf(header);
    }

    /// @notice Whether block `blockNumber`'s hash is still readable (strictly past, at most 256 back).
    function hashAvailable(uint256 blockNumber) internal view returns (bool) {
        return blockNumber < block.number && block.number - blockNumber <= 256;
    }

    /// @notice The mixHash item of an RLP-encoded header (no hash check).
    function mixHashOf(bytes calldata header) internal pure returns (bytes32 mix) {
        (uint256 offset, uint256 end) = _listPayload(header);
        for (uint256 i = 0; i < MIX_HASH_INDEX; ++i) {
            (, uint256 next) = _item(header, offset, end);
            offset = next;
        }
        (uint256 start, uint256 next2) = _item(header, offset, end);
        if (next2 - start != 32) revert MalformedHeader();
        mix = bytes32(header[start:next2]);
    }

    /// @dev Offsets of the outer list's payload.
    function _listPayload(bytes calldata rlp) private pure returns (uint256 offset, uint256 end) {
        if (rlp.length == 0) revert MalformedHeader();
        uint8 b0 = uint8(rlp[0]);
        if (b0 < 0xc0) revert MalformedHeader();
        uint256 length;
        if (b0 <= 0xf7) {
            offset = 1;
            length = b0 - 0xc0;
        } else {
            uint256 lenOfLen = b0 - 0xf7;
            offset = 1 + lenOfLen;
            length = _bigEndian(rlp, 1, lenOfLen);
        }
        end = offset + length;
        if (end != rlp.length) revert MalformedHeader();
    }

    /// @dev A string item at `offset`: returns its data start and the offset after it.
    function _item(bytes calldata rlp, uint256 offset, uint256 end)
        private
        pure
        returns (uint256 dataStart, uint256 next)
    {
        if (offset >= end) revert MalformedHeader();
        uint8 b = uint8(rlp[offset]);
        if (b < 0x80) return (offset, offset + 1);
        if (b <= 0xb7) {
            dataStart = offset + 1;
            next = dataStart + (b - 0x80);
        } else if (b <= 0xbf) {
            uint256 lenOfLen = b - 0xb7;
            dataStart = offset + 1 + lenOfLen;
            next = dataStart + _bigEndian(rlp, offset + 1, lenOfLen);
        } else {
            revert MalformedHeader();
        }
        if (next > end) revert MalformedHeader();
    }

    /// @dev Big-endian integer of `len` (1..8) bytes at `offset`.
    function _bigEndian(bytes calldata rlp, uint256 offset, uint256 len) private pure returns (uint256 v) {
        if (len == 0 || len > 8 || offset + len > rlp.length) revert MalformedHeader();
        for (uint256 i = 0; i < len; ++i) {
            v = (v << 8) | uint8(rlp[offset + i]);
        }
    }
}
