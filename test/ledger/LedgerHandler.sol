// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerMechanismRouter} from "../../contracts/LedgerMechanismRouter.sol";
import {ProofToken} from "../../contracts/ProofToken.sol";
import {ProverRegistry} from "../../contracts/ProverRegistry.sol";
import {TaskLedger} from "../../contracts/TaskLedger.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {SlashSplit} from "../../contracts/libraries/SlashSplit.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "../../contracts/types/LedgerTask.sol";
import {QoSProfile} from "../../contracts/types/Task.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";
import {LedgerAssigner} from "./LedgerMechanisms.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

/// @title LedgerHandler
/// @notice The only thing the TaskLedger invariant fuzzer calls. Actors: three registered provers, one requester,
///         the treasury. Every action picks a tracked task and passes its current version (the handler rebuilds
///         it the way an agent does: from what it sent and from TaskReopened logs), so stale-task reverts are the
///         exception, not the rule. Ghost books: every task's current version, what each task paid out, which
///         (task, prover) pairs were accepted, and whether a copied proof was ever accepted. With a router set, half
///         the opens go through the one-word router (pinned to the mechanism drawn), and the handler counts the
///         reports the ledger owes it: one per routed task that is fulfilled, expires or is reopened. A companion
///         handler (`LedgerTreeHandler`, the book's one `keeper`) opens, draws, attests, covers and proves tree tasks and
///         books them here, so the generic actions (prove, expire, cancel) reach tree tasks too.
contract LedgerHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant STATEMENT_LENGTH = 3;
    bytes32 internal constant CIRCUIT = keccak256("proofmarket.circuit.test.v1");
    uint96 internal constant COLLATERAL = 20e18;

    TaskLedger public immutable ledger;
    ProofToken public immutable token;
    ProverRegistry public immutable proverRegistry;
    HashVerifier public immutable verifier;
    address public immutable race;
    LedgerAssigner public immutable assigner;
    address public immutable requester;

    address[] public provers;
    uint256[] public taskIds;
    mapping(uint256 taskId => LedgerTask) internal current;
    mapping(uint256 taskId => uint256) public seedOf;
    /// @notice Credited to provers and contributors by the task's proofs (payments and cover bounties).
    mapping(uint256 taskId => uint256) public paidOut;
    /// @notice Cover shares the task ever received from slashes.
    mapping(uint256 taskId => uint256) public coverIn;
    mapping(uint256 taskId => mapping(address prover => uint256)) public acceptedBy;
    mapping(uint256 taskId => uint256) public acceptedCount;
    uint256 public copiedAccepted;
    mapping(bytes32 action => uint256) public calls;
    /// @notice The one-word router (zero: every task is opened directly).
    LedgerMechanismRouter public router;
    /// @notice Whether the task's current version was opened by the router (cleared when it reopens).
    mapping(uint256 taskId => bool) public routedLive;
    /// @notice Routed tasks that ended under their routed mechanism, and those of them that were fulfilled.
    uint256 public routedEnded;
    uint256 public routedFulfilled;

    constructor(
        TaskLedger ledger_,
        ProofToken token_,
        ProverRegistry proverRegistry_,
        HashVerifier verifier_,
        address race_,
        LedgerAssigner assigner_,
        address requester_,
        address[] memory provers_
    ) {
        ledger = ledger_;
        token = token_;
        proverRegistry = proverRegistry_;
        verifier = verifier_;
        race = race_;
        assigner = assigner_;
        requester = requester_;
        provers = provers_;
    }

    /// @notice The companion handler allowed to book tasks here (zero: none).
    address public keeper;

    /// @notice Sets the keeper once (the invariant suite's setUp).
    function setKeeper(address keeper_) external {
        require(keeper == address(0), "keeper set");
        keeper = keeper_;
    }

    /// @notice The keeper books a task it opened (never routed).
    function adopt(uint256 id, LedgerTask calldata t, uint256 seed) external {
        require(msg.sender == keeper, "not the keeper");
        taskIds.push(id);
        current[id] = t;
        seedOf[id] = seed;
    }

    /// @notice The keeper books a task's new version, a cover share it received, or an accepted proof.
    function book(uint256 id, LedgerTask calldata t, uint256 toCover, address prover, uint256 credited) external {
        require(msg.sender == keeper, "not the keeper");
        current[id] = t;
        coverIn[id] += toCover;
        if (prover != address(0)) {
            paidOut[id] += credited;
            ++acceptedBy[id][prover];
            ++acceptedCount[id];
        }
    }

    /// @notice The keeper counts one of its actions.
    function count(bytes32 action) external {
        require(msg.sender == keeper, "not the keeper");
        ++calls[action];
    }

    /// @notice Sets the router once (the invariant suite's setUp).
    function setRouter(LedgerMechanismRouter router_) external {
        require(address(router) == address(0), "router set");
        router = router_;
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function proverCount() external view returns (uint256) {
        return provers.length;
    }

    function currentTask(uint256 taskId) external view returns (LedgerTask memory) {
        return current[taskId];
    }

    // ------------------------------------------------------------------ actions

    function open(uint256 seed, uint8 redundancy, bool assigned, uint8 fallbackKind, uint96 maxPayment) external {
        LedgerRequest memory r;
        r.circuitId = CIRCUIT;
        r.inputCommitment = keccak256(abi.encodePacked(_statement(seed)));
        r.deadline = uint64(block.timestamp) + uint64(bound(seed >> 8, 60, 2 hours));
        r.maxPayment = uint96(bound(maxPayment, 1, 100e18));
        r.redundancy = assigned ? 1 : uint8(bound(redundancy, 1, 4));
        r.mechanism = assigned ? address(assigner) : race;
        fallbackKind = fallbackKind % 3;
        if (fallbackKind != 0) {
            r.fallbackMechanism = fallbackKind == 1 ? race : address(assigner);
            r.fallbackWindow = 600;
        }
        token.mint(requester, r.maxPayment);
        vm.startPrank(requester);
        token.approve(address(ledger), r.maxPayment);
        ledger.deposit(r.maxPayment);
        uint256 id;
        LedgerTask memory t;
        bool routed = address(router) != address(0) && (seed >> 200) % 2 == 0;
        if (routed) {
            QoSProfile memory qos;
            (id,, t) = router.route(r, qos);
        } else {
            (id, t) = ledger.createTask(r);
        }
        vm.stopPrank();
        routedLive[id] = routed;
        if (routed) ++calls["route"];
        taskIds.push(id);
        current[id] = t;
        seedOf[id] = seed;
        ++calls["open"];
    }

    function assign(uint256 taskIndex, uint256 proverIndex, uint96 price) external {
        (uint256 id, LedgerTask memory t) = _pick(taskIndex);
        address prover = provers[proverIndex % provers.length];
        price = uint96(bound(price, 0, t.maxPayment));
        assigner.assign(id, t, prover, price, COLLATERAL);
        t.assignee = prover;
        t.price = price;
        t.collateral = COLLATERAL;
        t.mechanismState = uint64(block.timestamp + 600);
        current[id] = t;
        ++calls["assign"];
    }

    function unassign(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pick(taskIndex);
        assigner.unassign(id, t);
        _clear(t);
        current[id] = t;
        ++calls["unassign"];
    }

    function slash(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pick(taskIndex);
        assigner.slash(id, t);
        (, uint256 toCover,) = SlashSplit.split(t.collateral, 2000, 5000);
        _clear(t);
        t.coverBounty += uint96(toCover);
        t.flags |= LedgerTaskLib.FLAG_SLASHED;
        coverIn[id] += toCover;
        current[id] = t;
        ++calls["slash"];
    }

    /// @param copyFrom Non-zero: submit another prover's proof (it must never be accepted).
    function prove(uint256 taskIndex, uint256 proverIndex, uint256 copyFrom) external {
        (uint256 id, LedgerTask memory t) = _pick(taskIndex);
        address prover = provers[proverIndex % provers.length];
        if (t.assignee != address(0) && proverIndex % 2 == 0) prover = t.assignee;
        address maker = copyFrom % 4 == 0 ? provers[(proverIndex + 1) % provers.length] : prover;
        bytes memory proof = verifier.proofFor(_statement(seedOf[id]), maker);
        uint256 before = ledger.balanceOf(requester);
        uint256 creditBefore = ledger.balanceOf(prover);
        vm.prank(prover);
        uint256 credited = ledger.submitProof(id, t, _statement(seedOf[id]), proof);
        if (maker != prover) ++copiedAccepted;
        // A prover that is also credited nothing else in this call: its balance grew by `credited`.
        require(ledger.balanceOf(prover) == creditBefore + credited, "prover credited what submitProof returned");
        require(ledger.balanceOf(requester) >= before, "a proof never debits the requester");
        paidOut[id] += credited;
        ++acceptedBy[id][prover];
        ++acceptedCount[id];
        if (TaskWord.unwrap(ledger.taskWord(id)) == 0) {
            current[id] = t; // closed; keep the last version
            if (routedLive[id]) {
                routedLive[id] = false;
                ++routedEnded;
                ++routedFulfilled;
            }
        }
        ++calls["prove"];
    }

    function expire(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pick(taskIndex);
        if (block.timestamp <= t.deadline) vm.warp(uint256(t.deadline) + 1);
        if (t.assignee != address(0)) {
            (, uint256 toCover,) = SlashSplit.split(t.collateral, 2000, 5000);
            coverIn[id] += toCover;
        }
        vm.recordLogs();
        ledger.expire(id, t);
        if (routedLive[id]) {
            routedLive[id] = false; // failed under its routed mechanism; a reopened version is not routed
            ++routedEnded;
        }
        if (TaskWord.unwrap(ledger.taskWord(id)) != 0) {
            current[id] = _lastReopened();
            ++calls["reopen"];
        }
        ++calls["expire"];
    }

    function cancel(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pick(taskIndex);
        vm.prank(requester);
        ledger.cancelTask(id, t);
        routedLive[id] = false; // a cancellation is not reported
        ++calls["cancel"];
    }

    function withdraw(uint256 actorIndex, uint256 amount) external {
        address actor = actorIndex % 2 == 0 ? requester : provers[actorIndex % provers.length];
        uint256 balance = ledger.balanceOf(actor);
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        vm.prank(actor);
        ledger.withdraw(amount);
        ++calls["withdraw"];
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 30 minutes));
        ++calls["warp"];
    }

    // ------------------------------------------------------------------ helpers

    /// @dev A live tracked task and its current version (a handler call on no live task reverts: skipped).
    function _pick(uint256 taskIndex) internal view returns (uint256 id, LedgerTask memory t) {
        require(taskIds.length != 0, "no task");
        id = taskIds[taskIndex % taskIds.length];
        require(TaskWord.unwrap(ledger.taskWord(id)) != 0, "closed");
        t = current[id];
    }

    function _clear(LedgerTask memory t) internal pure {
        t.assignee = address(0);
        t.price = 0;
        t.collateral = 0;
        t.mechanismState = 0;
    }

    function _statement(uint256 seed) internal pure returns (uint256[] memory s) {
        s = new uint256[](STATEMENT_LENGTH);
        for (uint256 i; i < STATEMENT_LENGTH; ++i) {
            s[i] = uint256(keccak256(abi.encode(seed, i))) >> 8;
        }
    }

    function _lastReopened() internal returns (LedgerTask memory n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            if (logs[i - 1].topics[0] == ITaskLedger.TaskReopened.selector) {
                n = abi.decode(logs[i - 1].data, (LedgerTask));
                return n;
            }
        }
        revert("no TaskReopened");
    }
}
