// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerMechanismRouter} from "../../contracts/LedgerMechanismRouter.sol";
import {ProofToken} from "../../contracts/ProofToken.sol";
import {ProverRegistry} from "../../contracts/ProverRegistry.sol";
import {TaskLedger} from "../../contracts/TaskLedger.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {BlockHeaderRandomness} from "../../contracts/libraries/BlockHeaderRandomness.sol";
import {SlashSplit} from "../../contracts/libraries/SlashSplit.sol";
import {LedgerTreeAssignment} from "../../contracts/mechanisms/ledger/LedgerTreeAssignment.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "../../contracts/types/LedgerTask.sol";
import {QoSProfile} from "../../contracts/types/Task.sol";
import {HeaderBuilder} from "../mechanisms/ElectionRace.t.sol";
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
///         reports the ledger owes it: one per routed task that is fulfilled, expires or is reopened. With a tree set
///         (LedgerTreeAssignment, its pool the three provers), tree tasks are opened directly, drawn from a header
///         the handler publishes, attested, covered by an uncle and proven by the root prover; the generic actions
///         (prove, expire, cancel) reach them too.
contract LedgerHandler is CommonBase, StdCheats, StdUtils, HeaderBuilder {
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

    /// @notice The tree instance (zero: no tree tasks).
    LedgerTreeAssignment public tree;

    /// @notice Sets the tree once (the invariant suite's setUp).
    function setTree(LedgerTreeAssignment tree_) external {
        require(address(tree) == address(0), "tree set");
        tree = tree_;
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

    /// @notice Opens a tree task of 1-8 leaves in ranges of 1-8 (directly, never routed).
    function openTree(uint256 seed, uint8 txCount, uint8 rangeSize, uint96 maxPayment) external {
        require(address(tree) != address(0), "no tree");
        LedgerRequest memory r;
        r.circuitId = CIRCUIT;
        r.inputCommitment = keccak256(abi.encodePacked(_statement(seed)));
        r.deadline = uint64(block.timestamp) + uint64(bound(seed >> 8, 10 minutes, 2 hours));
        r.maxPayment = uint96(bound(maxPayment, 1, 100e18));
        r.redundancy = 1;
        r.mechanism = address(tree);
        uint32 leaves = uint32(bound(txCount, 1, 8));
        r.mechanismData = abi.encode(leaves, uint32(bound(rangeSize, 1, leaves)));
        token.mint(requester, r.maxPayment);
        vm.startPrank(requester);
        token.approve(address(ledger), r.maxPayment);
        ledger.deposit(r.maxPayment);
        (uint256 id, LedgerTask memory t) = ledger.createTask(r);
        vm.stopPrank();
        taskIds.push(id);
        current[id] = t;
        seedOf[id] = seed;
        ++calls["openTree"];
    }

    /// @notice Draws a tree task from a published header of its seed block (re-anchors if it aged out).
    function drawTree(uint256 taskIndex, bytes32 mix) external {
        (uint256 id, LedgerTask memory t) = _pickTree(taskIndex);
        (uint256 drawBlock, uint256 txCount, uint256 rangeSize) = tree.shapeOf(t.mechanismState);
        if (block.number <= drawBlock) vm.roll(drawBlock + 1);
        bytes memory header = _header(drawBlock, mix, "");
        bool fresh = BlockHeaderRandomness.hashAvailable(drawBlock);
        if (fresh) vm.setBlockhash(drawBlock, keccak256(header));
        tree.draw(id, t, header);
        if (!fresh) {
            t.mechanismState = uint64((block.number + tree.drawDelay()) | txCount << 32 | rangeSize << 48);
            ++calls["reanchorTree"];
        } else if (tree.treeOf(id).rootAssigned) {
            t.assignee = tree.rootProverOf(id);
            t.collateral = _rootCollateral(t);
            ++calls["drawTree"];
        } else {
            ++calls["drawTreeUnbacked"];
        }
        current[id] = t;
    }

    /// @notice The owner of one range of a drawn tree attests it.
    function attestTree(uint256 taskIndex, uint256 range) external {
        (uint256 id,) = _pickTree(taskIndex);
        uint256 k = tree.treeOf(id).rangeCount;
        require(k != 0, "undrawn");
        range %= k;
        vm.prank(tree.rangeOf(id, range).owner);
        tree.attest(id, range, keccak256(abi.encode(id, range)), bytes32(range));
        ++calls["attestTree"];
    }

    /// @notice After the range deadline, the uncle of one range covers it (range 0: the root moves in the ledger).
    function coverTree(uint256 taskIndex, uint256 range) external {
        (uint256 id, LedgerTask memory t) = _pickTree(taskIndex);
        ITreeAssignment.TreeTask memory w = tree.treeOf(id);
        require(w.rangeCount > 1, "no uncle");
        range %= w.rangeCount;
        if (block.timestamp <= w.rangeDeadline) vm.warp(uint256(w.rangeDeadline) + 1);
        address uncle = tree.rangeOf(id, tree.rangeOf(id, range).sibling).owner;
        vm.prank(uncle);
        tree.cover(id, t, range, bytes32(0), bytes32(0));
        if (range == 0) {
            if (t.assignee != address(0)) {
                (, uint256 toCover,) = SlashSplit.split(t.collateral, 2000, 5000);
                coverIn[id] += toCover;
                t.coverBounty += uint96(toCover);
                t.flags |= LedgerTaskLib.FLAG_SLASHED;
                t.assignee = address(0);
                t.collateral = 0;
            }
            if (tree.treeOf(id).rootAssigned) {
                t.assignee = uncle;
                t.collateral = _rootCollateral(t);
            }
            current[id] = t;
            ++calls["coverTreeRoot"];
        }
        ++calls["coverTree"];
    }

    /// @notice The root prover of a drawn tree proves it (the payout by contribution).
    function proveTree(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pickTree(taskIndex);
        address prover = tree.rootProverOf(id);
        require(prover != address(0), "undrawn");
        bytes memory proof = verifier.proofFor(_statement(seedOf[id]), prover);
        uint256 creditBefore = ledger.balanceOf(prover);
        vm.prank(prover);
        uint256 credited = ledger.submitProof(id, t, _statement(seedOf[id]), proof);
        require(ledger.balanceOf(prover) == creditBefore + credited, "root prover credited what submitProof returned");
        paidOut[id] += credited;
        ++acceptedBy[id][prover];
        ++acceptedCount[id];
        ++calls["proveTree"];
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

    /// @dev A live tracked tree task.
    function _pickTree(uint256 taskIndex) internal view returns (uint256 id, LedgerTask memory t) {
        require(address(tree) != address(0), "no tree");
        (id, t) = _pick(taskIndex);
        require(t.mechanism == address(tree), "not a tree task");
    }

    function _rootCollateral(LedgerTask memory t) internal view returns (uint96) {
        uint96 root = tree.rootCollateral();
        return t.minCollateral > root ? t.minCollateral : root;
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
