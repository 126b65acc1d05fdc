// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../../../contracts/interfaces/IRollup.sol";
import {LedgerTask, TaskWord} from "../../../../contracts/types/LedgerTask.sol";
import {LedgerRollupTestBase} from "../LedgerRollupTestBase.sol";
import {LedgerRollupHandler} from "./LedgerRollupHandler.sol";

/// @title LedgerRollupInvariantTest
/// @notice Stateful fuzzing of the LedgerRollup with the real TaskLedger, its ProofRace instance, the root verifier
///         and the fixture proofs (README.md in this folder lists the invariants in plain words).
contract LedgerRollupInvariantTest is LedgerRollupTestBase {
    LedgerRollupHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new LedgerRollupHandler(rollup, ledger, token, sequencer, fixtureProvers);
        for (uint256 i; i < chainBlocks.length; ++i) {
            FixtureBlock storage b = chainBlocks[i];
            handler.addBlock(
                LedgerRollupHandler.Block({
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
        bytes4[] memory actions = new bytes4[](9);
        actions[0] = LedgerRollupHandler.post.selector;
        actions[1] = LedgerRollupHandler.request.selector;
        actions[2] = LedgerRollupHandler.prove.selector;
        actions[3] = LedgerRollupHandler.finalize.selector;
        actions[4] = LedgerRollupHandler.warp.selector;
        actions[5] = LedgerRollupHandler.prune.selector;
        actions[6] = LedgerRollupHandler.sweep.selector;
        actions[7] = LedgerRollupHandler.withdrawSequencer.selector;
        actions[8] = LedgerRollupHandler.expireOnLedger.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: actions}));
    }

    /// @notice Holdings (ledger deposit + own tokens) are exactly pool + reserved + credits.
    function invariant_BooksMatchTheBalance() public view {
        assertEq(holdings(), rollup.rewardPool() + rollup.pendingRewards() + rollup.claimable(sequencer));
    }

    /// @notice Every token funded or given is in the pool, reserved, credited, withdrawn, paid to a prover, or still
    ///         escrowed in a live root task (redundancy 1: a live task holds its whole budget).
    function invariant_EveryFundedTokenIsAccountedFor() public view {
        uint256 liveEscrow;
        for (uint256 i; i < handler.taskCount(); ++i) {
            uint256 id = handler.taskIds(i);
            if (TaskWord.unwrap(ledger.taskWord(id)) != 0) liveEscrow += handler.taskOf(id).maxPayment;
        }
        assertEq(
            POOL_FUNDING + handler.ghostGifts(),
            rollup.rewardPool() + rollup.pendingRewards() + rollup.claimable(sequencer)
                + handler.ghostSequencerWithdrawn() + handler.ghostPaidToProvers() + liveEscrow
        );
    }

    /// @notice Reserved sequencer rewards are exactly those of the requested pending blocks.
    function invariant_ReservedRewardsBelongToPendingBlocks() public view {
        assertEq(rollup.pendingRewards(), handler.ghostReservedRewards());
    }

    /// @notice Proven and tip roots are the fixture chain's at those heights; the pending chain is the handler's.
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

    /// @notice The TaskLedger's own conservation: its token balance is Σ credits + Σ live escrow (the Rollup's
    ///         deposit and the provers' and treasury's credits included).
    function invariant_LedgerConserved() public view {
        uint256 live;
        for (uint256 i; i < handler.taskCount(); ++i) {
            uint256 id = handler.taskIds(i);
            if (TaskWord.unwrap(ledger.taskWord(id)) != 0) live += handler.taskOf(id).maxPayment;
        }
        assertEq(token.balanceOf(address(ledger)), creditSum() + live);
    }
}
