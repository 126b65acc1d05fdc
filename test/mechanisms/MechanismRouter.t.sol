// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MechanismRouter} from "../../contracts/MechanismRouter.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IMechanismRouter} from "../../contracts/interfaces/IMechanismRouter.sol";
import {IOrderBook} from "../../contracts/interfaces/IOrderBook.sol";
import {IRouterInstances} from "../../contracts/interfaces/IRouterInstances.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {AscendingPriceAuction} from "../../contracts/mechanisms/AscendingPriceAuction.sol";
import {ElectionRace} from "../../contracts/mechanisms/ElectionRace.sol";
import {OrderBook} from "../../contracts/mechanisms/OrderBook.sol";
import {SealedBidAuction} from "../../contracts/mechanisms/SealedBidAuction.sol";
import {TreeAssignment} from "../../contracts/mechanisms/TreeAssignment.sol";
import {QoSProfile, TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {MechanismDeployment} from "../../script/MechanismDeployment.sol";
import {RouterDeployment} from "../../script/RouterDeployment.sol";
import {Deployers} from "../utils/Deployers.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice The default deployment of instances behind the router (one of each family, parameters as in
///         docs/mechanisms.md "MechanismRouter"), on the real core.
abstract contract RouterFixture is Deployers {
    uint256 internal constant RACE = 0;
    uint256 internal constant SEALED = 1;
    uint256 internal constant ASCENDING = 2;
    uint256 internal constant ELECTION = 3;
    uint256 internal constant BOOK = 4;
    uint256 internal constant TREE = 5;

    MechanismRouter internal router;
    SealedBidAuction internal sealedBid;
    AscendingPriceAuction internal ascending;
    ElectionRace internal election;
    OrderBook internal book;
    TreeAssignment internal tree;

    function deployRouter() internal {
        deployCore();
        sealedBid = new SealedBidAuction(
            SealedBidAuction.Params({
                taskRegistry: taskRegistry,
                proverRegistry: proverRegistry,
                token: IERC20(address(token)),
                treasury: treasury,
                secondPrice: true,
                commitWindow: 5 minutes,
                revealWindow: 5 minutes,
                minProvingWindow: 5 minutes,
                bidCollateral: 10e18,
                winnerCollateral: 100e18,
                maxBids: 16
            })
        );
        ascending = new AscendingPriceAuction(
            AscendingPriceAuction.Params({
                taskRegistry: taskRegistry,
                floorBps: 2000,
                rampPeriod: 30 minutes,
                lockWindow: 20 minutes,
                lockCollateral: 100e18
            })
        );
        election = new ElectionRace(
            ElectionRace.Params({
                taskRegistry: taskRegistry,
                proverRegistry: proverRegistry,
                electedCount: 3,
                minHardwareClass: 0,
                collateral: 100e18,
                drawDelay: 1,
                electionWindow: 10 minutes,
                decayWindow: 0,
                decayFloorBps: 2500,
                weightCap: 10_000e18,
                maxAttempts: 3
            })
        );
        book = new OrderBook(
            taskRegistry,
            proverRegistry,
            IOrderBook.Params({
                collateralPerMatch: 50e18,
                maxBookSize: 32,
                maxRedundancy: 4,
                profile: IMechanism.Profile({kind: 5, speed: 8, cost: 7, safety: 5, censorshipResistance: 3})
            })
        );
        tree = new TreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)), defaultTreeParams());
        taskRegistry.setMechanism(address(sealedBid), true);
        taskRegistry.setMechanism(address(ascending), true);
        taskRegistry.setMechanism(address(election), true);
        taskRegistry.setMechanism(address(book), true);
        taskRegistry.setMechanism(address(tree), true);
        proverRegistry.addCapacityHolder(address(tree));

        router = new MechanismRouter(taskRegistry, address(this));
        taskRegistry.grantRole(taskRegistry.ROUTER_ROLE(), address(router));
        router.addInstance(address(race), limits(4, 0, 0, false));
        router.addInstance(address(sealedBid), limits(16, 100e18, 15 minutes, false));
        router.addInstance(address(ascending), limits(32, 100e18, 0, false));
        router.addInstance(address(election), limits(32, 100e18, 10 minutes, false));
        router.addInstance(address(book), limits(4, 50e18, 0, false));
        router.addInstance(address(tree), limits(1, 100e18, 0, true));
        vm.label(address(router), "MechanismRouter");
    }

    function defaultTreeParams() internal pure returns (ITreeAssignment.Params memory) {
        return ITreeAssignment.Params({
            rangeBond: 20e18,
            rootCollateral: 100e18,
            rangeWindowBps: 5000,
            uncleBps: 5000,
            maxRanges: 16,
            maxPoolSize: 32,
            drawDelay: 1,
            exitDelay: 1 hours,
            baseWeight: 1,
            mergeWeight: 1,
            rootWeight: 1,
            profile: IMechanism.Profile({kind: 6, speed: 8, cost: 4, safety: 7, censorshipResistance: 10})
        });
    }

    function limits(uint8 maxRedundancy, uint96 stake, uint32 lead, bool data)
        internal
        pure
        returns (IRouterInstances.Limits memory)
    {
        return IRouterInstances.Limits({
            maxRedundancy: maxRedundancy, stakeAtRisk: stake, minLeadTime: lead, minPricePerProof: 0, requiresData: data
        });
    }

    /// @notice A routed request with QoS weights, carrying tree data (8 transactions, ranges of 4) so that
    ///         every instance is eligible and only the weights decide.
    function personaRequest(uint256 seed, uint8 speed, uint8 cost, uint8 safety, uint8 censorship)
        internal
        view
        returns (TaskRequest memory r)
    {
        r.circuitId = TEST_CIRCUIT;
        r.inputCommitment = commitmentOf(statement(seed));
        r.deadline = uint64(block.timestamp) + 2 hours;
        r.maxPayment = TASK_BUDGET;
        r.redundancy = 1;
        r.qos = QoSProfile({
            speedWeight: speed,
            costWeight: cost,
            safetyWeight: safety,
            censorshipWeight: censorship,
            minRedundancy: 1,
            minStakeAtRisk: 0
        });
        IRouterInstances.KindData[] memory data = new IRouterInstances.KindData[](1);
        data[0] = IRouterInstances.KindData({kind: 6, data: abi.encode(uint32(8), uint32(4))});
        r.mechanismData = abi.encode(data);
    }

    function arbitrageBot(uint256 seed) internal view returns (TaskRequest memory) {
        return personaRequest(seed, 10, 3, 1, 1);
    }

    function dailyRollup(uint256 seed) internal view returns (TaskRequest memory) {
        return personaRequest(seed, 3, 2, 10, 1);
    }

    function costSensitiveApp(uint256 seed) internal view returns (TaskRequest memory) {
        return personaRequest(seed, 2, 10, 3, 1);
    }

    function aztecBlock(uint256 seed) internal view returns (TaskRequest memory) {
        return personaRequest(seed, 7, 5, 8, 8);
    }

    function routeAs(address from, TaskRequest memory r) internal returns (uint256 taskId, uint256 instanceId) {
        fund(from, r.maxPayment);
        vm.prank(from);
        (taskId, instanceId) = router.route(r);
    }
}

