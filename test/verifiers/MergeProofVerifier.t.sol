// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {MergeProofVerifier} from "../../contracts/verifiers/MergeProofVerifier.sol";
import {VerifierFixtureBase} from "./VerifierFixtureBase.sol";

/// @notice The merge circuit's generated verifier, through its adapter, on real proofs.
contract MergeProofVerifierTest is VerifierFixtureBase {
    MergeProofVerifier internal adapter;

    function _fixtureName() internal pure override returns (string memory) {
        return "merge.json";
    }

    function _deployVerifier() internal override returns (IProofVerifier) {
        adapter = new MergeProofVerifier();
        return adapter;
    }

    function _adapterCircuitId() internal view override returns (bytes32) {
        return adapter.CIRCUIT_ID();
    }
}
