// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanismRouter} from "../../contracts/interfaces/ILedgerMechanismRouter.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {QoSProfile} from "../../contracts/types/Task.sol";
import {LedgerRouterFixture} from "../ledger/LedgerRouterFixture.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title LedgerRouterGas
/// @notice Gas of the one-word router, written to snapshots/LedgerRouterGas.json, in the conventions of
///         LedgerRaceAscendingGas (isolated calls; `<name>` execution only; the verifier registry's `verify`
///         subtracted from every proof). The router's overhead on a task is `route` − the same task's `createTask`
///         on the chosen instance directly (scoring the five instances and forwarding), plus on the closing call
///         the ledger's report (`submitProof` of a routed task − the same proof of a direct one). Steady state:
///         setUp routes one arbitrage-bot task to the race and proves it, so the race's statistics are non-zero and
///         the requester's and prover's credit words exist.
/// forge-config: default.isolate = true
contract LedgerRouterGas is LedgerRouterFixture, MechanismGasBase {
    function setUp() public {
        deployLedgerRouter();
        registerProver(alice);
        depositFor(requester, 100 * uint256(TASK_BUDGET));
        vm.prank(requester);
        (uint256 id,, LedgerTask memory t) = lrouter.route(routedRequest(0), arbitrageBot());
        proveLedger(id, t, 0, alice);
    }

    /// @dev The arbitrage bot's task: routed (to the race), pinned, and created on the race directly; then both
    ///      proven, the routed one reporting its outcome.
    function test_Gas_RouteVersusDirect() public {
        LedgerRequest memory direct = routedRequest(1);
        direct.mechanism = address(lrace);
        (uint256 create, bytes memory ret) = _call(
            "createTask_direct_race", requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (direct))
        );
        (uint256 directId, LedgerTask memory directTask) = abi.decode(ret, (uint256, LedgerTask));

        uint256 routed;
        (routed, ret) = _call(
            "route_scored5",
            requester,
            address(lrouter),
            abi.encodeCall(ILedgerMechanismRouter.route, (routedRequest(2), arbitrageBot()))
        );
        (uint256 routedId,, LedgerTask memory routedTask) = abi.decode(ret, (uint256, uint256, LedgerTask));

        LedgerRequest memory pinned = routedRequest(3);
        pinned.mechanism = address(lrace);
        (uint256 pinnedGas,) = _call(
            "route_pinned",
            requester,
            address(lrouter),
            abi.encodeCall(ILedgerMechanismRouter.route, (pinned, arbitrageBot()))
        );
        vm.snapshotValue("overhead_route_scored5", routed - create);
        vm.snapshotValue("overhead_route_pinned", pinnedGas - create);

        vm.warp(block.timestamp + 1 minutes);
        uint256 proveDirect = _prove(directId, directTask, 1, "submitProof_direct_race");
        uint256 proveRouted = _prove(routedId, routedTask, 2, "submitProof_routed_race");
        vm.snapshotValue("overhead_report_fulfilled", proveRouted - proveDirect);
        vm.snapshotValue("routed_race_lifecycle", routed + proveRouted);
        vm.snapshotValue("direct_race_lifecycle", create + proveDirect);
    }

    /// @dev A routed task's expiry with its failure report, against a direct task's.
    function test_Gas_ExpiryReport() public {
        LedgerRequest memory direct = routedRequest(4);
        direct.mechanism = address(lrace);
        vm.prank(requester);
        (uint256 directId, LedgerTask memory directTask) = ledger.createTask(direct);
        vm.prank(requester);
        (uint256 routedId,, LedgerTask memory routedTask) = lrouter.route(routedRequest(5), arbitrageBot());
        vm.warp(uint256(routedTask.deadline) + 1);
        (uint256 d,) = _call(
            "expire_direct_race", bob, address(ledger), abi.encodeCall(ITaskLedger.expire, (directId, directTask))
        );
        (uint256 r,) = _call(
            "expire_routed_race", bob, address(ledger), abi.encodeCall(ITaskLedger.expire, (routedId, routedTask))
        );
        vm.snapshotValue("overhead_report_failed", r - d);
    }

    function test_Gas_Quote() public {
        QoSProfile memory qos = aztecBlock();
        _call(
            "quote_5instances",
            bob,
            address(lrouter),
            abi.encodeCall(ILedgerMechanismRouter.quote, (routedRequest(6), qos))
        );
    }

    function _prove(uint256 id, LedgerTask memory t, uint256 seed, string memory name) internal returns (uint256) {
        uint256 verifyGas = _verifyGas(seed, alice);
        bytes memory data = abi.encodeCall(ITaskLedger.submitProof, (id, t, statement(seed), proofOf(seed, alice)));
        (uint256 g,) = _call(name, alice, address(ledger), data);
        return g - verifyGas;
    }
}
