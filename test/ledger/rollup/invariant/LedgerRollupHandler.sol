// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerRollup} from "../../../../contracts/LedgerRollup.sol";
import {ProofToken} from "../../../../contracts/ProofToken.sol";
import {TaskLedger} from "../../../../contracts/TaskLedger.sol";
import {IRollup} from "../../../../contracts/interfaces/IRollup.sol";
import {LedgerTask, TaskWord} from "../../../../contracts/types/LedgerTask.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

/// @title LedgerRollupHandler
/// @notice Drives the LedgerRollup through random sequences of its whole lifecycle with the real fixture blocks and
///         real root proofs on the TaskLedger: post, request, prove (any fixture prover, any order), finalise, let
///         time pass, expire a root task straight on the ledger (anyone may), prune, sweep, withdraw. Keeps the
///         current LedgerTask of every pending block (what the agents keep from the ledger's logs) and ghost copies
///         of what the chain should hold.
contract LedgerRollupHandler is CommonBase, StdCheats, StdUtils {
    /// @notice A fixture block with one real root proof per fixture prover.
    struct Block {
        uint64 number;
        bytes32 prevStateRoot;
        bytes32 newStateRoot;
        bytes32 txsCommitment;
        bytes txs;
        bytes[] proofs;
    }

    LedgerRollup internal immutable rollup;
    TaskLedger internal immutable ledger;
    ProofToken internal immutable token;
    address internal immutable sequencer;
    address internal immutable owner;
    Block[] internal blocks;
    address[] internal provers;

    /// @notice Headers of the pending chain as the Rollup stores them (index 0 = last proven + 1), and their tasks.
    IRollup.BlockHeader[] internal pending;
    LedgerTask[] internal pendingTasks;
    /// @notice Every root task the Rollup opened, with the version it was opened in (the race never rewrites it).
    uint256[] public taskIds;
    mapping(uint256 taskId => LedgerTask) internal _taskOf;

    // ghost variables
    uint256 public ghostPaidToProvers;
    uint256 public ghostSequencerWithdrawn;
    uint256 public ghostReservedRewards;
    uint256 public ghostGifts;
    mapping(bytes32 => uint256) public calls;

    constructor(
        LedgerRollup rollup_,
        TaskLedger ledger_,
        ProofToken token_,
        address sequencer_,
        address[] memory provers_
    ) {
        rollup = rollup_;
        ledger = ledger_;
        token = token_;
        sequencer = sequencer_;
        provers = provers_;
        owner = msg.sender;
    }

    /// @notice Adds the next fixture block (set-up only; not a fuzzed action).
    function addBlock(Block calldata b) external {
        require(msg.sender == owner);
        blocks.push(b);
    }

    // ─── actions ───────────────────────────────────────────────────────────────────────────────────

    /// @notice The sequencer posts the next fixture block, and requests its proof when `andRequest`.
    function post(bool andRequest) external {
        (uint64 tip,) = rollup.pendingTip();
        if (tip >= blocks.length) return;
        Block storage b = blocks[tip];
        IRollup.BlockHeader memory h;
        LedgerTask memory t;
        if (andRequest) {
            if (rollup.rewardPool() < rollup.config().blockReward) return;
            vm.prank(sequencer);
            (h, t) = rollup.postBlockAndRequestProof(b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
            _recordRequest(h, t);
        } else {
            vm.prank(sequencer);
            h = rollup.postBlock(b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
        }
        pending.push(h);
        pendingTasks.push(t);
        calls["post"]++;
    }

    /// @notice Anyone requests the proof of a pending block that has none, inside its window.
    function request(uint256 seed) external {
        if (pending.length == 0) return;
        uint256 i = bound(seed, 0, pending.length - 1);
        IRollup.BlockHeader memory h = pending[i];
        if (h.taskId != 0 || block.timestamp >= h.proofDeadline) return;
        if (rollup.rewardPool() < rollup.config().blockReward) return;
        LedgerTask memory t;
        (h, t) = rollup.requestProof(h);
        pending[i] = h;
        pendingTasks[i] = t;
        _recordRequest(h, t);
        calls["request"]++;
    }

    /// @notice A fixture prover submits its real proof for a pending block's live task.
    function prove(uint256 seed, uint256 proverSeed) external {
        if (pending.length == 0) return;
        uint256 i = bound(seed, 0, pending.length - 1);
        IRollup.BlockHeader memory h = pending[i];
        if (h.taskId == 0 || block.timestamp > h.proofDeadline) return;
        if (TaskWord.unwrap(ledger.taskWord(h.taskId)) == 0) return;
        uint256 p = bound(proverSeed, 0, provers.length - 1);
        uint256[] memory inputs = rollup.rootPublicInputs(h);
        bytes memory proof = blocks[h.number - 1].proofs[p];
        vm.prank(provers[p]);
        ghostPaidToProvers += ledger.submitProof(h.taskId, pendingTasks[i], inputs, proof);
        calls["prove"]++;
    }

    /// @notice Anyone finalises the longest proven prefix of the pending chain.
    function finalize() external {
        uint256 n;
        while (n < pending.length && pending[n].taskId != 0 && rollup.isTaskProven(pending[n].taskId)) {
            ++n;
        }
        if (n == 0) return;
        IRollup.BlockHeader[] memory list = new IRollup.BlockHeader[](n);
        for (uint256 i; i < n; ++i) {
            list[i] = pending[i];
            ghostReservedRewards -= pending[i].sequencerReward;
        }
        rollup.finalize(list);
        _dropFront(n);
        calls["finalize"]++;
    }

    /// @notice Time passes (a block interval up to a little more than a proof window).
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 700));
        calls["warp"]++;
    }

    /// @notice Someone expires a pending block's root task straight on the ledger once its deadline passed.
    function expireOnLedger(uint256 seed) external {
        if (pending.length == 0) return;
        uint256 i = bound(seed, 0, pending.length - 1);
        IRollup.BlockHeader memory h = pending[i];
        if (h.taskId == 0 || block.timestamp <= h.proofDeadline) return;
        if (TaskWord.unwrap(ledger.taskWord(h.taskId)) == 0) return;
        ledger.expire(h.taskId, pendingTasks[i]);
        calls["expireOnLedger"]++;
    }

    /// @notice Anyone prunes once the first pending block missed its window unproven.
    function prune() external {
        if (pending.length == 0) return;
        IRollup.BlockHeader memory first = pending[0];
        if (block.timestamp <= first.proofDeadline) return;
        if (first.taskId != 0 && rollup.isTaskProven(first.taskId)) return;
        rollup.prune(pending, pendingTasks);
        ghostReservedRewards = 0;
        delete pending;
        delete pendingTasks;
        calls["prune"]++;
    }

    /// @notice Anyone parks loose tokens (sent to the Rollup) in its ledger deposit.
    function sweep(uint96 amount) external {
        amount = uint96(bound(amount, 0, 5e18));
        // A gift counts in the pool at once.
        if (amount != 0) deal(address(token), address(rollup), token.balanceOf(address(rollup)) + amount);
        ghostGifts += amount;
        if (token.balanceOf(address(rollup)) == 0) return;
        rollup.sweepRefunds();
        calls["sweep"]++;
    }

    /// @notice The sequencer withdraws its credited rewards.
    function withdrawSequencer() external {
        if (rollup.claimable(sequencer) == 0) return;
        vm.prank(sequencer);
        ghostSequencerWithdrawn += rollup.withdraw();
        calls["withdraw"]++;
    }

    // ─── views for the invariants ──────────────────────────────────────────────────────────────────

    function pendingLength() external view returns (uint256) {
        return pending.length;
    }

    function pendingAt(uint256 i) external view returns (IRollup.BlockHeader memory) {
        return pending[i];
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function taskOf(uint256 taskId) external view returns (LedgerTask memory) {
        return _taskOf[taskId];
    }

    function blockNewRoot(uint256 i) external view returns (bytes32) {
        return blocks[i].newStateRoot;
    }

    function _recordRequest(IRollup.BlockHeader memory h, LedgerTask memory t) internal {
        taskIds.push(h.taskId);
        _taskOf[h.taskId] = t;
        ghostReservedRewards += h.sequencerReward;
    }

    function _dropFront(uint256 n) internal {
        uint256 rest = pending.length - n;
        for (uint256 i; i < rest; ++i) {
            pending[i] = pending[i + n];
            pendingTasks[i] = pendingTasks[i + n];
        }
        for (uint256 i; i < n; ++i) {
            pending.pop();
            pendingTasks.pop();
        }
    }
}
