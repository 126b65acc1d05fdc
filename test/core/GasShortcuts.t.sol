// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProverRegistry} from "../../contracts/ProverRegistry.sol";
import {TaskRegistry} from "../../contracts/TaskRegistry.sol";
import {IBudgetedMechanism} from "../../contracts/interfaces/IBudgetedMechanism.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {IStatelessMechanism} from "../../contracts/interfaces/IStatelessMechanism.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";
import {TestMechanism} from "../utils/TestMechanism.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice A mechanism that records what the registry tells it: whether it was called through the budget hook
///         (when it declares one) or the plain one, the budget it was handed next to `budgetOf` at that moment,
///         and its `onTaskClosed` calls. It can assign a prover from inside the proof hook (to exercise the
///         registry's re-reads after the hook).
contract ProbeMechanism is IMechanism, IBudgetedMechanism {
    ITaskRegistry public immutable registry;
    bool public immutable budgeted;
    uint256 public openPayment;
    address public assignInHook;
    uint96 public assignInHookPrice;

    uint256 public plainCalls;
    uint256 public budgetedCalls;
    uint256 public closedCalls;
    /// @notice keccak256(abi.encode(budget handed to the hook)) and of `budgetOf` read inside the hook.
    bytes32 public lastBudgetHash;
    bytes32 public lastBudgetOfHash;
    ITaskRegistry.Budget internal _lastBudget;

    constructor(ITaskRegistry registry_, bool budgeted_) {
        registry = registry_;
        budgeted = budgeted_;
    }

    function setOpenPayment(uint256 payment) external {
        openPayment = payment;
    }

    function setAssignInHook(address prover, uint96 price) external {
        assignInHook = prover;
        assignInHookPrice = price;
    }

    function assign(uint256 taskId, address prover, uint96 price, uint96 collateral) external {
        registry.assign(taskId, prover, price, collateral);
    }

    function unassign(uint256 taskId, address prover) external {
        registry.unassign(taskId, prover);
    }

    function lastBudget() external view returns (ITaskRegistry.Budget memory) {
        return _lastBudget;
    }

    function takesBudgetInHook() external view returns (bool) {
        return budgeted;
    }

    function onTaskOpened(uint256, TaskRequest calldata) external view {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
    }

    function onProofAccepted(uint256 taskId, address, uint96 assignedPrice) external returns (uint256) {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        plainCalls += 1;
        return _pay(taskId, assignedPrice);
    }

    function onProofAcceptedWithBudget(
        uint256 taskId,
        address,
        uint96 assignedPrice,
        ITaskRegistry.Budget calldata budget
    ) external returns (uint256) {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        budgetedCalls += 1;
        _lastBudget = budget;
        lastBudgetHash = keccak256(abi.encode(budget));
        lastBudgetOfHash = keccak256(abi.encode(registry.budgetOf(taskId)));
        return _pay(taskId, assignedPrice);
    }

    function onTaskClosed(uint256) external {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        closedCalls += 1;
    }

    function profile() external pure returns (Profile memory) {
        return Profile({kind: 2, speed: 5, cost: 5, safety: 5, censorshipResistance: 5});
    }

    function _pay(uint256 taskId, uint96 assignedPrice) internal returns (uint256) {
        address prover = assignInHook;
        if (prover != address(0)) {
            assignInHook = address(0);
            registry.assign(taskId, prover, assignInHookPrice, 0);
        }
        return assignedPrice != 0 ? assignedPrice : openPayment;
    }
}

/// @notice The probe, declaring that it keeps no per-task state: the registry must not call its `onTaskClosed`.
contract StatelessProbe is ProbeMechanism, IStatelessMechanism {
    constructor(ITaskRegistry registry_) ProbeMechanism(registry_, false) {}

    function keepsNoTaskState() external pure returns (bool) {
        return true;
    }
}

