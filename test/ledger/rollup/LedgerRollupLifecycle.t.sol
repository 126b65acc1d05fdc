// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerRollup} from "../../../contracts/interfaces/ILedgerRollup.sol";
import {IProofConsumer} from "../../../contracts/interfaces/IProofConsumer.sol";
import {IProofVerifier} from "../../../contracts/interfaces/IProofVerifier.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {LedgerTask, LedgerTaskLib, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {LedgerRollupTestBase} from "./LedgerRollupTestBase.sol";

/// @title LedgerRollupLifecycleTest
/// @notice The block lifecycle over the real TaskLedger, its ProofRace instance and the real root verifier with real
///         proofs: post → request → prove → finalise, out-of-order proofs, the fee split to the last token, the
///         sequencer's payout from the deposit, and finalize's fallback when the fulfilment callback failed.
contract LedgerRollupLifecycleTest is LedgerRollupTestBase {
    function test_RequestProof_OpensTheRootTaskOnTheLedger() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        uint96 sequencerReward = uint96(uint256(BLOCK_REWARD) * SEQUENCER_SHARE_BPS / 10_000);

        assertEq(h.taskId, ledger.nextTaskId(address(rollup)) - 1, "the Rollup's latest ledger task");
        assertEq(h.sequencerReward, sequencerReward);
        assertEq(rollup.headerHashOf(1), keccak256(abi.encode(h)), "hash rewritten with task and reward");
        assertEq(t.requester, address(rollup));
        assertEq(t.mechanism, address(lrace));
        assertEq(t.circuitId, ROOT_CIRCUIT);
        assertEq(t.maxPayment, BLOCK_REWARD - sequencerReward);
        assertEq(t.deadline, h.proofDeadline, "the root task's deadline is the block's");
        assertEq(t.redundancy, 1);
        assertEq(t.fallbackMechanism, address(0), "a missed window prunes, no reopen");
        assertTrue(t.flags & LedgerTaskLib.FLAG_NOTIFY != 0, "the ledger calls the Rollup back");
        assertEq(t.inputCommitment, keccak256(abi.encodePacked(rollup.rootPublicInputs(h))), "same statement");
        assertTrue(ledger.taskWord(h.taskId).matches(LedgerTaskLib.hashOfMemory(t)), "returned task is current");
        assertEq(ledger.balanceOf(address(rollup)), POOL_FUNDING - t.maxPayment, "escrow debited from the deposit");
        assertEq(rollup.rewardPool(), POOL_FUNDING - BLOCK_REWARD);
        assertEq(rollup.pendingRewards(), sequencerReward);
        assertBooks(sequencers());
    }

    function test_Lifecycle_PostRequestProveFinalize() public {
        IRollup.BlockHeader memory posted = post(0);
        (IRollup.BlockHeader memory h, LedgerTask memory t) = request(posted);
        uint256 credited = proveBlock(h, t, 0, 0);

        assertEq(credited, t.maxPayment, "proven at once: the race pays the whole slot");
        assertEq(ledger.balanceOf(fixtureProvers[0]), credited);
        assertTrue(rollup.isTaskProven(h.taskId), "the callback set the bit");
        assertEq(TaskWord.unwrap(ledger.taskWord(h.taskId)), 0, "fulfilled: the word is gone");

        rollup.finalize(one(h));
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 1);
        assertEq(root, chainBlocks[0].newStateRoot);
        assertEq(rollup.claimable(sequencer), h.sequencerReward);
        assertEq(rollup.pendingRewards(), 0);
        assertBooks(sequencers());
    }

    function test_Lifecycle_ThreeBlocksInOrder() public {
        for (uint256 i; i < 3; ++i) {
            (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(i);
            proveBlock(h, t, i, i % fixtureProvers.length);
            rollup.finalize(one(h));
            vm.warp(block.timestamp + 12);
        }
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 3);
        assertEq(root, chainBlocks[2].newStateRoot);
        assertEq(rollup.claimable(sequencer), 3 * uint256(BLOCK_REWARD) * SEQUENCER_SHARE_BPS / 10_000);
    }

    function test_Finalize_OutOfOrderProofsSettleInBlockOrder() public {
        (IRollup.BlockHeader memory h1, LedgerTask memory t1) = postAndRequest(0);
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        proveBlock(h2, t2, 1, 1);
        assertTrue(rollup.isTaskProven(h2.taskId));

        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.NotNextBlock.selector, uint64(1), uint64(2)));
        rollup.finalize(one(h2));
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockNotProven.selector, uint64(1)));
        rollup.finalize(two(h1, h2));

        proveBlock(h1, t1, 0, 0);
        rollup.finalize(two(h1, h2));
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 2);
        assertEq(root, chainBlocks[1].newStateRoot);
    }

    function test_RevertWhen_ProofIsForTheWrongParent() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        uint256[] memory wrongInputs = new uint256[](4);
        wrongInputs[0] = uint256(wrongParentBlock.prevStateRoot);
        wrongInputs[1] = uint256(wrongParentBlock.newStateRoot);
        wrongInputs[2] = uint256(wrongParentBlock.txsCommitment);
        wrongInputs[3] = wrongParentBlock.number;
        vm.prank(fixtureProvers[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskLedger.InputCommitmentMismatch.selector,
                h.taskId,
                t.inputCommitment,
                keccak256(abi.encodePacked(wrongInputs))
            )
        );
        ledger.submitProof(h.taskId, t, wrongInputs, wrongParentProofs[0]);

        // The wrong parent's proof claimed for the block's own statement does not verify.
        uint256[] memory inputs = rollup.rootPublicInputs(h);
        vm.prank(fixtureProvers[0]);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        ledger.submitProof(h.taskId, t, inputs, wrongParentProofs[0]);
    }

    function test_RevertWhen_ProofIsCopiedFromAnotherProver() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        uint256[] memory inputs = rollup.rootPublicInputs(h);
        vm.prank(fixtureProvers[1]);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        ledger.submitProof(h.taskId, t, inputs, blockProofs[0][0]);
    }

    /// @notice Every token of the pool is accounted for: the sequencer's share, the prover's payment, the refund.
    function test_FeeSplit_ConservesEveryToken() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        vm.warp(block.timestamp + PROOF_WINDOW / 2); // the race has decayed: part of the slot is refunded
        uint256 paid = proveBlock(h, t, 0, 0);
        assertLt(paid, t.maxPayment, "a later proof earns less");
        rollup.finalize(one(h));
        vm.prank(sequencer);
        uint256 withdrawn = rollup.withdraw();

        assertEq(withdrawn, h.sequencerReward);
        assertEq(token.balanceOf(sequencer), h.sequencerReward);
        assertEq(ledger.balanceOf(fixtureProvers[0]), paid);
        assertEq(holdings(), POOL_FUNDING - h.sequencerReward - paid, "the refund is back in the pool");
        assertEq(rollup.rewardPool(), holdings(), "nothing reserved or owed");
        assertEq(token.balanceOf(address(rollup)), 0, "only the shortfall left the deposit");
        assertEq(
            holdings() + token.balanceOf(sequencer) + ledger.balanceOf(fixtureProvers[0]), POOL_FUNDING, "conserved"
        );
        assertConserved();
    }

    function testFuzz_FeeSplit_ConservesEveryToken(uint96 reward, uint16 shareBps, uint32 delay) public {
        reward = uint96(bound(reward, 1, POOL_FUNDING));
        shareBps = uint16(bound(shareBps, 0, 9999));
        delay = uint32(bound(delay, 0, PROOF_WINDOW));
        ILedgerRollup.Config memory c = defaultConfig();
        c.blockReward = reward;
        c.sequencerShareBps = shareBps;
        rollup.setConfig(c);

        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        assertEq(uint256(h.sequencerReward) + t.maxPayment, reward, "the split is the whole reward");
        assertEq(h.sequencerReward, uint256(reward) * shareBps / 10_000);
        vm.warp(block.timestamp + delay);
        uint256 paid = proveBlock(h, t, 0, 2);
        assertLe(paid, t.maxPayment);
        rollup.finalize(one(h));
        assertBooks(sequencers());
        if (h.sequencerReward != 0) {
            vm.prank(sequencer);
            rollup.withdraw();
        }
        assertEq(holdings() + token.balanceOf(sequencer) + ledger.balanceOf(fixtureProvers[2]), POOL_FUNDING);
        assertEq(rollup.rewardPool(), POOL_FUNDING - paid - h.sequencerReward);
    }

    /// @notice Tokens sent to the Rollup count at once and are parked by the next request that needs them.
    function test_LooseTokens_CountAndAreParkedWhenNeeded() public {
        ILedgerRollup.Config memory c = defaultConfig();
        c.blockReward = uint96(POOL_FUNDING);
        rollup.setConfig(c);
        token.mint(address(rollup), 5e18);
        assertEq(rollup.rewardPool(), POOL_FUNDING + 5e18);
        postAndRequest(0); // owed = reward + 0 = POOL_FUNDING ≤ the deposit: nothing parked
        assertEq(token.balanceOf(address(rollup)), 5e18);
        assertEq(rollup.sweepRefunds(), 5e18);
        assertEq(token.balanceOf(address(rollup)), 0);
        assertEq(ledger.balanceOf(address(rollup)), POOL_FUNDING - (POOL_FUNDING - POOL_FUNDING * 3 / 10) + 5e18);
        assertBooks(sequencers());
    }

    function test_Request_ParksLooseTokensWhenTheDepositFallsShort() public {
        ILedgerRollup.Config memory c = defaultConfig();
        c.blockReward = uint96(POOL_FUNDING + 5e18);
        rollup.setConfig(c);
        token.mint(address(rollup), 5e18);
        (, LedgerTask memory t) = postAndRequest(0);
        assertEq(token.balanceOf(address(rollup)), 0, "the loose tokens were deposited first");
        assertEq(ledger.balanceOf(address(rollup)), POOL_FUNDING + 5e18 - t.maxPayment);
        assertEq(rollup.rewardPool(), 0);
        assertBooks(sequencers());
    }

    // ─── The fulfilment callback failed ────────────────────────────────────────────────────────────

    /// @dev The real Rollup's callback cannot fail (it is a bit set, and the ledger refuses to start it without its
    ///      500k allowance), so the failure is forced with a mocked revert of exactly that call.
    function _proveWithCallbackFailing(IRollup.BlockHeader memory h, LedgerTask memory t, uint256 i) internal {
        vm.mockCallRevert(
            address(rollup), abi.encodeWithSelector(IProofConsumer.onTaskFulfilled.selector), bytes("down")
        );
        vm.expectEmit(address(ledger));
        emit ITaskLedger.RequesterCallbackFailed(h.taskId, address(rollup));
        proveBlock(h, t, i, 0);
        vm.clearMockedCalls();
        assertFalse(rollup.isTaskProven(h.taskId), "the Rollup did not hear of it");
        assertEq(TaskWord.unwrap(ledger.taskWord(h.taskId)), 0, "the ledger closed it");
    }

    function test_CallbackFailed_FinalizeWithinTheWindowReadsTheClosedWord() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        _proveWithCallbackFailing(h, t, 0);
        vm.warp(h.proofDeadline); // still inside: only a fulfilment can have closed the task
        rollup.finalize(one(h));
        (uint64 proven,) = rollup.provenTip();
        assertEq(proven, 1);
    }

    function test_CallbackFailed_AfterTheWindowRecordProofThenFinalize() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        _proveWithCallbackFailing(h, t, 0);
        vm.warp(h.proofDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockNotProven.selector, uint64(1)));
        rollup.finalize(one(h)); // a closed word after the deadline may be an expiry: not enough

        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        rollup.recordProof(h, fixtureProvers[1], blockProofs[0][0]); // bound to prover 0, not 1

        vm.expectEmit(address(rollup));
        emit ILedgerRollup.RootProofRecorded(1, h.taskId, fixtureProvers[0]);
        rollup.recordProof(h, fixtureProvers[0], blockProofs[0][0]);
        assertTrue(rollup.isTaskProven(h.taskId));
        rollup.finalize(one(h));
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 1);
        assertEq(root, chainBlocks[0].newStateRoot);
    }

    function test_RecordProof_RefusedWhileTheTaskIsLive() public {
        (IRollup.BlockHeader memory h,) = postAndRequest(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.RootTaskLive.selector, h.taskId));
        rollup.recordProof(h, fixtureProvers[0], blockProofs[0][0]);
    }

    function test_RecordProof_SavesAnExpiredBlockFromThePrune() public {
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        vm.warp(h.proofDeadline + 1);
        ledger.expire(h.taskId, t); // anyone: the escrow returns to the deposit
        assertEq(rollup.rewardPool(), POOL_FUNDING - BLOCK_REWARD + t.maxPayment);
        // A valid root proof still proves the block: the bridge trusts the statement, not who was paid.
        rollup.recordProof(h, fixtureProvers[2], blockProofs[0][2]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRollup.BlockAlreadyProven.selector, uint64(1)));
        rollup.prune(one(h), tasks1(t));
        rollup.finalize(one(h));
        assertBooks(sequencers());
    }
}
