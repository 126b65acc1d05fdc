// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerRequest, LedgerTask} from "../types/LedgerTask.sol";
import {QoSProfile} from "../types/Task.sol";
import {IRoutedTaskObserver} from "./IRoutedTaskObserver.sol";
import {IRouterInstances} from "./IRouterInstances.sol";
import {ITaskLedger} from "./ITaskLedger.sol";

/// @title ILedgerMechanismRouter
/// @notice The one-word router (docs/one-word-tasks.md, migration step 3): the QoS router over the TaskLedger's
///         mechanisms. It scores instances as the stored router does (IRouterInstances, RouterScoring), opens the
///         task through `TaskLedger.createTaskFor` with the requester as requester (escrow from the requester's
///         ledger deposit), and learns what each instance delivered from the ledger itself, which tells it once
///         per routed task how the task ended (IRoutedTaskObserver). It keeps nothing per task.
/// @dev A routed request (`request.mechanism == address(0)`) carries in `mechanismData` nothing or
///      `abi.encode(KindData[])`; the chosen kind's entry is forwarded. A pinned request's data is forwarded as is.
///      Delivered QoS from one outcome: latency = (end − openedAt) ÷ (deadline − openedAt); price = what the
///      fulfilling proof's slot paid ÷ that slot's budget (exact for redundancy 1; for redundancy > 1 the last
///      slot stands for the task, as the ledger keeps no earlier payments); a failure counts latency 10,000;
///      slashed = any slash of the task's collateral under the routed mechanism.
interface ILedgerMechanismRouter is IRouterInstances, IRoutedTaskObserver {
    /// @param caller Not the task ledger.
    error OnlyLedger(address caller);

    /// @notice Opens `request` for msg.sender with `qos`: on the pinned instance if `request.mechanism` is set (a
    ///         registered, active instance meeting the hard limits), else on the best-scoring eligible instance.
    /// @return taskId The task opened.
    /// @return instanceId The instance chosen.
    /// @return task The task as the ledger stored it (the requester passes it back to cancel it).
    function route(LedgerRequest calldata request, QoSProfile calldata qos)
        external
        returns (uint256 taskId, uint256 instanceId, LedgerTask memory task);

    /// @notice What `route` would choose now.
    /// @return instanceId Best eligible instance (type(uint256).max when none).
    /// @return scores Score per instance id (zero when skipped).
    /// @return reasons SkipReason per instance id.
    function quote(LedgerRequest calldata request, QoSProfile calldata qos)
        external
        view
        returns (uint256 instanceId, uint256[] memory scores, uint8[] memory reasons);

    /// @notice The ledger tasks are opened on, and whose reports are the only outcomes recorded.
    function ledger() external view returns (ITaskLedger);
}
