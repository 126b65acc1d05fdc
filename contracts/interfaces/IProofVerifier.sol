// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IProofVerifier
/// @notice A verifier for one circuit. Implementations wrap a generated verifier (kept verbatim in its
///         own file) behind this narrow interface so that circuits and proof systems can rotate.
/// @dev MUST revert on an invalid proof or a failed precompile call and MUST NOT return normally for a
///      proof it did not verify: returning `false` lets `eth_estimateGas` under-estimate and the real
///      transaction then runs out of gas inside the pairing. Public inputs ≥ the field modulus are invalid.
interface IProofVerifier {
    /// @notice The proof did not verify against these public inputs.
    error InvalidProof();
    /// @notice The proof bytes are not of the length/encoding this verifier expects.
    /// @param length The length received.
    error MalformedProof(uint256 length);
    /// @notice The number of public inputs is not what the circuit declares.
    /// @param expected The circuit's public input count.
    /// @param actual The count received.
    error PublicInputCount(uint256 expected, uint256 actual);
    /// @notice A public input is not a canonical field element (≥ r).
    /// @param index Position of the offending input.
    error PublicInputNotInField(uint256 index);

    /// @notice Verifies `proof` for `publicInputs`; reverts unless it is valid.
    /// @param proof Proof-system-specific encoding (Groth16: abi.encode(uint256[8]) in EVM word order).
    /// @param publicInputs The circuit's public inputs, the prover address (as uint160) last.
    function verifyProof(bytes calldata proof, uint256[] calldata publicInputs) external view;

    /// @notice The number of public inputs the circuit takes, prover address included.
    function publicInputCount() external view returns (uint256);
}
