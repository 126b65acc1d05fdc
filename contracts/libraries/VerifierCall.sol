// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../interfaces/IProofVerifier.sol";
import {IVerifierRegistry} from "../interfaces/IVerifierRegistry.sol";

/// @title VerifierCall
/// @notice Builds and makes a circuit verifier's call with the submitter bound as the last public input, for the
///         TaskRegistry and the TaskLedger: the inputs are copied once from calldata, hashed for the task's commitment from that copy, and the
///         verifier, looked up in the VerifierRegistry, is called directly (one call frame less than
///         `VerifierRegistry.verify`; a rotation still applies at once).
library VerifierCall {
    /// @notice The calldata of `IProofVerifier.verifyProof(proof, publicInputs ++ [uint160(prover)])` in fresh
    ///         memory, and `keccak256(abi.encodePacked(publicInputs))`. Layout after the selector: the two offsets,
    ///         the proof (length, bytes, zero padding), the inputs (length n + 1, n words, the prover).
    function encode(uint256[] calldata publicInputs, bytes calldata proof, address prover)
        internal
        pure
        returns (bytes memory data, bytes32 commitment)
    {
        bytes4 selector = IProofVerifier.verifyProof.selector;
        assembly ("memory-safe") {
            data := mload(0x40)
            let p := add(data, 0x20)
            let proofLength := proof.length
            let padded := and(add(proofLength, 31), not(31))
            let n := shl(5, publicInputs.length)
            mstore(p, selector)
            mstore(add(p, 0x04), 0x40)
            mstore(add(p, 0x24), add(0x60, padded))
            mstore(add(p, 0x44), proofLength)
            calldatacopy(add(p, 0x64), proof.offset, proofLength)
            mstore(add(add(p, 0x64), proofLength), 0) // the padding
            let q := add(add(p, 0x64), padded)
            mstore(q, add(publicInputs.length, 1))
            calldatacopy(add(q, 0x20), publicInputs.offset, n)
            commitment := keccak256(add(q, 0x20), n)
            mstore(add(add(q, 0x20), n), prover)
            let size := sub(add(q, add(n, 0x40)), p)
            mstore(data, size)
            mstore(0x40, and(add(add(p, size), 31), not(31)))
        }
    }

    /// @notice Calls `circuitId`'s current verifier with `verifierCall`; its revert data is passed through unchanged
    ///         (InvalidProof, MalformedProof, …; UnknownCircuit from the registry), and a verifier without code is
    ///         refused (InvalidVerifier).
    function verify(IVerifierRegistry registry, bytes32 circuitId, bytes memory verifierCall) internal view {
        bytes4 lookup = IVerifierRegistry.verifierOf.selector;
        bytes4 noCode = IVerifierRegistry.InvalidVerifier.selector;
        assembly ("memory-safe") {
            mstore(0x00, lookup)
            mstore(0x04, circuitId)
            if iszero(staticcall(gas(), registry, 0x00, 0x24, 0x00, 0x20)) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            let verifier := and(mload(0x00), 0xffffffffffffffffffffffffffffffffffffffff)
            if iszero(extcodesize(verifier)) {
                mstore(0x00, noCode)
                mstore(0x04, verifier)
                revert(0x00, 0x24)
            }
            if iszero(staticcall(gas(), verifier, add(verifierCall, 0x20), mload(verifierCall), 0, 0)) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
        }
    }
}
