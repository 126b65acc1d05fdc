// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {BaseProofVerifier} from "../../contracts/verifiers/BaseProofVerifier.sol";
import {VerifierFixtureBase} from "./VerifierFixtureBase.sol";

/// @notice The base circuit's generated verifier, through its adapter, on real proofs.
contract BaseProofVerifierTest is VerifierFixtureBase {
    BaseProofVerifier internal adapter;

    function _fixtureName() internal pure override returns (string memory) {
        return "base.json";
    }

    function _deployVerifier() internal override returns (IProofVerifier) {
        adapter = new BaseProofVerifier();
        return adapter;
    }

    function _adapterCircuitId() internal view override returns (bytes32) {
        return adapter.CIRCUIT_ID();
    }
}
