// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {ITaskRegistry} from "../../../contracts/interfaces/ITaskRegistry.sol";
import {TaskStatus} from "../../../contracts/types/Task.sol";
import {RollupTestBase} from "../RollupTestBase.sol";
import {RollupHandler} from "./RollupHandler.sol";

/// @title RollupInvariantTest
/// @notice Stateful fuzzing of the Rollup with the real TaskRegistry, ProofRace, root verifier and fixture
///         proofs (see README.md in this folder for the invariants in plain words).
contract RollupInvariantTest is RollupTestBase {
    RollupHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new RollupHandler(rollup, taskRegistry, token, sequencer, fixtureProvers);
        for (uint256 i; i < chainBlocks.length; ++i) {
            FixtureBlock storage b = chainBlocks[i];
            handler.addBlock(
                RollupHandler.Block({
                    number: b.number,
                    prevStateRoot: b.prevStateRoot,
                    newStateRoot: b.newStateRoot,
                    txsCommitment: b.txsCommitment,
                    txs: b.txs,
                    proofs: blockProofs[i]
                })
            );
        }
        targetContract(address(handler));
        bytes4[] memory actions = new bytes4[](8);
        actions[0] = RollupHandler.post.selector;
        actions[1] = RollupHandler.request.selector;
        actions[2] = RollupHandler.prove.selector;
        actions[3] = RollupHandler.finalize.selector;
        actions[4] = RollupHandler.warp.selector;
        actions[5] = RollupHandler.prune.selector;
        actions[6] = RollupHandler.sweep.selector;
        actions[7] = RollupHandler.withdrawSequencer.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: actions}));
    }

    /// @notice The Rollup's holdings (own token balance + TaskRegistry balance) are exactly its books: pool +
    ///         reserved rewards + credits. The pool is derived from the holdings, so this checks that the credit
    ///         total the Rollup keeps is the sequencer's credit, and (rewardPool() does not underflow) that the
    ///         holdings cover everything reserved and credited.
    function invariant_BooksMatchTheBalance() public view {
        assertEq(
            token.balanceOf(address(rollup)) + taskRegistry.claimable(address(rollup)),
            rollup.rewardPool() + rollup.pendingRewards() + rollup.claimable(sequencer)
        );
    }

    /// @notice Every token funded is in the pool (refunds included), reserved, credited, withdrawn, paid to a
    ///         prover, or still escrowed in a live root task.
    function invariant_EveryFundedTokenIsAccountedFor() public view {
        uint256 liveEscrow;
        for (uint256 i; i < handler.taskCount(); ++i) {
            ITaskRegistry.Task memory t = taskRegistry.taskOf(handler.taskIds(i));
            if (t.status == TaskStatus.Open || t.status == TaskStatus.Assigned) liveEscrow += t.maxPayment - t.paid;
        }
        assertEq(
            POOL_FUNDING,
            rollup.rewardPool() + rollup.pendingRewards() + rollup.claimable(sequencer)
                + handler.ghostSequencerWithdrawn() + handler.ghostPaidToProvers() + liveEscrow
        );
    }

    /// @notice Reserved sequencer rewards are exactly those of the requested pending blocks.
    function invariant_ReservedRewardsBelongToPendingBlocks() public view {
        assertEq(rollup.pendingRewards(), handler.ghostReservedRewards());
    }

    /// @notice The proven and tip state roots are the fixture chain's roots at those heights, the proven
    ///         block never passes the tip, and the pending chain is exactly the handler's.
    function invariant_RootsFollowTheProvenChain() public view {
        (uint64 proven, bytes32 provenRoot) = rollup.provenTip();
        (uint64 tip, bytes32 tipRoot) = rollup.pendingTip();
        assertLe(proven, tip);
        assertEq(tip - proven, handler.pendingLength());
        assertEq(provenRoot, proven == 0 ? genesisStateRoot : handler.blockNewRoot(proven - 1));
        assertEq(tipRoot, tip == 0 ? genesisStateRoot : handler.blockNewRoot(tip - 1));
    }

    /// @notice Every pending block's stored hash is the hash of the header the handler holds for it.
    function invariant_StoredHeadersAreThePendingChain() public view {
        for (uint256 i; i < handler.pendingLength(); ++i) {
            IRollup.BlockHeader memory h = handler.pendingAt(i);
            assertEq(rollup.headerHashOf(h.number), keccak256(abi.encode(h)));
        }
    }
}
