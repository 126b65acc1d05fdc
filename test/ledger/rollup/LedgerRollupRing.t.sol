// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerRollup} from "../../../contracts/LedgerRollup.sol";
import {ILedgerRollup} from "../../../contracts/interfaces/ILedgerRollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {LedgerTask} from "../../../contracts/types/LedgerTask.sol";
import {HashVerifier} from "../../utils/HashVerifier.sol";
import {LedgerRollupTestBase} from "./LedgerRollupTestBase.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title LedgerRollupRingTest
/// @notice The header ring (hash of block n at n % 64) over more blocks than it holds, and the proven-task bitmap
///         over ledger ids (requester << 96 | nonce) crossing a 256-bit word. The fixtures hold real root proofs for
///         three blocks only, so this test alone registers the test-double verifier as the root circuit; every
///         lifecycle test uses the real verifier and real proofs.
contract LedgerRollupRingTest is LedgerRollupTestBase {
    HashVerifier internal rootDouble;

    function setUp() public override {
        super.setUp();
        rootDouble = new HashVerifier(5);
        verifierRegistry.setVerifier(ROOT_CIRCUIT, address(rootDouble));
        registerProver(alice);
    }

    function _root(uint256 n) internal pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode("state", n))) >> 8);
    }

    function _runBlock(uint64 n) internal returns (IRollup.BlockHeader memory h) {
        LedgerTask memory t;
        vm.prank(sequencer);
        (h, t) = rollup.postBlockAndRequestProof(n, _root(n - 1), _root(n), _root(1000 + n), abi.encode(n));
        uint256[] memory inputs = rollup.rootPublicInputs(h);
        bytes memory proof = rootDouble.proofFor(inputs, alice);
        vm.prank(alice);
        ledger.submitProof(h.taskId, t, inputs, proof);
        rollup.finalize(one(h));
        vm.warp(block.timestamp + 12);
    }

    function test_Ring_KeepsTheLast64HeadersAcrossLaps() public {
        // Start from the genesis of this test's synthetic chain.
        ILedgerRollup.Config memory c = defaultConfig();
        c.blockReward = 1e18;
        rollup = new LedgerRollup(address(this), ledger, IERC20(address(token)), _root(0), c);
        token.mint(address(this), 1000e18);
        token.approve(address(rollup), type(uint256).max);
        rollup.fundRewards(1000e18);

        uint256 ring = rollup.HEADER_RING_SIZE();
        IRollup.BlockHeader memory first = _runBlock(1);
        for (uint64 n = 2; n <= 300; ++n) {
            _runBlock(n); // 300 tasks: the bitmap crosses a word (ids are nonces 1..300)
        }
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 300);
        assertEq(root, _root(300));
        assertEq(rollup.headerHashOf(1), bytes32(0), "block 1's slot was reused");
        assertTrue(rollup.headerHashOf(uint64(300 - ring + 1)) != bytes32(0));
        assertEq(rollup.headerHashOf(301), bytes32(0), "not posted yet");
        assertTrue(rollup.isTaskProven(first.taskId));
        assertEq(first.taskId >> 96, uint160(address(rollup)), "ledger ids carry the requester");

        // An old header cannot stand in for the block now in its slot: its number is in its hash.
        first.number = 301;
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockNotPending.selector, uint64(301), 300, 300));
        rollup.requestProof(first);
    }

    function test_RevertWhen_PendingLimitExceedsTheRing() public {
        ILedgerRollup.Config memory c = rollup.config();
        c.maxPendingBlocks = uint16(rollup.HEADER_RING_SIZE()) + 1;
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.InvalidConfig.selector, uint8(2)));
        rollup.setConfig(c);
        c.maxPendingBlocks = uint16(rollup.HEADER_RING_SIZE());
        rollup.setConfig(c);
        assertEq(rollup.config().maxPendingBlocks, 64);
    }
}
