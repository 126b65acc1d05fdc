// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerRollup} from "../../../contracts/interfaces/ILedgerRollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {LedgerRequest, LedgerTask} from "../../../contracts/types/LedgerTask.sol";
import {LedgerRollupTestBase} from "./LedgerRollupTestBase.sol";

/// @title LedgerRollupRoutingTest
/// @notice Root tasks through the real LedgerMechanismRouter: pinned to the configured instance, or routed by the
///         Rollup's QoS profile among the five ledger families; the Rollup stays the requester (escrow from its
///         deposit, callback to it), the block is proven with a real root proof and finalised, and the ledger tells
///         the router the outcome.
contract LedgerRollupRoutingTest is LedgerRollupTestBase {
    function _routed(address mechanism) internal {
        ILedgerRollup.Config memory c = defaultConfig();
        c.router = lrouter;
        c.mechanism = mechanism;
        rollup.setConfig(c);
    }

    function test_PinnedThroughTheRouter_ProvenFinalizedAndReported() public {
        _routed(address(lrace));
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        assertEq(t.mechanism, address(lrace));
        assertEq(t.requester, address(rollup), "the Rollup stays the requester");
        assertEq(ledger.balanceOf(address(rollup)), POOL_FUNDING - t.maxPayment, "escrow from the Rollup's deposit");
        assertEq(token.balanceOf(address(rollup)), 0, "nothing unparked for the router");

        (,,,, uint32 countBefore,) = lrouter.statsOf(L_RACE);
        proveBlock(h, t, 0, 1);
        (,,,, uint32 count, uint32 fulfilled) = lrouter.statsOf(L_RACE);
        assertEq(count, countBefore + 1, "the ledger told the router the outcome");
        assertEq(fulfilled, 1);
        rollup.finalize(one(h));
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 1);
        assertEq(root, chainBlocks[0].newStateRoot);
        assertBooks(sequencers());
        assertConserved();
    }

    /// @notice The Rollup's own profile (the Aztec-like persona) is routed to the instance the router quotes for the
    ///         same request (today the election race: proving under it is covered by its own suite), with the Rollup
    ///         as requester and the escrow from its deposit.
    function test_RoutedByQoS_OnTheInstanceTheRouterQuotes() public {
        _routed(address(0));
        IRollup.BlockHeader memory posted = post(0);
        LedgerRequest memory asked = LedgerRequest({
            circuitId: ROOT_CIRCUIT,
            inputCommitment: keccak256(abi.encodePacked(rollup.rootPublicInputs(posted))),
            deadline: posted.proofDeadline,
            maxPayment: BLOCK_REWARD - uint96(uint256(BLOCK_REWARD) * SEQUENCER_SHARE_BPS / 10_000),
            redundancy: 1,
            mechanism: address(0),
            notifyRequester: true,
            fallbackMechanism: address(0),
            fallbackWindow: 0,
            minCollateral: 0,
            mechanismData: ""
        });
        (uint256 expected,,) = lrouter.quote(asked, rollup.config().qos);
        assertTrue(expected != type(uint256).max, "an instance is eligible");

        (, LedgerTask memory t) = request(posted);
        assertEq(t.mechanism, lrouter.instanceOf(expected).mechanism, "opened on the quoted instance");
        assertEq(t.requester, address(rollup));
        assertEq(t.maxPayment, asked.maxPayment);
        assertEq(ledger.balanceOf(address(rollup)), POOL_FUNDING - t.maxPayment, "escrow from the Rollup's deposit");
        assertBooks(sequencers());
    }

    /// @notice A speed-first profile (the arbitrage bot's weights) routes the root task to the race, where the block
    ///         is proven with a real proof and finalised; the router learns the outcome.
    function test_RoutedByQoS_SpeedFirst_ProvenAndFinalized() public {
        ILedgerRollup.Config memory c = defaultConfig();
        c.router = lrouter;
        c.mechanism = address(0);
        c.qos = arbitrageBot();
        rollup.setConfig(c);
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        assertEq(t.mechanism, address(lrace), "speed first: the race");
        proveBlock(h, t, 0, 1);
        (,,,, uint32 count, uint32 fulfilled) = lrouter.statsOf(L_RACE);
        assertEq(count, 1);
        assertEq(fulfilled, 1);
        rollup.finalize(one(h));
        (uint64 proven,) = rollup.provenTip();
        assertEq(proven, 1);
    }

    /// @notice With only the race eligible (the others retired), QoS routing lands on it and the block is proven.
    function test_RoutedByQoS_ToTheRace_ProvenAndFinalized() public {
        lrouter.retireInstance(L_SEALED);
        lrouter.retireInstance(L_ASCENDING);
        lrouter.retireInstance(L_ELECTION);
        lrouter.retireInstance(L_BOOK);
        _routed(address(0));
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        assertEq(t.mechanism, address(lrace));
        proveBlock(h, t, 0, 2);
        rollup.finalize(one(h));
        (uint64 proven,) = rollup.provenTip();
        assertEq(proven, 1);
        assertEq(ledger.balanceOf(fixtureProvers[2]), t.maxPayment);
    }

    /// @notice A routed root task under the ascending auction, locked and lapsed: the prune's expiry slashes the
    ///         locker and the router records a slashed failure.
    function test_RoutedAscending_PruneSlashesAndReports() public {
        ILedgerRollup.Config memory c = defaultConfig();
        c.router = lrouter;
        c.mechanism = address(lascending);
        c.proofWindow = 1 hours;
        rollup.setConfig(c);
        (IRollup.BlockHeader memory h, LedgerTask memory t) = postAndRequest(0);
        uint96 collateral = lascending.collateralOf(t);
        vm.prank(fixtureProvers[0]);
        (uint96 price, uint64 lockDeadline) = lascending.lock(h.taskId, t);
        LedgerTask memory locked = withAssignment(t, fixtureProvers[0], price, collateral, lockDeadline);
        vm.warp(h.proofDeadline + 1);

        rollup.prune(one(h), tasks1(locked));
        (,,, uint16 slashBps, uint32 count, uint32 fulfilled) = lrouter.statsOf(L_ASCENDING);
        assertEq(count, 1);
        assertEq(fulfilled, 0);
        assertGt(slashBps, 0, "the router saw the slash");
        assertEq(proverRegistry.recordOf(fixtureProvers[0]).slashedCount, 1);
    }
}
