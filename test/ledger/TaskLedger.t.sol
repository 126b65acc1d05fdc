// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {SlashSplit} from "../../contracts/libraries/SlashSplit.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "./LedgerFixture.sol";
import {LedgerAssigner, LedgerConsumer} from "./LedgerMechanisms.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Vm} from "forge-std/Vm.sol";

/// @title TaskLedgerTest
/// @notice Unit and revert-path tests of every TaskLedger function, with the real VerifierRegistry, the
///         HashVerifier test circuit, the real ProverRegistry and two real ledger mechanisms.
contract TaskLedgerTest is LedgerFixture {
    function setUp() public {
        deployLedger();
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
    }

    // ------------------------------------------------------------------ deposits

    function test_DepositAndWithdraw() public {
        depositFor(alice, 50e18);
        assertEq(ledger.balanceOf(alice), 50e18);
        vm.prank(alice);
        ledger.withdraw(20e18);
        assertEq(ledger.balanceOf(alice), 30e18);
        assertEq(token.balanceOf(alice), 20e18);
        assertConserved();
    }

    function test_RevertWhen_DepositZero() public {
        vm.expectRevert(ITaskLedger.ZeroAmount.selector);
        ledger.deposit(0);
    }

    function test_RevertWhen_WithdrawMoreThanBalance() public {
        depositFor(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.InsufficientBalance.selector, alice, 2e18, 1e18));
        ledger.withdraw(2e18);
    }

    function test_RevertWhen_WithdrawZero() public {
        vm.expectRevert(ITaskLedger.ZeroAmount.selector);
        ledger.withdraw(0);
    }

    // ------------------------------------------------------------------ creation

    function test_CreateTask_DebitsDepositStoresOneWordAndLogsTheTask() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        depositFor(requester, 3 * uint256(TASK_BUDGET));
        uint256 expectedId = uint256(uint160(requester)) << 96 | 1;
        assertEq(ledger.nextTaskId(requester), expectedId);
        vm.recordLogs();
        vm.prank(requester);
        (uint256 id, LedgerTask memory t) = ledger.createTask(r);
        assertEq(id, expectedId, "id = requester << 96 | nonce");
        assertEq(ledger.nextTaskId(requester), expectedId + 1);
        assertEq(ledger.balanceOf(requester), 2 * uint256(TASK_BUDGET));
        assertEq(t.requester, requester);
        assertEq(t.openedAt, block.timestamp);
        assertEq(t.deadline, r.deadline);
        assertEq(t.flags, 0);
        assertTrue(ledger.taskWord(id).matches(ledger.hashTask(t)));
        (uint256 accepted, uint256 counter) = ledger.checkTask(id, t);
        assertEq(accepted + counter, 0);
        // The log carries the whole task: rebuilding it from TaskCreated gives the stored hash.
        bytes memory data = vm.getRecordedLogs()[0].data;
        LedgerTask memory logged = abi.decode(data, (LedgerTask));
        assertEq(ledger.hashTask(logged), ledger.hashTask(t));
        track(id, t);
        assertConserved();
    }

    function test_CreateTask_OpenHookSetsMechanismState() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(assigner));
        r.mechanismData = abi.encode(uint64(777));
        r.notifyRequester = true;
        (, LedgerTask memory t) = openLedger(r);
        assertEq(t.mechanismState, 777);
        assertEq(assigner.opened(), 1);
        assertEq(t.flags, LedgerTaskLib.FLAG_NOTIFY | LedgerTaskLib.TASK_HOOKS);
    }

    function test_RevertWhen_CreateWithoutDeposit() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.InsufficientBalance.selector, requester, TASK_BUDGET, 0));
        ledger.createTask(r);
    }

    function test_RevertWhen_CreateWithBadRequest() public {
        depositFor(requester, TASK_BUDGET);
        LedgerRequest memory r = ledgerRequest(1, 0, address(ledgerRace));
        vm.startPrank(requester);
        vm.expectRevert(ITaskLedger.ZeroRedundancy.selector);
        ledger.createTask(r);
        r = ledgerRequest(1, 1, address(ledgerRace));
        r.maxPayment = 0;
        vm.expectRevert(ITaskLedger.ZeroAmount.selector);
        ledger.createTask(r);
        r = ledgerRequest(1, 1, address(ledgerRace));
        r.deadline = uint64(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.DeadlineInPast.selector, r.deadline));
        ledger.createTask(r);
        r.deadline = uint64(type(uint32).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.DeadlineTooFar.selector, r.deadline));
        ledger.createTask(r);
        r = ledgerRequest(1, 1, alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.MechanismNotRegistered.selector, alice));
        ledger.createTask(r);
        r = ledgerRequest(1, 5, address(ledgerRace));
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.TooManyWinners.selector, ledger.nextTaskId(requester), 5, 4));
        ledger.createTask(r);
        r = ledgerRequest(1, 1, address(ledgerRace));
        r.circuitId = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(IVerifierRegistry.UnknownCircuit.selector, r.circuitId));
        ledger.createTask(r);
        r = ledgerRequest(1, 1, address(ledgerRace));
        r.fallbackMechanism = address(assigner);
        vm.expectRevert(ITaskLedger.ZeroFallbackWindow.selector);
        ledger.createTask(r);
        r.fallbackMechanism = bob;
        r.fallbackWindow = 600;
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.MechanismNotRegistered.selector, bob));
        ledger.createTask(r);
        vm.stopPrank();
    }

    function test_RevertWhen_MechanismRefusesTheRequest() public {
        assigner.setRefuseOpen(true);
        LedgerRequest memory r = ledgerRequest(1, 1, address(assigner));
        depositFor(requester, TASK_BUDGET);
        uint256 id = ledger.nextTaskId(requester);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(LedgerAssigner.Refused.selector, id));
        ledger.createTask(r);
    }

    function test_CreateTaskFor_DebitsTheRequesterAndNeedsTheRouterRole() public {
        address router = makeAddr("router");
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        depositFor(requester, TASK_BUDGET);
        bytes32 role = ledger.ROUTER_ROLE();
        vm.prank(router);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, router, role));
        ledger.createTaskFor(requester, r);
        ledger.grantRole(ledger.ROUTER_ROLE(), router);
        vm.prank(router);
        (uint256 id, LedgerTask memory t) = ledger.createTaskFor(requester, r);
        assertEq(t.requester, requester);
        assertEq(id >> 96, uint160(requester));
        assertEq(ledger.balanceOf(requester), 0);
    }

    // ------------------------------------------------------------------ race proofs

    function test_SubmitProof_RacePaysTheSlotAndClosesTheWord() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        uint256 credited = proveLedger(id, t, 1, alice);
        assertEq(credited, TASK_BUDGET);
        assertEq(ledger.balanceOf(alice), TASK_BUDGET);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0, "closing deletes the word");
        assertEq(ledger.completionsOf(alice), 1);
        assertEq(proverRegistry.recordOf(alice).completed, 1, "the bound ProverRegistry adds ledger completions");
        assertConserved();
    }

    function test_RevertWhen_ProofIsReplayed() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        proveLedger(id, t, 1, alice);
        bytes memory proof = proofOf(1, bob);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        ledger.submitProof(id, t, statement(1), proof);
    }

    function test_RevertWhen_TaskIsStale() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        t.maxPayment += 1;
        bytes memory proof = proofOf(1, alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        ledger.submitProof(id, t, statement(1), proof);
    }

    function test_RevertWhen_ProofIsForAnotherProver() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.prank(bob);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        ledger.submitProof(id, t, s, proof);
    }

    function test_RevertWhen_InputsDoNotMatchTheCommitment() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        bytes memory proof = proofOf(2, alice);
        uint256[] memory s = statement(2);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ITaskLedger.InputCommitmentMismatch.selector, id, t.inputCommitment, commitmentOf(s))
        );
        ledger.submitProof(id, t, s, proof);
    }

    function test_RevertWhen_ProverIsNotRegistered() public {
        address mallory = makeAddr("mallory");
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        bytes memory proof = proofOf(1, mallory);
        uint256[] memory s = statement(1);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, mallory));
        ledger.submitProof(id, t, s, proof);
    }

    function test_RevertWhen_ProofIsPastTheDeadline() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        vm.warp(uint256(t.deadline) + 1);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.TaskExpired.selector, id, t.deadline));
        ledger.submitProof(id, t, s, proof);
    }

    function test_SubmitProof_AtTheDeadlineIsAccepted() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        vm.warp(t.deadline);
        proveLedger(id, t, 1, alice);
    }

    /// Two provers build on the same calldata task: both land (the count is outside the hash); each settles its
    /// slot, the last takes the rounding remainder.
    function test_SubmitProof_RedundantRaceOnOneTask() public {
        LedgerRequest memory r = ledgerRequest(1, 3, address(ledgerRace));
        r.maxPayment = 100; // slots 33, 33, 34
        (uint256 id, LedgerTask memory t) = openLedger(r);
        assertEq(proveLedger(id, t, 1, alice), 33);
        assertTrue(ledger.hasProven(id, alice));
        assertConserved();
        assertEq(proveLedger(id, t, 1, bob), 33);
        assertConserved();
        // The race pays maxPayment / redundancy = 33 of the last slot's 34: the requester gets 1 back.
        assertEq(proveLedger(id, t, 1, carol), 33);
        assertEq(ledger.balanceOf(requester), 1);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    function test_RevertWhen_SameProverProvesTwice() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 2);
        proveLedger(id, t, 1, alice);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AlreadyProven.selector, id, alice));
        ledger.submitProof(id, t, s, proof);
    }

    function test_RevertWhen_PaymentExceedsTheSlot() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        assigner.setExtraPay(TASK_BUDGET);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(ITaskLedger.BudgetExceeded.selector, id, TASK_BUDGET / 2 + TASK_BUDGET, TASK_BUDGET)
        );
        ledger.submitProof(id, t, s, proof);
    }

    // ------------------------------------------------------------------ assignments

    function test_Assign_LocksCollateralAndLogsTheChangedFields() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.ProverAssigned(id, alice, 60e18, COLLATERAL, uint64(block.timestamp + 600));
        LedgerTask memory n = assignLedger(id, t, alice, 60e18);
        assertTrue(ledger.taskWord(id).matches(ledger.hashTask(n)));
        assertEq(proverRegistry.proverOf(alice).locked, COLLATERAL);
    }

    function test_SubmitProof_AssigneeIsPaidItsPriceAndReleased() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        t = assignLedger(id, t, alice, 60e18);
        uint256 credited = proveLedger(id, t, 1, alice);
        assertEq(credited, 60e18);
        assertEq(ledger.balanceOf(requester), 40e18, "the slot's rest is refunded");
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(assigner.closed(), 1);
        assertEq(ledger.completionsOf(alice), 1);
        assertConserved();
    }

    function test_RevertWhen_AnotherProverProvesAnAssignedTask() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        t = assignLedger(id, t, alice, 60e18);
        bytes memory proof = proofOf(1, bob);
        uint256[] memory s = statement(1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AssignedToOther.selector, id, alice));
        ledger.submitProof(id, t, s, proof);
    }

    function test_RevertWhen_AssignIsNotByTheTasksMechanism() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.OnlyTaskMechanism.selector, address(this), id));
        ledger.assign(id, t, alice, 1, 1, 0);
    }

    function test_RevertWhen_AssignTwice() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        t = assignLedger(id, t, alice, 60e18);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AlreadyAssigned.selector, id, alice));
        assigner.assign(id, t, bob, 1, 1);
    }

    function test_RevertWhen_AssignStaleTask() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        assignLedger(id, t, alice, 60e18);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        assigner.assign(id, t, bob, 1, 1);
    }

    function test_RevertWhen_AssignARedundantTask() public {
        (uint256 id, LedgerTask memory t) = openLedger(ledgerRequest(1, 2, address(assigner)));
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AssignmentNeedsRedundancyOne.selector, id, 2));
        assigner.assign(id, t, alice, 1, 1);
    }

    function test_RevertWhen_AssignAbovetheBudgetOrPastTheDeadline() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.BudgetExceeded.selector, id, TASK_BUDGET + 1, TASK_BUDGET));
        assigner.assign(id, t, alice, TASK_BUDGET + 1, 1);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.TaskExpired.selector, id, t.deadline));
        assigner.assign(id, t, alice, 1, 1);
    }

    function test_Unassign_ReleasesTheCollateral() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        t = assignLedger(id, t, alice, 60e18);
        assigner.unassign(id, t);
        LedgerTask memory n = withAssignment(t, address(0), 0, 0, 0);
        assertTrue(ledger.taskWord(id).matches(ledger.hashTask(n)));
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.NotAssigned.selector, id));
        assigner.unassign(id, n);
    }

    /// A slash splits the collateral treasury / cover / requester; the cover share rides in the task and goes to
    /// the proof that fulfils it.
    function test_SlashAssignment_SplitsAndTheCoverGoesToTheNextProof() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        t = assignLedger(id, t, alice, 60e18);
        (uint256 toTreasury, uint256 toCover, uint256 toRequester) = SlashSplit.split(COLLATERAL, 2000, 5000);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.AssignmentSlashed(id, alice, COLLATERAL, toTreasury, toCover, toRequester, 0);
        assigner.slash(id, t);
        LedgerTask memory n = slashedVersion(t, toCover, 0);
        track(id, n);
        assertEq(ledger.balanceOf(treasury), toTreasury);
        assertEq(ledger.balanceOf(requester), toRequester);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE - COLLATERAL);
        assertConserved();
        // A cover proof by bob: the assigner pays half the slot, plus the bounty.
        uint256 credited = proveLedger(id, n, 1, bob);
        assertEq(credited, TASK_BUDGET / 2 + toCover);
        assertConserved();
    }

    function test_RevertWhen_SlashWithoutAssignment() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.NotAssigned.selector, id));
        assigner.slash(id, t);
    }

    function test_MechanismStateAndCounter() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        assertEq(assigner.bump(id, t), 1);
        assertEq(assigner.bump(id, t), 2);
        assigner.setState(id, t, 42);
        t.mechanismState = 42;
        (uint256 accepted, uint256 counter) = ledger.checkTask(id, t);
        assertEq(accepted, 0);
        assertEq(counter, 2, "the counter survives a hashed change");
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.OnlyTaskMechanism.selector, address(this), id));
        ledger.bumpMechanismCounter(id, t);
    }

    function test_PayContributor_FromThePaymentHookOnly() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.NotInPaymentHook.selector, id, address(this)));
        ledger.payContributor(id, carol, 1);
        assigner.setContributor(carol, 10e18);
        uint256 credited = proveLedger(id, t, 1, bob);
        assertEq(credited, TASK_BUDGET / 2);
        assertEq(ledger.balanceOf(carol), 10e18);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - TASK_BUDGET / 2 - 10e18);
        assertConserved();
    }

    function test_RevertWhen_ContributorsExceedTheSlot() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        assigner.setContributor(carol, 60e18);
        bytes memory proof = proofOf(1, bob);
        uint256[] memory s = statement(1);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(ITaskLedger.BudgetExceeded.selector, id, TASK_BUDGET / 2 + 60e18, TASK_BUDGET)
        );
        ledger.submitProof(id, t, s, proof);
    }

    // ------------------------------------------------------------------ cancel

    function test_Cancel_RefundsTheEscrow() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        vm.prank(requester);
        ledger.cancelTask(id, t);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertEq(assigner.closed(), 1);
        assertConserved();
    }

    function test_RevertWhen_CancelByAnother() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.OnlyRequester.selector, alice, id));
        ledger.cancelTask(id, t);
    }

    function test_RevertWhen_CancelAfterAssign() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        t = assignLedger(id, t, alice, 60e18);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.CannotCancel.selector, id));
        ledger.cancelTask(id, t);
    }

    function test_RevertWhen_CancelAfterAProof() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 2);
        proveLedger(id, t, 1, alice);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.CannotCancel.selector, id));
        ledger.cancelTask(id, t);
    }

    // ------------------------------------------------------------------ expiry

    function test_Expire_RefundsTheUnsettledSlots() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 2);
        proveLedger(id, t, 1, alice);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.TaskExpiredFinal(id, TASK_BUDGET / 2);
        ledger.expire(id, t);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET / 2);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    function test_RevertWhen_ExpireBeforeTheDeadline() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.TaskNotExpired.selector, id, t.deadline));
        ledger.expire(id, t);
    }

    function test_Expire_SlashesALiveAssignment() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        t = assignLedger(id, t, alice, 60e18);
        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, t);
        (uint256 toTreasury,,) = SlashSplit.split(COLLATERAL, 2000, 5000);
        assertEq(ledger.balanceOf(treasury), toTreasury);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET + COLLATERAL - toTreasury);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE - COLLATERAL);
        assertEq(proverRegistry.recordOf(alice).missed, 1);
        assertConserved();
    }

    /// An expired assigned task with a fallback reopens once under it (same id, new deadline, the cover share in
    /// the bounty, the fallback's hooks); the next expiry is final.
    function test_Expire_ReopensOnceUnderTheFallback() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(assigner));
        r.fallbackMechanism = address(ledgerRace);
        r.fallbackWindow = 600;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        t = assignLedger(id, t, alice, 60e18);
        vm.warp(uint256(t.deadline) + 1);
        (, uint256 toCover, uint256 toRequester) = SlashSplit.split(COLLATERAL, 2000, 5000);
        LedgerTask memory n = withAssignment(t, address(0), 0, 0, 0);
        n.mechanism = address(ledgerRace);
        n.openedAt = uint32(block.timestamp);
        n.deadline = uint32(block.timestamp + 600);
        n.flags = 0;
        n.fallbackMechanism = address(0);
        n.fallbackWindow = 0;
        n.coverBounty = uint96(toCover);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.TaskReopened(id, address(ledgerRace), n);
        ledger.expire(id, t);
        track(id, n);
        assertEq(assigner.closed(), 1, "the old mechanism is told");
        assertTrue(ledger.taskWord(id).matches(ledger.hashTask(n)));
        assertEq(ledger.balanceOf(requester), toRequester);
        assertConserved();

        vm.warp(uint256(n.deadline) + 1);
        ledger.expire(id, n);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0, "no second reopen");
        assertEq(ledger.balanceOf(requester), toRequester + TASK_BUDGET + toCover);
        assertConserved();
    }

    function test_Expire_ReopenedRaceIsProvenWithTheBounty() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(assigner));
        r.fallbackMechanism = address(ledgerRace);
        r.fallbackWindow = 600;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        t = assignLedger(id, t, alice, 60e18);
        vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, t);
        LedgerTask memory n = _lastReopened();
        track(id, n);
        (, uint256 toCover,) = SlashSplit.split(COLLATERAL, 2000, 5000);
        assertEq(proveLedger(id, n, 1, bob), TASK_BUDGET + toCover);
        assertConserved();
    }

    function test_Expire_FallbackThatRefusesEndsTheTask() public {
        LedgerAssigner fallbackMechanism = new LedgerAssigner(ledger, ALL_HOOKS);
        ledger.setMechanism(address(fallbackMechanism), true);
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        r.fallbackMechanism = address(fallbackMechanism);
        r.fallbackWindow = 600;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        fallbackMechanism.setRefuseOpen(true);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.FallbackFailed(id, address(fallbackMechanism));
        ledger.expire(id, t);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
        assertConserved();
    }

    function test_Expire_DelistedFallbackIsNotUsed() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        r.fallbackMechanism = address(assigner);
        r.fallbackWindow = 600;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        ledger.setMechanism(address(assigner), false);
        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, t);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertEq(assigner.opened(), 0);
    }

    // ------------------------------------------------------------------ consumer callbacks

    function test_Consumer_IsToldOfFulfilmentAndExpiry() public {
        LedgerConsumer consumer = new LedgerConsumer(ledger);
        _accounts.push(address(consumer));
        token.mint(address(consumer), 2 * uint256(TASK_BUDGET));
        consumer.deposit(token, 2 * uint256(TASK_BUDGET));
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        r.notifyRequester = true;
        (uint256 id, LedgerTask memory t) = consumer.open(r);
        proveLedger(id, t, 1, alice);
        assertEq(consumer.fulfilled(), 1);
        assertEq(consumer.lastProver(), alice);
        r = ledgerRequest(2, 1, address(ledgerRace));
        r.notifyRequester = true;
        (id, t) = consumer.open(r);
        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, t);
        assertEq(consumer.expired(), 1);
    }

    function test_Consumer_ThatRevertsCannotStopThePayment() public {
        LedgerConsumer consumer = new LedgerConsumer(ledger);
        token.mint(address(consumer), TASK_BUDGET);
        consumer.deposit(token, TASK_BUDGET);
        consumer.setRefuse(true);
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        r.notifyRequester = true;
        (uint256 id, LedgerTask memory t) = consumer.open(r);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.RequesterCallbackFailed(id, address(consumer));
        proveLedger(id, t, 1, alice);
        assertEq(ledger.balanceOf(alice), TASK_BUDGET);
    }

    /// A consumer that re-enters the ledger from its callback is stopped by the guard; the callback's failure is
    /// logged and the settlement stands.
    function test_Consumer_ThatReentersIsStopped() public {
        LedgerConsumer consumer = new LedgerConsumer(ledger);
        _accounts.push(address(consumer));
        token.mint(address(consumer), 2 * uint256(TASK_BUDGET));
        consumer.deposit(token, 2 * uint256(TASK_BUDGET));
        consumer.setReenter(true);
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        r.notifyRequester = true;
        (uint256 id, LedgerTask memory t) = consumer.open(r);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.RequesterCallbackFailed(id, address(consumer));
        proveLedger(id, t, 1, alice);
        assertEq(consumer.fulfilled(), 0);
        assertEq(ledger.balanceOf(address(consumer)), TASK_BUDGET, "nothing withdrawn from inside");
        assertEq(ledger.balanceOf(alice), TASK_BUDGET);
        assertConserved();
    }

    function test_RevertWhen_PaymentHookChangesItsOwnTask() public {
        (uint256 id, LedgerTask memory t) = openAssigned(1);
        assigner.setActInHook(true);
        bytes memory proof = proofOf(1, bob);
        uint256[] memory s = statement(1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        ledger.submitProof(id, t, s, proof);
    }

    function test_RevertWhen_ProofForwardsTooLittleGasForTheCallback() public {
        LedgerConsumer consumer = new LedgerConsumer(ledger);
        token.mint(address(consumer), TASK_BUDGET);
        consumer.deposit(token, TASK_BUDGET);
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        r.notifyRequester = true;
        (uint256 id, LedgerTask memory t) = consumer.open(r);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.prank(alice);
        (bool ok, bytes memory ret) =
            address(ledger).call{gas: 300_000}(abi.encodeCall(ITaskLedger.submitProof, (id, t, s, proof)));
        assertFalse(ok);
        assertEq(bytes4(ret), ITaskLedger.InsufficientGas.selector);
    }

    // ------------------------------------------------------------------ admin

    function test_RevertWhen_AdminCallsLackTheRole() public {
        bytes32 mechanismAdmin = ledger.MECHANISM_ADMIN_ROLE();
        bytes32 paramsAdmin = ledger.PARAMS_ADMIN_ROLE();
        vm.startPrank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, mechanismAdmin)
        );
        ledger.setMechanism(address(assigner), false);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, paramsAdmin)
        );
        ledger.setTreasury(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, paramsAdmin)
        );
        ledger.setSlashSplit(0, 0);
        vm.stopPrank();
    }

    function test_Admin_SetsMechanismTreasuryAndSplit() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.InvalidMechanism.selector, alice));
        ledger.setMechanism(alice, true);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.InvalidMechanism.selector, address(token)));
        ledger.setMechanism(address(token), true);
        (bool allowed, uint8 hookFlags, uint8 cap) = ledger.mechanismOf(address(ledgerRace));
        assertTrue(allowed);
        assertEq(hookFlags, 0);
        assertEq(cap, 4);
        vm.expectRevert(ITaskLedger.InvalidTreasury.selector);
        ledger.setTreasury(address(0));
        ledger.setTreasury(carol);
        vm.expectRevert(abi.encodeWithSelector(SlashSplit.SplitOutOfRange.selector, 5001, 0));
        ledger.setSlashSplit(5001, 0);
        ledger.setSlashSplit(1000, 6000);
        (address t, uint16 tb, uint16 cb) = ledger.slashSplit();
        assertEq(t, carol);
        assertEq(tb, 1000);
        assertEq(cb, 6000);
    }

    // ------------------------------------------------------------------ fuzz

    /// Random create / assign / prove / slash / expire / cancel sequences over a few tasks keep the ledger's token
    /// balance equal to Σ credits + Σ live escrow.
    function testFuzz_EscrowIsConserved(uint256 seed) public {
        for (uint256 step; step < 24; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 action = r % 7;
            if (action == 0 || _taskIds.length == 0) {
                LedgerRequest memory req = ledgerRequest(step, uint8(bound(r >> 8, 1, 3)), address(ledgerRace));
                if ((r >> 16) % 2 == 0) req = ledgerRequest(step, 1, address(assigner));
                if ((r >> 24) % 3 == 0) {
                    req.fallbackMechanism = address(ledgerRace);
                    req.fallbackWindow = 600;
                }
                req.maxPayment = uint96(bound(r >> 32, 1, TASK_BUDGET));
                openLedger(req);
                _seedOf[_taskIds[_taskIds.length - 1]] = step;
                continue;
            }
            uint256 id = _taskIds[(r >> 8) % _taskIds.length];
            if (TaskWord.unwrap(ledger.taskWord(id)) == 0) continue;
            LedgerTask memory t = _current[id];
            address prover = [alice, bob, carol][(r >> 16) % 3];
            if (action == 1 && t.mechanism == address(assigner) && t.assignee == address(0)) {
                if (block.timestamp <= t.deadline) {
                    assignLedger(id, t, prover, uint96(bound(r >> 40, 0, t.maxPayment)));
                }
            } else if (action == 2 && block.timestamp <= t.deadline) {
                if (t.assignee != address(0)) prover = t.assignee;
                if (!ledger.hasProven(id, prover)) proveLedger(id, t, _seedOf[id], prover);
            } else if (action == 3 && t.assignee != address(0)) {
                assigner.slash(id, t);
                (, uint256 toCover,) = SlashSplit.split(t.collateral, 2000, 5000);
                LedgerTask memory n = slashedVersion(t, toCover, 0);
                track(id, n);
            } else if (action == 4) {
                vm.warp(uint256(t.deadline) + 1);
                vm.recordLogs();
                ledger.expire(id, t);
                if (TaskWord.unwrap(ledger.taskWord(id)) != 0) track(id, _lastReopened());
            } else if (action == 5 && t.assignee == address(0)) {
                (uint256 accepted,) = ledger.checkTask(id, t);
                if (accepted == 0) {
                    vm.prank(requester);
                    ledger.cancelTask(id, t);
                }
            } else if (action == 6) {
                vm.warp(block.timestamp + bound(r >> 48, 1, 2 hours));
            }
            assertConserved();
        }
        assertConserved();
    }

    mapping(uint256 taskId => uint256) internal _seedOf;

    /// @dev The task of the last TaskReopened among the recorded logs (vm.recordLogs before the expiry).
    function _lastReopened() internal returns (LedgerTask memory n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            if (logs[i - 1].topics[0] == ITaskLedger.TaskReopened.selector) {
                n = abi.decode(logs[i - 1].data, (LedgerTask));
                return n;
            }
        }
        fail();
    }
}
