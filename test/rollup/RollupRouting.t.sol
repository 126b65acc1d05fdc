// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MechanismRouter} from "../../contracts/MechanismRouter.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IRouterInstances} from "../../contracts/interfaces/IRouterInstances.sol";
import {RollupTestBase} from "./RollupTestBase.sol";

/// @title RollupRoutingTest
/// @notice The Rollup's proving requests through the real MechanismRouter: routed by the Rollup's QoS
///         profile, or pinned to its configured mechanism; the block is then proven with a real root proof
///         and finalised exactly as on the direct path.
contract RollupRoutingTest is RollupTestBase {
    MechanismRouter internal router;

    function setUp() public override {
        super.setUp();
        router = new MechanismRouter(taskRegistry, address(this));
        taskRegistry.grantRole(taskRegistry.ROUTER_ROLE(), address(router));
        router.addInstance(
            address(race),
            IRouterInstances.Limits({
                maxRedundancy: 4, stakeAtRisk: 0, minLeadTime: 0, minPricePerProof: 0, requiresData: false
            })
        );
    }

    function test_RoutedByQoS_ProvenAndFinalized() public {
        IRollup.Config memory c = defaultConfig();
        c.router = router;
        c.mechanism = address(0);
        rollup.setConfig(c);

        IRollup.BlockHeader memory h = postAndRequest(0);
        assertEq(taskRegistry.taskOf(h.taskId).mechanism, address(race), "the router chose the race");
        assertEq(taskRegistry.taskOf(h.taskId).requester, address(rollup), "the Rollup stays the requester");
        assertEq(router.routedOf(h.taskId).instanceId, 0);

        proveBlock(h, 0, 0);
        rollup.finalize(one(h));
        (uint64 proven, bytes32 root) = rollup.provenTip();
        assertEq(proven, 1);
        assertEq(root, chainBlocks[0].newStateRoot);
    }

    function test_PinnedThroughTheRouter() public {
        IRollup.Config memory c = defaultConfig();
        c.router = router;
        rollup.setConfig(c);

        IRollup.BlockHeader memory h = postAndRequest(0);
        assertEq(taskRegistry.taskOf(h.taskId).mechanism, address(race));
        assertEq(router.pendingCount(), 1, "the router tracks the task for its statistics");
        proveBlock(h, 0, 1);
        rollup.finalize(one(h));
        assertTrue(router.recordOutcome(h.taskId), "the outcome feeds the router's observed QoS");
    }
}
