// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerRollup} from "../../../contracts/LedgerRollup.sol";
import {ILedgerMechanismRouter} from "../../../contracts/interfaces/ILedgerMechanismRouter.sol";
import {ILedgerRollup} from "../../../contracts/interfaces/ILedgerRollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {ISequencerSelector} from "../../../contracts/interfaces/ISequencerSelector.sol";
import {LedgerTask} from "../../../contracts/types/LedgerTask.sol";
import {LedgerRollupTestBase} from "./LedgerRollupTestBase.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title LedgerRollupValidationTest
/// @notice Every refusal of the LedgerRollup, each with its named error and arguments, and fuzzed field checks.
contract LedgerRollupValidationTest is LedgerRollupTestBase {
    uint256 internal constant R =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;

    // ─── Post ──────────────────────────────────────────────────────────────────────────────────────

    function test_RevertWhen_PosterIsNotASequencer() public {
        FixtureBlock storage b = chainBlocks[0];
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.NotSequencer.selector, alice, uint64(1)));
        rollup.postBlock(1, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    function test_RevertWhen_BlockNumberIsNotTheNext() public {
        FixtureBlock storage b = chainBlocks[0];
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.WrongBlockNumber.selector, uint64(1), uint64(2)));
        rollup.postBlock(2, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    function test_RevertWhen_ParentIsNotTheTip() public {
        vm.prank(sequencer);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerRollup.ParentStateRootMismatch.selector, genesisStateRoot, wrongParentBlock.prevStateRoot
            )
        );
        rollup.postBlock(
            1,
            wrongParentBlock.prevStateRoot,
            wrongParentBlock.newStateRoot,
            wrongParentBlock.txsCommitment,
            wrongParentBlock.txs
        );
    }

    function test_RevertWhen_BlockIsEmpty() public {
        FixtureBlock storage b = chainBlocks[0];
        vm.prank(sequencer);
        vm.expectRevert(ILedgerRollup.EmptyBlock.selector);
        rollup.postBlock(1, b.prevStateRoot, b.newStateRoot, b.txsCommitment, "");
    }

    function testFuzz_RevertWhen_RootIsNotAFieldElement(uint256 value, bool asCommitment) public {
        value = bound(value, R, type(uint256).max);
        FixtureBlock storage b = chainBlocks[0];
        bytes32 v = bytes32(value);
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.NotAFieldElement.selector, v));
        if (asCommitment) rollup.postBlock(1, b.prevStateRoot, b.newStateRoot, v, b.txs);
        else rollup.postBlock(1, b.prevStateRoot, v, b.txsCommitment, b.txs);
    }

    function test_RevertWhen_PendingChainIsFull() public {
        ILedgerRollup.Config memory c = defaultConfig();
        c.maxPendingBlocks = 1;
        rollup.setConfig(c);
        post(0);
        FixtureBlock storage b = chainBlocks[1];
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.PendingChainFull.selector, uint64(1), uint16(1)));
        rollup.postBlock(2, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    // ─── Request ───────────────────────────────────────────────────────────────────────────────────

    function test_RevertWhen_RequestedHeaderIsNotStored() public {
        IRollup.BlockHeader memory h = post(0);
        bytes32 stored = rollup.headerHashOf(1);
        h.sequencerReward = 1;
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerRollup.HeaderMismatch.selector, uint64(1), stored, keccak256(abi.encode(h)))
        );
        rollup.requestProof(h);
    }

    function test_RevertWhen_ProofIsRequestedTwice() public {
        (IRollup.BlockHeader memory h,) = postAndRequest(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.ProofAlreadyRequested.selector, uint64(1), h.taskId));
        rollup.requestProof(h);
    }

    function test_RevertWhen_RequestAfterTheWindow() public {
        IRollup.BlockHeader memory h = post(0);
        vm.warp(h.proofDeadline);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.ProofWindowClosed.selector, uint64(1), h.proofDeadline));
        rollup.requestProof(h);
    }

    function test_RevertWhen_RequestedBlockIsNotPending() public {
        IRollup.BlockHeader memory h = post(0);
        h.number = 2;
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockNotPending.selector, uint64(2), uint64(0), uint64(1)));
        rollup.requestProof(h);
    }

    function test_RevertWhen_PoolCannotPayTheReward() public {
        ILedgerRollup.Config memory c = defaultConfig();
        c.blockReward = uint96(POOL_FUNDING) + 1;
        rollup.setConfig(c);
        IRollup.BlockHeader memory h = post(0);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerRollup.InsufficientRewardPool.selector, POOL_FUNDING + 1, POOL_FUNDING)
        );
        rollup.requestProof(h);
    }

    // ─── Finalize ──────────────────────────────────────────────────────────────────────────────────

    function test_RevertWhen_FinalizeGetsNoBlocks() public {
        vm.expectRevert(ILedgerRollup.NoBlocks.selector);
        rollup.finalize(new IRollup.BlockHeader[](0));
    }

    function test_RevertWhen_FinalizeUnrequestedBlock() public {
        IRollup.BlockHeader memory h = post(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.ProofNotRequested.selector, uint64(1)));
        rollup.finalize(one(h));
    }

    function test_RevertWhen_FinalizeUnprovenBlock() public {
        (IRollup.BlockHeader memory h,) = postAndRequest(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockNotProven.selector, uint64(1)));
        rollup.finalize(one(h));
    }

    function test_RevertWhen_FinalizeBeyondTheTip() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        proveBlock(h, t, 0, 0);
        rollup.finalize(one(h));
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockNotPending.selector, uint64(1), uint64(1), uint64(1)));
        rollup.recordProof(h, fixtureProvers[0], blockProofs[0][0]);
        h.number = 2;
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockNotPending.selector, uint64(2), uint64(1), uint64(1)));
        rollup.finalize(one(h));
    }

    // ─── Prune ─────────────────────────────────────────────────────────────────────────────────────

    function test_RevertWhen_PruneInsideTheWindow() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        vm.warp(h.proofDeadline);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.ProofWindowOpen.selector, uint64(1), h.proofDeadline));
        rollup.prune(one(h), tasks1(t));
    }

    function test_RevertWhen_PruneAProvenBlock() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        proveBlock(h, t, 0, 0);
        vm.warp(h.proofDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockAlreadyProven.selector, uint64(1)));
        rollup.prune(one(h), tasks1(t));
    }

    function test_RevertWhen_PruneMissesBlocksOrTasks() public {
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        vm.warp(h1.proofDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.PendingChainIncomplete.selector, 2, 1));
        rollup.prune(one(h1), tasks2(t1, t2));
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.PendingChainIncomplete.selector, 2, 1));
        rollup.prune(two(h1, h2), tasks1(t1));
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.NotNextBlock.selector, uint64(1), uint64(2)));
        rollup.prune(two(h2, h1), tasks2(t2, t1));
    }

    function test_RevertWhen_PruneWithNothingPending() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockNotPending.selector, uint64(1), uint64(0), uint64(0)));
        rollup.prune(new IRollup.BlockHeader[](0), new LedgerTask[](0));
    }

    // ─── Callbacks, rewards, admin ─────────────────────────────────────────────────────────────────

    function test_RevertWhen_CallbackIsNotFromTheLedger() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.OnlyTaskLedger.selector, address(this)));
        rollup.onTaskFulfilled(1, alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.OnlyTaskLedger.selector, address(this)));
        rollup.onTaskExpired(1);
    }

    function test_RevertWhen_NothingToWithdrawSweepOrFund() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.NothingToWithdraw.selector, alice));
        vm.prank(alice);
        rollup.withdraw();
        vm.expectRevert(ILedgerRollup.NothingToSweep.selector);
        rollup.sweepRefunds();
        vm.expectRevert(ILedgerRollup.ZeroAmount.selector);
        rollup.fundRewards(0);
    }

    function test_RevertWhen_ConfigIsInvalid() public {
        ILedgerRollup.Config memory c = defaultConfig();
        c.selector = ISequencerSelector(makeAddr("no code"));
        _expectInvalid(c, 0);
        c = defaultConfig();
        c.proofWindow = 0;
        _expectInvalid(c, 1);
        c = defaultConfig();
        c.maxPendingBlocks = 65;
        _expectInvalid(c, 2);
        c = defaultConfig();
        c.sequencerShareBps = 10_000;
        _expectInvalid(c, 3);
        c = defaultConfig();
        c.redundancy = 0;
        _expectInvalid(c, 4);
        c = defaultConfig();
        c.mechanism = address(race); // a stored-task mechanism is not on the ledger's allow-list
        _expectInvalid(c, 5);
        c = defaultConfig();
        c.blockReward = 0;
        _expectInvalid(c, 6);
        c = defaultConfig();
        c.router = ILedgerMechanismRouter(makeAddr("no router"));
        _expectInvalid(c, 7);
        c = defaultConfig();
        c.qos.minRedundancy = 2;
        _expectInvalid(c, 8);
    }

    function test_RevertWhen_ConfigSetByAStranger() public {
        ILedgerRollup.Config memory c = defaultConfig();
        bytes32 role = rollup.CONFIG_ADMIN_ROLE();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, role));
        rollup.setConfig(c);
    }

    function test_RevertWhen_GenesisIsNotAFieldElement() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.InvalidGenesis.selector, bytes32(R)));
        new LedgerRollup(address(this), ledger, IERC20(address(token)), bytes32(R), defaultConfig());
    }

    function test_Config_RoundTrips() public view {
        ILedgerRollup.Config memory c = rollup.config();
        assertEq(keccak256(abi.encode(c)), keccak256(abi.encode(defaultConfig())));
    }

    function _expectInvalid(ILedgerRollup.Config memory c, uint8 field) internal {
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.InvalidConfig.selector, field));
        rollup.setConfig(c);
    }
}
