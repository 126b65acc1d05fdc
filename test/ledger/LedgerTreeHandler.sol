// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProofToken} from "../../contracts/ProofToken.sol";
import {TaskLedger} from "../../contracts/TaskLedger.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {BlockHeaderRandomness} from "../../contracts/libraries/BlockHeaderRandomness.sol";
import {SlashSplit} from "../../contracts/libraries/SlashSplit.sol";
import {LedgerTreeAssignment} from "../../contracts/mechanisms/ledger/LedgerTreeAssignment.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "../../contracts/types/LedgerTask.sol";
import {HeaderBuilder} from "../mechanisms/ElectionRace.t.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";
import {LedgerHandler} from "./LedgerHandler.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

/// @title LedgerTreeHandler
/// @notice The invariant fuzzer's tree actions over the TaskLedger (a companion of LedgerHandler, whose books it
///         keeps: it is the handler's `keeper`). Tree tasks of 1-8 leaves in any range size are opened directly
///         (never routed), drawn from a header this handler publishes (a re-anchor when the seed block aged out),
///         attested by a range's owner, covered by a range's uncle after the range deadline (range 0: the root moves
///         in the ledger) and proven by the root prover. Each action books the task's new version the way an agent
///         rebuilds it (from what it sent: the draw's assignment, the slash of a covered root, the uncle's
///         assignment).
contract LedgerTreeHandler is CommonBase, StdCheats, StdUtils, HeaderBuilder {
    bytes32 internal constant CIRCUIT = keccak256("proofmarket.circuit.test.v1");

    TaskLedger public immutable ledger;
    ProofToken public immutable token;
    HashVerifier public immutable verifier;
    LedgerTreeAssignment public immutable tree;
    LedgerHandler public immutable books;
    address public immutable requester;

    constructor(
        TaskLedger ledger_,
        ProofToken token_,
        HashVerifier verifier_,
        LedgerTreeAssignment tree_,
        LedgerHandler books_,
        address requester_
    ) {
        ledger = ledger_;
        token = token_;
        verifier = verifier_;
        tree = tree_;
        books = books_;
        requester = requester_;
    }

    /// @notice Opens a tree task of 1-8 leaves in ranges of 1-8 (directly, never routed).
    function openTree(uint256 seed, uint8 txCount, uint8 rangeSize, uint96 maxPayment) external {
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
        books.adopt(id, t, seed);
        books.count("openTree");
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
            books.count("reanchorTree");
        } else if (tree.treeOf(id).rootAssigned) {
            t.assignee = tree.rootProverOf(id);
            t.collateral = _rootCollateral(t);
            books.count("drawTree");
        } else {
            books.count("drawTreeUnbacked");
        }
        books.book(id, t, 0, address(0), 0);
    }

    /// @notice The owner of one range of a drawn tree attests it.
    function attestTree(uint256 taskIndex, uint256 range) external {
        (uint256 id,) = _pickTree(taskIndex);
        uint256 k = tree.treeOf(id).rangeCount;
        require(k != 0, "undrawn");
        range %= k;
        vm.prank(tree.rangeOf(id, range).owner);
        tree.attest(id, range, keccak256(abi.encode(id, range)), bytes32(range));
        books.count("attestTree");
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
            uint256 toCover;
            if (t.assignee != address(0)) {
                (, toCover,) = SlashSplit.split(t.collateral, 2000, 5000);
                t.coverBounty += uint96(toCover);
                t.flags |= LedgerTaskLib.FLAG_SLASHED;
                t.assignee = address(0);
                t.collateral = 0;
            }
            if (tree.treeOf(id).rootAssigned) {
                t.assignee = uncle;
                t.collateral = _rootCollateral(t);
            }
            books.book(id, t, toCover, address(0), 0);
            books.count("coverTreeRoot");
        }
        books.count("coverTree");
    }

    /// @notice The root prover of a drawn tree proves it (the payout by contribution).
    function proveTree(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pickTree(taskIndex);
        address prover = tree.rootProverOf(id);
        require(prover != address(0), "undrawn");
        uint256[] memory statement = _statement(books.seedOf(id));
        bytes memory proof = verifier.proofFor(statement, prover);
        uint256 creditBefore = ledger.balanceOf(prover);
        vm.prank(prover);
        uint256 credited = ledger.submitProof(id, t, statement, proof);
        require(ledger.balanceOf(prover) == creditBefore + credited, "root prover credited what submitProof returned");
        books.book(id, t, 0, prover, credited);
        books.count("proveTree");
    }

    /// @dev A live tracked tree task and its current version.
    function _pickTree(uint256 taskIndex) internal view returns (uint256 id, LedgerTask memory t) {
        uint256 n = books.taskCount();
        require(n != 0, "no task");
        id = books.taskIds(taskIndex % n);
        require(TaskWord.unwrap(ledger.taskWord(id)) != 0, "closed");
        t = books.currentTask(id);
        require(t.mechanism == address(tree), "not a tree task");
    }

    function _rootCollateral(LedgerTask memory t) internal view returns (uint96) {
        uint96 root = tree.rootCollateral();
        return t.minCollateral > root ? t.minCollateral : root;
    }

    /// @dev The statement of `seed` (LedgerHandler's).
    function _statement(uint256 seed) internal pure returns (uint256[] memory s) {
        s = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            s[i] = uint256(keccak256(abi.encode(seed, i))) >> 8;
        }
    }
}
