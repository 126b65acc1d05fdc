// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerRollup} from "../../../contracts/interfaces/ILedgerRollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {LedgerTask, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {LedgerRollupTestBase} from "./LedgerRollupTestBase.sol";

/// @title LedgerRollupPruneTest
/// @notice The prune over the ledger: the first block's root task expired through the ledger (an assigned prover
///         slashed under the ascending auction), later blocks' tasks cancelled, an uncancellable orphan left to run,
///         a task someone else already expired, stale LedgerTasks refused, a starved prune refused, and re-posting
///         from the proven root afterwards.
contract LedgerRollupPruneTest is LedgerRollupTestBase {
    function test_Prune_ExpiresTheFirstCancelsTheRestAndRefundsThePool() public {
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        assertEq(rollup.rewardPool(), POOL_FUNDING - 2 * uint256(BLOCK_REWARD));
        vm.warp(h1.proofDeadline + 1);

        vm.expectEmit(address(ledger));
        emit ITaskLedger.TaskExpiredFinal(h1.taskId, t1.maxPayment);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.TaskCancelled(h2.taskId, t2.maxPayment);
        rollup.prune(two(h1, h2), tasks2(t1, t2));

        (uint64 tip, bytes32 tipRoot) = rollup.pendingTip();
        assertEq(tip, 0);
        assertEq(tipRoot, genesisStateRoot);
        assertEq(TaskWord.unwrap(ledger.taskWord(h1.taskId)), 0);
        assertEq(TaskWord.unwrap(ledger.taskWord(h2.taskId)), 0);
        assertEq(rollup.pendingRewards(), 0, "reserved sequencer rewards released");
        assertEq(rollup.rewardPool(), POOL_FUNDING, "every escrow is back in the deposit");
        assertEq(ledger.balanceOf(address(rollup)), POOL_FUNDING);
        assertConserved();

        // The sequencer re-posts from the proven root; the pruned header never matches again.
        vm.warp(block.timestamp + 1);
        (IRollup.BlockHeader memory again,) = postAndRequest(0);
        assertTrue(rollup.hashHeader(again) != rollup.hashHeader(h1));
        vm.expectRevert();
        rollup.finalize(one(h1));
    }

    function test_Prune_UnrequestedBlocksNeedNoTask() public {
        IRollup.BlockHeader memory h1 = post(0);
        IRollup.BlockHeader memory h2 = post(1);
        vm.warp(h1.proofDeadline + 1);
        LedgerTask memory none;
        rollup.prune(two(h1, h2), tasks2(none, none));
        (uint64 tip,) = rollup.pendingTip();
        assertEq(tip, 0);
        assertEq(rollup.rewardPool(), POOL_FUNDING);
    }

    /// @notice Under an assigning mechanism the first block's assigned prover is slashed by the prune's expiry.
    function test_Prune_SlashesTheAssignedProverOfTheFirstBlock() public {
        useAscending();
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        address locker = fixtureProvers[0];
        LedgerTask memory locked = _lock(h1.taskId, t1, locker);
        uint256 stakeBefore = proverRegistry.proverOf(locker).stake;
        vm.warp(h1.proofDeadline + 1);

        rollup.prune(one(h1), tasks1(locked));

        uint256 collateral = locked.collateral;
        assertEq(proverRegistry.proverOf(locker).stake, stakeBefore - collateral, "the locker lost its collateral");
        assertEq(proverRegistry.recordOf(locker).slashedCount, 1);
        uint256 toTreasury = collateral * 2000 / 10_000;
        assertEq(ledger.balanceOf(treasury), toTreasury);
        // Unspent escrow plus the cover and requester shares (no fallback: both are the requester's) → the pool.
        assertEq(rollup.rewardPool(), POOL_FUNDING + collateral - toTreasury);
        assertBooks(sequencers());
        assertConserved();
    }

    /// @notice A stale copy (the task before its lock) cannot be used to skip the expiry that slashes the locker.
    function test_RevertWhen_PruneGetsAStaleFirstTask() public {
        useAscending();
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        LedgerTask memory locked = _lock(h1.taskId, t1, fixtureProvers[1]);
        vm.warp(h1.proofDeadline + 1);

        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.StaleRootTask.selector, uint64(1), h1.taskId));
        rollup.prune(one(h1), tasks1(t1));
        LedgerTask memory forged = copyOf(locked);
        forged.assignee = address(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.StaleRootTask.selector, uint64(1), h1.taskId));
        rollup.prune(one(h1), tasks1(forged));

        rollup.prune(one(h1), tasks1(locked));
        assertEq(proverRegistry.recordOf(fixtureProvers[1]).slashedCount, 1, "slashed with the current copy");
    }

    function test_RevertWhen_PruneGetsAStaleLaterTask() public {
        useAscending();
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        LedgerTask memory locked2 = _lock(h2.taskId, t2, fixtureProvers[2]);
        vm.warp(h1.proofDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.StaleRootTask.selector, uint64(2), h2.taskId));
        rollup.prune(two(h1, h2), tasks2(t1, t2));
        rollup.prune(two(h1, h2), tasks2(t1, locked2));
    }

    /// @notice A later block's task with an assignment cannot be cancelled: it is logged and runs to its end, and
    ///         its locker is still paid for the proof it delivers (the block is discarded all the same).
    function test_Prune_LeavesAnUncancellableOrphanToRun() public {
        useAscending();
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        vm.warp(block.timestamp + 12);
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        LedgerTask memory locked2 = _lock(h2.taskId, t2, fixtureProvers[1]);
        vm.warp(h1.proofDeadline + 1);

        vm.expectEmit(address(rollup));
        emit ILedgerRollup.OrphanTaskNotCancelled(h2.taskId);
        rollup.prune(two(h1, h2), tasks2(t1, locked2));
        assertEq(TaskWord.unwrap(ledger.taskWord(h1.taskId)), 0, "the first expired");
        assertTrue(ledger.taskWord(h2.taskId).matches(keccak256(abi.encode(locked2))), "the orphan is live");
        assertEq(rollup.rewardPool(), POOL_FUNDING - locked2.maxPayment, "its escrow is still in it");

        // Its locker proves it (after the first block's deadline, within its own lock) and is paid its price.
        uint256 paid = proveBlock(h2, locked2, 1, 1);
        assertEq(paid, locked2.price);
        assertTrue(rollup.isTaskProven(h2.taskId), "the bit is set, but the block is gone");
        (uint64 tip,) = rollup.pendingTip();
        assertEq(tip, 0);
        assertConserved();
    }

    /// @notice Someone expired the first block's task straight on the ledger: the prune has nothing to expire.
    function test_Prune_AfterAnyoneExpiredTheFirstTask() public {
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        vm.warp(h1.proofDeadline + 1);
        vm.prank(makeAddr("anyone"));
        ledger.expire(h1.taskId, t1);
        LedgerTask memory junk;
        rollup.prune(one(h1), tasks1(junk)); // an ended task's entry is not read
        assertEq(rollup.rewardPool(), POOL_FUNDING);
    }

    /// @notice A prune sent with too little gas for the ledger's capped callbacks reverts rather than skip them.
    function test_RevertWhen_PruneIsStarved() public {
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        vm.warp(h1.proofDeadline + 1);
        IRollup.BlockHeader[] memory list = one(h1);
        LedgerTask[] memory ts = tasks1(t1);
        (bool ok, bytes memory ret) =
            address(rollup).call{gas: 400_000}(abi.encodeCall(ILedgerRollup.prune, (list, ts)));
        assertFalse(ok);
        assertEq(bytes4(ret), ILedgerRollup.PruneOutOfGas.selector);
        assertTrue(ledger.taskWord(h1.taskId).matches(keccak256(abi.encode(t1))), "nothing expired");
        rollup.prune(list, ts);
        assertEq(TaskWord.unwrap(ledger.taskWord(h1.taskId)), 0);
    }

    /// @notice The whole pending chain, however many blocks and in whatever state, returns every unspent token.
    function testFuzz_Prune_ConservesThePool(uint8 blocks, uint8 provenMask) public {
        blocks = uint8(bound(blocks, 1, chainBlocks.length));
        IRollup.BlockHeader[] memory hs = new IRollup.BlockHeader[](blocks);
        LedgerTask[] memory ts = new LedgerTask[](blocks);
        for (uint256 i; i < blocks; ++i) {
            (hs[i], ts[i]) = postAndRequest(i);
        }
        uint256 paid;
        for (uint256 i = 1; i < blocks; ++i) {
            if (provenMask & (1 << i) != 0) paid += proveBlock(hs[i], ts[i], i, 0); // proven out of order
        }
        vm.warp(hs[0].proofDeadline + 1);
        rollup.prune(hs, ts);
        assertEq(rollup.rewardPool(), POOL_FUNDING - paid, "only proofs of discarded blocks were paid");
        assertEq(ledger.balanceOf(fixtureProvers[0]), paid);
        assertConserved();
    }

    function _lock(uint256 taskId, LedgerTask memory t, address prover) internal returns (LedgerTask memory locked) {
        uint96 collateral = lascending.collateralOf(t);
        vm.prank(prover);
        (uint96 price, uint64 lockDeadline) = lascending.lock(taskId, t);
        locked = withAssignment(t, prover, price, collateral, lockDeadline);
        track(taskId, locked);
        assertTrue(ledger.taskWord(taskId).matches(keccak256(abi.encode(locked))), "locked copy is current");
    }
}
