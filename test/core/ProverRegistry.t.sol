// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {Deployers} from "../utils/Deployers.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @notice Unit and fuzz tests of ProverRegistry. The test contract holds TASK_REGISTRY_ROLE itself so
///         that the task-registry-only entry points are tested in isolation.
contract ProverRegistryTest is Deployers {
    uint256 internal constant TASK = 7;

    function setUp() public {
        deployCore();
        proverRegistry.grantRole(proverRegistry.TASK_REGISTRY_ROLE(), address(this));
    }

    // ------------------------------------------------------------------ register

    function test_Register() public {
        fund(alice, PROVER_STAKE);
        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.ProverRegistered(alice, PROVER_STAKE, 3, 5);
        vm.prank(alice);
        proverRegistry.register(PROVER_STAKE, 3, 5);

        IProverRegistry.Prover memory p = proverRegistry.proverOf(alice);
        assertEq(p.stake, PROVER_STAKE);
        assertEq(p.hardwareClass, 3);
        assertEq(p.maxConcurrent, 5);
        assertTrue(p.registered);
        assertTrue(proverRegistry.isRegistered(alice));
        assertEq(proverRegistry.proverCount(), 1);
        assertEq(proverRegistry.proverAt(0), alice);
        assertEq(proverRegistry.freeStake(alice), PROVER_STAKE);
        assertEq(token.balanceOf(address(proverRegistry)), PROVER_STAKE);
    }

    function test_RevertWhen_RegisterWithZeroStake() public {
        vm.expectRevert(IProverRegistry.ZeroStake.selector);
        vm.prank(alice);
        proverRegistry.register(0, 1, 1);
    }

    function test_RevertWhen_RegisterWithZeroCapacity() public {
        fund(alice, PROVER_STAKE);
        vm.expectRevert(IProverRegistry.ZeroCapacity.selector);
        vm.prank(alice);
        proverRegistry.register(PROVER_STAKE, 1, 0);
    }

    function test_RevertWhen_RegisterBelowMinimum() public {
        uint256 minStake = proverRegistry.minStake();
        fund(alice, minStake);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.StakeBelowMinimum.selector, minStake, minStake - 1));
        vm.prank(alice);
        proverRegistry.register(minStake - 1, 1, 1);
    }

    function test_RevertWhen_RegisterAboveMaximum() public {
        uint256 max = proverRegistry.MAX_STAKE();
        fund(alice, max + 1);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.StakeAboveMaximum.selector, max, max + 1));
        vm.prank(alice);
        proverRegistry.register(max + 1, 1, 1);
    }

    /// The largest stake registers, can be locked whole, and one more token unit is refused by addStake.
    function test_MaximumStake() public {
        uint256 max = proverRegistry.MAX_STAKE();
        registerProver(alice, max, 1);
        proverRegistry.lockCollateral(alice, TASK, max);
        assertEq(proverRegistry.proverOf(alice).locked, max);
        fund(alice, 1);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.StakeAboveMaximum.selector, max, max + 1));
        vm.prank(alice);
        proverRegistry.addStake(1);
    }

    function test_RevertGiven_AlreadyRegistered() public {
        registerProver(alice);
        fund(alice, PROVER_STAKE);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.AlreadyRegistered.selector, alice));
        vm.prank(alice);
        proverRegistry.register(PROVER_STAKE, 1, 1);
    }

    // ------------------------------------------------------------------ addStake / setCapacity

    function test_AddStake() public {
        registerProver(alice);
        fund(alice, 5e18);
        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.StakeAdded(alice, 5e18, PROVER_STAKE + 5e18);
        vm.prank(alice);
        proverRegistry.addStake(5e18);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE + 5e18);
    }

    function test_RevertWhen_AddStakeZero() public {
        registerProver(alice);
        vm.expectRevert(IProverRegistry.ZeroStake.selector);
        vm.prank(alice);
        proverRegistry.addStake(0);
    }

    function test_RevertGiven_AddStakeNotRegistered() public {
        fund(alice, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        proverRegistry.addStake(1e18);
    }

    function test_SetCapacity() public {
        registerProver(alice);
        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.CapacitySet(alice, 9, 12);
        vm.prank(alice);
        proverRegistry.setCapacity(9, 12);
        assertEq(proverRegistry.proverOf(alice).maxConcurrent, 12);
        assertEq(proverRegistry.proverOf(alice).hardwareClass, 9);
    }

    function test_RevertWhen_SetCapacityZero() public {
        registerProver(alice);
        vm.expectRevert(IProverRegistry.ZeroCapacity.selector);
        vm.prank(alice);
        proverRegistry.setCapacity(1, 0);
    }

    function test_RevertGiven_SetCapacityNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        proverRegistry.setCapacity(1, 1);
    }

    function test_RevertWhen_SetCapacityBelowActive() public {
        registerProver(alice, PROVER_STAKE, 3);
        proverRegistry.lockCollateral(alice, 1, 1e18);
        proverRegistry.lockCollateral(alice, 2, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityBelowActive.selector, alice, 2));
        vm.prank(alice);
        proverRegistry.setCapacity(1, 1);
    }

    // ------------------------------------------------------------------ unstake

    function test_UnstakeTwoStep() public {
        registerProver(alice);
        uint64 availableAt = uint64(block.timestamp) + proverRegistry.unstakeDelay();
        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.UnstakeRequested(alice, 400e18, availableAt);
        vm.prank(alice);
        proverRegistry.requestUnstake(400e18);
        assertEq(proverRegistry.freeStake(alice), PROVER_STAKE - 400e18);

        vm.warp(availableAt);
        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.Unstaked(alice, 400e18);
        vm.prank(alice);
        proverRegistry.completeUnstake();
        assertEq(token.balanceOf(alice), 400e18);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE - 400e18);
        assertEq(proverRegistry.proverOf(alice).pendingUnstake, 0);
    }

    function test_RequestUnstakeAddsToPendingAndRestartsDelay() public {
        registerProver(alice);
        vm.prank(alice);
        proverRegistry.requestUnstake(100e18);
        vm.warp(block.timestamp + 1 days);
        vm.prank(alice);
        proverRegistry.requestUnstake(50e18);
        IProverRegistry.Prover memory p = proverRegistry.proverOf(alice);
        assertEq(p.pendingUnstake, 150e18);
        assertEq(p.unstakeAvailableAt, block.timestamp + proverRegistry.unstakeDelay());
    }

    function test_RevertWhen_RequestUnstakeZero() public {
        registerProver(alice);
        vm.expectRevert(IProverRegistry.ZeroStake.selector);
        vm.prank(alice);
        proverRegistry.requestUnstake(0);
    }

    function test_RevertGiven_RequestUnstakeNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        proverRegistry.requestUnstake(1);
    }

    function test_RevertWhen_UnstakingLockedStake() public {
        registerProver(alice);
        proverRegistry.lockCollateral(alice, TASK, 600e18);
        uint256 free = PROVER_STAKE - 600e18;
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.InsufficientFreeStake.selector, alice, free + 1, free));
        vm.prank(alice);
        proverRegistry.requestUnstake(free + 1);
    }

    function test_CancelUnstake() public {
        registerProver(alice);
        vm.prank(alice);
        proverRegistry.requestUnstake(10e18);
        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.UnstakeCancelled(alice, 10e18);
        vm.prank(alice);
        proverRegistry.cancelUnstake();
        assertEq(proverRegistry.freeStake(alice), PROVER_STAKE);
    }

    function test_RevertGiven_CancelWithoutPendingUnstake() public {
        registerProver(alice);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NoPendingUnstake.selector, alice));
        vm.prank(alice);
        proverRegistry.cancelUnstake();
    }

    function test_RevertGiven_CompleteWithoutPendingUnstake() public {
        registerProver(alice);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NoPendingUnstake.selector, alice));
        vm.prank(alice);
        proverRegistry.completeUnstake();
    }

    function test_RevertWhen_CompleteUnstakeTooEarly() public {
        registerProver(alice);
        vm.prank(alice);
        proverRegistry.requestUnstake(10e18);
        uint256 availableAt = block.timestamp + proverRegistry.unstakeDelay();
        vm.warp(availableAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.UnstakeNotReady.selector, availableAt));
        vm.prank(alice);
        proverRegistry.completeUnstake();
    }

    function test_PendingUnstakeCannotBeLocked() public {
        registerProver(alice);
        vm.prank(alice);
        proverRegistry.requestUnstake(PROVER_STAKE - 1e18);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.InsufficientFreeStake.selector, alice, 2e18, 1e18));
        proverRegistry.lockCollateral(alice, TASK, 2e18);
    }

    /// The free-stake check reads the unstake queue only while one is pending (ProverData.unstakePending): a
    /// cancelled or completed unstake frees the stake for locking again, and a new request is counted again.
    function test_UnstakeQueueCountsOnlyWhilePending() public {
        registerProver(alice);
        vm.prank(alice);
        proverRegistry.requestUnstake(PROVER_STAKE - 1e18);
        vm.prank(alice);
        proverRegistry.cancelUnstake();
        proverRegistry.lockCollateral(alice, TASK, PROVER_STAKE - 1e18);
        assertEq(proverRegistry.freeStake(alice), 1e18);

        vm.prank(alice);
        proverRegistry.requestUnstake(1e18);
        assertEq(proverRegistry.freeStake(alice), 0);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.InsufficientFreeStake.selector, alice, 1, 0));
        proverRegistry.lockCollateral(alice, TASK + 1, 1);
        vm.warp(block.timestamp + proverRegistry.unstakeDelay());
        vm.prank(alice);
        proverRegistry.completeUnstake();
        assertEq(proverRegistry.proverOf(alice).pendingUnstake, 0);
        assertEq(proverRegistry.freeStake(alice), 0, "the rest is locked");
        proverRegistry.releaseCollateral(alice, TASK, PROVER_STAKE - 1e18, true);
        assertEq(proverRegistry.freeStake(alice), PROVER_STAKE - 1e18);
    }

    function test_SlashDuringUnstakeDelayLeavesPendingWithdrawable() public {
        registerProver(alice);
        proverRegistry.lockCollateral(alice, TASK, 300e18);
        vm.prank(alice);
        proverRegistry.requestUnstake(700e18);
        proverRegistry.slashCollateral(alice, TASK, 300e18);
        vm.warp(block.timestamp + proverRegistry.unstakeDelay());
        vm.prank(alice);
        proverRegistry.completeUnstake();
        assertEq(token.balanceOf(alice), 700e18);
        assertEq(proverRegistry.proverOf(alice).stake, 0);
    }

    // ------------------------------------------------------------------ task registry side

    function test_LockAndReleaseCollateral() public {
        registerProver(alice);
        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.CollateralLocked(alice, TASK, 250e18);
        proverRegistry.lockCollateral(alice, TASK, 250e18);
        IProverRegistry.Prover memory p = proverRegistry.proverOf(alice);
        assertEq(p.locked, 250e18);
        assertEq(p.activeAssignments, 1);
        assertEq(proverRegistry.freeStake(alice), PROVER_STAKE - 250e18);

        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.CollateralReleased(alice, TASK, 250e18, true);
        proverRegistry.releaseCollateral(alice, TASK, 250e18, true);
        p = proverRegistry.proverOf(alice);
        assertEq(p.locked, 0);
        assertEq(p.activeAssignments, 0);
        assertEq(proverRegistry.recordOf(alice).completed, 1);
    }

    function test_ReleaseWithoutCompletionDoesNotCount() public {
        registerProver(alice);
        proverRegistry.lockCollateral(alice, TASK, 1e18);
        proverRegistry.releaseCollateral(alice, TASK, 1e18, false);
        assertEq(proverRegistry.recordOf(alice).completed, 0);
    }

    function test_RevertGiven_LockForUnregisteredProver() public {
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, alice));
        proverRegistry.lockCollateral(alice, TASK, 1);
    }

    function test_RevertWhen_AssigningOverCapacity() public {
        registerProver(alice, PROVER_STAKE, 2);
        proverRegistry.lockCollateral(alice, 1, 0);
        proverRegistry.lockCollateral(alice, 2, 0);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityExceeded.selector, alice, 2));
        proverRegistry.lockCollateral(alice, 3, 0);
    }

    function test_RevertWhen_LockMoreThanFreeStake() public {
        registerProver(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IProverRegistry.InsufficientFreeStake.selector, alice, PROVER_STAKE + 1, PROVER_STAKE
            )
        );
        proverRegistry.lockCollateral(alice, TASK, PROVER_STAKE + 1);
    }

    function test_RevertWhen_ReleaseMoreThanLocked() public {
        registerProver(alice);
        proverRegistry.lockCollateral(alice, TASK, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.LockedStakeTooLow.selector, alice, 2e18, 1e18));
        proverRegistry.releaseCollateral(alice, TASK, 2e18, false);
    }

    function test_SlashCollateral() public {
        registerProver(alice);
        proverRegistry.lockCollateral(alice, TASK, 200e18);
        uint256 before = token.balanceOf(address(this));
        vm.expectEmit(address(proverRegistry));
        emit IProverRegistry.Slashed(alice, TASK, 200e18);
        proverRegistry.slashCollateral(alice, TASK, 200e18);

        assertEq(token.balanceOf(address(this)) - before, 200e18, "slash goes to the caller");
        IProverRegistry.Prover memory p = proverRegistry.proverOf(alice);
        assertEq(p.stake, PROVER_STAKE - 200e18);
        assertEq(p.locked, 0);
        assertEq(p.activeAssignments, 0);
        IProverRegistry.ProverRecord memory r = proverRegistry.recordOf(alice);
        assertEq(r.missed, 1);
        assertEq(r.slashedCount, 1);
        assertEq(r.slashedAmount, 200e18);
    }

    function test_RevertWhen_SlashMoreThanLocked() public {
        registerProver(alice);
        proverRegistry.lockCollateral(alice, TASK, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.LockedStakeTooLow.selector, alice, 5e18, 1e18));
        proverRegistry.slashCollateral(alice, TASK, 5e18);
    }

    function test_RecordCompletion() public {
        registerProver(alice);
        proverRegistry.recordCompletion(alice);
        proverRegistry.recordCompletion(alice);
        assertEq(proverRegistry.recordOf(alice).completed, 2);
    }

    function test_RevertWhen_NotTaskRegistry() public {
        registerProver(alice);
        vm.startPrank(bob);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.OnlyTaskRegistry.selector, bob));
        proverRegistry.lockCollateral(alice, TASK, 0);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.OnlyTaskRegistry.selector, bob));
        proverRegistry.releaseCollateral(alice, TASK, 0, true);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.OnlyTaskRegistry.selector, bob));
        proverRegistry.slashCollateral(alice, TASK, 0);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.OnlyTaskRegistry.selector, bob));
        proverRegistry.recordCompletion(alice);
        vm.stopPrank();
    }

    function test_RevertWhen_GrantingTaskRegistryRoleWithoutAdmin() public {
        bytes32 role = proverRegistry.TASK_REGISTRY_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, proverRegistry.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(bob);
        proverRegistry.grantRole(role, bob);
    }

    // ------------------------------------------------------------------ fuzz

    /// Locked stake is never withdrawable: whatever is locked, a full unstake of the free part leaves
    /// exactly the locked amount behind.
    function testFuzz_LockedStakeNeverWithdrawn(uint256 stake, uint256 lockAmount, uint256 unstakeAmount) public {
        stake = bound(stake, proverRegistry.minStake(), proverRegistry.MAX_STAKE());
        lockAmount = bound(lockAmount, 0, stake);
        unstakeAmount = bound(unstakeAmount, 1, stake);
        registerProver(alice, stake, 1);
        proverRegistry.lockCollateral(alice, TASK, lockAmount);

        if (unstakeAmount > stake - lockAmount) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IProverRegistry.InsufficientFreeStake.selector, alice, unstakeAmount, stake - lockAmount
                )
            );
            vm.prank(alice);
            proverRegistry.requestUnstake(unstakeAmount);
            return;
        }
        vm.prank(alice);
        proverRegistry.requestUnstake(unstakeAmount);
        vm.warp(block.timestamp + proverRegistry.unstakeDelay());
        vm.prank(alice);
        proverRegistry.completeUnstake();
        IProverRegistry.Prover memory p = proverRegistry.proverOf(alice);
        assertEq(token.balanceOf(alice), unstakeAmount);
        assertGe(p.stake, p.locked);
        assertEq(p.locked, lockAmount);
    }

    /// Capacity is never exceeded: `capacity` locks succeed, the next one reverts.
    function testFuzz_CapacityNeverExceeded(uint16 capacity) public {
        capacity = uint16(bound(capacity, 1, 40));
        registerProver(alice, PROVER_STAKE, capacity);
        for (uint256 i; i < capacity; ++i) {
            proverRegistry.lockCollateral(alice, i, 1e18);
        }
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityExceeded.selector, alice, capacity));
        proverRegistry.lockCollateral(alice, capacity, 0);
        assertEq(proverRegistry.proverOf(alice).activeAssignments, capacity);
    }
}
