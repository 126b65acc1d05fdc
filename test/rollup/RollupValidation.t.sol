// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Rollup} from "../../contracts/Rollup.sol";
import {IMechanismRouter} from "../../contracts/interfaces/IMechanismRouter.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {ISequencerSelector} from "../../contracts/interfaces/ISequencerSelector.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {RollupTestBase} from "./RollupTestBase.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title RollupValidationTest
/// @notice Bad input and bad state get named errors: posting, requesting, finalising, pruning, callbacks,
///         rewards and parameters.
contract RollupValidationTest is RollupTestBase {
    /// @dev BN254 scalar field modulus r, written independently of the contract's decimal constant.
    uint256 internal constant FIELD_MODULUS = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;

    // ─── posting ───────────────────────────────────────────────────────────────────────────────────

    function test_RevertWhen_PosterIsNotASequencer() public {
        FixtureBlock storage b = chainBlocks[0];
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotSequencer.selector, stranger, uint64(1)));
        rollup.postBlock(1, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    function test_RevertWhen_SequencerWasRemoved() public {
        sequencerSet.removeSequencer(sequencer);
        FixtureBlock storage b = chainBlocks[0];
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotSequencer.selector, sequencer, uint64(1)));
        rollup.postBlock(1, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    function testFuzz_RevertWhen_BlockNumberIsNotTheNext(uint256 raw) public {
        post(0);
        uint64 number = uint64(bound(raw, 0, type(uint64).max - 1));
        if (number >= 2) ++number; // every number but the next one (2)
        FixtureBlock storage b = chainBlocks[1];
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.WrongBlockNumber.selector, uint64(2), number));
        rollup.postBlock(number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    function testFuzz_RevertWhen_ParentIsNotTheTip(bytes32 parent) public {
        post(0);
        if (parent == chainBlocks[0].newStateRoot) parent = ~parent; // any root but the tip's
        FixtureBlock storage b = chainBlocks[1];
        vm.prank(sequencer);
        vm.expectRevert(
            abi.encodeWithSelector(IRollup.ParentStateRootMismatch.selector, chainBlocks[0].newStateRoot, parent)
        );
        rollup.postBlock(2, parent, b.newStateRoot, b.txsCommitment, b.txs);
    }

    function test_RevertWhen_PendingChainIsFull() public {
        IRollup.Config memory c = defaultConfig();
        c.maxPendingBlocks = 2;
        rollup.setConfig(c);
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        postAndRequest(1);

        FixtureBlock storage b = chainBlocks[2];
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.PendingChainFull.selector, uint64(2), uint16(2)));
        rollup.postBlock(3, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);

        // Finalising a block frees a slot.
        proveBlock(h1, 0, 0);
        rollup.finalize(one(h1));
        post(2);
    }

    function test_RevertWhen_BlockHasNoTransactions() public {
        FixtureBlock storage b = chainBlocks[0];
        vm.prank(sequencer);
        vm.expectRevert(IRollup.EmptyBlock.selector);
        rollup.postBlock(1, b.prevStateRoot, b.newStateRoot, b.txsCommitment, "");
    }

    function testFuzz_RevertWhen_NewStateRootIsNotAFieldElement(uint256 root) public {
        root = bound(root, FIELD_MODULUS, type(uint256).max);
        FixtureBlock storage b = chainBlocks[0];
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotAFieldElement.selector, bytes32(root)));
        rollup.postBlock(1, b.prevStateRoot, bytes32(root), b.txsCommitment, b.txs);
    }

    function testFuzz_RevertWhen_TxsCommitmentIsNotAFieldElement(uint256 commitment) public {
        commitment = bound(commitment, FIELD_MODULUS, type(uint256).max);
        FixtureBlock storage b = chainBlocks[0];
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotAFieldElement.selector, bytes32(commitment)));
        rollup.postBlock(1, b.prevStateRoot, b.newStateRoot, bytes32(commitment), b.txs);
    }

    function testFuzz_PostBlock_AnyFieldElementsChain(uint256 root1, uint256 root2, uint256 commitment) public {
        root1 = bound(root1, 0, FIELD_MODULUS - 1);
        root2 = bound(root2, 0, FIELD_MODULUS - 1);
        commitment = bound(commitment, 0, FIELD_MODULUS - 1);
        vm.startPrank(sequencer);
        rollup.postBlock(1, genesisStateRoot, bytes32(root1), bytes32(commitment), hex"01");
        IRollup.BlockHeader memory h2 =
            rollup.postBlock(2, bytes32(root1), bytes32(root2), bytes32(commitment), hex"02");
        vm.stopPrank();
        assertEq(h2.prevStateRoot, bytes32(root1));
        (uint64 tip, bytes32 tipRoot) = rollup.pendingTip();
        assertEq(tip, 2);
        assertEq(tipRoot, bytes32(root2));
    }

    // ─── requesting ────────────────────────────────────────────────────────────────────────────────

    function test_RevertWhen_RequestedHeaderIsTampered() public {
        IRollup.BlockHeader memory h = post(0);
        bytes32 stored = rollup.headerHashOf(1);
        h.newStateRoot = chainBlocks[1].newStateRoot;
        vm.expectRevert(
            abi.encodeWithSelector(IRollup.HeaderMismatch.selector, uint64(1), stored, keccak256(abi.encode(h)))
        );
        rollup.requestProof(h);
    }

    function test_RevertWhen_ProofIsRequestedTwice() public {
        IRollup.BlockHeader memory h = post(0);
        IRollup.BlockHeader memory requested = request(h);
        // The posted header is stale now; the updated one carries the task.
        bytes32 stored = rollup.headerHashOf(1);
        vm.expectRevert(
            abi.encodeWithSelector(IRollup.HeaderMismatch.selector, uint64(1), stored, keccak256(abi.encode(h)))
        );
        rollup.requestProof(h);
        vm.expectRevert(abi.encodeWithSelector(IRollup.ProofAlreadyRequested.selector, uint64(1), requested.taskId));
        rollup.requestProof(requested);
    }

    function testFuzz_RevertWhen_ProofIsRequestedAfterTheWindow(uint256 delay) public {
        IRollup.BlockHeader memory h = post(0);
        delay = bound(delay, PROOF_WINDOW, 365 days);
        vm.warp(block.timestamp + delay);
        vm.expectRevert(abi.encodeWithSelector(IRollup.ProofWindowClosed.selector, uint64(1), h.proofDeadline));
        rollup.requestProof(h);
    }

    function test_RevertWhen_RequestedBlockIsNotPending() public {
        IRollup.BlockHeader memory h = post(0);
        h.number = 2;
        vm.expectRevert(abi.encodeWithSelector(IRollup.BlockNotPending.selector, uint64(2), uint64(0), uint64(1)));
        rollup.requestProof(h);
    }

    function test_RevertWhen_RewardPoolCannotPayTheBlock() public {
        IRollup.Config memory c = defaultConfig();
        c.blockReward = uint96(POOL_FUNDING) + 1;
        rollup.setConfig(c);
        IRollup.BlockHeader memory h = post(0);
        vm.expectRevert(abi.encodeWithSelector(IRollup.InsufficientRewardPool.selector, POOL_FUNDING + 1, POOL_FUNDING));
        rollup.requestProof(h);
    }

    // ─── finalising ────────────────────────────────────────────────────────────────────────────────

    function test_RevertWhen_FinalizingNothing() public {
        vm.expectRevert(IRollup.NoBlocks.selector);
        rollup.finalize(new IRollup.BlockHeader[](0));
    }

    function test_RevertWhen_FinalizingAnUnrequestedBlock() public {
        IRollup.BlockHeader memory h = post(0);
        vm.expectRevert(abi.encodeWithSelector(IRollup.ProofNotRequested.selector, uint64(1)));
        rollup.finalize(one(h));
    }

    function test_RevertWhen_FinalizingAnUnprovenBlock() public {
        IRollup.BlockHeader memory h = postAndRequest(0);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BlockNotProven.selector, uint64(1)));
        rollup.finalize(one(h));
    }

    function test_RevertWhen_FinalizingAnUnpostedBlock() public {
        IRollup.BlockHeader memory h;
        h.number = 1;
        vm.expectRevert(abi.encodeWithSelector(IRollup.BlockNotPending.selector, uint64(1), uint64(0), uint64(0)));
        rollup.finalize(one(h));
    }

    function test_RevertWhen_FinalizingATamperedHeader() public {
        IRollup.BlockHeader memory h = postAndRequest(0);
        proveBlock(h, 0, 0);
        bytes32 stored = rollup.headerHashOf(1);
        h.sequencerReward += 1; // a sequencer asking for more than it was allotted
        vm.expectRevert(
            abi.encodeWithSelector(IRollup.HeaderMismatch.selector, uint64(1), stored, keccak256(abi.encode(h)))
        );
        rollup.finalize(one(h));
    }

    // ─── pruning ───────────────────────────────────────────────────────────────────────────────────

    function testFuzz_RevertWhen_PruningInsideTheProofWindow(uint256 elapsed) public {
        IRollup.BlockHeader memory h = postAndRequest(0);
        elapsed = bound(elapsed, 0, PROOF_WINDOW);
        vm.warp(block.timestamp + elapsed);
        vm.expectRevert(abi.encodeWithSelector(IRollup.ProofWindowOpen.selector, uint64(1), h.proofDeadline));
        rollup.prune(one(h));
    }

    function test_RevertWhen_PruningAProvenBlock() public {
        IRollup.BlockHeader memory h = postAndRequest(0);
        proveBlock(h, 0, 0);
        vm.warp(h.proofDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BlockAlreadyProven.selector, uint64(1)));
        rollup.prune(one(h));
    }

    function test_RevertWhen_PruningWithoutTheWholePendingChain() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        postAndRequest(1);
        vm.warp(h1.proofDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.PendingChainIncomplete.selector, 2, 1));
        rollup.prune(one(h1));
    }

    function test_RevertWhen_PruningHeadersOutOfOrder() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        vm.warp(h1.proofDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotNextBlock.selector, uint64(1), uint64(2)));
        rollup.prune(two(h2, h1));
    }

    function test_RevertWhen_PruningWithNothingPending() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.BlockNotPending.selector, uint64(1), uint64(0), uint64(0)));
        rollup.prune(new IRollup.BlockHeader[](0));
    }

    // ─── callbacks, rewards, parameters ────────────────────────────────────────────────────────────

    function test_RevertWhen_CallbackIsNotFromTheRegistry() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.OnlyTaskRegistry.selector, address(this)));
        rollup.onTaskFulfilled(1, address(this));
        vm.expectRevert(abi.encodeWithSelector(IRollup.OnlyTaskRegistry.selector, address(this)));
        rollup.onTaskExpired(1);
    }

    function test_RevertWhen_FundingZero() public {
        vm.expectRevert(IRollup.ZeroAmount.selector);
        rollup.fundRewards(0);
    }

    function test_RevertWhen_WithdrawingWithoutCredit() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.NothingToWithdraw.selector, address(this)));
        rollup.withdraw();
    }

    function test_RevertWhen_SweepingWithoutRefunds() public {
        vm.expectRevert(IRollup.NothingToSweep.selector);
        rollup.sweepRefunds();
    }

    function test_RevertWhen_ConfigIsSetByANonAdmin() public {
        IRollup.Config memory c = defaultConfig();
        bytes32 role = rollup.CONFIG_ADMIN_ROLE();
        vm.prank(sequencer);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, sequencer, role)
        );
        rollup.setConfig(c);
    }

    function test_RevertWhen_ConfigIsInvalid() public {
        IRollup.Config memory c = defaultConfig();
        c.selector = ISequencerSelector(makeAddr("no code"));
        _expectInvalidConfig(c, 0);
        c = defaultConfig();
        c.proofWindow = 0;
        _expectInvalidConfig(c, 1);
        c = defaultConfig();
        c.maxPendingBlocks = 0;
        _expectInvalidConfig(c, 2);
        c = defaultConfig();
        c.sequencerShareBps = 10_000;
        _expectInvalidConfig(c, 3);
        c = defaultConfig();
        c.redundancy = 0;
        _expectInvalidConfig(c, 4);
        c = defaultConfig();
        c.mechanism = makeAddr("not a mechanism");
        _expectInvalidConfig(c, 5);
        c = defaultConfig();
        c.blockReward = 0;
        _expectInvalidConfig(c, 6);
        c = defaultConfig();
        c.router = IMechanismRouter(makeAddr("no router code"));
        _expectInvalidConfig(c, 7);
        c = defaultConfig();
        c.qos.minRedundancy = 2;
        _expectInvalidConfig(c, 8);
    }

    function test_SetConfig_AppliesToLaterRequestsOnly() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        IRollup.Config memory c = defaultConfig();
        c.blockReward = 20e18;
        c.sequencerShareBps = 5000;
        rollup.setConfig(c);
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        assertEq(h1.sequencerReward, 3e18);
        assertEq(h2.sequencerReward, 10e18);
        assertEq(taskRegistry.taskOf(h2.taskId).maxPayment, 10e18);
        proveBlock(h1, 0, 0);
        proveBlock(h2, 1, 1);
        rollup.finalize(two(h1, h2));
        assertEq(rollup.claimable(sequencer), 13e18);
    }

    function test_RevertWhen_GenesisIsNotAFieldElement() public {
        vm.expectRevert(abi.encodeWithSelector(IRollup.InvalidGenesis.selector, bytes32(FIELD_MODULUS)));
        new Rollup(address(this), taskRegistry, token, bytes32(FIELD_MODULUS), defaultConfig());
    }

    function _expectInvalidConfig(IRollup.Config memory c, uint8 field) internal {
        vm.expectRevert(abi.encodeWithSelector(IRollup.InvalidConfig.selector, field));
        rollup.setConfig(c);
    }
}
