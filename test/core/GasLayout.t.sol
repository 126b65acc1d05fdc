// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ProofRace} from "../../contracts/mechanisms/ProofRace.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {TestMechanism} from "../utils/TestMechanism.sol";

/// @notice Declares a redundancy cap that does not fit a uint8: the registry must ignore it and call the hook.
contract OversizedCapMechanism is TestMechanism {
    constructor(ITaskRegistry registry_) TestMechanism(registry_) {}

    function redundancyCap() external pure returns (uint256) {
        return 300;
    }
}

/// @notice Declares a cap of 1 and counts its hook: the registry enforces the cap and skips the hook.
contract CappedMechanism is TestMechanism {
    constructor(ITaskRegistry registry_) TestMechanism(registry_) {}

    function redundancyCap() external pure returns (uint8) {
        return 1;
    }
}

/// @title GasLayoutTest
/// @notice The behaviour behind the gas work (docs/gas.md): credit words stay non-zero after a withdrawal without
///         changing any balance, unassigned proofs are recorded per (prover, task) in a bitmap and `hasProven`
///         stays exact, an unassigned proof by an unregistered prover is refused (NotRegistered), and a
///         mechanism's declared redundancy cap replaces its `onTaskOpened` call.
contract GasLayoutTest is Deployers {
    address internal dave = makeAddr("dave");

    function setUp() public {
        deployCore();
        registerProver(alice);
        registerProver(bob);
    }

    // ------------------------------------------------------------------ sticky credit words

    function test_WithdrawnAccountIsCreditedExactlyAgain() public {
        uint256 first = openRaceTask(1, 1);
        uint256 paid = prove(first, 1, alice);
        assertGt(paid, 0);
        assertEq(taskRegistry.claimable(alice), paid);

        uint256 before = token.balanceOf(alice);
        vm.prank(alice);
        assertEq(taskRegistry.withdraw(), paid);
        assertEq(token.balanceOf(alice), before + paid, "paid out in full");
        assertEq(taskRegistry.claimable(alice), 0, "the kept flag is not a balance");

        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.NothingToWithdraw.selector, alice));
        vm.prank(alice);
        taskRegistry.withdraw();

        uint256 second = openRaceTask(2, 1);
        uint256 paidAgain = prove(second, 2, alice);
        assertEq(taskRegistry.claimable(alice), paidAgain, "credited exactly");
        vm.prank(alice);
        assertEq(taskRegistry.withdraw(), paidAgain);
        assertEq(token.balanceOf(address(taskRegistry)), taskRegistry.claimable(requester), "only the refunds stay");
    }

    function test_DepositAfterWithdrawalFundsTasks() public {
        fund(requester, 300e18);
        vm.startPrank(requester);
        taskRegistry.deposit(100e18);
        taskRegistry.withdraw();
        assertEq(taskRegistry.claimable(requester), 0);
        taskRegistry.deposit(TASK_BUDGET);
        taskRegistry.createTaskFromBalance(raceRequest(1, 1));
        vm.stopPrank();
        assertEq(taskRegistry.claimable(requester), 0, "the whole deposit is escrowed");

        TaskRequest memory r = raceRequest(2, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.InsufficientBalance.selector, requester, r.maxPayment, 0));
        vm.prank(requester);
        taskRegistry.createTaskFromBalance(r);
    }

    // ------------------------------------------------------------------ proven bitmap

    function test_HasProvenIsPerTaskAndProver() public {
        uint256 a = openRaceTask(1, 2);
        uint256 b = openRaceTask(2, 2);
        uint256 c = openRaceTask(3, 2);
        prove(a, 1, alice);
        prove(c, 3, alice);
        prove(b, 2, bob);

        assertTrue(taskRegistry.hasProven(a, alice));
        assertFalse(taskRegistry.hasProven(b, alice));
        assertTrue(taskRegistry.hasProven(c, alice));
        assertTrue(taskRegistry.hasProven(b, bob));
        assertFalse(taskRegistry.hasProven(a, bob));
        assertFalse(taskRegistry.hasProven(c, bob));
    }

    function test_HasProvenAfterTheProofThatFulfils() public {
        uint256 taskId = openRaceTask(1, 1);
        prove(taskId, 1, alice);
        assertTrue(taskRegistry.hasProven(taskId, alice), "the closing proof is recorded too");
    }

    /// Task ids 256 apart share a bit position in different words.
    function test_HasProvenAcrossBitmapWords() public {
        uint256 first = openRaceTask(1, 1);
        for (uint256 i; i < 255; ++i) {
            openRaceTask(1000 + i, 1);
        }
        uint256 next = openRaceTask(2, 1);
        assertEq(next, first + 256);
        prove(next, 2, alice);
        assertTrue(taskRegistry.hasProven(next, alice));
        assertFalse(taskRegistry.hasProven(first, alice));
    }

    function test_RevertWhen_UnassignedProverProvesTwice() public {
        uint256 taskId = openRaceTask(1, 2);
        prove(taskId, 1, alice);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory inputs = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.AlreadyProven.selector, taskId, alice));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, inputs, proof);
    }

    function test_RevertWhen_MechanismAssignsAProverThatProved() public {
        TestMechanism mech = new TestMechanism(taskRegistry);
        taskRegistry.setMechanism(address(mech), true);
        TaskRequest memory r = raceRequest(1, 2);
        r.mechanism = address(mech);
        uint256 taskId = openTask(requester, r);
        prove(taskId, 1, alice); // unassigned
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.AlreadyProven.selector, taskId, alice));
        mech.assign(taskId, alice, 1e18, 1e18);
    }

    // ------------------------------------------------------------------ registration check of unassigned proofs

    function test_RevertWhen_UnregisteredProverSubmits() public {
        uint256 taskId = openRaceTask(1, 1);
        bytes memory proof = proofOf(1, dave);
        uint256[] memory inputs = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, dave));
        vm.prank(dave);
        taskRegistry.submitProof(taskId, inputs, proof);
    }

    function test_RaceCompletionCountsInTheRecord() public {
        prove(openRaceTask(1, 1), 1, alice);
        prove(openRaceTask(2, 1), 2, alice);
        assertEq(proverRegistry.recordOf(alice).completed, 2);
        assertTrue(proverRegistry.proverOf(alice).registered);
    }

    // ------------------------------------------------------------------ declared redundancy cap

    function test_RaceCapIsReadAtListing() public {
        // The deployment's race has K = maxWinners: K proofs are accepted at creation, K + 1 are not.
        uint8 k = race.maxWinners();
        openRaceTask(1, k);
        TaskRequest memory r = raceRequest(2, k + 1);
        fund(requester, r.maxPayment);
        uint256 nextId = taskRegistry.taskCount() + 1;
        vm.expectRevert(abi.encodeWithSelector(ProofRace.TooManyWinners.selector, nextId, k + 1, k));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_DeclaredCapSkipsTheHook() public {
        CappedMechanism mech = new CappedMechanism(taskRegistry);
        taskRegistry.setMechanism(address(mech), true);
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(mech);
        uint256 taskId = openTask(requester, r);
        assertEq(mech.opened(taskId), 0, "hook skipped");

        r = raceRequest(2, 2);
        r.mechanism = address(mech);
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TooManyWinners.selector, taskId + 1, 2, 1));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_InvalidCapStillCallsTheHook() public {
        OversizedCapMechanism mech = new OversizedCapMechanism(taskRegistry);
        taskRegistry.setMechanism(address(mech), true);
        TaskRequest memory r = raceRequest(1, 3);
        r.mechanism = address(mech);
        uint256 taskId = openTask(requester, r);
        assertEq(mech.opened(taskId), 1, "hook called");
    }
}
