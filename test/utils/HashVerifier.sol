// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";

/// @title HashVerifier
/// @notice Test double for a circuit verifier, used only to isolate registry logic in unit tests: a "proof"
///         is keccak256 of the full public-input vector (prover address last), so it binds every input —
///         including the prover — exactly as a real proof does, and a copied proof fails for anyone else.
///         Follows the IProofVerifier contract: it reverts on anything it does not accept.
contract HashVerifier is IProofVerifier {
    uint256 internal immutable _inputCount;

    /// @param inputCount Public inputs the "circuit" takes, prover included.
    constructor(uint256 inputCount) {
        _inputCount = inputCount;
    }

    /// @inheritdoc IProofVerifier
    function verifyProof(bytes calldata proof, uint256[] calldata publicInputs) external view {
        if (proof.length != 32) revert MalformedProof(proof.length);
        if (publicInputs.length != _inputCount) revert PublicInputCount(_inputCount, publicInputs.length);
        if (bytes32(proof) != keccak256(abi.encodePacked(publicInputs))) revert InvalidProof();
    }

    /// @inheritdoc IProofVerifier
    function publicInputCount() external view returns (uint256) {
        return _inputCount;
    }

    /// @notice The proof `prover` would submit for `statement` (the inputs without the prover).
    function proofFor(uint256[] memory statement, address prover) external pure returns (bytes memory) {
        uint256[] memory full = new uint256[](statement.length + 1);
        for (uint256 i; i < statement.length; ++i) {
            full[i] = statement[i];
        }
        full[statement.length] = uint256(uint160(prover));
        return abi.encodePacked(keccak256(abi.encodePacked(full)));
    }
}
