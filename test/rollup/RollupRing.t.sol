// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Rollup} from "../../contracts/Rollup.sol";
import {SequencerSet} from "../../contracts/SequencerSet.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Deployers} from "../utils/Deployers.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";

/// @title RollupRingTest
/// @notice Unit test of the header ring (hash of block n kept at n % 64) over more blocks than the ring
///         holds. The fixtures have real root proofs for three blocks only, so this one test isolates the
///         Rollup's indexing with the test-double verifier registered as the root circuit; every lifecycle
///         test uses the real verifier and real proofs.
contract RollupRingTest is Deployers {
    Rollup internal rollup;
    address internal sequencer = makeAddr("sequencer");
    HashVerifier internal rootDouble;

    function setUp() public {
        deployCore();
        rootDouble = new HashVerifier(5);
        verifierRegistry.setVerifier(keccak256("proofmarket.circuit.root.v1"), address(rootDouble));
        Core memory core =
            Core({token: token, provers: proverRegistry, verifiers: verifierRegistry, tasks: taskRegistry, race: race});
        SequencerSet set;
        (set, rollup) = _deployRollup(core, address(this), _defaultRollupParams(_root(0), sequencer));
        fund(address(this), 10_000e18);
        token.approve(address(rollup), type(uint256).max);
        rollup.fundRewards(10_000e18);
        registerProver(alice);
    }

    function _root(uint256 n) internal pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode("state", n))) >> 8);
    }

    function _runBlock(uint64 n) internal returns (IRollup.BlockHeader memory h) {
        vm.prank(sequencer);
        h = rollup.postBlockAndRequestProof(n, _root(n - 1), _root(n), _root(1000 + n), abi.encode(n));
        uint256[] memory inputs = rollup.rootPublicInputs(h);
        bytes memory proof = rootDouble.proofFor(inputs, alice);
        vm.prank(alice);
        taskRegistry.submitProof(h.taskId, inputs, proof);
        IRollup.BlockHeader[] memory list = new IRollup.BlockHeader[](1);
        list[0] = h;
        rollup.finalize(list);
        vm.warp(block.timestamp + 12);
    }

    function test_Ring_KeepsTheLast64HeadersAcrossLaps() public {
        uint256 ring = rollup.HEADER_RING_SIZE();
        IRollup.BlockHeader memory first = _runBlock(1);
        for (uint64 n = 2; n <= ring + 6; ++n) {
            _runBlock(n);
        }
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, ring + 6);
        assertEq(root, _root(ring + 6));
        assertEq(rollup.headerHashOf(1), bytes32(0), "block 1's slot was reused by block 65");
        assertTrue(rollup.headerHashOf(uint64(ring + 1)) != bytes32(0));
        assertEq(rollup.headerHashOf(uint64(ring + 7)), bytes32(0), "not posted yet");

        // An old header cannot stand in for the block now in its slot: its number is in its hash.
        first.number = uint64(ring + 1);
        bytes32 stored = rollup.headerHashOf(uint64(ring + 1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollup.BlockNotPending.selector, uint64(ring + 1), uint64(ring + 6), uint64(ring + 6)
            )
        );
        rollup.requestProof(first);
        assertTrue(stored != keccak256(abi.encode(first)));
    }

    function test_RevertWhen_PendingLimitExceedsTheRing() public {
        IRollup.Config memory c = rollup.config();
        c.maxPendingBlocks = uint16(rollup.HEADER_RING_SIZE()) + 1;
        vm.expectRevert(abi.encodeWithSelector(IRollup.InvalidConfig.selector, uint8(2)));
        rollup.setConfig(c);
        c.maxPendingBlocks = uint16(rollup.HEADER_RING_SIZE());
        rollup.setConfig(c);
        assertEq(rollup.config().maxPendingBlocks, 64);
    }
}
