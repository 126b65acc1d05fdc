// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IVerifierRegistry
/// @notice Maps a circuit id to its verifier. Rotation (a new key, a new proof system) replaces the
///         verifier under a narrow admin role and is announced by an event; tasks name circuits, not
///         verifiers, so open tasks follow a rotation.
interface IVerifierRegistry {
    /// @notice No verifier is registered for this circuit.
    /// @param circuitId The circuit asked for.
    error UnknownCircuit(bytes32 circuitId);
    /// @notice The verifier address is zero or has no code.
    /// @param verifier The rejected address.
    error InvalidVerifier(address verifier);

    /// @notice A circuit's verifier was set or rotated.
    /// @param circuitId The circuit.
    /// @param previous The verifier it replaced (zero when first registered).
    /// @param verifier The new verifier.
    event VerifierSet(bytes32 indexed circuitId, address indexed previous, address indexed verifier);

    /// @notice Registers or rotates the verifier of `circuitId` (VERIFIER_ADMIN_ROLE only).
    /// @param circuitId The circuit.
    /// @param verifier An IProofVerifier with code.
    function setVerifier(bytes32 circuitId, address verifier) external;

    /// @notice The verifier of `circuitId`; reverts UnknownCircuit when none is registered.
    function verifierOf(bytes32 circuitId) external view returns (address);

    /// @notice Verifies through the circuit's verifier; reverts unless valid (see IProofVerifier).
    function verify(bytes32 circuitId, bytes calldata proof, uint256[] calldata publicInputs) external view;
}
