// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProofToken} from "../../contracts/ProofToken.sol";
import {ProverRegistry} from "../../contracts/ProverRegistry.sol";
import {TaskRegistry} from "../../contracts/TaskRegistry.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ProofRace} from "../../contracts/mechanisms/ProofRace.sol";
import {QoSProfile, TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";
import {TestMechanism} from "../utils/TestMechanism.sol";
import {Test} from "forge-std/Test.sol";

/// @title CoreHandler
/// @notice Drives the core through random but meaningful sequences: provers stake, unstake and change
///         capacity; requesters open race and assignment tasks (some with a race fallback) and cancel them;
///         the assignment mechanism assigns, unassigns and slashes; provers submit proofs (their own, or a
///         copy of another's); anyone expires; everyone withdraws; time passes. It keeps ghost variables
///         for what the contracts do not store (per-(task, prover) acceptances, status history) and counts
///         any illegal status transition it observes.
contract CoreHandler is Test {
    ProofToken public immutable token;
    ProverRegistry public immutable provers;
    TaskRegistry public immutable tasks;
    ProofRace public immutable race;
    TestMechanism public immutable mech;
    HashVerifier public immutable verifier;
    bytes32 public immutable circuit;
    address public immutable treasury;

    address[] public proverActors;
    address[] public requesterActors;

    uint256[] public taskIds;
    mapping(uint256 taskId => uint256) public seedOf;
    mapping(uint256 taskId => TaskStatus) public lastStatus;

    // ghosts
    mapping(uint256 taskId => mapping(address prover => uint256)) public ghost_acceptances;
    mapping(uint256 taskId => uint256) public ghost_paidToTask;
    uint256 public ghost_illegalTransitions;
    uint256 public ghost_doubleAcceptances;
    uint256 public ghost_copiedProofsAccepted;
    uint256 public ghost_withdrawn;
    mapping(bytes32 => uint256) public calls;

    uint256 internal constant STAKE = 1000e18;
    uint256 internal constant MAX_TASKS = 24;

    constructor(
        ProofToken token_,
        ProverRegistry provers_,
        TaskRegistry tasks_,
        ProofRace race_,
        TestMechanism mech_,
        HashVerifier verifier_,
        bytes32 circuit_,
        address treasury_
    ) {
        token = token_;
        provers = provers_;
        tasks = tasks_;
        race = race_;
        mech = mech_;
        verifier = verifier_;
        circuit = circuit_;
        treasury = treasury_;
        for (uint256 i; i < 4; ++i) {
            address p = makeAddr(string(abi.encodePacked("prover", vm.toString(i))));
            proverActors.push(p);
        }
        for (uint256 i; i < 2; ++i) {
            requesterActors.push(makeAddr(string(abi.encodePacked("requester", vm.toString(i)))));
        }
    }

    /// @dev Registers the prover actors (called once by the test after roles are granted).
    function setUpActors() external {
        for (uint256 i; i < proverActors.length; ++i) {
            address p = proverActors[i];
            token.mint(p, STAKE);
            vm.startPrank(p);
            token.approve(address(provers), type(uint256).max);
            token.approve(address(tasks), type(uint256).max);
            provers.register(STAKE, 1, 2);
            vm.stopPrank();
        }
        for (uint256 i; i < requesterActors.length; ++i) {
            vm.prank(requesterActors[i]);
            token.approve(address(tasks), type(uint256).max);
        }
    }

    modifier tracked(bytes32 name) {
        calls[name] += 1;
        _;
        _checkTransitions();
    }

    // ------------------------------------------------------------------ actions

    function createTask(
        uint256 seed,
        uint256 requesterIdx,
        uint8 redundancy,
        uint96 budget,
        uint32 duration,
        uint8 kind
    ) external tracked("createTask") {
        if (taskIds.length >= MAX_TASKS) return;
        address requester = requesterActors[requesterIdx % requesterActors.length];
        redundancy = uint8(bound(redundancy, 1, 3));
        budget = uint96(bound(budget, 1, 1000e18));
        TaskRequest memory r;
        r.circuitId = circuit;
        r.inputCommitment = keccak256(abi.encodePacked(_statement(seed)));
        r.deadline = uint64(block.timestamp + bound(duration, 60, 3600));
        r.maxPayment = budget;
        r.redundancy = redundancy;
        r.qos = QoSProfile(5, 5, 5, 5, redundancy, 0);
        kind = kind % 3;
        r.mechanism = kind == 0 ? address(race) : address(mech);
        if (kind == 2) {
            r.fallbackMechanism = address(race);
            r.fallbackWindow = 600;
        }
        uint256 taskId;
        if (tasks.claimable(requester) >= budget && seed % 2 == 0) {
            vm.prank(requester); // prepaid: escrow from the requester's credited balance
            taskId = tasks.createTaskFromBalance(r);
        } else {
            token.mint(requester, budget);
            vm.prank(requester);
            taskId = tasks.createTask(r);
        }
        taskIds.push(taskId);
        seedOf[taskId] = seed;
        lastStatus[taskId] = TaskStatus.Open;
    }

    function assign(uint256 taskIdx, uint256 proverIdx, uint96 price, uint96 collateral) external tracked("assign") {
        (uint256 taskId, bool ok) = _task(taskIdx);
        if (!ok) return;
        ITaskRegistry.Task memory t = tasks.taskOf(taskId);
        if (t.mechanism != address(mech)) return;
        address prover = proverActors[proverIdx % proverActors.length];
        uint256 available = uint256(t.maxPayment) - t.paid - t.reserved;
        price = uint96(bound(price, 0, available));
        collateral = uint96(bound(collateral, 0, provers.freeStake(prover)));
        mech.assign(taskId, prover, price, collateral);
    }

    function unassign(uint256 taskIdx, uint256 liveIdx) external tracked("unassign") {
        (uint256 taskId, address prover) = _liveAssignee(taskIdx, liveIdx);
        if (prover == address(0)) return;
        mech.unassign(taskId, prover);
    }

    function slashAssignment(uint256 taskIdx, uint256 liveIdx) external tracked("slashAssignment") {
        (uint256 taskId, address prover) = _liveAssignee(taskIdx, liveIdx);
        if (prover == address(0)) return;
        mech.slashAssignment(taskId, prover);
    }

    function submitProof(uint256 taskIdx, uint256 proverIdx, bool copy) external tracked("submitProof") {
        (uint256 taskId, bool ok) = _task(taskIdx);
        if (!ok) return;
        address prover = proverActors[proverIdx % proverActors.length];
        address maker = copy ? proverActors[(proverIdx + 1) % proverActors.length] : prover;
        uint256[] memory s = _statement(seedOf[taskId]);
        bytes memory proof = verifier.proofFor(s, maker);
        ITaskRegistry.Task memory before = tasks.taskOf(taskId);
        vm.prank(prover);
        try tasks.submitProof(taskId, s, proof) returns (uint256 credited) {
            if (copy) ghost_copiedProofsAccepted += 1;
            ghost_acceptances[taskId][prover] += 1;
            if (ghost_acceptances[taskId][prover] > 1) ghost_doubleAcceptances += 1;
            ghost_paidToTask[taskId] += credited - before.coverBounty;
        } catch {}
    }

    function expire(uint256 taskIdx, uint32 extra) external tracked("expire") {
        (uint256 taskId, bool ok) = _task(taskIdx);
        if (!ok) return;
        // Mostly let time pass on its own (warp); sometimes jump to just past this task's deadline.
        ITaskRegistry.Task memory t = tasks.taskOf(taskId);
        if (block.timestamp <= t.deadline && extra % 4 == 0) vm.warp(uint256(t.deadline) + 1);
        tasks.expire(taskId);
    }

    function cancel(uint256 taskIdx) external tracked("cancel") {
        (uint256 taskId, bool ok) = _task(taskIdx);
        if (!ok) return;
        vm.prank(tasks.taskOf(taskId).requester);
        tasks.cancelTask(taskId);
    }

    function withdraw(uint256 actorIdx) external tracked("withdraw") {
        address a = _anyActor(actorIdx);
        if (tasks.claimable(a) == 0) return;
        vm.prank(a);
        ghost_withdrawn += tasks.withdraw();
    }

    function deposit(uint256 requesterIdx, uint96 amount) external tracked("deposit") {
        address requester = requesterActors[requesterIdx % requesterActors.length];
        amount = uint96(bound(amount, 1, 1000e18));
        token.mint(requester, amount);
        vm.prank(requester);
        tasks.deposit(amount);
    }

    function addStake(uint256 proverIdx, uint96 amount) external tracked("addStake") {
        address p = proverActors[proverIdx % proverActors.length];
        amount = uint96(bound(amount, 1, 500e18));
        token.mint(p, amount);
        vm.prank(p);
        provers.addStake(amount);
    }

    function requestUnstake(uint256 proverIdx, uint256 amount) external tracked("requestUnstake") {
        address p = proverActors[proverIdx % proverActors.length];
        uint256 free = provers.freeStake(p);
        if (free == 0) return;
        vm.prank(p);
        provers.requestUnstake(bound(amount, 1, free));
    }

    function completeUnstake(uint256 proverIdx) external tracked("completeUnstake") {
        address p = proverActors[proverIdx % proverActors.length];
        IProverRegistry.Prover memory info = provers.proverOf(p);
        if (info.pendingUnstake == 0) return;
        if (block.timestamp < info.unstakeAvailableAt) vm.warp(info.unstakeAvailableAt);
        vm.prank(p);
        provers.completeUnstake();
    }

    function cancelUnstake(uint256 proverIdx) external tracked("cancelUnstake") {
        address p = proverActors[proverIdx % proverActors.length];
        if (provers.proverOf(p).pendingUnstake == 0) return;
        vm.prank(p);
        provers.cancelUnstake();
    }

    function setCapacity(uint256 proverIdx, uint16 capacity) external tracked("setCapacity") {
        address p = proverActors[proverIdx % proverActors.length];
        capacity = uint16(bound(capacity, 1, 4));
        vm.prank(p);
        provers.setCapacity(1, capacity);
    }

    function warp(uint32 dt) external tracked("warp") {
        vm.warp(block.timestamp + bound(dt, 1, 900));
    }

    // ------------------------------------------------------------------ views for the invariants

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function proverCount() external view returns (uint256) {
        return proverActors.length;
    }

    /// @notice Every account that can ever be credited: provers, requesters, the treasury.
    function accounts() external view returns (address[] memory list) {
        list = new address[](proverActors.length + requesterActors.length + 1);
        uint256 n;
        for (uint256 i; i < proverActors.length; ++i) {
            list[n++] = proverActors[i];
        }
        for (uint256 i; i < requesterActors.length; ++i) {
            list[n++] = requesterActors[i];
        }
        list[n] = treasury;
    }

    // ------------------------------------------------------------------ internal

    function _statement(uint256 seed) internal pure returns (uint256[] memory s) {
        s = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            s[i] = uint256(keccak256(abi.encode(seed, i))) >> 8;
        }
    }

    function _task(uint256 taskIdx) internal view returns (uint256 taskId, bool ok) {
        if (taskIds.length == 0) return (0, false);
        return (taskIds[taskIdx % taskIds.length], true);
    }

    function _liveAssignee(uint256 taskIdx, uint256 liveIdx) internal view returns (uint256 taskId, address prover) {
        bool ok;
        (taskId, ok) = _task(taskIdx);
        if (!ok) return (0, address(0));
        uint256 count = tasks.taskOf(taskId).assignedCount;
        if (count == 0) return (taskId, address(0));
        prover = tasks.liveAssigneeAt(taskId, liveIdx % count);
    }

    function _anyActor(uint256 idx) internal view returns (address) {
        uint256 n = proverActors.length + requesterActors.length + 1;
        idx %= n;
        if (idx < proverActors.length) return proverActors[idx];
        idx -= proverActors.length;
        if (idx < requesterActors.length) return requesterActors[idx];
        return treasury;
    }

    /// @dev Legal: unchanged; Open → Assigned; Assigned → Open; Open|Assigned → Fulfilled|Expired;
    ///      Open → Cancelled. Final statuses never change.
    function _checkTransitions() internal {
        for (uint256 i; i < taskIds.length; ++i) {
            uint256 id = taskIds[i];
            TaskStatus before = lastStatus[id];
            TaskStatus nowStatus = tasks.taskOf(id).status;
            if (before == nowStatus) continue;
            bool live = before == TaskStatus.Open || before == TaskStatus.Assigned;
            bool legal = (before == TaskStatus.Open && nowStatus == TaskStatus.Assigned)
                || (before == TaskStatus.Assigned && nowStatus == TaskStatus.Open)
                || (live && (nowStatus == TaskStatus.Fulfilled || nowStatus == TaskStatus.Expired))
                || (before == TaskStatus.Open && nowStatus == TaskStatus.Cancelled);
            if (!legal) ghost_illegalTransitions += 1;
            lastStatus[id] = nowStatus;
        }
    }
}
