// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerMechanismRouter} from "../../contracts/LedgerMechanismRouter.sol";
import {ILedgerMechanismRouter} from "../../contracts/interfaces/ILedgerMechanismRouter.sol";
import {ILedgerOrderBook} from "../../contracts/interfaces/ILedgerOrderBook.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IRoutedTaskObserver} from "../../contracts/interfaces/IRoutedTaskObserver.sol";
import {IRouterInstances} from "../../contracts/interfaces/IRouterInstances.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {SlashSplit} from "../../contracts/libraries/SlashSplit.sol";
import {LedgerProofRace} from "../../contracts/mechanisms/ledger/LedgerProofRace.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib} from "../../contracts/types/LedgerTask.sol";
import {QoSProfile} from "../../contracts/types/Task.sol";
import {LedgerRouterFixture} from "./LedgerRouterFixture.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice A router that refuses every outcome.
contract RevertingObserver is IRoutedTaskObserver {
    function onRoutedTaskEnded(uint256, LedgerTask calldata, bool, bool, uint256, uint256) external pure {
        revert("no");
    }
}

/// @notice A router that burns all the gas it is given.
contract GasBurningObserver is IRoutedTaskObserver {
    uint256 public sink;

    function onRoutedTaskEnded(uint256, LedgerTask calldata, bool, bool, uint256, uint256) external {
        while (true) {
            ++sink;
        }
    }
}