contract MechanismRouterTest is RouterFixture {
    function setUp() public {
        deployRouter();
        registerProver(alice);
        registerProver(bob);
    }

    // ================================================================== personas

    /// @notice The four personas of DESIGN.md §6 get four different mechanisms out of the box.
    function test_PersonasGetDifferentMechanisms() public {
        (, uint256 arb) = routeAs(requester, arbitrageBot(1));
        (, uint256 daily) = routeAs(requester, dailyRollup(2));
        (, uint256 cheap) = routeAs(requester, costSensitiveApp(3));
        (, uint256 aztec) = routeAs(requester, aztecBlock(4));
        assertEq(arb, RACE, "arbitrage bot: open race (fastest)");
        assertEq(daily, ELECTION, "daily-settling rollup: election-race (safest)");
        assertEq(cheap, SEALED, "cost-sensitive app: sealed-bid auction (cheapest)");
        assertEq(aztec, TREE, "Aztec-like block: tree assignment (censorship resistance, parallel)");
    }

    function test_PersonaScoresMatchDeclaredProfiles() public view {
        (uint256 best, uint256[] memory scores, uint8[] memory reasons) = router.quote(arbitrageBot(1));
        assertEq(best, RACE);
        // race 9/4/3/9 under 10/3/1/1: (90 + 12 + 3 + 9) × 1000.
        assertEq(scores[RACE], 114_000);
        assertEq(scores[ASCENDING], 110_000);
        assertEq(scores[BOOK], 109_000);
        for (uint256 i; i < reasons.length; ++i) {
            assertEq(reasons[i], 0);
        }
    }

    /// @notice An instance that keeps failing loses its persona: after five expired race tasks, the
    ///         arbitrage bot is routed elsewhere.
    function test_FailingMechanismLosesItsPersona() public {
        uint256[] memory ids = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            (uint256 taskId, uint256 inst) = routeAs(requester, arbitrageBot(10 + i));
            assertEq(inst, RACE);
            ids[i] = taskId;
        }
        vm.warp(block.timestamp + 2 hours + 1);
        for (uint256 i; i < 5; ++i) {
            taskRegistry.expire(ids[i]);
            assertTrue(router.recordOutcome(ids[i]));
        }
        (,, uint16 failBps,, uint32 count,) = router.statsOf(RACE);
        assertEq(failBps, 10_000);
        assertEq(count, 5);

        (, uint256 next) = routeAs(requester, arbitrageBot(99));
        assertTrue(next != RACE, "race lost the arbitrage bot");
        assertEq(next, ASCENDING, "runner-up on declared speed");
    }

    /// @notice Fast, cheap deliveries raise an instance's observed scores and can win it a persona.
    function test_GoodDeliveriesWinAPersona() public {
        // The cost-sensitive app goes to sealed-bid (111) over the order book (104) by declaration.
        (, uint256 first) = routeAs(requester, costSensitiveApp(1));
        assertEq(first, SEALED);
        // Pin five tasks to the order book; they are matched at 10 % of the max and proven at once.
        vm.prank(alice);
        book.postOffer(10e18, 60, 8, bytes32(0));
        for (uint256 i; i < 5; ++i) {
            TaskRequest memory r = costSensitiveApp(20 + i);
            r.mechanism = address(book);
            r.mechanismData = "";
            (uint256 taskId, uint256 inst) = routeAs(requester, r);
            assertEq(inst, BOOK);
            vm.warp(block.timestamp + 60);
            prove(taskId, 20 + i, alice);
            assertTrue(router.recordOutcome(taskId));
        }
        (uint16 latencyBps, uint16 priceBps, uint16 failBps,,, uint32 fulfilled) = router.statsOf(BOOK);
        assertEq(priceBps, 1000, "paid 10% of the max");
        assertEq(latencyBps, 83, "60 s of 7200 s");
        assertEq(failBps, 0);
        assertEq(fulfilled, 5);
        (, uint256 next) = routeAs(requester, costSensitiveApp(99));
        assertEq(next, BOOK, "delivered QoS beats the sealed-bid's declaration");
    }

    // ================================================================== hard limits

    function test_SkipsInstancesThatCannotMeetHardLimits() public view {
        TaskRequest memory r = dailyRollup(1);
        r.redundancy = 5;
        r.qos.minRedundancy = 5;
        r.qos.minStakeAtRisk = 60e18;
        r.deadline = uint64(block.timestamp + 12 minutes);
        (uint256 best,, uint8[] memory reasons) = router.quote(r);
        assertEq(reasons[RACE], uint8(IRouterInstances.SkipReason.Redundancy));
        assertEq(reasons[SEALED], uint8(IRouterInstances.SkipReason.LeadTime));
        assertEq(reasons[ASCENDING], 0);
        assertEq(reasons[ELECTION], 0);
        assertEq(reasons[BOOK], uint8(IRouterInstances.SkipReason.Redundancy));
        assertEq(reasons[TREE], uint8(IRouterInstances.SkipReason.Redundancy));
        assertEq(best, ELECTION);
    }

    function test_SkipsTreeWithoutBlockData() public view {
        TaskRequest memory r = aztecBlock(1);
        r.mechanismData = "";
        (uint256 best,, uint8[] memory reasons) = router.quote(r);
        assertEq(reasons[TREE], uint8(IRouterInstances.SkipReason.MissingData));
        assertEq(best, ELECTION);
    }

    function test_RevertWhen_NoInstanceMeetsLimits() public {
        TaskRequest memory r = dailyRollup(1);
        r.qos.minStakeAtRisk = 1000e18;
        uint8[] memory reasons = new uint8[](6);
        for (uint256 i; i < 6; ++i) {
            reasons[i] = uint8(IRouterInstances.SkipReason.StakeAtRisk);
        }
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.NoEligibleInstance.selector, reasons));
        vm.prank(requester);
        router.route(r);
    }

    function test_RevertWhen_RedundancyBelowQoSMinimum() public {
        TaskRequest memory r = dailyRollup(1);
        r.qos.minRedundancy = 2;
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.RedundancyBelowMinimum.selector, 1, 2));
        router.route(r);
    }

    function test_RevertWhen_MalformedKindData() public {
        TaskRequest memory r = arbitrageBot(1);
        r.mechanismData = hex"1234";
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.MalformedKindData.selector, 2));
        router.route(r);
    }

    function test_PriceFloorSkipsInstance() public {
        router.setLimits(RACE, IRouterInstances.Limits(4, 0, 0, 200e18, false));
        (,, uint8[] memory reasons) = router.quote(arbitrageBot(1));
        assertEq(reasons[RACE], uint8(IRouterInstances.SkipReason.PricePerProof));
    }

    // ================================================================== pinning

    function test_PinnedRequestGoesToItsInstance() public {
        TaskRequest memory r = arbitrageBot(1);
        r.mechanism = address(book);
        r.mechanismData = abi.encode(uint256(1)); // forwarded as is: time-first
        (uint256 taskId, uint256 inst) = routeAs(requester, r);
        assertEq(inst, BOOK);
        assertEq(taskRegistry.taskOf(taskId).mechanism, address(book));
        assertEq(book.bookTaskOf(taskId).priority, 1);
        assertEq(taskRegistry.taskOf(taskId).requester, requester, "the requester escrows, not the router");
        assertEq(token.balanceOf(address(router)), 0);
    }

    function test_RevertWhen_PinnedInstanceRetired() public {
        router.retireInstance(BOOK);
        TaskRequest memory r = arbitrageBot(1);
        r.mechanism = address(book);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRouterInstances.PinnedCannotMeetLimits.selector, BOOK, IRouterInstances.SkipReason.Retired
            )
        );
        router.route(r);
    }

    function test_RevertWhen_PinnedNotAnInstance() public {
        TaskRequest memory r = arbitrageBot(1);
        r.mechanism = address(0xBEEF);
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.NotAnInstance.selector, address(0xBEEF)));
        router.route(r);
    }

    function test_RetiredInstanceIsSkipped() public {
        router.retireInstance(RACE);
        (uint256 best,, uint8[] memory reasons) = router.quote(arbitrageBot(1));
        assertEq(reasons[RACE], uint8(IRouterInstances.SkipReason.Retired));
        assertEq(best, ASCENDING);
    }

    function test_RoutedDataForwardedPerKind() public {
        TaskRequest memory r = aztecBlock(1);
        (uint256 taskId, uint256 inst) = routeAs(requester, r);
        assertEq(inst, TREE);
        ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
        assertEq(t.txCount, 8);
        assertEq(t.rangeSize, 4);
        assertEq(t.rangeCount, 2);
    }

    // ================================================================== outcomes

    function test_RecordOutcomeIsIdempotent() public {
        (uint256 taskId,) = routeAs(requester, arbitrageBot(1));
        assertFalse(router.recordOutcome(taskId), "still pending");
        assertEq(router.pendingCount(), 1);
        vm.warp(block.timestamp + 30 minutes);
        prove(taskId, 1, alice);
        assertTrue(router.recordOutcome(taskId));
        assertFalse(router.recordOutcome(taskId), "already recorded");
        assertEq(router.pendingCount(), 0);
        (uint16 latencyBps, uint16 priceBps,,, uint32 count,) = router.statsOf(RACE);
        assertEq(count, 1);
        assertEq(latencyBps, 2500, "30 min of 2 h");
        ITaskRegistryView memory v = _view(taskId);
        assertEq(priceBps, (v.paid * 10_000) / v.maxPayment);
        assertEq(uint8(router.routedOf(taskId).outcome), uint8(IRouterInstances.Outcome.Fulfilled));
    }

    function test_RevertWhen_RecordUnroutedTask() public {
        vm.expectRevert(abi.encodeWithSelector(IMechanismRouter.NotRouted.selector, 42));
        router.recordOutcome(42);
    }

    function test_CancelledTaskRecordedWithoutStats() public {
        (uint256 taskId,) = routeAs(requester, arbitrageBot(1));
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        assertTrue(router.recordOutcome(taskId));
        (,,,, uint32 count,) = router.statsOf(RACE);
        assertEq(count, 0);
        assertEq(uint8(router.routedOf(taskId).outcome), uint8(IRouterInstances.Outcome.Cancelled));
    }

    function test_FallbackReopenCountsAsFailureOfFirstInstance() public {
        TaskRequest memory r = arbitrageBot(1);
        r.fallbackMechanism = address(book);
        r.fallbackWindow = 1 hours;
        (uint256 taskId,) = routeAs(requester, r);
        vm.warp(block.timestamp + 2 hours + 1);
        taskRegistry.expire(taskId);
        assertEq(taskRegistry.taskOf(taskId).mechanism, address(book));
        assertTrue(router.recordOutcome(taskId));
        (,, uint16 failBps,, uint32 count,) = router.statsOf(RACE);
        assertEq(count, 1);
        assertEq(failBps, 10_000);
    }

    /// @notice Route calls record ended tasks without a keeper, up to `amortisedRecords` per call.
    function test_RouteRecordsPendingOutcomesAmortised() public {
        uint256[] memory ids = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            (ids[i],) = routeAs(requester, arbitrageBot(i));
        }
        for (uint256 i; i < 3; ++i) {
            prove(ids[i], i, alice);
        }
        assertEq(router.pendingCount(), 3);
        routeAs(requester, arbitrageBot(9));
        assertEq(router.pendingCount(), 4, "ended tasks are swept only once their deadline has passed");
        vm.warp(block.timestamp + 2 hours + 1);
        taskRegistry.expire(4);
        routeAs(requester, arbitrageBot(10));
        assertEq(router.pendingCount(), 3, "two recorded, one new");
        // The cursor walks the list: a live entry costs a check (one slot read), not a registry call.
        routeAs(requester, arbitrageBot(11));
        assertEq(router.pendingCount(), 3, "one recorded, one live skipped, one new");
        routeAs(requester, arbitrageBot(12));
        assertEq(router.pendingCount(), 3, "the last ended one recorded; the three new ones are live");
        (,, uint16 failBps,, uint32 count, uint32 fulfilled) = router.statsOf(RACE);
        assertEq(count, 4);
        assertEq(fulfilled, 3);
        assertGt(failBps, 0);
    }

    function testFuzz_RecordedOutcomesNeverExceedRouted(uint8 tasks, uint8 proven) public {
        tasks = uint8(bound(tasks, 1, 8));
        proven = uint8(bound(proven, 0, tasks));
        uint256[] memory ids = new uint256[](tasks);
        for (uint256 i; i < tasks; ++i) {
            (ids[i],) = routeAs(requester, arbitrageBot(i));
        }
        for (uint256 i; i < proven; ++i) {
            prove(ids[i], i, alice);
        }
        for (uint256 i; i < tasks; ++i) {
            router.recordOutcome(ids[i]);
            router.recordOutcome(ids[i]);
        }
        (,,,, uint32 count, uint32 fulfilled) = router.statsOf(RACE);
        assertEq(count, proven);
        assertEq(fulfilled, proven);
        assertEq(router.pendingCount(), tasks - proven);
    }

    // ================================================================== admin

    function test_RevertWhen_NonAdminTunes() public {
        bytes32 role = router.ROUTER_ADMIN_ROLE();
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, role));
        router.retireInstance(0);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, role));
        router.addInstance(address(race), limits(1, 0, 0, false));
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, role));
        router.setConfig(IRouterInstances.Config(1, 1, 1, 1));
        vm.stopPrank();
    }

    function test_RevertWhen_AddInstanceNotAllowListed() public {
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.MechanismNotAllowed.selector, address(0xBEEF)));
        router.addInstance(address(0xBEEF), limits(1, 0, 0, false));
    }

    function test_RevertWhen_AddInstanceTwice() public {
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.InstanceExists.selector, address(book), BOOK));
        router.addInstance(address(book), limits(1, 0, 0, false));
    }

    function test_RevertWhen_ZeroMaxRedundancy() public {
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.InvalidLimits.selector, 0));
        router.setLimits(RACE, limits(0, 0, 0, false));
    }

    function test_RevertWhen_UnknownInstance() public {
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.UnknownInstance.selector, 6));
        router.retireInstance(6);
    }

    function test_OverrideAndClearDeclared() public {
        router.overrideDeclared(
            BOOK, IMechanism.Profile({kind: 9, speed: 10, cost: 10, safety: 10, censorshipResistance: 10})
        );
        IRouterInstances.Instance memory inst = router.instanceOf(BOOK);
        assertEq(inst.speed, 10);
        assertEq(inst.kind, 5, "kind kept");
        (, uint256 arb) = routeAs(requester, arbitrageBot(1));
        assertEq(arb, BOOK);
        router.clearOverride(BOOK);
        assertEq(router.instanceOf(BOOK).speed, 8);
    }

    function test_RevertWhen_OverrideOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(IRouterInstances.ScoreOutOfRange.selector, 11));
        router.overrideDeclared(
            BOOK, IMechanism.Profile({kind: 5, speed: 11, cost: 1, safety: 1, censorshipResistance: 1})
        );
    }

    function test_RevertWhen_InvalidConfig() public {
        vm.expectRevert(IRouterInstances.InvalidConfig.selector);
        router.setConfig(
            IRouterInstances.Config({observedWeightBps: 10_001, warmup: 5, alphaBps: 2500, amortisedRecords: 2})
        );
        vm.expectRevert(IRouterInstances.InvalidConfig.selector);
        router.setConfig(
            IRouterInstances.Config({observedWeightBps: 5000, warmup: 5, alphaBps: 0, amortisedRecords: 2})
        );
    }

    function test_ObservedWeightZeroIgnoresDeliveries() public {
        router.setConfig(
            IRouterInstances.Config({observedWeightBps: 0, warmup: 5, alphaBps: 2500, amortisedRecords: 0})
        );
        uint256[] memory ids = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            (ids[i],) = routeAs(requester, arbitrageBot(i));
        }
        vm.warp(block.timestamp + 2 hours + 1);
        for (uint256 i; i < 5; ++i) {
            taskRegistry.expire(ids[i]);
            router.recordOutcome(ids[i]);
        }
        (uint256 best,,) = router.quote(arbitrageBot(9));
        assertEq(best, RACE, "declared only");
    }

    function test_RevertWhen_ConstructedWithZeroAddress() public {
        vm.expectRevert(IRouterInstances.ZeroAddress.selector);
        new MechanismRouter(taskRegistry, address(0));
    }

    // ------------------------------------------------------------------ helpers

    struct ITaskRegistryView {
        uint256 paid;
        uint256 maxPayment;
    }

    function _view(uint256 taskId) internal view returns (ITaskRegistryView memory v) {
        v.paid = taskRegistry.taskOf(taskId).paid;
        v.maxPayment = taskRegistry.taskOf(taskId).maxPayment;
    }
}

