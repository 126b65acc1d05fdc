// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProofToken} from "../../../contracts/ProofToken.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {TaskRegistry} from "../../../contracts/TaskRegistry.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {TaskStatus} from "../../../contracts/types/Task.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

/// @title RollupHandler
/// @notice Drives the Rollup through random sequences of its whole lifecycle with the real fixture blocks and
///         real root proofs: post, request, prove (any fixture prover, any order), finalise, let time pass,
///         prune, sweep refunds, withdraw. Keeps ghost copies of what the chain should hold.
contract RollupHandler is CommonBase, StdCheats, StdUtils {
    /// @notice A fixture block with one real root proof per fixture prover.
    struct Block {
        uint64 number;
        bytes32 prevStateRoot;
        bytes32 newStateRoot;
        bytes32 txsCommitment;
        bytes txs;
        bytes[] proofs;
    }

    Rollup internal immutable rollup;
    TaskRegistry internal immutable tasks;
    ProofToken internal immutable token;
    address internal immutable sequencer;
    Block[] internal blocks;
    address[] internal provers;

    /// @notice Headers of the pending chain as the Rollup stores them (index 0 = last proven + 1).
    IRollup.BlockHeader[] internal pending;
    /// @notice Every root task the Rollup opened.
    uint256[] public taskIds;

    // ghost variables
    uint256 public ghostPaidToProvers;
    uint256 public ghostSequencerWithdrawn;
    uint256 public ghostReservedRewards;
    uint256 public ghostFinalized;
    uint256 public ghostPruned;
    mapping(bytes32 => uint256) public calls;

    address internal immutable owner;

    constructor(Rollup rollup_, TaskRegistry tasks_, ProofToken token_, address sequencer_, address[] memory provers_) {
        rollup = rollup_;
        tasks = tasks_;
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
        vm.prank(sequencer);
        IRollup.BlockHeader memory h = andRequest
            ? rollup.postBlockAndRequestProof(b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs)
            : rollup.postBlock(b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
        pending.push(h);
        if (andRequest) _recordRequest(h);
        calls["post"]++;
    }

    /// @notice Anyone requests the proof of a pending block that has none, inside its window.
    function request(uint256 seed) external {
        if (pending.length == 0) return;
        uint256 i = bound(seed, 0, pending.length - 1);
        IRollup.BlockHeader memory h = pending[i];
        if (h.taskId != 0 || block.timestamp >= h.proofDeadline) return;
        if (rollup.rewardPool() < rollup.config().blockReward) return;
        h = rollup.requestProof(h);
        pending[i] = h;
        _recordRequest(h);
        calls["request"]++;
    }

    /// @notice A fixture prover submits its real proof for a pending block's open task.
    function prove(uint256 seed, uint256 proverSeed) external {
        if (pending.length == 0) return;
        uint256 i = bound(seed, 0, pending.length - 1);
        IRollup.BlockHeader memory h = pending[i];
        if (h.taskId == 0 || block.timestamp > h.proofDeadline) return;
        if (tasks.taskOf(h.taskId).status != TaskStatus.Open) return;
        uint256 p = bound(proverSeed, 0, provers.length - 1);
        uint256[] memory inputs = rollup.rootPublicInputs(h);
        bytes memory proof = blocks[h.number - 1].proofs[p];
        vm.prank(provers[p]);
        ghostPaidToProvers += tasks.submitProof(h.taskId, inputs, proof);
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
        ghostFinalized += n;
        calls["finalize"]++;
    }

    /// @notice Time passes (a block interval up to a little more than a proof window).
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 700));
        calls["warp"]++;
    }

    /// @notice Anyone prunes once the first pending block missed its window unproven.
    function prune() external {
        if (pending.length == 0) return;
        IRollup.BlockHeader memory first = pending[0];
        if (block.timestamp <= first.proofDeadline) return;
        if (first.taskId != 0 && rollup.isTaskProven(first.taskId)) return;
        rollup.prune(pending);
        ghostPruned += pending.length;
        ghostReservedRewards = 0;
        delete pending;
        calls["prune"]++;
    }

    /// @notice Anyone parks the Rollup's loose tokens (left after a sequencer payout) in its registry balance.
    function sweep() external {
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

    function blockCount() external view returns (uint256) {
        return blocks.length;
    }

    function blockNewRoot(uint256 i) external view returns (bytes32) {
        return blocks[i].newStateRoot;
    }

    function _recordRequest(IRollup.BlockHeader memory h) internal {
        taskIds.push(h.taskId);
        ghostReservedRewards += h.sequencerReward;
    }

    function _dropFront(uint256 n) internal {
        uint256 rest = pending.length - n;
        for (uint256 i; i < rest; ++i) {
            pending[i] = pending[i + n];
        }
        for (uint256 i; i < n; ++i) {
            pending.pop();
        }
    }
}