/// @notice The one-word router: personas, learning from the ledger's reports (fulfilment, failure, slash, reopen),
///         exactly-once reporting, hard limits and pinning, and a broken router never blocking a proof.
contract LedgerMechanismRouterTest is LedgerRouterFixture {
    function setUp() public {
        deployLedgerRouter();
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
    }

    // ================================================================== personas

    /// @notice Three personas of DESIGN.md §6 get three different ledger mechanisms out of the box; the Aztec-like
    ///         block, whose home is the tree assignment (not on the ledger yet), goes to the election race — the
    ///         choice the stored router makes for it without block data.
    function test_PersonasGetDifferentLedgerMechanisms() public {
        (, uint256 arb, LedgerTask memory t) = routeAs(requester, routedRequest(1), arbitrageBot());
        (, uint256 daily,) = routeAs(requester, routedRequest(2), dailyRollup());
        (, uint256 cheap,) = routeAs(requester, routedRequest(3), costSensitiveApp());
        (, uint256 aztec,) = routeAs(requester, routedRequest(4), aztecBlock());
        assertEq(arb, L_RACE, "arbitrage bot: open race (fastest)");
        assertEq(daily, L_ELECTION, "daily-settling rollup: election race (safest)");
        assertEq(cheap, L_SEALED, "cost-sensitive app: sealed-bid auction (cheapest)");
        assertEq(aztec, L_ELECTION, "Aztec-like block: election race (no ledger tree yet)");
        assertEq(t.mechanism, address(lrace));
        assertEq(t.requester, requester, "the requester escrowed, not the router");
        assertEq(t.flags & LedgerTaskLib.FLAG_ROUTED, LedgerTaskLib.FLAG_ROUTED, "the ledger marks routed tasks");
        assertEq(ledger.balanceOf(address(lrouter)), 0, "the router holds nothing");
        assertConserved();
    }

    function test_PersonaScoresMatchDeclaredProfiles() public view {
        (uint256 best, uint256[] memory scores, uint8[] memory reasons) =
            lrouter.quote(routedRequest(1), arbitrageBot());
        assertEq(best, L_RACE);
        // race 9/4/3/9 under 10/3/1/1: (90 + 12 + 3 + 9) × 1000; ascending 8/6/5/7; book 8/7/5/3.
        assertEq(scores[L_RACE], 114_000);
        assertEq(scores[L_ASCENDING], 110_000);
        assertEq(scores[L_BOOK], 109_000);
        assertEq(scores[L_ELECTION], 90_000);
        assertEq(scores[L_SEALED], 75_000);
        for (uint256 i; i < reasons.length; ++i) {
            assertEq(reasons[i], 0);
        }
        (best, scores,) = lrouter.quote(routedRequest(1), aztecBlock());
        assertEq(best, L_ELECTION);
        assertEq(scores[L_ELECTION], 187_000);
        assertEq(scores[L_ASCENDING], 182_000);
    }

    // ================================================================== learning from the ledger

    /// @notice Five routed race tasks expire: the ledger reports each failure as it expires, and the arbitrage bot
    ///         moves to the runner-up on declared speed.
    function test_FailuresMoveTheArbitrageBot() public {
        uint256[] memory ids = new uint256[](5);
        LedgerTask[] memory ts = new LedgerTask[](5);
        for (uint256 i; i < 5; ++i) {
            (ids[i],, ts[i]) = routeAs(requester, routedRequest(10 + i), arbitrageBot());
        }
        vm.warp(block.timestamp + 2 hours + 1);
        for (uint256 i; i < 5; ++i) {
            vm.expectEmit(address(lrouter));
            emit IRouterInstances.OutcomeRecorded(ids[i], L_RACE, IRouterInstances.Outcome.Failed, 10_000, 0, false);
            ledger.expire(ids[i], ts[i]);
        }
        (uint16 latencyBps,, uint16 failBps, uint16 slashBps, uint32 count, uint32 fulfilled) = lrouter.statsOf(L_RACE);
        assertEq(latencyBps, 10_000);
        assertEq(failBps, 10_000);
        assertEq(slashBps, 0);
        assertEq(count, 5);
        assertEq(fulfilled, 0);
        (, uint256 next,) = routeAs(requester, routedRequest(99), arbitrageBot());
        assertEq(next, L_ASCENDING, "race lost the arbitrage bot to the runner-up on declared speed");
        assertConserved();
    }

    /// @notice Fast, cheap deliveries through the order book, reported by the ledger on each proof, win it the
    ///         cost-sensitive app from the sealed-bid auction's declaration.
    function test_GoodDeliveriesWinAPersona() public {
        (, uint256[] memory before,) = lrouter.quote(routedRequest(0), costSensitiveApp());
        assertEq(before[L_SEALED], 111_000);
        assertEq(before[L_BOOK], 104_000);
        vm.prank(alice);
        lbook.postOffer(10e18, 60, 8, bytes32(0));
        for (uint256 i; i < 5; ++i) {
            LedgerRequest memory r = routedRequest(20 + i);
            r.mechanism = address(lbook);
            (uint256 id, uint256 inst, LedgerTask memory t) = routeAs(requester, r, costSensitiveApp());
            assertEq(inst, L_BOOK, "pinned");
            LedgerTask memory n = _match(id, t);
            vm.warp(block.timestamp + 60);
            vm.expectEmit(address(lrouter));
            emit IRouterInstances.OutcomeRecorded(id, L_BOOK, IRouterInstances.Outcome.Fulfilled, 83, 1000, false);
            proveLedger(id, n, 20 + i, alice);
        }
        (uint16 latencyBps, uint16 priceBps, uint16 failBps,, uint32 count, uint32 fulfilled) = lrouter.statsOf(L_BOOK);
        assertEq(priceBps, 1000, "paid 10% of the max");
        assertEq(latencyBps, 83, "60 s of 7200 s");
        assertEq(failBps, 0);
        assertEq(count, 5);
        assertEq(fulfilled, 5);
        (, uint256 next,) = routeAs(requester, routedRequest(99), costSensitiveApp());
        assertEq(next, L_BOOK, "delivered QoS beats the sealed-bid auction's declaration");
        assertConserved();
    }

    /// @notice A lapsed ascending-price lock is slashed and a cover prover fulfils the task: the ledger reports a
    ///         fulfilment that was slashed on the way (FLAG_SLASHED).
    function test_SlashedThenCoveredIsFulfilledAndSlashed() public {
        LedgerRequest memory r = routedRequest(30);
        r.mechanism = address(lascending);
        (uint256 id,, LedgerTask memory t) = routeAs(requester, r, dailyRollup());
        vm.prank(alice);
        (uint96 price, uint64 lockDeadline) = lascending.lock(id, t);
        LedgerTask memory locked = withAssignment(t, alice, price, lascending.collateralOf(t), lockDeadline);
        track(id, locked);
        vm.warp(uint256(lockDeadline) + 1);
        vm.prank(carol);
        lascending.slashLock(id, locked);
        (, uint256 toCover,) = SlashSplit.split(LOCK_COLLATERAL, 2000, 5000);
        LedgerTask memory free = slashedVersion(locked, toCover, 0);
        track(id, free);
        assertTrue(ledger.taskWord(id).matches(ledger.hashTask(free)), "the slash is in the task's flags");
        vm.recordLogs();
        proveLedger(id, free, 30, bob);
        (IRouterInstances.Outcome outcome,,, bool slashed) = _lastOutcome();
        assertEq(uint8(outcome), uint8(IRouterInstances.Outcome.Fulfilled));
        assertTrue(slashed, "slashed on the way");
        (,,, uint16 slashBps, uint32 count, uint32 fulfilled) = lrouter.statsOf(L_ASCENDING);
        assertEq(slashBps, 10_000);
        assertEq(count, 1);
        assertEq(fulfilled, 1);
        assertConserved();
    }

    /// @notice A matched order-book task whose prover never proves: the expiry slashes the live assignment and
    ///         the ledger reports a slashed failure.
    function test_ExpiryOfALiveAssignmentIsASlashedFailure() public {
        vm.prank(alice);
        lbook.postOffer(10e18, 60, 8, bytes32(0));
        LedgerRequest memory r = routedRequest(40);
        r.mechanism = address(lbook);
        (uint256 id,, LedgerTask memory t) = routeAs(requester, r, costSensitiveApp());
        LedgerTask memory n = _match(id, t);
        vm.warp(uint256(n.deadline) + 1);
        vm.expectEmit(address(lrouter));
        emit IRouterInstances.OutcomeRecorded(id, L_BOOK, IRouterInstances.Outcome.Failed, 10_000, 0, true);
        ledger.expire(id, n);
        (,, uint16 failBps, uint16 slashBps, uint32 count,) = lrouter.statsOf(L_BOOK);
        assertEq(failBps, 10_000);
        assertEq(slashBps, 10_000);
        assertEq(count, 1);
        assertConserved();
    }

    /// @notice An expiry that reopens the task under its fallback is the routed instance's failure, reported once;
    ///         the reopened task is no longer routed, so its second life is not counted (here under the same
    ///         mechanism, which would otherwise be credited with it).
    function test_ReopenIsOneFailureAndTheFallbackLifeIsNotCounted() public {
        LedgerRequest memory r = routedRequest(50);
        r.mechanism = address(lrace);
        r.fallbackMechanism = address(lrace);
        r.fallbackWindow = 20 minutes;
        (uint256 id,, LedgerTask memory t) = routeAs(requester, r, arbitrageBot());
        vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, t);
        LedgerTask memory re = _lastReopened();
        track(id, re);
        assertEq(re.flags & LedgerTaskLib.FLAG_ROUTED, 0, "the reopened task is not routed");
        (,, uint16 failBps,, uint32 count,) = lrouter.statsOf(L_RACE);
        assertEq(failBps, 10_000);
        assertEq(count, 1);

        vm.recordLogs();
        proveLedger(id, re, 50, bob);
        assertEq(_outcomeCount(), 0, "no report for the fallback's proof");
        (,,,, count,) = lrouter.statsOf(L_RACE);
        assertEq(count, 1, "reported exactly once");
        assertConserved();
    }

    /// @notice Once a task is fulfilled its word is gone: nothing can make the ledger report it again, and nobody
    ///         but the ledger can report anything.
    function test_ReportedExactlyOnceAndOnlyByTheLedger() public {
        (uint256 id,, LedgerTask memory t) = routeAs(requester, routedRequest(60), arbitrageBot());
        proveLedger(id, t, 60, alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        ledger.expire(id, t);
        bytes memory proof = proofOf(60, bob);
        uint256[] memory inputs = statement(60);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        ledger.submitProof(id, t, inputs, proof);
        (,,,, uint32 count,) = lrouter.statsOf(L_RACE);
        assertEq(count, 1);

        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanismRouter.OnlyLedger.selector, bob));
        lrouter.onRoutedTaskEnded(id, t, false, true, 0, 0);
    }

    /// @notice Tasks the router did not open are not reported: a direct task, and one opened by another holder of
    ///         ROUTER_ROLE that is not the ledger's router.
    function test_UnroutedTasksAreNotReported() public {
        (uint256 direct, LedgerTask memory d) = openLedger(ledgerRequest(70, 1, address(lrace)));
        assertEq(d.flags & LedgerTaskLib.FLAG_ROUTED, 0);
        ledger.grantRole(ledger.ROUTER_ROLE(), address(this));
        depositFor(requester, TASK_BUDGET);
        (uint256 other, LedgerTask memory o) = ledger.createTaskFor(requester, ledgerRequest(71, 1, address(lrace)));
        track(other, o);
        assertEq(o.flags & LedgerTaskLib.FLAG_ROUTED, 0, "only the ledger's router marks tasks");
        vm.recordLogs();
        proveLedger(direct, d, 70, alice);
        proveLedger(other, o, 71, alice);
        assertEq(_outcomeCount(), 0);
        (,,,, uint32 count,) = lrouter.statsOf(L_RACE);
        assertEq(count, 0);
        assertConserved();
    }

    /// @notice A router that reverts, burns its gas or is unset loses the sample; the proof is accepted and paid
    ///         all the same, and the expiry goes through.
    function test_BrokenRouterDoesNotBlockProofsOrExpiry() public {
        (uint256 a,, LedgerTask memory ta) = routeAs(requester, routedRequest(80), arbitrageBot());
        (uint256 b,, LedgerTask memory tb) = routeAs(requester, routedRequest(81), arbitrageBot());
        (uint256 c,, LedgerTask memory tc) = routeAs(requester, routedRequest(82), arbitrageBot());

        RevertingObserver reverting = new RevertingObserver();
        ledger.setRouter(address(reverting));
        vm.expectEmit(address(ledger));
        emit ITaskLedger.RouterCallbackFailed(a, address(reverting));
        assertGt(proveLedger(a, ta, 80, alice), 0, "paid");

        GasBurningObserver burner = new GasBurningObserver();
        ledger.setRouter(address(burner));
        vm.expectEmit(address(ledger));
        emit ITaskLedger.RouterCallbackFailed(b, address(burner));
        assertGt(proveLedger(b, tb, 81, alice), 0, "paid");

        ledger.setRouter(address(0));
        vm.warp(uint256(tc.deadline) + 1);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.RouterCallbackFailed(c, address(0));
        ledger.expire(c, tc);
        assertConserved();
    }

    /// @notice Outcomes of tasks opened by an earlier router, on mechanisms the router in place does not know, are
    ///         ignored rather than refused.
    function test_ANewRouterIgnoresTasksOfUnknownInstances() public {
        (uint256 id,, LedgerTask memory t) = routeAs(requester, routedRequest(90), arbitrageBot());
        LedgerMechanismRouter fresh = new LedgerMechanismRouter(ledger, address(this));
        ledger.setRouter(address(fresh));
        vm.recordLogs();
        proveLedger(id, t, 90, alice);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != ITaskLedger.RouterCallbackFailed.selector, "taken, not refused");
            assertTrue(logs[i].topics[0] != IRouterInstances.OutcomeRecorded.selector, "not recorded");
        }
    }

    // ================================================================== hard limits and pinning

    function test_StakeAtRiskSkipsInstancesAndTravelsAsMinCollateral() public {
        QoSProfile memory qos = dailyRollup();
        qos.minStakeAtRisk = 60e18;
        (uint256 best,, uint8[] memory reasons) = lrouter.quote(routedRequest(1), qos);
        assertEq(reasons[L_RACE], uint8(IRouterInstances.SkipReason.StakeAtRisk));
        assertEq(reasons[L_SEALED], 0);
        assertEq(reasons[L_ASCENDING], 0);
        assertEq(reasons[L_ELECTION], uint8(IRouterInstances.SkipReason.StakeAtRisk));
        assertEq(reasons[L_BOOK], uint8(IRouterInstances.SkipReason.StakeAtRisk));
        assertEq(best, L_SEALED, "sealed and ascending tie at 93,000: the lower id");
        (,, LedgerTask memory t) = routeAs(requester, routedRequest(1), qos);
        assertEq(t.minCollateral, 60e18, "the stake floor is the task's minCollateral");
    }

    function test_LeadTimeAndRedundancyLimits() public view {
        LedgerRequest memory r = routedRequest(1);
        r.deadline = uint64(block.timestamp + 12 minutes);
        r.redundancy = 2;
        QoSProfile memory qos = dailyRollup();
        qos.minRedundancy = 2;
        (uint256 best,, uint8[] memory reasons) = lrouter.quote(r, qos);
        assertEq(reasons[L_RACE], 0);
        assertEq(reasons[L_SEALED], uint8(IRouterInstances.SkipReason.Redundancy));
        assertEq(reasons[L_ASCENDING], uint8(IRouterInstances.SkipReason.Redundancy));
        assertEq(reasons[L_ELECTION], 0);
        assertEq(reasons[L_BOOK], uint8(IRouterInstances.SkipReason.Redundancy));
        assertEq(best, L_ELECTION);
        r.redundancy = 1;
        qos.minRedundancy = 1;
        (,, reasons) = lrouter.quote(r, qos);
        assertEq(reasons[L_SEALED], uint8(IRouterInstances.SkipReason.LeadTime));
    }

    function test_PinnedRequestGoesToItsInstance() public {
        LedgerRequest memory r = routedRequest(1);
        r.mechanism = address(lascending);
        vm.recordLogs();
        (, uint256 inst, LedgerTask memory t) = routeAs(requester, r, arbitrageBot());
        assertEq(inst, L_ASCENDING);
        assertEq(t.mechanism, address(lascending));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool seen;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != IRouterInstances.TaskRouted.selector) continue;
            (bool pinned, uint256[] memory scores,) = abi.decode(logs[i].data, (bool, uint256[], uint8[]));
            assertTrue(pinned);
            assertEq(scores.length, 0);
            seen = true;
        }
        assertTrue(seen, "TaskRouted logged");
    }

    function test_RevertWhen_PinnedCannotMeetLimits() public {
        LedgerRequest memory r = routedRequest(1);
        r.mechanism = address(lrace);
        QoSProfile memory qos = arbitrageBot();
        qos.minStakeAtRisk = 60e18;
        depositFor(requester, TASK_BUDGET);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRouterInstances.PinnedCannotMeetLimits.selector, L_RACE, IRouterInstances.SkipReason.StakeAtRisk
            )
        );
        lrouter.route(r, qos);
        r.mechanism = address(ledgerRace); // allow-listed in the ledger, not an instance
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.NotAnInstance.selector, address(ledgerRace)));
        lrouter.route(r, arbitrageBot());
    }

    function test_RevertWhen_NoInstanceMeetsLimits() public {
        QoSProfile memory qos = dailyRollup();
        qos.minStakeAtRisk = 1000e18;
        uint8[] memory reasons = new uint8[](5);
        for (uint256 i; i < 5; ++i) {
            reasons[i] = uint8(IRouterInstances.SkipReason.StakeAtRisk);
        }
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.NoEligibleInstance.selector, reasons));
        lrouter.route(routedRequest(1), qos);
    }

    function test_RevertWhen_BadRequests() public {
        QoSProfile memory qos = dailyRollup();
        qos.minRedundancy = 2;
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.RedundancyBelowMinimum.selector, 1, 2));
        lrouter.route(routedRequest(1), qos);
        LedgerRequest memory r = routedRequest(1);
        r.mechanismData = hex"1234";
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.MalformedKindData.selector, 2));
        lrouter.route(r, arbitrageBot());
        // No deposit: the ledger refuses the escrow, and nothing is opened.
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.InsufficientBalance.selector, bob, TASK_BUDGET, 0));
        lrouter.route(routedRequest(1), arbitrageBot());
    }

    // ================================================================== admin

    function test_RevertWhen_InstanceNotAllowListedInTheLedger() public {
        LedgerProofRace stray = new LedgerProofRace(
            ledger, 1, 0, 0, IMechanism.Profile({kind: 1, speed: 1, cost: 1, safety: 1, censorshipResistance: 1})
        );
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.MechanismNotAllowed.selector, address(stray)));
        lrouter.addInstance(address(stray), limits(1, 0, 0));
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.InstanceExists.selector, address(lrace), L_RACE));
        lrouter.addInstance(address(lrace), limits(1, 0, 0));
    }

    function test_RetiredInstanceIsSkippedButItsOutcomesCount() public {
        (uint256 id,, LedgerTask memory t) = routeAs(requester, routedRequest(1), arbitrageBot());
        lrouter.retireInstance(L_RACE);
        (uint256 best,, uint8[] memory reasons) = lrouter.quote(routedRequest(2), arbitrageBot());
        assertEq(reasons[L_RACE], uint8(IRouterInstances.SkipReason.Retired));
        assertEq(best, L_ASCENDING);
        proveLedger(id, t, 1, alice);
        (,,,, uint32 count,) = lrouter.statsOf(L_RACE);
        assertEq(count, 1);
    }

    function test_OnlyParamsAdminSetsTheRouter() public {
        vm.prank(bob);
        vm.expectRevert();
        ledger.setRouter(bob);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.RouterSet(bob);
        ledger.setRouter(bob);
        assertEq(ledger.router(), bob);
    }

    // ================================================================== helpers

    /// @dev The requester matches `t` on the book; returns the task as now stored (tracked).
    function _match(uint256 id, LedgerTask memory t) internal returns (LedgerTask memory n) {
        vm.prank(t.requester);
        address p = lbook.matchTask(id, t);
        ILedgerOrderBook.Offer memory o = lbook.offerOf(p);
        uint64 state = (t.mechanismState & 0xff) | uint64((block.timestamp + o.provingTime) << 8);
        n = withAssignment(t, p, o.pricePerProof, BOOK_COLLATERAL, state);
        assertTrue(ledger.taskWord(id).matches(ledger.hashTask(n)), "match is the ledger assignment");
        track(id, n);
    }

    function _lastReopened() internal returns (LedgerTask memory n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            if (logs[i - 1].topics[0] == ITaskLedger.TaskReopened.selector) {
                return abi.decode(logs[i - 1].data, (LedgerTask));
            }
        }
        revert("no TaskReopened");
    }

    function _lastOutcome()
        internal
        returns (IRouterInstances.Outcome outcome, uint256 latency, uint256 price, bool slashed)
    {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            if (logs[i - 1].topics[0] == IRouterInstances.OutcomeRecorded.selector) {
                return abi.decode(logs[i - 1].data, (IRouterInstances.Outcome, uint256, uint256, bool));
            }
        }
        revert("no OutcomeRecorded");
    }

    function _outcomeCount() internal returns (uint256 n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IRouterInstances.OutcomeRecorded.selector) ++n;
        }
    }
}
