// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../../contracts/interfaces/ILedgerMechanism.sol";
import {ILedgerRollup} from "../../../contracts/interfaces/ILedgerRollup.sol";
import {IMechanism} from "../../../contracts/interfaces/IMechanism.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {LedgerTask, LedgerTaskLib, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {LedgerRollupTestBase} from "./LedgerRollupTestBase.sol";

/// @notice An open race whose close hook can be broken by its operator: a real allow-listed ledger mechanism that
///         misbehaves, so that the ledger refuses to expire or cancel its tasks while it is broken.
contract BreakableRace is ILedgerMechanism {
    error Broken(uint256 taskId);

    ITaskLedger public immutable ledger;
    bool public broken;

    constructor(ITaskLedger ledger_) {
        ledger = ledger_;
    }

    function setBroken(bool broken_) external {
        broken = broken_;
    }

    function hooks() external pure returns (uint8, uint8) {
        return (LedgerTaskLib.HOOK_CLOSE, 4);
    }

    function onTaskOpened(uint256, LedgerTask calldata, bytes calldata) external pure returns (uint64) {
        return 0;
    }

    function onProofAccepted(uint256, LedgerTask calldata task, address, uint256) external view returns (uint256) {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        return task.maxPayment / task.redundancy;
    }

    function onTaskClosed(uint256 taskId, LedgerTask calldata) external view {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        if (broken) revert Broken(taskId);
    }

    function profile() external pure returns (IMechanism.Profile memory) {
        return IMechanism.Profile({kind: 1, speed: 10, cost: 5, safety: 3, censorshipResistance: 10});
    }
}

/// @title LedgerRollupPruneFailuresTest
/// @notice A prune never blocks on a task the ledger refuses to expire or cancel (a mechanism's close hook reverts:
///         logged, passed over, the tasks expire later), and no gas limit lets a prune succeed without the expiry
///         that slashes the first block's locker.
contract LedgerRollupPruneFailuresTest is LedgerRollupTestBase {
    function test_Prune_PassesOverTasksTheLedgerRefusesToEnd() public {
        BreakableRace breakable = new BreakableRace(ledger);
        ledger.setMechanism(address(breakable), true);
        ILedgerRollup.Config memory c = defaultConfig();
        c.mechanism = address(breakable);
        rollup.setConfig(c);
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        breakable.setBroken(true);
        vm.warp(h1.proofDeadline + 1);

        vm.expectEmit(address(rollup));
        emit ILedgerRollup.RootTaskNotExpired(h1.taskId);
        vm.expectEmit(address(rollup));
        emit ILedgerRollup.OrphanTaskNotCancelled(h2.taskId);
        rollup.prune(two(h1, h2), tasks2(t1, t2));
        (uint64 tip,) = rollup.pendingTip();
        assertEq(tip, 0, "the chain was pruned all the same");
        assertTrue(TaskWord.unwrap(ledger.taskWord(h1.taskId)) != 0, "still live");
        assertEq(rollup.rewardPool(), POOL_FUNDING - t1.maxPayment - t2.maxPayment, "their escrow is still out");

        // Mended, the tasks expire on the ledger (anyone) and their escrow returns to the pool.
        breakable.setBroken(false);
        ledger.expire(h1.taskId, t1);
        ledger.expire(h2.taskId, t2);
        assertEq(rollup.rewardPool(), POOL_FUNDING);
        assertConserved();
    }

    /// @notice Whatever gas the prune is sent with, it either expires the locked first task (slashing the locker)
    ///         or reverts: a caught InsufficientGas or out-of-gas inside the ledger is never taken for a refusal.
    function test_Prune_NoGasLimitSkipsTheSlash() public {
        useAscending();
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        vm.prank(fixtureProvers[0]);
        (uint96 price, uint64 lockDeadline) = lascending.lock(h1.taskId, t1);
        LedgerTask memory locked =
            withAssignment(t1, fixtureProvers[0], price, lascending.collateralOf(t1), lockDeadline);
        vm.warp(h1.proofDeadline + 1);
        _sweepGas(h1.taskId, abi.encodeCall(ILedgerRollup.prune, (one(h1), tasks1(locked))));
    }

    function _sweepGas(uint256 taskId, bytes memory data) internal {
        uint256 succeeded;
        uint256 refused;
        uint256 smallest;
        for (uint256 g = 560_000; g <= 760_000; g += 2000) {
            uint256 snapshot = vm.snapshotState();
            (bool ok, bytes memory ret) = address(rollup).call{gas: g}(data);
            if (ok) {
                if (succeeded++ == 0) smallest = g;
                assertEq(TaskWord.unwrap(ledger.taskWord(taskId)), 0, "a prune that succeeds expired the task");
                assertEq(proverRegistry.recordOf(fixtureProvers[0]).slashedCount, 1, "and slashed the locker");
            } else {
                ++refused;
                assertEq(bytes4(ret), ILedgerRollup.PruneOutOfGas.selector, "a starved prune says so");
            }
            vm.revertToState(snapshot);
        }
        assertGt(succeeded, 0);
        assertGt(refused, 0);
        emit log_named_uint("smallest gas limit (2k steps) that prunes a locked first block", smallest);
    }
}
