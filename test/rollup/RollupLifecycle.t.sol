// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofConsumer} from "../../contracts/interfaces/IProofConsumer.sol";
import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskStatus} from "../../contracts/types/Task.sol";
import {RollupTestBase} from "./RollupTestBase.sol";

/// @title RollupLifecycleTest
/// @notice The whole block lifecycle against the real TaskRegistry, ProofRace and root-circuit verifier with
///         real proofs: post → request → prove → finalise, out-of-order proofs, prune and re-post, proofs for
///         the wrong parent, copied proofs, the callback-failure path and the fee split.
contract RollupLifecycleTest is RollupTestBase {
    function test_PostBlock_StoresOneHashAndAdvancesTheTip() public {
        IRollup.BlockHeader memory h = post(0);
        FixtureBlock storage b = chainBlocks[0];

        assertEq(h.number, 1);
        assertEq(h.sequencer, sequencer);
        assertEq(h.prevStateRoot, genesisStateRoot);
        assertEq(h.newStateRoot, b.newStateRoot);
        assertEq(h.txsCommitment, b.txsCommitment);
        assertEq(h.txsDataHash, keccak256(b.txs), "DA hash is keccak256 of the calldata");
        assertEq(h.postedAt, block.timestamp);
        assertEq(h.proofDeadline, block.timestamp + PROOF_WINDOW);
        assertEq(h.taskId, 0);
        assertEq(rollup.headerHashOf(1), keccak256(abi.encode(h)));
        (uint64 tip, bytes32 tipRoot) = rollup.pendingTip();
        assertEq(tip, 1);
        assertEq(tipRoot, b.newStateRoot);
        (uint64 proven, bytes32 provenRoot) = rollup.provenTip();
        assertEq(proven, 0);
        assertEq(provenRoot, genesisStateRoot);
    }

    function test_Fixture_MatchesTheRollupsCircuitAndCalldataLayout() public view {
        assertEq(fixtureRootCircuitId, rollup.ROOT_CIRCUIT_ID(), "fixture proofs are for the Rollup's circuit");
        assertEq(chainBlocks[0].prevStateRoot, genesisStateRoot);
        for (uint256 i; i < chainBlocks.length; ++i) {
            assertEq(chainBlocks[i].number, i + 1);
            assertEq(chainBlocks[i].txs.length, fixtureTxCounts[i] * 88, "88 bytes of calldata per transfer");
            if (i > 0) assertEq(chainBlocks[i].prevStateRoot, chainBlocks[i - 1].newStateRoot, "a chain");
        }
        assertTrue(wrongParentBlock.prevStateRoot != genesisStateRoot);
    }

    function test_DataAvailability_AnyoneCanCheckTheCalldataAgainstTheStoredHeader() public {
        for (uint256 i; i < chainBlocks.length; ++i) {
            // What an observer does: take the post's calldata, hash it, rebuild the header, compare.
            IRollup.BlockHeader memory h = post(i);
            IRollup.BlockHeader memory rebuilt = IRollup.BlockHeader({
                number: chainBlocks[i].number,
                postedAt: uint64(block.timestamp),
                proofDeadline: uint64(block.timestamp) + PROOF_WINDOW,
                sequencer: sequencer,
                prevStateRoot: chainBlocks[i].prevStateRoot,
                newStateRoot: chainBlocks[i].newStateRoot,
                txsCommitment: chainBlocks[i].txsCommitment,
                txsDataHash: keccak256(chainBlocks[i].txs),
                taskId: 0,
                sequencerReward: 0
            });
            assertEq(rollup.headerHashOf(h.number), keccak256(abi.encode(rebuilt)));
        }
    }

    function test_Events_CarryEverythingAnAgentNeeds() public {
        FixtureBlock storage b = chainBlocks[0];
        IRollup.BlockHeader memory expected = IRollup.BlockHeader({
            number: 1,
            postedAt: uint64(block.timestamp),
            proofDeadline: uint64(block.timestamp) + PROOF_WINDOW,
            sequencer: sequencer,
            prevStateRoot: b.prevStateRoot,
            newStateRoot: b.newStateRoot,
            txsCommitment: b.txsCommitment,
            txsDataHash: keccak256(b.txs),
            taskId: 0,
            sequencerReward: 0
        });
        vm.expectEmit(address(rollup));
        emit IRollup.BlockPosted(1, sequencer, keccak256(abi.encode(expected)), expected);
        IRollup.BlockHeader memory h = post(0);

        uint256 taskId = taskRegistry.taskCount() + 1;
        uint96 sequencerReward = BLOCK_REWARD * SEQUENCER_SHARE_BPS / 10_000;
        expected.taskId = taskId;
        expected.sequencerReward = sequencerReward;
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProofRequested(
            1, taskId, BLOCK_REWARD - sequencerReward, sequencerReward, keccak256(abi.encode(expected))
        );
        h = request(h);

        vm.expectEmit(address(rollup));
        emit IRollup.RootTaskFulfilled(taskId, fixtureProvers[2]);
        proveBlock(h, 0, 2);

        vm.expectEmit(address(rollup));
        emit IRollup.BlockFinalized(1, sequencer, b.newStateRoot, sequencerReward);
        rollup.finalize(one(h));
    }

    function test_RequestProof_OpensTheRootTaskForTheBlock() public {
        IRollup.BlockHeader memory h = request(post(0));
        ITaskRegistry.Task memory t = taskRegistry.taskOf(h.taskId);
        FixtureBlock storage b = chainBlocks[0];

        assertEq(t.requester, address(rollup));
        assertEq(t.circuitId, keccak256("proofmarket.circuit.root.v1"));
        assertEq(
            t.inputCommitment,
            keccak256(
                abi.encodePacked(
                    uint256(b.prevStateRoot), uint256(b.newStateRoot), uint256(b.txsCommitment), uint256(b.number)
                )
            )
        );
        assertEq(t.deadline, h.proofDeadline);
        assertEq(t.mechanism, address(race));
        assertTrue(t.notifyRequester);
        assertEq(t.redundancy, 1);
        uint96 sequencerReward = BLOCK_REWARD * SEQUENCER_SHARE_BPS / 10_000;
        assertEq(t.maxPayment, BLOCK_REWARD - sequencerReward);
        assertEq(h.sequencerReward, sequencerReward);
        assertEq(rollup.headerHashOf(1), keccak256(abi.encode(h)), "stored hash now includes the task");
        assertEq(rollup.rewardPool(), POOL_FUNDING - BLOCK_REWARD);
        assertEq(rollup.pendingRewards(), sequencerReward);
        assertEq(token.balanceOf(address(taskRegistry)), POOL_FUNDING, "the pool is parked in the registry");
        assertEq(taskRegistry.claimable(address(rollup)), POOL_FUNDING - t.maxPayment, "escrow taken from it");
        assertEq(token.balanceOf(address(rollup)), 0, "no loose tokens");
    }

    function test_Lifecycle_ThreeBlocksProvenByThreeProversAndFinalized() public {
        IRollup.BlockHeader[] memory hs = new IRollup.BlockHeader[](3);
        for (uint256 i; i < 3; ++i) {
            hs[i] = postAndRequest(i);
            uint256 paid = proveBlock(hs[i], i, i);
            assertGt(paid, 0, "race paid the prover");
            assertTrue(rollup.isTaskProven(hs[i].taskId), "callback marked the task proven");
            assertEq(uint8(taskRegistry.taskOf(hs[i].taskId).status), uint8(TaskStatus.Fulfilled));
            assertEq(taskRegistry.claimable(fixtureProvers[i]), paid);
            vm.warp(block.timestamp + 12);
        }

        rollup.finalize(hs);

        (uint64 proven, bytes32 provenRoot) = rollup.provenTip();
        assertEq(proven, 3);
        assertEq(provenRoot, chainBlocks[2].newStateRoot);
        uint256 sequencerReward = uint256(BLOCK_REWARD) * SEQUENCER_SHARE_BPS / 10_000;
        assertEq(rollup.claimable(sequencer), 3 * sequencerReward);
        assertEq(rollup.pendingRewards(), 0);

        vm.prank(sequencer);
        assertEq(rollup.withdraw(), 3 * sequencerReward);
        assertEq(token.balanceOf(sequencer), 3 * sequencerReward);
    }

    function test_Finalize_OutOfOrderProofsSettleInBlockOrder() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        IRollup.BlockHeader memory h3 = postAndRequest(2);

        proveBlock(h3, 2, 0);
        proveBlock(h2, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BlockNotProven.selector, uint64(1)));
        rollup.finalize(three(h1, h2, h3));
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotNextBlock.selector, uint64(1), uint64(2)));
        rollup.finalize(one(h2));

        proveBlock(h1, 0, 2);
        rollup.finalize(three(h1, h2, h3));
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 3);
        assertEq(root, chainBlocks[2].newStateRoot);
    }

    function test_Finalize_InSeveralCalls() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        proveBlock(h1, 0, 0);
        proveBlock(h2, 1, 0);

        rollup.finalize(one(h1));
        (uint64 proven,) = rollup.provenTip();
        assertEq(proven, 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotNextBlock.selector, uint64(2), uint64(1)));
        rollup.finalize(one(h1));
        rollup.finalize(one(h2));
        (proven,) = rollup.provenTip();
        assertEq(proven, 2);
    }

    function test_Prune_DiscardsThePendingChainAndTheSequencerRepostsFromTheProvenRoot() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        IRollup.BlockHeader memory h3 = postAndRequest(2);
        // Block 2 is proven out of order; block 1 never is.
        uint256 paid2 = proveBlock(h2, 1, 0);
        vm.warp(h1.proofDeadline + 1);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(1, 3, genesisStateRoot, 3 * uint256(h1.sequencerReward));
        rollup.prune(three(h1, h2, h3));

        (uint64 tip, bytes32 tipRoot) = rollup.pendingTip();
        assertEq(tip, 0);
        assertEq(tipRoot, genesisStateRoot);
        assertEq(rollup.pendingRewards(), 0);
        assertEq(uint8(taskRegistry.taskOf(h1.taskId).status), uint8(TaskStatus.Expired), "missed task expired");
        assertEq(uint8(taskRegistry.taskOf(h2.taskId).status), uint8(TaskStatus.Fulfilled), "its prover keeps its pay");
        assertEq(uint8(taskRegistry.taskOf(h3.taskId).status), uint8(TaskStatus.Cancelled), "orphan task cancelled");
        assertEq(taskRegistry.claimable(fixtureProvers[0]), paid2);

        // Unspent escrow of the three tasks comes back to the pool at once (credited to the registry balance).
        assertEq(rollup.rewardPool(), POOL_FUNDING - paid2);
        assertEq(taskRegistry.claimable(address(rollup)), POOL_FUNDING - paid2);
        vm.expectRevert(IRollup.NothingToSweep.selector);
        rollup.sweepRefunds();

        // A block on the pruned parent is refused; the sequencer re-posts block 1 from the genesis root.
        FixtureBlock storage b2 = chainBlocks[1];
        vm.prank(sequencer);
        vm.expectRevert(abi.encodeWithSelector(IRollup.WrongBlockNumber.selector, uint64(1), uint64(2)));
        rollup.postBlock(2, b2.prevStateRoot, b2.newStateRoot, b2.txsCommitment, b2.txs);
        vm.prank(sequencer);
        vm.expectRevert(
            abi.encodeWithSelector(IRollup.ParentStateRootMismatch.selector, genesisStateRoot, b2.prevStateRoot)
        );
        rollup.postBlock(1, b2.prevStateRoot, b2.newStateRoot, b2.txsCommitment, b2.txs);

        IRollup.BlockHeader memory again = postAndRequest(0);
        assertTrue(keccak256(abi.encode(again)) != keccak256(abi.encode(h1)), "a re-posted block is a new header");
        proveBlock(again, 0, 1);
        rollup.finalize(one(again));
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 1);
        assertEq(root, chainBlocks[0].newStateRoot);

        // The stale header of the pruned block 1 can no longer be finalised or requested.
        vm.expectRevert(abi.encodeWithSelector(IRollup.NotNextBlock.selector, uint64(2), uint64(1)));
        rollup.finalize(one(h1));
    }

    function test_Prune_KeepsFinalizedBlocks() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        proveBlock(h1, 0, 0);
        rollup.finalize(one(h1));
        vm.warp(h2.proofDeadline + 1);

        rollup.prune(one(h2));

        (uint64 tip, bytes32 tipRoot) = rollup.pendingTip();
        assertEq(tip, 1);
        assertEq(tipRoot, chainBlocks[0].newStateRoot);
        IRollup.BlockHeader memory again = postAndRequest(1);
        proveBlock(again, 1, 2);
        rollup.finalize(one(again));
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 2);
        assertEq(root, chainBlocks[1].newStateRoot);
    }

    function test_Prune_BlockWhoseProofWasNeverRequested() public {
        IRollup.BlockHeader memory h1 = post(0);
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        vm.warp(h1.proofDeadline + 1);

        rollup.prune(two(h1, h2));

        (uint64 tip,) = rollup.pendingTip();
        assertEq(tip, 0);
        assertEq(uint8(taskRegistry.taskOf(h2.taskId).status), uint8(TaskStatus.Cancelled));
        assertEq(rollup.pendingRewards(), 0);
    }

    function test_Prune_AfterSomeoneElseExpiredTheTask() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        vm.warp(h1.proofDeadline + 1);
        taskRegistry.expire(h1.taskId);

        rollup.prune(one(h1));
        (uint64 tip,) = rollup.pendingTip();
        assertEq(tip, 0);
    }

    function test_RevertWhen_ProofIsForTheWrongParent() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        uint256[] memory wrongInputs = new uint256[](4);
        wrongInputs[0] = uint256(wrongParentBlock.prevStateRoot);
        wrongInputs[1] = uint256(wrongParentBlock.newStateRoot);
        wrongInputs[2] = uint256(wrongParentBlock.txsCommitment);
        wrongInputs[3] = wrongParentBlock.number;
        ITaskRegistry.Task memory t = taskRegistry.taskOf(h1.taskId);

        // Its own statement does not match the block's task.
        vm.prank(fixtureProvers[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskRegistry.InputCommitmentMismatch.selector,
                h1.taskId,
                t.inputCommitment,
                keccak256(abi.encodePacked(wrongInputs))
            )
        );
        taskRegistry.submitProof(h1.taskId, wrongInputs, wrongParentProofs[0]);

        // Claimed for the block's statement, the real verifier rejects it.
        uint256[] memory inputs = rollup.rootPublicInputs(h1);
        vm.prank(fixtureProvers[0]);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        taskRegistry.submitProof(h1.taskId, inputs, wrongParentProofs[0]);

        assertFalse(rollup.isTaskProven(h1.taskId));
    }

    function test_RevertWhen_PostingABlockOnTheWrongParent() public {
        FixtureBlock storage w = wrongParentBlock;
        vm.prank(sequencer);
        vm.expectRevert(
            abi.encodeWithSelector(IRollup.ParentStateRootMismatch.selector, genesisStateRoot, w.prevStateRoot)
        );
        rollup.postBlock(w.number, w.prevStateRoot, w.newStateRoot, w.txsCommitment, w.txs);
    }

    function test_RevertWhen_ProofIsCopiedFromAnotherProver() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        uint256[] memory inputs = rollup.rootPublicInputs(h1);
        vm.prank(fixtureProvers[1]);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        taskRegistry.submitProof(h1.taskId, inputs, blockProofs[0][0]);
    }

    function test_Finalize_WhenTheFulfilmentCallbackFailed() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        vm.mockCallRevert(address(rollup), abi.encodeWithSelector(IProofConsumer.onTaskFulfilled.selector), "");
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.RequesterCallbackFailed(h1.taskId, address(rollup));
        proveBlock(h1, 0, 0);
        vm.clearMockedCalls();
        assertFalse(rollup.isTaskProven(h1.taskId));

        // Pruning is refused (the task is fulfilled) and finalisation reads the task's status instead.
        vm.warp(h1.proofDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.BlockAlreadyProven.selector, uint64(1)));
        rollup.prune(one(h1));
        rollup.finalize(one(h1));
        (uint64 proven,) = rollup.provenTip();
        assertEq(proven, 1);
    }

    function test_FeeSplit_ConservesEveryToken() public {
        IRollup.BlockHeader[] memory hs = new IRollup.BlockHeader[](3);
        uint256 paidToProvers;
        for (uint256 i; i < 3; ++i) {
            hs[i] = postAndRequest(i);
            vm.warp(block.timestamp + (i + 1) * 100); // later proofs earn less (race decay)
            paidToProvers += proveBlock(hs[i], i, i);
        }
        rollup.finalize(hs);

        address[] memory creditors = new address[](1);
        creditors[0] = sequencer;
        uint256 sequencerRewards = 3 * uint256(hs[0].sequencerReward);
        assertEq(rollup.claimable(sequencer), sequencerRewards);
        assertEq(
            rollupBooks(creditors),
            token.balanceOf(address(rollup)) + taskRegistry.claimable(address(rollup)),
            "books match the holdings"
        );
        assertEq(rollup.rewardPool() + sequencerRewards + paidToProvers, POOL_FUNDING, "every token accounted for");
        assertLt(paidToProvers, 3 * uint256(BLOCK_REWARD - hs[0].sequencerReward), "unspent escrow refunded");
    }
}
