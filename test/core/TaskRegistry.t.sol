// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {SlashSplit} from "../../contracts/libraries/SlashSplit.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {RecordingConsumer, ReentrantConsumer} from "../utils/Consumers.sol";
import {Deployers} from "../utils/Deployers.sol";
import {TestMechanism} from "../utils/TestMechanism.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @notice Unit and fuzz tests of TaskRegistry. Assignment-based flows are driven through TestMechanism (a
///         test double that forwards assign/unassign/slash), proofs through the HashVerifier test double.
contract TaskRegistryTest is Deployers {
    TestMechanism internal mech;
    TestMechanism internal fallbackMech;

    uint96 internal constant PRICE = 40e18;
    uint96 internal constant COLLATERAL = 200e18;

    function setUp() public {
        deployCore();
        mech = new TestMechanism(taskRegistry);
        fallbackMech = new TestMechanism(taskRegistry);
        taskRegistry.setMechanism(address(mech), true);
        taskRegistry.setMechanism(address(fallbackMech), true);
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
    }

    function mechRequest(uint256 seed, uint8 redundancy) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, redundancy);
        r.mechanism = address(mech);
    }

    function openMechTask(uint256 seed, uint8 redundancy) internal returns (uint256) {
        return openTask(requester, mechRequest(seed, redundancy));
    }

    function status(uint256 taskId) internal view returns (TaskStatus) {
        return taskRegistry.taskOf(taskId).status;
    }

    // ================================================================== createTask

    function test_CreateTask() public {
        TaskRequest memory r = raceRequest(1, 2);
        fund(requester, r.maxPayment);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.TaskCreated(
            1, requester, address(race), TEST_CIRCUIT, r.inputCommitment, r.maxPayment, r.deadline, 2
        );
        vm.prank(requester);
        uint256 taskId = taskRegistry.createTask(r);

        assertEq(taskId, 1);
        assertEq(taskRegistry.taskCount(), 1);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(t.requester, requester);
        assertEq(t.deadline, r.deadline);
        assertEq(t.redundancy, 2);
        assertEq(uint8(t.status), uint8(TaskStatus.Open));
        assertEq(t.mechanism, address(race));
        assertEq(t.maxPayment, r.maxPayment);
        assertEq(t.circuitId, TEST_CIRCUIT);
        assertEq(t.inputCommitment, r.inputCommitment);
        assertEq(t.createdAt, block.timestamp);
        assertEq(t.openedAt, block.timestamp);
        assertEq(t.closedAt, 0);
        assertEq(t.fallbackMechanism, address(0));
        assertEq(token.balanceOf(address(taskRegistry)), r.maxPayment);
        assertEq(token.balanceOf(requester), 0);
    }

    function test_CreateTaskCallsMechanism() public {
        uint256 taskId = openMechTask(1, 1);
        assertEq(mech.opened(taskId), 1);
    }

    function test_MechanismReceivesTheRequest() public {
        TaskRequest memory r = mechRequest(1, 2);
        r.mechanismData = hex"00112233445566778899aabbccddeeff0011223344556677889900112233445566778899";
        r.qos.minStakeAtRisk = 7e18;
        r.notifyRequester = true;
        uint256 taskId = openTask(requester, r);
        assertEq(mech.lastRequestHash(taskId), keccak256(abi.encode(r)), "forwarded verbatim");
    }

    function test_ReopenTellsTheFallbackTheRequest() public {
        TaskRequest memory r = mechRequest(1, 2);
        r.fallbackMechanism = address(fallbackMech);
        r.fallbackWindow = 900;
        r.qos.minStakeAtRisk = 7e18;
        r.qos.speedWeight = 9;
        r.mechanismData = hex"beef";
        uint256 taskId = openTask(requester, r);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(taskId);

        TaskRequest memory expected = r;
        expected.deadline = uint64(block.timestamp) + 900;
        expected.mechanism = address(fallbackMech);
        expected.fallbackMechanism = address(0);
        expected.fallbackWindow = 0;
        expected.mechanismData = "";
        // the fallback is told the QoS hard limits; the weights are the router's business
        expected.qos.speedWeight = 0;
        expected.qos.costWeight = 0;
        expected.qos.safetyWeight = 0;
        expected.qos.censorshipWeight = 0;
        assertEq(fallbackMech.lastRequestHash(taskId), keccak256(abi.encode(expected)));
    }

    /// EIP-170: the registry must stay deployable (24,576 bytes of runtime code), with at least 1 KB to spare
    /// for changes (it is compiled with optimizer runs 4,000 for this: foundry.toml, docs/gas.md).
    function test_RuntimeSizeUnderLimit() public view {
        assertLe(address(taskRegistry).code.length, 24_576 - 1024, "TaskRegistry: less than 1 KB headroom");
        assertLe(address(proverRegistry).code.length, 24_576);
    }

    function test_CreateTaskWithFallbackStoresIt() public {
        TaskRequest memory r = mechRequest(1, 1);
        r.fallbackMechanism = address(race);
        r.fallbackWindow = 600;
        uint256 taskId = openTask(requester, r);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(t.fallbackMechanism, address(race));
        assertEq(t.fallbackWindow, 600);
    }

    function test_RevertWhen_CreateWithZeroRedundancy() public {
        TaskRequest memory r = raceRequest(1, 0);
        fund(requester, r.maxPayment);
        vm.expectRevert(ITaskRegistry.ZeroRedundancy.selector);
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_CreateWithZeroPayment() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.maxPayment = 0;
        vm.expectRevert(ITaskRegistry.ZeroPayment.selector);
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_CreateWithDeadlineInPast() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.deadline = uint64(block.timestamp);
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.DeadlineInPast.selector, r.deadline));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_CreateWithUnlistedMechanism() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(new TestMechanism(taskRegistry));
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.MechanismNotRegistered.selector, r.mechanism));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_CreateWithDelistedMechanism() public {
        taskRegistry.setMechanism(address(mech), false);
        TaskRequest memory r = mechRequest(1, 1);
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.MechanismNotRegistered.selector, address(mech)));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_CreateWithWrongCircuitId() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.circuitId = keccak256("no such circuit");
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(IVerifierRegistry.UnknownCircuit.selector, r.circuitId));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_CreateWithUnlistedFallback() public {
        TaskRequest memory r = mechRequest(1, 1);
        r.fallbackMechanism = address(new TestMechanism(taskRegistry));
        r.fallbackWindow = 60;
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.MechanismNotRegistered.selector, r.fallbackMechanism));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_CreateWithZeroFallbackWindow() public {
        TaskRequest memory r = mechRequest(1, 1);
        r.fallbackMechanism = address(race);
        fund(requester, r.maxPayment);
        vm.expectRevert(ITaskRegistry.ZeroFallbackWindow.selector);
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_MechanismRefusesTask() public {
        mech.setRefuseOpen(true);
        TaskRequest memory r = mechRequest(1, 1);
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(TestMechanism.Refused.selector, 1));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_CreateTaskFor() public {
        address router = makeAddr("router");
        taskRegistry.grantRole(taskRegistry.ROUTER_ROLE(), router);
        TaskRequest memory r = raceRequest(1, 1);
        fund(requester, r.maxPayment);
        vm.prank(router);
        uint256 taskId = taskRegistry.createTaskFor(requester, r);
        assertEq(taskRegistry.taskOf(taskId).requester, requester);
        assertEq(token.balanceOf(requester), 0, "escrow pulled from the requester");
    }

    function test_RevertWhen_CreateTaskForWithoutRouterRole() public {
        TaskRequest memory r = raceRequest(1, 1);
        fund(requester, r.maxPayment);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, taskRegistry.ROUTER_ROLE()
            )
        );
        vm.prank(bob);
        taskRegistry.createTaskFor(requester, r);
    }

    function test_Deposit() public {
        fund(requester, 50e18);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.Deposited(requester, 50e18);
        vm.prank(requester);
        taskRegistry.deposit(50e18);
        assertEq(taskRegistry.claimable(requester), 50e18);
        assertEq(token.balanceOf(address(taskRegistry)), 50e18);
    }

    function test_RevertWhen_DepositZero() public {
        vm.expectRevert(ITaskRegistry.ZeroPayment.selector);
        vm.prank(requester);
        taskRegistry.deposit(0);
    }

    function test_CreateTaskFromBalance() public {
        fund(requester, 150e18);
        vm.prank(requester);
        taskRegistry.deposit(150e18);
        TaskRequest memory r = raceRequest(1, 1);
        vm.prank(requester);
        uint256 taskId = taskRegistry.createTaskFromBalance(r);
        assertEq(taskRegistry.taskOf(taskId).maxPayment, TASK_BUDGET);
        assertEq(taskRegistry.claimable(requester), 150e18 - TASK_BUDGET);
        assertEq(token.balanceOf(address(taskRegistry)), 150e18, "no token moved");
    }

    function test_RefundFundsTheNextTask() public {
        uint256 first = openRaceTask(1, 1);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(first);
        TaskRequest memory r = raceRequest(2, 1);
        vm.prank(requester);
        taskRegistry.createTaskFromBalance(r);
        assertEq(taskRegistry.claimable(requester), 0);
    }

    function test_RevertWhen_CreateFromInsufficientBalance() public {
        TaskRequest memory r = raceRequest(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.InsufficientBalance.selector, requester, r.maxPayment, 0));
        vm.prank(requester);
        taskRegistry.createTaskFromBalance(r);
    }

    // ================================================================== cancelTask

    function test_CancelTask() public {
        uint256 taskId = openMechTask(1, 1);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.TaskCancelled(taskId, TASK_BUDGET);
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Cancelled));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET);
        assertEq(taskRegistry.taskOf(taskId).closedAt, block.timestamp);
        assertEq(mech.closed(taskId), 1);
    }

    function test_RevertGiven_CancelUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotFound.selector, 9));
        taskRegistry.cancelTask(9);
    }

    function test_RevertWhen_CancelByOther() public {
        uint256 taskId = openMechTask(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.OnlyRequester.selector, bob));
        vm.prank(bob);
        taskRegistry.cancelTask(taskId);
    }

    function test_RevertGiven_CancelAfterAssignment() public {
        uint256 taskId = openMechTask(1, 2);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.CannotCancel.selector, taskId));
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
    }

    function test_RevertGiven_CancelAfterProof() public {
        uint256 taskId = openRaceTask(1, 2);
        prove(taskId, 1, alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.CannotCancel.selector, taskId));
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
    }

    function test_RevertGiven_CancelFullyAssignedTask() public {
        uint256 taskId = openMechTask(1, 1);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Assigned));
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
    }

    function test_RevertGiven_CancelFulfilledTask() public {
        uint256 taskId = openRaceTask(1, 1);
        prove(taskId, 1, alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Fulfilled));
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
    }

    // ================================================================== assign

    function test_Assign() public {
        uint256 taskId = openMechTask(1, 2);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.ProverAssigned(taskId, alice, PRICE, COLLATERAL);
        mech.assign(taskId, alice, PRICE, COLLATERAL);

        ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(taskId, alice);
        assertEq(a.price, PRICE);
        assertEq(a.collateral, COLLATERAL);
        assertTrue(a.active);
        assertFalse(a.delivered);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(t.reserved, PRICE);
        assertEq(t.assignedCount, 1);
        assertEq(uint8(t.status), uint8(TaskStatus.Open), "one of two slots taken");
        assertEq(proverRegistry.proverOf(alice).locked, COLLATERAL);
        assertEq(proverRegistry.proverOf(alice).activeAssignments, 1);

        mech.assign(taskId, bob, PRICE, COLLATERAL);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Assigned), "all slots taken");
        address[] memory live = liveAssignees(taskId);
        assertEq(live.length, 2);
        assertEq(live[0], alice);
        assertEq(live[1], bob);
    }

    function test_RevertWhen_AssignNotByTaskMechanism() public {
        uint256 taskId = openMechTask(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.OnlyTaskMechanism.selector, bob, taskId));
        vm.prank(bob);
        taskRegistry.assign(taskId, alice, PRICE, COLLATERAL);
        // another allow-listed mechanism is not this task's mechanism either
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.OnlyTaskMechanism.selector, address(fallbackMech), taskId));
        fallbackMech.assign(taskId, alice, PRICE, COLLATERAL);
    }

    function test_RevertGiven_AssignUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotFound.selector, 5));
        mech.assign(5, alice, PRICE, COLLATERAL);
    }

    function test_RevertWhen_AssignTwice() public {
        uint256 taskId = openMechTask(1, 2);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.AlreadyAssigned.selector, taskId, alice));
        mech.assign(taskId, alice, PRICE, COLLATERAL);
    }

    function test_RevertWhen_AssignFullTask() public {
        uint256 taskId = openMechTask(1, 1);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.RedundancyFilled.selector, taskId, 1));
        mech.assign(taskId, bob, PRICE, COLLATERAL);
    }

    function test_RevertWhen_AssignSlotTakenByAcceptedProof() public {
        uint256 taskId = openMechTask(1, 2);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        prove(taskId, 1, alice);
        mech.assign(taskId, bob, PRICE, COLLATERAL);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Assigned), "1 proof + 1 live assignment fill 2 slots");
    }

    function test_RevertWhen_AssignOverBudget() public {
        uint256 taskId = openMechTask(1, 2);
        mech.assign(taskId, alice, 60e18, COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.BudgetExceeded.selector, taskId, 50e18, 40e18));
        mech.assign(taskId, bob, 50e18, COLLATERAL);
    }

    function test_RevertWhen_AssignAfterDeadline() public {
        uint256 taskId = openMechTask(1, 1);
        uint64 deadline = taskRegistry.taskOf(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskExpired.selector, taskId, deadline));
        mech.assign(taskId, alice, PRICE, COLLATERAL);
    }

    function test_RevertWhen_AssigningOverCapacity() public {
        address dave = makeAddr("dave");
        registerProver(dave, PROVER_STAKE, 1);
        uint256 first = openMechTask(1, 1);
        uint256 second = openMechTask(2, 1);
        mech.assign(first, dave, PRICE, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityExceeded.selector, dave, 1));
        mech.assign(second, dave, PRICE, 1e18);
    }

    function test_RevertWhen_AssignWithoutFreeStake() public {
        uint256 taskId = openMechTask(1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IProverRegistry.InsufficientFreeStake.selector, alice, PROVER_STAKE + 1, PROVER_STAKE
            )
        );
        mech.assign(taskId, alice, PRICE, uint96(PROVER_STAKE + 1));
    }

    function test_RevertWhen_AssignUnregisteredProver() public {
        uint256 taskId = openMechTask(1, 1);
        address nobody = makeAddr("nobody");
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, nobody));
        mech.assign(taskId, nobody, PRICE, 0);
    }

    function test_RevertGiven_AssignCancelledTask() public {
        uint256 taskId = openMechTask(1, 1);
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Cancelled));
        mech.assign(taskId, alice, PRICE, COLLATERAL);
    }

    function test_RevertGiven_AssignProverThatAlreadyProved() public {
        mech.setOpenPayment(10e18);
        uint256 taskId = openMechTask(1, 2);
        prove(taskId, 1, alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.AlreadyProven.selector, taskId, alice));
        mech.assign(taskId, alice, PRICE, COLLATERAL);
    }

    // ================================================================== unassign

    function test_Unassign() public {
        uint256 taskId = openMechTask(1, 2);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        mech.assign(taskId, bob, PRICE, COLLATERAL);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.ProverUnassigned(taskId, alice);
        mech.unassign(taskId, alice);

        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Open), "a freed slot reopens the task");
        assertEq(t.assignedCount, 1);
        assertEq(t.reserved, PRICE);
        assertFalse(taskRegistry.assignmentOf(taskId, alice).active);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(proverRegistry.proverOf(alice).activeAssignments, 0);
        assertEq(proverRegistry.recordOf(alice).completed, 0);
        address[] memory live = liveAssignees(taskId);
        assertEq(live.length, 1);
        assertEq(live[0], bob, "swap-and-pop keeps the other assignment");
        // the slot can be given again
        mech.assign(taskId, carol, PRICE, COLLATERAL);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Assigned));
    }

    function test_RevertWhen_UnassignNotAssigned() public {
        uint256 taskId = openMechTask(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.NotAssigned.selector, taskId, alice));
        mech.unassign(taskId, alice);
    }

    function test_RevertWhen_UnassignNotByTaskMechanism() public {
        uint256 taskId = openMechTask(1, 1);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.OnlyTaskMechanism.selector, bob, taskId));
        vm.prank(bob);
        taskRegistry.unassign(taskId, alice);
    }

    function test_RevertGiven_UnassignClosedTask() public {
        uint256 taskId = openMechTask(1, 1);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        prove(taskId, 1, alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Fulfilled));
        mech.unassign(taskId, alice);
    }

    // ================================================================== slashAssignment

    function test_SlashAssignment() public {
        uint256 taskId = openMechTask(1, 1);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        (uint256 toTreasury, uint256 toCover, uint256 toRequester) = SlashSplit.split(COLLATERAL, 2000, 5000);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.AssignmentSlashed(taskId, alice, COLLATERAL, toTreasury, toCover, toRequester);
        mech.slashAssignment(taskId, alice);

        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Open));
        assertEq(t.assignedCount, 0);
        assertEq(t.reserved, 0);
        assertEq(t.coverBounty, toCover);
        assertEq(t.slashed, COLLATERAL);
        assertEq(taskRegistry.claimable(treasury), toTreasury);
        assertEq(taskRegistry.claimable(requester), toRequester);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE - COLLATERAL);
        assertEq(proverRegistry.recordOf(alice).missed, 1);
        assertEq(token.balanceOf(address(taskRegistry)), TASK_BUDGET + COLLATERAL);
    }

    function test_RevertWhen_SlashAssignmentNotAssigned() public {
        uint256 taskId = openMechTask(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.NotAssigned.selector, taskId, alice));
        mech.slashAssignment(taskId, alice);
    }

    function test_RevertWhen_SlashAssignmentNotByTaskMechanism() public {
        uint256 taskId = openMechTask(1, 1);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.OnlyTaskMechanism.selector, bob, taskId));
        vm.prank(bob);
        taskRegistry.slashAssignment(taskId, alice);
    }

    function test_CoverBountyGoesToTheNextAcceptedProof() public {
        mech.setOpenPayment(10e18);
        uint256 taskId = openMechTask(1, 1);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        mech.slashAssignment(taskId, alice);
        uint256 bounty = taskRegistry.taskOf(taskId).coverBounty;
        assertGt(bounty, 0);

        uint256 credited = prove(taskId, 1, bob);
        assertEq(credited, 10e18 + bounty);
        assertEq(taskRegistry.claimable(bob), 10e18 + bounty);
        assertEq(taskRegistry.taskOf(taskId).coverBounty, 0);
    }

    // ================================================================== submitProof

    function test_SubmitProofByAssignedProver() public {
        uint256 taskId = openMechTask(1, 1);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.ProofAccepted(taskId, alice, PRICE, 1);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.TaskFulfilled(taskId, PRICE, TASK_BUDGET - PRICE);
        uint256 paid = prove(taskId, 1, alice);

        assertEq(paid, PRICE);
        assertEq(taskRegistry.claimable(alice), PRICE);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - PRICE, "unspent escrow refunded");
        assertTrue(taskRegistry.hasProven(taskId, alice));
        ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(taskId, alice);
        assertFalse(a.active);
        assertTrue(a.delivered);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Fulfilled));
        assertEq(t.paid, PRICE);
        assertEq(t.reserved, 0);
        assertEq(t.closedAt, block.timestamp);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(proverRegistry.recordOf(alice).completed, 1);
        assertEq(mech.closed(taskId), 1);
    }

    function test_SubmitProofUnassignedCountsCompletion() public {
        mech.setOpenPayment(7e18);
        uint256 taskId = openMechTask(1, 2);
        uint256 paid = prove(taskId, 1, alice);
        assertEq(paid, 7e18);
        assertEq(proverRegistry.recordOf(alice).completed, 1);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(t.proofsAccepted, 1);
        assertEq(uint8(t.status), uint8(TaskStatus.Open));
    }

    function test_FulfilReleasesRemainingAssignments() public {
        mech.setOpenPayment(10e18);
        uint256 taskId = openMechTask(1, 2);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        mech.assign(taskId, bob, PRICE, COLLATERAL);
        prove(taskId, 1, carol); // an unassigned prover the mechanism accepts covers one slot
        prove(taskId, 1, bob); // redundancy 2 reached; alice's assignment is released without penalty

        assertEq(uint8(status(taskId)), uint8(TaskStatus.Fulfilled));
        assertFalse(taskRegistry.assignmentOf(taskId, alice).active);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE, "no slash");
        assertEq(proverRegistry.recordOf(alice).completed, 0);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - 10e18 - PRICE);
    }

    function test_RevertWhen_ProofBoundToAnotherProver() public {
        uint256 taskId = openRaceTask(1, 1);
        bytes memory aliceProof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        vm.prank(bob);
        taskRegistry.submitProof(taskId, s, aliceProof);
    }

    function test_RevertWhen_InputCommitmentMismatch() public {
        uint256 taskId = openRaceTask(1, 1);
        uint256[] memory wrong = statement(2);
        bytes memory proof = proofOf(2, alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskRegistry.InputCommitmentMismatch.selector, taskId, commitmentOf(statement(1)), commitmentOf(wrong)
            )
        );
        vm.prank(alice);
        taskRegistry.submitProof(taskId, wrong, proof);
    }

    function test_RevertWhen_ProofMalformed() public {
        uint256 taskId = openRaceTask(1, 1);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.MalformedProof.selector, 3));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, hex"010203");
    }

    function test_RevertGiven_SubmitUnknownTask() public {
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotFound.selector, 42));
        vm.prank(alice);
        taskRegistry.submitProof(42, s, "");
    }

    function test_RevertGiven_SubmitFulfilledTask() public {
        uint256 taskId = openRaceTask(1, 1);
        prove(taskId, 1, alice);
        bytes memory proof = proofOf(1, bob);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Fulfilled));
        vm.prank(bob);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertGiven_SubmitCancelledTask() public {
        uint256 taskId = openRaceTask(1, 1);
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Cancelled));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertGiven_SubmitExpiredTask() public {
        uint256 taskId = openRaceTask(1, 1);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Expired));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_SubmitAfterDeadline() public {
        uint256 taskId = openRaceTask(1, 1);
        uint64 deadline = taskRegistry.taskOf(taskId).deadline;
        vm.warp(deadline + 1);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskExpired.selector, taskId, deadline));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_SubmitAtDeadlineIsAccepted() public {
        uint256 taskId = openRaceTask(1, 1);
        vm.warp(taskRegistry.taskOf(taskId).deadline);
        prove(taskId, 1, alice);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Fulfilled));
    }

    function test_RevertWhen_SubmitByUnregisteredProver() public {
        uint256 taskId = openRaceTask(1, 1);
        address nobody = makeAddr("nobody");
        bytes memory proof = proofOf(1, nobody);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, nobody));
        vm.prank(nobody);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_SubmitTwice() public {
        uint256 taskId = openRaceTask(1, 2);
        prove(taskId, 1, alice);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.AlreadyProven.selector, taskId, alice));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_MechanismRefusesProver() public {
        mech.setRefuseUnassigned(true);
        uint256 taskId = openMechTask(1, 1);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(TestMechanism.ProverNotAllowed.selector, alice));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_PaymentExceedsBudget() public {
        uint256 taskId = openMechTask(1, 2);
        mech.assign(taskId, alice, 80e18, COLLATERAL);
        mech.setOpenPayment(30e18);
        bytes memory proof = proofOf(1, bob);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.BudgetExceeded.selector, taskId, 30e18, 20e18));
        vm.prank(bob);
        taskRegistry.submitProof(taskId, s, proof);
    }

    // ================================================================== requester callbacks

    function test_NotifiesRequesterOnFulfil() public {
        RecordingConsumer consumer = new RecordingConsumer(taskRegistry);
        TaskRequest memory r = raceRequest(1, 1);
        r.notifyRequester = true;
        token.mint(address(consumer), r.maxPayment);
        uint256 taskId = consumer.open(token, r);
        prove(taskId, 1, alice);
        assertEq(consumer.fulfilledTask(), taskId);
        assertEq(consumer.lastProver(), alice);
    }

    function test_RevertingCallbackStillSettles() public {
        RecordingConsumer consumer = new RecordingConsumer(taskRegistry);
        consumer.setRevertOnCallback(true);
        TaskRequest memory r = raceRequest(1, 1);
        r.notifyRequester = true;
        token.mint(address(consumer), r.maxPayment);
        uint256 taskId = consumer.open(token, r);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.RequesterCallbackFailed(taskId, address(consumer));
        uint256 paid = prove(taskId, 1, alice);
        assertGt(paid, 0);
        assertEq(taskRegistry.claimable(alice), paid);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Fulfilled));
    }

    function test_NotifyOnEoaRequesterLogsFailure() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.notifyRequester = true;
        uint256 taskId = openTask(requester, r);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.RequesterCallbackFailed(taskId, requester);
        prove(taskId, 1, alice);
    }

    function test_RevertWhen_TooLittleGasForCallback() public {
        RecordingConsumer consumer = new RecordingConsumer(taskRegistry);
        TaskRequest memory r = raceRequest(1, 1);
        r.notifyRequester = true;
        token.mint(address(consumer), r.maxPayment);
        uint256 taskId = consumer.open(token, r);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectPartialRevert(ITaskRegistry.InsufficientGas.selector);
        vm.prank(alice);
        taskRegistry.submitProof{gas: 400_000}(taskId, s, proof);
    }

    function test_RevertWhen_ReentrancyThroughRequesterCallback() public {
        ReentrantConsumer consumer = new ReentrantConsumer(taskRegistry);
        TaskRequest memory r = raceRequest(1, 1);
        r.notifyRequester = true;
        token.mint(address(consumer), r.maxPayment);
        uint256 taskId = consumer.open(token, r);
        vm.warp(block.timestamp + TASK_DURATION / 2); // the race pays less than the budget: a refund is due
        prove(taskId, 1, alice);

        bytes memory guard = abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        assertEq(consumer.callbacks(), 1);
        assertEq(consumer.withdrawError(), guard, "withdraw re-entry blocked");
        assertEq(consumer.cancelError(), guard, "cancel re-entry blocked");
        uint256 refund = taskRegistry.claimable(address(consumer));
        assertGt(refund, 0, "refund still credited, not paid out during the callback");
        assertEq(token.balanceOf(address(consumer)), 0);
    }

    // ================================================================== expire

    function test_ExpireUnassignedTask() public {
        uint256 taskId = openRaceTask(1, 1);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.TaskExpiredFinal(taskId, TASK_BUDGET);
        vm.prank(bob); // anyone may call
        taskRegistry.expire(taskId);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Expired));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET);
        assertEq(taskRegistry.taskOf(taskId).closedAt, block.timestamp);
    }

    function test_ExpireSlashesUndeliveredAssignments() public {
        uint256 taskId = openMechTask(1, 2);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        mech.assign(taskId, bob, PRICE, COLLATERAL / 2);
        prove(taskId, 1, alice);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        (uint256 toTreasury, uint256 toCover, uint256 toRequester) = SlashSplit.split(COLLATERAL / 2, 2000, 5000);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.AssignmentSlashed(taskId, bob, COLLATERAL / 2, toTreasury, toCover, toRequester);
        taskRegistry.expire(taskId);

        assertEq(uint8(status(taskId)), uint8(TaskStatus.Expired));
        assertEq(proverRegistry.proverOf(bob).stake, PROVER_STAKE - COLLATERAL / 2);
        assertEq(proverRegistry.proverOf(bob).locked, 0);
        assertEq(proverRegistry.recordOf(bob).missed, 1);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE, "the delivering prover is not slashed");
        assertEq(taskRegistry.claimable(treasury), toTreasury);
        // without a fallback, the unclaimed cover bounty goes back to the requester with the unspent escrow
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - PRICE + toCover + toRequester);
        assertEq(taskRegistry.taskOf(taskId).coverBounty, 0);
        assertEq(mech.closed(taskId), 1);
    }

    function test_RevertWhen_ExpireBeforeDeadline() public {
        uint256 taskId = openRaceTask(1, 1);
        uint64 deadline = taskRegistry.taskOf(taskId).deadline;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotExpired.selector, taskId, deadline));
        taskRegistry.expire(taskId);
    }

    function test_RevertGiven_ExpireUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotFound.selector, 3));
        taskRegistry.expire(3);
    }

    function test_RevertGiven_ExpireTwice() public {
        uint256 taskId = openRaceTask(1, 1);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Expired));
        taskRegistry.expire(taskId);
    }

    function test_RevertGiven_ExpireFulfilledTask() public {
        uint256 taskId = openRaceTask(1, 1);
        prove(taskId, 1, alice);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Fulfilled));
        taskRegistry.expire(taskId);
    }

    function test_ExpireReopensUnderFallback() public {
        TaskRequest memory r = mechRequest(1, 1);
        r.fallbackMechanism = address(race);
        r.fallbackWindow = 600;
        uint256 taskId = openTask(requester, r);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.warp(r.deadline + 1);
        uint64 newDeadline = uint64(block.timestamp) + 600;
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.TaskReopened(taskId, address(race), newDeadline);
        taskRegistry.expire(taskId);

        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Open));
        assertEq(t.mechanism, address(race));
        assertEq(t.deadline, newDeadline);
        assertEq(t.openedAt, block.timestamp);
        assertEq(t.closedAt, block.timestamp, "closedAt marks the end of the first round");
        assertEq(t.maxPayment, TASK_BUDGET, "escrow kept");
        (, uint256 toCover,) = SlashSplit.split(COLLATERAL, 2000, 5000);
        assertEq(t.coverBounty, toCover, "cover bounty kept for whoever proves");
        assertEq(mech.closed(taskId), 1, "the first mechanism is told");

        // The race now pays bob its share plus the cover bounty.
        uint256 credited = prove(taskId, 1, bob);
        assertEq(credited, TASK_BUDGET + toCover, "proving at once pays the full share");
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Fulfilled));
    }

    function test_ReopenedTaskExpiresForGood() public {
        TaskRequest memory r = mechRequest(1, 1);
        r.fallbackMechanism = address(fallbackMech);
        r.fallbackWindow = 600;
        uint256 taskId = openTask(requester, r);
        mech.assign(taskId, alice, PRICE, COLLATERAL);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(fallbackMech.opened(taskId), 1);

        vm.warp(block.timestamp + 601);
        taskRegistry.expire(taskId);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Expired));
        assertEq(fallbackMech.closed(taskId), 1);
        (, uint256 toCover, uint256 toRequester) = SlashSplit.split(COLLATERAL, 2000, 5000);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET + toCover + toRequester);
    }

    function test_FallbackRefusalExpiresForGood() public {
        fallbackMech.setRefuseOpen(true);
        TaskRequest memory r = mechRequest(1, 1);
        r.fallbackMechanism = address(fallbackMech);
        r.fallbackWindow = 600;
        uint256 taskId = openTask(requester, r);
        vm.warp(r.deadline + 1);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.FallbackFailed(taskId, address(fallbackMech));
        taskRegistry.expire(taskId);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Expired));
        assertEq(t.mechanism, address(mech));
        assertEq(t.deadline, r.deadline);
        assertEq(mech.closed(taskId), 1, "closed exactly once");
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET);
    }

    function test_DelistedFallbackExpiresForGood() public {
        TaskRequest memory r = mechRequest(1, 1);
        r.fallbackMechanism = address(fallbackMech);
        r.fallbackWindow = 600;
        uint256 taskId = openTask(requester, r);
        taskRegistry.setMechanism(address(fallbackMech), false);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(uint8(status(taskId)), uint8(TaskStatus.Expired));
        assertEq(fallbackMech.opened(taskId), 0);
    }

    function test_NotifiesRequesterOnExpiry() public {
        RecordingConsumer consumer = new RecordingConsumer(taskRegistry);
        TaskRequest memory r = raceRequest(1, 1);
        r.notifyRequester = true;
        token.mint(address(consumer), r.maxPayment);
        uint256 taskId = consumer.open(token, r);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(consumer.expiredTask(), taskId);
    }

    // ================================================================== withdraw

    function test_Withdraw() public {
        uint256 taskId = openRaceTask(1, 1);
        uint256 paid = prove(taskId, 1, alice);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.Withdrawn(alice, paid);
        vm.prank(alice);
        assertEq(taskRegistry.withdraw(), paid);
        assertEq(token.balanceOf(alice), paid);
        assertEq(taskRegistry.claimable(alice), 0);
    }

    function test_RevertWhen_NothingToWithdraw() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.NothingToWithdraw.selector, alice));
        vm.prank(alice);
        taskRegistry.withdraw();
    }

    // ================================================================== admin

    function test_SetMechanism() public {
        TestMechanism other = new TestMechanism(taskRegistry);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.MechanismAllowed(address(other), true);
        taskRegistry.setMechanism(address(other), true);
        assertTrue(taskRegistry.isMechanism(address(other)));
        taskRegistry.setMechanism(address(other), false);
        assertFalse(taskRegistry.isMechanism(address(other)));
    }

    function test_RevertWhen_SetMechanismWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.InvalidMechanism.selector, bob));
        taskRegistry.setMechanism(bob, true);
    }

    function test_RevertWhen_SetMechanismWithoutRole() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, taskRegistry.MECHANISM_ADMIN_ROLE()
            )
        );
        vm.prank(bob);
        taskRegistry.setMechanism(address(mech), false);
    }

    function test_SetTreasury() public {
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.TreasurySet(bob);
        taskRegistry.setTreasury(bob);
        (address t,,) = taskRegistry.slashSplit();
        assertEq(t, bob);
    }

    function test_RevertWhen_SetTreasuryZero() public {
        vm.expectRevert(ITaskRegistry.InvalidTreasury.selector);
        taskRegistry.setTreasury(address(0));
    }

    function test_RevertWhen_SetTreasuryWithoutRole() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, taskRegistry.PARAMS_ADMIN_ROLE()
            )
        );
        vm.prank(bob);
        taskRegistry.setTreasury(bob);
    }

    function test_SetSlashSplit() public {
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.SlashSplitSet(1000, 9000);
        taskRegistry.setSlashSplit(1000, 9000);
        (, uint16 t, uint16 c) = taskRegistry.slashSplit();
        assertEq(t, 1000);
        assertEq(c, 9000);
    }

    function test_RevertWhen_SlashSplitOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(SlashSplit.SplitOutOfRange.selector, 5001, 0));
        taskRegistry.setSlashSplit(5001, 0);
        vm.expectRevert(abi.encodeWithSelector(SlashSplit.SplitOutOfRange.selector, 3000, 7001));
        taskRegistry.setSlashSplit(3000, 7001);
    }

    function test_RevertWhen_SetSlashSplitWithoutRole() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, bob, taskRegistry.PARAMS_ADMIN_ROLE()
            )
        );
        vm.prank(bob);
        taskRegistry.setSlashSplit(0, 0);
    }

    function test_RevertGiven_TaskOfUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotFound.selector, 1));
        taskRegistry.taskOf(1);
    }

    // ================================================================== fuzz

    /// Escrow conservation through assign → miss → expire: everything the registry holds is credited.
    function testFuzz_ExpiryConservesFunds(uint96 budget, uint96 price, uint96 collateral, uint16 tBps, uint16 cBps)
        public
    {
        budget = uint96(bound(budget, 1, 1e30));
        price = uint96(bound(price, 0, budget));
        collateral = uint96(bound(collateral, 0, PROVER_STAKE));
        tBps = uint16(bound(tBps, 0, 5000));
        cBps = uint16(bound(cBps, 0, 10_000 - tBps));
        taskRegistry.setSlashSplit(tBps, cBps);

        TaskRequest memory r = mechRequest(1, 1);
        r.maxPayment = budget;
        uint256 taskId = openTask(requester, r);
        mech.assign(taskId, alice, price, collateral);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(taskId);

        uint256 credited = taskRegistry.claimable(requester) + taskRegistry.claimable(treasury);
        assertEq(credited, uint256(budget) + collateral);
        assertEq(token.balanceOf(address(taskRegistry)), credited);
        assertEq(token.balanceOf(address(proverRegistry)), 3 * PROVER_STAKE - collateral);
    }

    /// Fulfilment pays the price and refunds the rest, whatever the price.
    function testFuzz_FulfilConservesFunds(uint96 budget, uint96 price) public {
        budget = uint96(bound(budget, 1, 1e30));
        price = uint96(bound(price, 1, budget));
        TaskRequest memory r = mechRequest(1, 1);
        r.maxPayment = budget;
        uint256 taskId = openTask(requester, r);
        mech.assign(taskId, alice, price, COLLATERAL);
        prove(taskId, 1, alice);
        assertEq(taskRegistry.claimable(alice), price);
        assertEq(taskRegistry.claimable(requester), budget - price);
        assertEq(token.balanceOf(address(taskRegistry)), budget);
    }
}
