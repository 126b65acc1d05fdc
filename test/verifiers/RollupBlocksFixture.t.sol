// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {RootProofVerifier} from "../../contracts/verifiers/RootProofVerifier.sol";
import {Test} from "forge-std/Test.sol";

/// @notice test/fixtures/rollup_blocks.json is what the Rollup tests consume: every block's root proof
///         must verify through the real root verifier, for its own prover only, and the chain must link.
contract RollupBlocksFixtureTest is Test {
    RootProofVerifier internal verifier;
    string internal json;

    function setUp() public {
        verifier = new RootProofVerifier();
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/fixtures/rollup_blocks.json"));
    }

    function _inputs(string memory blockKey, address prover) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](5);
        inputs[0] = uint256(vm.parseJsonBytes32(json, string.concat(blockKey, ".prev_state_root")));
        inputs[1] = uint256(vm.parseJsonBytes32(json, string.concat(blockKey, ".new_state_root")));
        inputs[2] = uint256(vm.parseJsonBytes32(json, string.concat(blockKey, ".txs_commitment")));
        inputs[3] = vm.parseJsonUint(json, string.concat(blockKey, ".number"));
        inputs[4] = uint256(uint160(prover));
    }

    function _checkBlockProofs(string memory blockKey) internal {
        for (uint256 p = 0; p < 3; ++p) {
            string memory entry = string.concat(blockKey, ".proofs[", vm.toString(p), "]");
            address prover = vm.parseJsonAddress(json, string.concat(entry, ".prover"));
            bytes memory proof = vm.parseJsonBytes(json, string.concat(entry, ".proof"));
            verifier.verifyProof(proof, _inputs(blockKey, prover));
            address other =
                vm.parseJsonAddress(json, string.concat(blockKey, ".proofs[", vm.toString((p + 1) % 3), "].prover"));
            uint256[] memory copied = _inputs(blockKey, other);
            vm.expectRevert(IProofVerifier.InvalidProof.selector);
            verifier.verifyProof(proof, copied);
        }
    }

    function test_ChainBlocksVerifyAndLink() public {
        bytes32 parent = vm.parseJsonBytes32(json, ".genesis_state_root");
        uint256 count = 3;
        for (uint256 i = 0; i < count; ++i) {
            string memory key = string.concat(".blocks[", vm.toString(i), "]");
            assertEq(vm.parseJsonUint(json, string.concat(key, ".number")), i + 1);
            assertEq(vm.parseJsonBytes32(json, string.concat(key, ".prev_state_root")), parent);
            uint256 txCount = vm.parseJsonUint(json, string.concat(key, ".tx_count"));
            assertEq(vm.parseJsonBytes(json, string.concat(key, ".txs")).length, txCount * 88);
            _checkBlockProofs(key);
            parent = vm.parseJsonBytes32(json, string.concat(key, ".new_state_root"));
        }
    }

    function test_WrongParentBlockVerifiesButClaimsAnUnknownParent() public {
        _checkBlockProofs(".wrong_parent");
        bytes32 claimed = vm.parseJsonBytes32(json, ".wrong_parent.prev_state_root");
        assertTrue(claimed != vm.parseJsonBytes32(json, ".genesis_state_root"));
        for (uint256 i = 0; i < 3; ++i) {
            string memory key = string.concat(".blocks[", vm.toString(i), "]");
            assertTrue(claimed != vm.parseJsonBytes32(json, string.concat(key, ".new_state_root")));
        }
    }
}
