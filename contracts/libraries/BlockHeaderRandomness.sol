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
        bytes32 actual;
        assembly ("memory-safe") {
            // Hashed in the memory past the free pointer (not kept, so not allocated).
            let ptr := mload(0x40)
            calldatacopy(ptr, header.offset, header.length)
            actual := keccak256(ptr, header.length)
        }
        if (actual != expected) revert HeaderHashMismatch(blockNumber, expected, actual);
        return mixHashOf(header);
    }

    /// @notice Whether block `blockNumber`'s hash is still readable (strictly past, at most 256 back).
    function hashAvailable(uint256 blockNumber) internal view returns (bool) {
        return blockNumber < block.number && block.number - blockNumber <= 256;
    }

    /// @notice The mixHash item of an RLP-encoded header (no hash check).
    /// @dev Walks the calldata directly (a draw pays for this on every call): the outer list's length must
    ///      match the input exactly, every item before mixHash must be a string (short, long or a single
    ///      byte) lying inside the list, and mixHash itself a 32-byte string. Bytes read past the end of
    ///      calldata are zero, which only ever makes a length overrun the list, so truncated input is refused.
    function mixHashOf(bytes calldata header) internal pure returns (bytes32 mix) {
        bool ok;
        assembly ("memory-safe") {
            let base := header.offset
            let len := header.length
            // The first byte must open a list whose payload ends exactly at the input's end.
            let offset := 0
            let end := 0
            if len {
                let b0 := byte(0, calldataload(base))
                if gt(b0, 0xbf) {
                    switch gt(b0, 0xf7)
                    case 0 {
                        offset := 1
                        end := add(1, sub(b0, 0xc0))
                    }
                    default {
                        let lenOfLen := sub(b0, 0xf7)
                        offset := add(1, lenOfLen)
                        end := add(offset, shr(sub(256, shl(3, lenOfLen)), calldataload(add(base, 1))))
                    }
                }
            }
            ok := and(gt(offset, 0), eq(end, len))
            // Items 0 … 13; item 13 (mixHash) must be 32 bytes long.
            for { let i := 0 } ok { i := add(i, 1) } {
                if iszero(lt(offset, end)) {
                    ok := 0
                    break
                }
                let b := byte(0, calldataload(add(base, offset)))
                // A single byte (< 0x80) is its own data; a short string (0x80 … 0xb7) has its length in
                // the prefix; a long string (0xb8 … 0xbf) has 1–8 length bytes after it; a nested list
                // (≥ 0xc0) is not a header field.
                let single := lt(b, 0x80)
                let dataStart := add(offset, iszero(single))
                let next := add(offset, 1)
                if iszero(single) {
                    switch lt(b, 0xb8)
                    case 1 { next := add(dataStart, sub(b, 0x80)) }
                    default {
                        if gt(b, 0xbf) {
                            ok := 0
                            break
                        }
                        let lenOfLen := sub(b, 0xb7)
                        dataStart := add(dataStart, lenOfLen)
                        next := add(dataStart, shr(sub(256, shl(3, lenOfLen)), calldataload(add(base, add(offset, 1)))))
                    }
                }
                if gt(next, end) {
                    ok := 0
                    break
                }
                if eq(i, MIX_HASH_INDEX) {
                    ok := eq(sub(next, dataStart), 32)
                    mix := calldataload(add(base, dataStart))
                    break
                }
                offset := next
            }
        }
        if (!ok) revert MalformedHeader();
    }
}
