// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "./interfaces/IProofVerifier.sol";
import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title VerifierRegistry
/// @notice Circuit id → IProofVerifier. Tasks name circuits, not verifiers, so a rotation (a new key, a
///         new proof system) applies to every open task of that circuit at once.
/// @dev `verify` forwards to the verifier, which reverts unless the proof is valid; a verifier's revert
///      data is passed through unchanged so that callers see `InvalidProof()` etc.
contract VerifierRegistry is IVerifierRegistry, AccessControl {
    /// @notice May register and rotate verifiers.
    bytes32 public constant VERIFIER_ADMIN_ROLE = keccak256("proofmarket.role.verifier-admin");

    mapping(bytes32 circuitId => address verifier) internal _verifiers;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and VERIFIER_ADMIN_ROLE.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(VERIFIER_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IVerifierRegistry
    function setVerifier(bytes32 circuitId, address verifier) external onlyRole(VERIFIER_ADMIN_ROLE) {
        if (verifier.code.length == 0) revert InvalidVerifier(verifier);
        address previous = _verifiers[circuitId];
        _verifiers[circuitId] = verifier;
        emit VerifierSet(circuitId, previous, verifier);
    }

    /// @inheritdoc IVerifierRegistry
    function verifierOf(bytes32 circuitId) public view returns (address verifier) {
        verifier = _verifiers[circuitId];
        if (verifier == address(0)) revert UnknownCircuit(circuitId);
    }

    /// @inheritdoc IVerifierRegistry
    function verify(bytes32 circuitId, bytes calldata proof, uint256[] calldata publicInputs) external view {
        IProofVerifier(verifierOf(circuitId)).verifyProof(proof, publicInputs);
    }
}
