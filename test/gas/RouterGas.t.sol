// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRouterInstances} from "../../contracts/interfaces/IRouterInstances.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {RouterFixture} from "../mechanisms/MechanismRouter.t.sol";
import {Deployers} from "../utils/Deployers.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title RouterGas
/// @notice Gas of routing, written to snapshots/RouterGas.json (isolated). The router's overhead on a task
///         is `route` − the same task's `createTask` on the chosen instance directly: scoring the six
///         default instances, forwarding, and the routed-task record; plus the amortised outcome
///         recording it does for earlier tasks (`route_recording2`) or a standalone `recordOutcome`.
/// forge-config: default.isolate = true
contract RouterGas is RouterFixture, MechanismGasBase {
    function setUp() public {
        deployRouter();
        registerProver(alice);
        // Steady state: one routed task through its life and recorded.
        (uint256 warm,) = routeAs(requester, arbitrageBot(0));
        prove(warm, 0, alice);
        router.recordOutcome(warm);
    }

    function deployCore() internal override(Deployers) {
        super.deployCore();
    }

    /// @dev The arbitrage bot's task: routed (to the race) vs created on the race directly.
    function test_Gas_RouteVersusDirect() public {
        TaskRequest memory direct = arbitrageBot(1);
        direct.mechanism = address(race);
        direct.mechanismData = "";
        fund(requester, TASK_BUDGET * 3);
        (uint256 create,) = _call(
            "createTask_direct_race",
            requester,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.createTask, (direct))
        );
        (uint256 routed,) =
            _call("route_scored6", requester, address(router), abi.encodeCall(router.route, (arbitrageBot(2))));
        TaskRequest memory pinned = arbitrageBot(3);
        pinned.mechanism = address(race);
        pinned.mechanismData = "";
        (uint256 pinnedGas,) = _call("route_pinned", requester, address(router), abi.encodeCall(router.route, (pinned)));
        vm.snapshotValue("overhead_route_scored6", routed - create);
        vm.snapshotValue("overhead_route_pinned", pinnedGas - create);
    }

    /// @dev A route call that also records two ended routed tasks (the amortised learning). Compare with
    ///      `route_scored6` (nothing to record) for the cost of recording two outcomes.
    function test_Gas_RouteRecordingTwo() public {
        (uint256 a,) = routeAs(requester, arbitrageBot(1));
        (uint256 b,) = routeAs(requester, arbitrageBot(2));
        prove(a, 1, alice);
        prove(b, 2, alice);
        vm.warp(block.timestamp + 2 hours + 1); // the sweep looks up tasks past their deadline only
        fund(requester, TASK_BUDGET);
        _call("route_recording2", requester, address(router), abi.encodeCall(router.route, (arbitrageBot(3))));
        assertEq(router.pendingCount(), 1);
    }

    function test_Gas_RecordOutcome() public {
        router.setConfig(
            IRouterInstances.Config({observedWeightBps: 7000, warmup: 5, alphaBps: 2500, amortisedRecords: 0})
        );
        (uint256 a,) = routeAs(requester, arbitrageBot(1));
        prove(a, 1, alice);
        _call("recordOutcome_fulfilled", bob, address(router), abi.encodeCall(router.recordOutcome, (a)));
        _call("recordOutcome_again", bob, address(router), abi.encodeCall(router.recordOutcome, (a)));
    }

    function test_Gas_Quote() public {
        _call("quote_6instances", bob, address(router), abi.encodeCall(router.quote, (aztecBlock(1))));
    }
}
