// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RouterInstances} from "./RouterInstances.sol";
import {ILedgerMechanismRouter} from "./interfaces/ILedgerMechanismRouter.sol";
import {IRoutedTaskObserver} from "./interfaces/IRoutedTaskObserver.sol";
import {ITaskLedger} from "./interfaces/ITaskLedger.sol";
import {RouterScoring} from "./libraries/RouterScoring.sol";
import {LedgerRequest, LedgerTask} from "./types/LedgerTask.sol";
import {QoSProfile} from "./types/Task.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title LedgerMechanismRouter
/// @notice The QoS router over the TaskLedger's mechanisms (migration step 3 of docs/one-word-tasks.md): the same
///         instance table, limits and scoring as the stored router (RouterInstances), tasks opened through
///         TaskLedger.createTaskFor, and outcomes pushed by the ledger as each routed task leaves its mechanism,
///         so the router stores nothing per task and a route costs its scoring and the ledger's createTask.
/// @dev Needs the ledger's ROUTER_ROLE (to open tasks) and to be the ledger's `router()` (to be told outcomes;
///      the ledger marks only that router's tasks FLAG_ROUTED). Holds no funds: the escrow is debited from the
///      requester's ledger deposit. An outcome for a task whose mechanism is not an instance here (opened by a
///      router in place before this one) is ignored.
contract LedgerMechanismRouter is ILedgerMechanismRouter, RouterInstances, ReentrancyGuardTransient {
    /// @inheritdoc ILedgerMechanismRouter
    ITaskLedger public immutable ledger;

    /// @param ledger_ The task ledger.
    /// @param admin Receives DEFAULT_ADMIN_ROLE and ROUTER_ADMIN_ROLE.
    constructor(ITaskLedger ledger_, address admin) RouterInstances(admin) {
        if (address(ledger_) == address(0)) revert ZeroAddress();
        ledger = ledger_;
    }

    /// @dev Instances must be allow-listed in the TaskLedger.
    function _isAllowedMechanism(address mechanism) internal view override returns (bool allowed) {
        (allowed,,) = ledger.mechanismOf(mechanism);
    }

    // ------------------------------------------------------------------ requesters

    /// @inheritdoc ILedgerMechanismRouter
    function route(LedgerRequest calldata request, QoSProfile calldata qos)
        external
        nonReentrant
        returns (uint256 taskId, uint256 instanceId, LedgerTask memory task)
    {
        if (request.redundancy < qos.minRedundancy) {
            revert RedundancyBelowMinimum(request.redundancy, qos.minRedundancy);
        }
        LedgerRequest memory req = request;
        bool pinned = request.mechanism != address(0);
        uint256[] memory scores;
        uint8[] memory reasons;
        if (pinned) {
            instanceId = _pinned(request.mechanism, _needOf(request, qos));
        } else {
            KindData[] memory data = _kindData(request.mechanismData);
            (instanceId, scores, reasons) = _choose(_needOf(request, qos), _weightsOf(qos), data);
            if (instanceId == type(uint256).max) revert NoEligibleInstance(reasons);
            req.mechanism = _mechanismOf[instanceId];
            req.mechanismData = _dataFor(data, _instances[instanceId].kind);
        }
        // The stake the requester wants at risk travels with the task, for the mechanism to enforce.
        if (qos.minStakeAtRisk > req.minCollateral) req.minCollateral = qos.minStakeAtRisk;
        (taskId, task) = ledger.createTaskFor(msg.sender, req);
        emit TaskRouted(taskId, msg.sender, instanceId, pinned, scores, reasons);
    }

    /// @inheritdoc ILedgerMechanismRouter
    function quote(LedgerRequest calldata request, QoSProfile calldata qos)
        external
        view
        returns (uint256 instanceId, uint256[] memory scores, uint8[] memory reasons)
    {
        return _choose(_needOf(request, qos), _weightsOf(qos), _kindData(request.mechanismData));
    }

    // ------------------------------------------------------------------ the ledger

    /// @inheritdoc IRoutedTaskObserver
    function onRoutedTaskEnded(
        uint256 taskId,
        LedgerTask calldata task,
        bool fulfilled,
        bool slashed,
        uint256 paid,
        uint256 budget
    ) external {
        if (msg.sender != address(ledger)) revert OnlyLedger(msg.sender);
        uint256 id = _idOf[task.mechanism];
        if (id == 0) return;
        id -= 1;
        uint256 latency = RouterScoring.BPS;
        uint256 price;
        if (fulfilled) {
            // openedAt < deadline (a task opens before its deadline) and a proof is accepted by the deadline.
            latency = RouterScoring.latencyRatio(block.timestamp - task.openedAt, task.deadline - task.openedAt);
            price = RouterScoring.priceRatio(paid, budget);
        }
        _recordStats(taskId, id, fulfilled ? Outcome.Fulfilled : Outcome.Failed, latency, price, slashed);
    }

    // ------------------------------------------------------------------ helpers

    function _needOf(LedgerRequest calldata r, QoSProfile calldata qos) internal pure returns (Need memory) {
        return Need({
            redundancy: r.redundancy, minStakeAtRisk: qos.minStakeAtRisk, deadline: r.deadline, maxPayment: r.maxPayment
        });
    }

    function _weightsOf(QoSProfile calldata qos) internal pure returns (uint8[4] memory) {
        return [qos.speedWeight, qos.costWeight, qos.safetyWeight, qos.censorshipWeight];
    }
}
