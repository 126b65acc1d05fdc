// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {Deployers} from "../utils/Deployers.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @notice Tests of VerifierRegistry (circuit id → verifier, rotation) and ProofToken.
contract VerifierRegistryTest is Deployers {
    bytes32 internal constant OTHER = keccak256("proofmarket.circuit.other.v1");

    function setUp() public {
        deployCore();
    }

    function test_SetVerifier() public {
        HashVerifier v = new HashVerifier(2);
        vm.expectEmit(address(verifierRegistry));
        emit IVerifierRegistry.VerifierSet(OTHER, address(0), address(v));
        verifierRegistry.setVerifier(OTHER, address(v));
        assertEq(verifierRegistry.verifierOf(OTHER), address(v));
    }

    function test_RotateVerifier() public {
        HashVerifier next = new HashVerifier(TEST_STATEMENT_LENGTH + 1);
        vm.expectEmit(address(verifierRegistry));
        emit IVerifierRegistry.VerifierSet(TEST_CIRCUIT, address(testVerifier), address(next));
        verifierRegistry.setVerifier(TEST_CIRCUIT, address(next));
        assertEq(verifierRegistry.verifierOf(TEST_CIRCUIT), address(next));
    }

    function test_RevertWhen_VerifierHasNoCode() public {
        vm.expectRevert(abi.encodeWithSelector(IVerifierRegistry.InvalidVerifier.selector, alice));
        verifierRegistry.setVerifier(OTHER, alice);
        vm.expectRevert(abi.encodeWithSelector(IVerifierRegistry.InvalidVerifier.selector, address(0)));
        verifierRegistry.setVerifier(OTHER, address(0));
    }

    function test_RevertWhen_SetVerifierWithoutRole() public {
        HashVerifier v = new HashVerifier(2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, verifierRegistry.VERIFIER_ADMIN_ROLE()
            )
        );
        vm.prank(bob);
        verifierRegistry.setVerifier(OTHER, address(v));
    }

    function test_RevertWhen_UnknownCircuit() public {
        vm.expectRevert(abi.encodeWithSelector(IVerifierRegistry.UnknownCircuit.selector, OTHER));
        verifierRegistry.verifierOf(OTHER);
        uint256[] memory inputs = new uint256[](0);
        vm.expectRevert(abi.encodeWithSelector(IVerifierRegistry.UnknownCircuit.selector, OTHER));
        verifierRegistry.verify(OTHER, "", inputs);
    }

    function test_VerifyAcceptsValidProof() public view {
        uint256[] memory inputs = new uint256[](4);
        inputs[3] = uint160(alice);
        bytes memory proof = abi.encodePacked(keccak256(abi.encodePacked(inputs)));
        verifierRegistry.verify(TEST_CIRCUIT, proof, inputs);
    }

    function test_RevertWhen_VerifyInvalidProof() public {
        uint256[] memory inputs = new uint256[](4);
        inputs[3] = uint160(alice);
        bytes memory proof = abi.encodePacked(keccak256("garbage"));
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        verifierRegistry.verify(TEST_CIRCUIT, proof, inputs);
    }

    function test_RevertWhen_VerifyWrongInputCount() public {
        uint256[] memory inputs = new uint256[](2);
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.PublicInputCount.selector, 4, 2));
        verifierRegistry.verify(TEST_CIRCUIT, abi.encodePacked(bytes32(0)), inputs);
    }

    function test_TokenMint() public {
        token.mint(alice, 5);
        assertEq(token.balanceOf(alice), 5);
    }

    function test_RevertWhen_MintWithoutRole() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, bob, token.MINTER_ROLE())
        );
        vm.prank(bob);
        token.mint(bob, 1);
    }
}
