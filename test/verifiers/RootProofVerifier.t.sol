// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {RootProofVerifier} from "../../contracts/verifiers/RootProofVerifier.sol";
import {VerifierFixtureBase} from "./VerifierFixtureBase.sol";

/// @notice The root circuit's generated verifier, through its adapter, on real proofs.
contract RootProofVerifierTest is VerifierFixtureBase {
    RootProofVerifier internal adapter;

    function _fixtureName() internal pure override returns (string memory) {
        return "root.json";
    }

    function _deployVerifier() internal override returns (IProofVerifier) {
        adapter = new RootProofVerifier();
        return adapter;
    }

    function _adapterCircuitId() internal view override returns (bytes32) {
        return adapter.CIRCUIT_ID();
    }
}