/// @notice The default deployment exactly as the scripts make it (script/MechanismDeployment.sol for the
///         auctions, script/RouterDeployment.sol for the order book, the tree and the router): the four
///         personas get four different mechanisms.
contract DefaultDeploymentRouterTest is Deployers, MechanismDeployment, RouterDeployment {
    MechanismRouter internal router;
    RoutedInstances internal m;

    function setUp() public {
        deployCore();
        m.race = race;
        m.sealedBid = _deploySealedBid(taskRegistry, proverRegistry, IERC20(address(token)), treasury, true);
        m.ascending = _deployAscending(taskRegistry);
        m.electionRace = _deployElectionRace(taskRegistry, proverRegistry);
        m.orderBook = _deployOrderBook(taskRegistry, proverRegistry);
        m.tree = _deployTreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)));
        router = _deployRouter(taskRegistry, address(this));
        _registerDefaultInstances(router, m);
    }

    function _persona(uint8 speed, uint8 cost, uint8 safety, uint8 censorship)
        internal
        view
        returns (TaskRequest memory r)
    {
        r = raceRequest(1, 1);
        r.mechanism = address(0);
        r.deadline = uint64(block.timestamp + 2 hours);
        r.qos = QoSProfile(speed, cost, safety, censorship, 1, 0);
        IRouterInstances.KindData[] memory data = new IRouterInstances.KindData[](1);
        data[0] = IRouterInstances.KindData({kind: 6, data: abi.encode(uint32(8), uint32(4))});
        r.mechanismData = abi.encode(data);
    }

    function test_DefaultDeploymentServesTheFourPersonas() public view {
        (uint256 arb,,) = router.quote(_persona(10, 3, 1, 1));
        (uint256 daily,,) = router.quote(_persona(3, 2, 10, 1));
        (uint256 cheap,,) = router.quote(_persona(2, 10, 3, 1));
        (uint256 aztec,,) = router.quote(_persona(7, 5, 8, 8));
        assertEq(router.instanceOf(arb).mechanism, address(m.race));
        assertEq(router.instanceOf(daily).mechanism, address(m.electionRace));
        assertEq(router.instanceOf(cheap).mechanism, address(m.sealedBid));
        assertEq(router.instanceOf(aztec).mechanism, address(m.tree));
    }

    function test_DefaultLimitsComeFromTheInstances() public view {
        IRouterInstances.Instance memory s = router.instanceOf(1);
        assertEq(
            s.minLeadTime, m.sealedBid.commitWindow() + m.sealedBid.revealWindow() + m.sealedBid.minProvingWindow()
        );
        assertEq(s.stakeAtRisk, m.sealedBid.winnerCollateral());
        assertEq(router.instanceOf(5).maxRedundancy, 1);
        assertTrue(router.instanceOf(5).requiresData);
        assertTrue(taskRegistry.hasRole(taskRegistry.ROUTER_ROLE(), address(router)));
    }
}