/// @notice A verifier that accepts exactly the calldata the compiler's encoder makes for
///         `verifyProof(proof, publicInputs)` (strict: offsets, lengths and zero padding) and a proof equal to
///         keccak256 of the inputs repeated to the proof's length; everything else reverts.
contract StrictEncodingVerifier is IProofVerifier {
    error NotStrictlyEncoded();

    function verifyProof(bytes calldata proof, uint256[] calldata publicInputs) external pure {
        if (keccak256(msg.data) != keccak256(abi.encodeCall(IProofVerifier.verifyProof, (proof, publicInputs)))) {
            revert NotStrictlyEncoded();
        }
        if (keccak256(proof) != keccak256(proofFor(publicInputs, proof.length))) revert InvalidProof();
    }

    function publicInputCount() external pure returns (uint256) {
        return 4;
    }

    /// @notice `length` bytes of keccak256(inputs) repeated.
    function proofFor(uint256[] calldata publicInputs, uint256 length) public pure returns (bytes memory p) {
        bytes32 h = keccak256(abi.encodePacked(publicInputs));
        p = new bytes(length);
        for (uint256 i; i < length; ++i) {
            p[i] = h[i % 32];
        }
    }
}

/// @title GasShortcutsTest
/// @notice The behaviour behind the fourth gas pass (docs/gas.md): completions counted in the prover's
///         credit word (unassigned ones since session 4, delivered assignments too since session 6) and added by `recordOf`, the registration check made once per prover, the ProverRegistry's
///         binding to its TaskRegistry, the budget handed to a mechanism in its proof hook (equal to `budgetOf`),
///         the skipped `onTaskClosed` of a stateless mechanism, the "touched" task flag (untouched tasks skip their
///         fourth word and assignment words), the direct verifier call, and the 192-bit credit amount.
contract GasShortcutsTest is Deployers {
    uint256 internal constant AMOUNT_LIMIT = (1 << 192) - 1;
    address internal dave = makeAddr("dave");
    ProbeMechanism internal probe;
    ProbeMechanism internal plainProbe;
    TestMechanism internal assigner;

    function setUp() public {
        deployCore();
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
        probe = new ProbeMechanism(taskRegistry, true);
        plainProbe = new ProbeMechanism(taskRegistry, false);
        assigner = new TestMechanism(taskRegistry);
        taskRegistry.setMechanism(address(probe), true);
        taskRegistry.setMechanism(address(plainProbe), true);
        taskRegistry.setMechanism(address(assigner), true);
    }

    // ------------------------------------------------------------------ completions and recordOf

    function test_RecordOfAddsTheRegistrysCompletions() public {
        prove(openRaceTask(1, 1), 1, alice);
        prove(openRaceTask(2, 2), 2, alice);
        // one delivered assignment, counted in the registry's credit word too (its release asks for no count)
        TaskRequest memory r = raceRequest(3, 1);
        r.mechanism = address(assigner);
        uint256 assigned = openTask(requester, r);
        assigner.assign(assigned, alice, 1e18, 10e18);
        prove(assigned, 3, alice);

        assertEq(taskRegistry.completionsOf(alice), 3, "two race proofs and a delivery counted in the registry");
        assertEq(proverRegistry.recordOf(alice).completed, 3, "recordOf: the true total");
        assertEq(proverRegistry.recordOf(bob).completed, 0);
        assertEq(taskRegistry.completionsOf(bob), 0);
    }

    function test_CompletionCountSurvivesWithdrawalAndIsNotABalance() public {
        uint256 paid = prove(openRaceTask(1, 1), 1, alice);
        assertEq(taskRegistry.claimable(alice), paid, "the count is not part of the balance");
        vm.prank(alice);
        assertEq(taskRegistry.withdraw(), paid);
        assertEq(taskRegistry.claimable(alice), 0);
        assertEq(taskRegistry.completionsOf(alice), 1, "kept by the withdrawal");
        uint256 paidAgain = prove(openRaceTask(2, 1), 2, alice);
        assertEq(taskRegistry.claimable(alice), paidAgain);
        assertEq(proverRegistry.recordOf(alice).completed, 2);
    }

    /// A proof paid nothing (the mechanism pays zero) still counts.
    function test_ZeroPaymentProofCounts() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(probe);
        uint256 taskId = openTask(requester, r);
        assertEq(prove(taskId, 1, alice), 0);
        assertEq(taskRegistry.claimable(alice), 0);
        assertEq(proverRegistry.recordOf(alice).completed, 1);
    }

    /// A covering proof on a task whose assignment was slashed is counted in the registry too.
    function test_CoverProofCountsAsUnassigned() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(assigner);
        r.fallbackMechanism = address(race);
        r.fallbackWindow = 600;
        uint256 taskId = openTask(requester, r);
        assigner.assign(taskId, bob, 1e18, 10e18);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(taskId); // bob slashed, reopened under the race
        uint256 paid = prove(taskId, 1, alice);
        assertGt(paid, 0);
        assertEq(proverRegistry.recordOf(alice).completed, 1);
        IProverRegistry.ProverRecord memory b = proverRegistry.recordOf(bob);
        assertEq(b.completed, 0);
        assertEq(b.missed, 1);
    }

    // ------------------------------------------------------------------ registration check, once per prover

    function test_RevertWhen_UnregisteredProverWithACreditSubmits() public {
        // dave has a credit word (a refund) but was never checked as a prover
        uint256 own = openTask(dave, raceRequest(9, 1));
        vm.prank(dave);
        taskRegistry.cancelTask(own);
        assertEq(taskRegistry.claimable(dave), TASK_BUDGET);

        prove(openRaceTask(1, 2), 1, alice); // alice's word is checked now; dave's is not
        uint256 taskId = openRaceTask(2, 1);
        bytes memory proof = proofOf(2, dave);
        uint256[] memory inputs = statement(2);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, dave));
        vm.prank(dave);
        taskRegistry.submitProof(taskId, inputs, proof);

        registerProver(dave);
        prove(taskId, 2, dave);
        assertEq(proverRegistry.recordOf(dave).completed, 1);
        assertEq(taskRegistry.claimable(dave) > TASK_BUDGET, true, "refund and payment both credited");
    }

    // ------------------------------------------------------------------ the ProverRegistry's TaskRegistry

    function test_DeploymentBindsItsTaskRegistry() public view {
        assertEq(proverRegistry.taskRegistry(), address(taskRegistry));
    }

    function test_GrantBindsTheFirstTaskRegistryOnly() public {
        ProverRegistry provers = new ProverRegistry(IERC20(address(token)), 1e18, 1 days, address(this));
        TaskRegistry first = _taskRegistryOf(provers);
        bytes32 role = provers.TASK_REGISTRY_ROLE();

        // holders of the role that are not a TaskRegistry of this ProverRegistry are not bound
        provers.grantRole(role, address(this));
        provers.grantRole(role, address(taskRegistry)); // a TaskRegistry of another ProverRegistry
        assertEq(provers.taskRegistry(), address(0));
        assertEq(provers.recordOf(alice).completed, 0, "no registry bound: the local count");

        vm.expectEmit(address(provers));
        emit IProverRegistry.TaskRegistryBound(address(first));
        provers.grantRole(role, address(first));
        assertEq(provers.taskRegistry(), address(first));

        TaskRegistry second = _taskRegistryOf(provers);
        vm.expectRevert(
            abi.encodeWithSelector(IProverRegistry.TaskRegistryAlreadyBound.selector, address(first), address(second))
        );
        provers.grantRole(role, address(second));

        // the binding is history: revoking and re-granting the role keeps it
        provers.revokeRole(role, address(first));
        assertEq(provers.taskRegistry(), address(first));
        provers.grantRole(role, address(first));
        assertEq(provers.taskRegistry(), address(first));
    }

    function test_RevokedTaskRegistryCompletionsStayInTheRecord() public {
        prove(openRaceTask(1, 1), 1, alice);
        proverRegistry.revokeRole(proverRegistry.TASK_REGISTRY_ROLE(), address(taskRegistry));
        assertEq(proverRegistry.recordOf(alice).completed, 1);
    }

    // ------------------------------------------------------------------ budget in the proof hook

    function test_BudgetInHookEqualsBudgetOf() public {
        probe.setOpenPayment(10e18);
        uint256 taskId = _openUnder(address(probe), 1, 3);
        vm.warp(block.timestamp + 100);
        prove(taskId, 1, alice);
        _assertHookSawBudgetOf(1);
        ITaskRegistry.Budget memory b = probe.lastBudget();
        assertEq(b.maxPayment, TASK_BUDGET);
        assertEq(b.paid, 0);
        assertEq(b.reserved, 0);
        assertEq(b.redundancy, 3);
        assertEq(b.proofsAccepted, 0);
        assertEq(b.openedAt, taskRegistry.taskOf(taskId).createdAt);
        assertEq(b.deadline, taskRegistry.taskOf(taskId).deadline);

        prove(taskId, 1, bob); // paid and proofsAccepted have moved
        _assertHookSawBudgetOf(2);
        assertEq(probe.lastBudget().paid, 10e18);
        assertEq(probe.lastBudget().proofsAccepted, 1);
        assertEq(probe.plainCalls(), 0, "the plain hook is not called for a budgeted mechanism");
    }

    /// A touched task (live assignment): the reservation is read and handed over.
    function test_BudgetInHookWithAReservation() public {
        probe.setOpenPayment(5e18);
        uint256 taskId = _openUnder(address(probe), 1, 2);
        probe.assign(taskId, carol, 30e18, 10e18);
        prove(taskId, 1, alice);
        _assertHookSawBudgetOf(1);
        assertEq(probe.lastBudget().reserved, 30e18);
        prove(taskId, 1, carol); // the assigned prover: paid its price, fulfils
        _assertHookSawBudgetOf(2);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(taskRegistry.taskOf(taskId).paid, 35e18);
    }

    /// A task reopened to the budgeted mechanism: the budget opens at the reopen time.
    function test_BudgetInHookAfterReopen() public {
        probe.setOpenPayment(7e18);
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(assigner);
        r.fallbackMechanism = address(probe);
        r.fallbackWindow = 900;
        uint256 taskId = openTask(requester, r);
        assigner.assign(taskId, bob, 1e18, 10e18);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(taskId);
        uint64 reopenedAt = uint64(block.timestamp);
        vm.warp(block.timestamp + 60);
        uint256 paid = prove(taskId, 1, alice);
        _assertHookSawBudgetOf(1);
        assertEq(probe.lastBudget().openedAt, reopenedAt);
        assertGt(reopenedAt, taskRegistry.taskOf(taskId).createdAt);
        assertGt(paid, 7e18, "the slashed collateral's cover bounty is paid on top");
    }

    function testFuzz_BudgetInHookEqualsBudgetOf(uint256 wait, uint256 payment, uint8 redundancy, uint96 reserve)
        public
    {
        redundancy = uint8(bound(redundancy, 2, 4));
        reserve = uint96(bound(reserve, 0, TASK_BUDGET / 2));
        payment = bound(payment, 0, TASK_BUDGET / 4);
        wait = bound(wait, 0, TASK_DURATION);
        probe.setOpenPayment(payment);
        uint256 taskId = _openUnder(address(probe), 1, redundancy);
        if (reserve != 0) probe.assign(taskId, carol, reserve, 0);
        vm.warp(block.timestamp + wait);
        prove(taskId, 1, alice);
        _assertHookSawBudgetOf(1);
        prove(taskId, 1, bob);
        _assertHookSawBudgetOf(2);
    }

    /// The race priced from the handed budget pays what `paymentAt(budgetOf)` says.
    function test_RacePaysPaymentAtOfBudgetOf() public {
        uint256 taskId = openRaceTask(1, 2);
        vm.warp(block.timestamp + 1000);
        uint256 expected = race.paymentAt(taskRegistry.budgetOf(taskId), block.timestamp);
        assertEq(prove(taskId, 1, alice), expected);
        vm.warp(block.timestamp + 500);
        expected = race.paymentAt(taskRegistry.budgetOf(taskId), block.timestamp);
        assertEq(prove(taskId, 1, bob), expected);
    }

    function test_UndeclaredMechanismGetsThePlainHook() public {
        plainProbe.setOpenPayment(1e18);
        prove(_openUnder(address(plainProbe), 1, 1), 1, alice);
        assertEq(plainProbe.plainCalls(), 1);
        assertEq(plainProbe.budgetedCalls(), 0);
    }

    // ------------------------------------------------------------------ reads after the hook (touched flag)

    /// The hook assigns on an untouched task: the reservation it makes is seen by the budget check.
    function test_RevertWhen_HookReservesWhatThePaymentNeeds() public {
        probe.setOpenPayment(80e18);
        uint256 taskId = _openUnder(address(probe), 1, 2);
        probe.setAssignInHook(carol, 30e18);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory inputs = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.BudgetExceeded.selector, taskId, 80e18, 70e18));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, inputs, proof);
    }

    function test_HookAssignmentOnUntouchedTaskIsKept() public {
        probe.setOpenPayment(60e18);
        uint256 taskId = _openUnder(address(probe), 1, 2);
        probe.setAssignInHook(carol, 30e18);
        assertEq(prove(taskId, 1, alice), 60e18);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(t.assignedCount, 1);
        assertEq(t.reserved, 30e18);
        assertEq(uint8(t.status), uint8(TaskStatus.Open), "the status moves only in assign");
        prove(taskId, 1, carol);
        t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Fulfilled));
        assertEq(t.paid, 90e18);
        assertEq(t.reserved, 0);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - 90e18);
    }

    /// The hook assigns the prover whose proof it is pricing: refused, as before the flag.
    function test_RevertWhen_HookAssignsTheSubmitter() public {
        uint256 taskId = _openUnder(address(probe), 1, 2);
        probe.setAssignInHook(alice, 1e18);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory inputs = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.NotAssigned.selector, taskId, alice));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, inputs, proof);
    }

    /// A task that had an assignment, now ended, is still read in full: cancel and expire see it.
    function test_TouchedTaskWithoutLiveAssignmentCancels() public {
        uint256 taskId = _openUnder(address(plainProbe), 1, 1);
        plainProbe.assign(taskId, carol, 10e18, 10e18);
        plainProbe.unassign(taskId, carol);
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET);
        assertEq(proverRegistry.proverOf(carol).locked, 0);
    }

    function test_RevertWhen_CancelWithALiveAssignment() public {
        uint256 taskId = _openUnder(address(plainProbe), 1, 2);
        plainProbe.assign(taskId, carol, 10e18, 10e18);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.CannotCancel.selector, taskId));
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
    }

    /// An assigned prover that delivers after an open proof: its assignment word is read (touched task).
    function test_AssignedDeliveryAfterAnOpenProof() public {
        plainProbe.setOpenPayment(10e18);
        uint256 taskId = _openUnder(address(plainProbe), 1, 2);
        plainProbe.assign(taskId, carol, 20e18, 10e18);
        prove(taskId, 1, alice);
        prove(taskId, 1, carol);
        assertTrue(taskRegistry.assignmentOf(taskId, carol).delivered);
        assertEq(proverRegistry.proverOf(carol).locked, 0);
        assertEq(proverRegistry.recordOf(carol).completed, 1, "counted once");
        assertEq(taskRegistry.completionsOf(carol), 1, "in the registry's credit word");
        assertEq(taskRegistry.taskOf(taskId).paid, 30e18);
    }

    // ------------------------------------------------------------------ stateless mechanisms

    function test_StatelessMechanismIsNotToldOfClosing() public {
        StatelessProbe stateless = new StatelessProbe(taskRegistry);
        taskRegistry.setMechanism(address(stateless), true);
        stateless.setOpenPayment(1e18);
        prove(_openUnder(address(stateless), 1, 1), 1, alice); // fulfilled
        uint256 cancelled = _openUnder(address(stateless), 2, 1);
        vm.prank(requester);
        taskRegistry.cancelTask(cancelled);
        TaskRequest memory r = raceRequest(3, 1);
        r.mechanism = address(stateless);
        uint256 expired = openTask(requester, r);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(expired);
        assertEq(stateless.closedCalls(), 0);
        assertEq(uint8(taskRegistry.taskOf(expired).status), uint8(TaskStatus.Expired));

        // the same three ends under a mechanism that keeps state: told each time
        plainProbe.setOpenPayment(1e18);
        prove(_openUnder(address(plainProbe), 4, 1), 4, alice);
        cancelled = _openUnder(address(plainProbe), 5, 1);
        vm.prank(requester);
        taskRegistry.cancelTask(cancelled);
        r = raceRequest(6, 1);
        r.mechanism = address(plainProbe);
        expired = openTask(requester, r);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(expired);
        assertEq(plainProbe.closedCalls(), 3);
    }

    /// The declarations are read at every listing: a mechanism re-listed keeps them.
    function test_DeclarationsSurviveRelisting() public {
        taskRegistry.setMechanism(address(probe), false);
        taskRegistry.setMechanism(address(probe), true);
        prove(_openUnder(address(probe), 1, 1), 1, alice);
        assertEq(probe.budgetedCalls(), 1);
        assertEq(probe.plainCalls(), 0);
    }

    // ------------------------------------------------------------------ direct verifier call

    function test_StrictVerifierCalldataForAnyProofLength() public {
        StrictEncodingVerifier strict = new StrictEncodingVerifier();
        bytes32 circuit = keccak256("strict");
        verifierRegistry.setVerifier(circuit, address(strict));
        uint256[] memory s = statement(1);
        uint256[] memory full = new uint256[](4);
        for (uint256 i; i < 3; ++i) {
            full[i] = s[i];
        }
        full[3] = uint256(uint160(alice));
        uint256[5] memory lengths = [uint256(0), 1, 31, 32, 45];
        for (uint256 k; k < lengths.length; ++k) {
            TaskRequest memory r = raceRequest(1, 1);
            r.circuitId = circuit;
            uint256 taskId = openTask(requester, r);
            bytes memory proof = strict.proofFor(full, lengths[k]);
            vm.prank(alice);
            taskRegistry.submitProof(taskId, s, proof);
            assertTrue(taskRegistry.hasProven(taskId, alice));
        }
    }

    function test_RotationAppliesToOpenTasks() public {
        uint256 taskId = openRaceTask(1, 1);
        bytes memory proof = proofOf(1, alice);
        verifierRegistry.setVerifier(TEST_CIRCUIT, address(new HashVerifier(5))); // a circuit with 5 inputs
        uint256[] memory inputs = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.PublicInputCount.selector, 5, 4));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, inputs, proof);
    }

    function test_RevertWhen_VerifierHasNoCode() public {
        uint256 taskId = openRaceTask(1, 1);
        vm.etch(address(testVerifier), "");
        bytes memory proof = abi.encodePacked(bytes32(0));
        uint256[] memory inputs = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IVerifierRegistry.InvalidVerifier.selector, address(testVerifier)));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, inputs, proof);
    }

    function test_RevertWhen_InputsDoNotMatchTheCommitment() public {
        uint256 taskId = openRaceTask(1, 1);
        bytes memory proof = proofOf(2, alice);
        uint256[] memory inputs = statement(2);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskRegistry.InputCommitmentMismatch.selector, taskId, commitmentOf(statement(1)), commitmentOf(inputs)
            )
        );
        vm.prank(alice);
        taskRegistry.submitProof(taskId, inputs, proof);
    }

    // ------------------------------------------------------------------ 192-bit credit amounts

    function test_RevertWhen_CreditOverflowsTheAmount() public {
        token.mint(requester, AMOUNT_LIMIT + 1);
        vm.startPrank(requester);
        token.approve(address(taskRegistry), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.CreditOverflow.selector, requester, AMOUNT_LIMIT + 1));
        taskRegistry.deposit(AMOUNT_LIMIT + 1);
        taskRegistry.deposit(AMOUNT_LIMIT);
        assertEq(taskRegistry.claimable(requester), AMOUNT_LIMIT);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.CreditOverflow.selector, requester, 1));
        taskRegistry.deposit(1);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ helpers

    function _openUnder(address mechanism, uint256 seed, uint8 redundancy) internal returns (uint256) {
        TaskRequest memory r = raceRequest(seed, redundancy);
        r.mechanism = mechanism;
        return openTask(requester, r);
    }

    function _assertHookSawBudgetOf(uint256 calls) internal view {
        assertEq(probe.budgetedCalls(), calls, "budget hook calls");
        assertEq(probe.lastBudgetHash(), probe.lastBudgetOfHash(), "the hook's budget is budgetOf");
    }

    function _taskRegistryOf(ProverRegistry provers) internal returns (TaskRegistry) {
        return new TaskRegistry(
            IERC20(address(token)),
            IProverRegistry(address(provers)),
            IVerifierRegistry(address(verifierRegistry)),
            address(this),
            treasury
        );
    }
}
