// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TaskRequest} from "../types/Task.sol";
import {IRouterInstances} from "./IRouterInstances.sol";

/// @title IMechanismRouter
/// @notice The stored-task router. Matches each request to the registered mechanism instance that best fits the requester's QoS
///         profile, scored on what each instance declares and on what it has delivered (moving averages
///         kept on-chain per instance), then opens the task through `TaskRegistry.createTaskFor` with the
///         requester as requester (the registry pulls the escrow from the requester, never from the
///         router). A requester may pin an instance instead. Scoring math: RouterScoring.
/// @dev A routed request (`mechanism == address(0)`) carries in `mechanismData` either nothing or
///      `abi.encode(KindData[])`: per mechanism kind, the data that kind's mechanism expects; the router
///      forwards the chosen kind's entry (empty when absent). A pinned request's data is forwarded as is.
interface IMechanismRouter is IRouterInstances {
    /// @notice A task opened through the router (one slot).
    /// @param instanceId The instance it was routed to.
    /// @param outcome Pending until recorded.
    /// @param routedAt When it was opened.
    /// @param deadline Its original deadline.
    /// @param pendingPos Position in the pending list plus one (zero once recorded).
    struct Routed {
        uint8 instanceId;
        Outcome outcome;
        uint64 routedAt;
        uint64 deadline;
        uint32 pendingPos;
    }

    /// @param taskId Not opened through the router.
    error NotRouted(uint256 taskId);

    /// @notice Opens `request` for msg.sender: on the pinned instance if `request.mechanism` is set (it must
    ///         be a registered, active instance meeting the hard limits), else on the best-scoring eligible
    ///         instance. Also records outcomes of up to `amortisedRecords` pending routed tasks.
    /// @return taskId The task opened.
    /// @return instanceId The instance chosen.
    function route(TaskRequest calldata request) external returns (uint256 taskId, uint256 instanceId);

    /// @notice What `route` would choose now for msg.sender's request (without the amortised recording).
    /// @return instanceId Best eligible instance (type(uint256).max when none).
    /// @return scores Score per instance id (zero when skipped).
    /// @return reasons SkipReason per instance id.
    function quote(TaskRequest calldata request)
        external
        view
        returns (uint256 instanceId, uint256[] memory scores, uint8[] memory reasons);

    /// @notice Records a routed task's outcome into its instance's statistics once it has ended or left the
    ///         instance for a fallback. Anyone may call; idempotent.
    /// @return recorded Whether this call recorded it (false: already recorded, or still pending).
    function recordOutcome(uint256 taskId) external returns (bool recorded);

    /// @notice A routed task.
    function routedOf(uint256 taskId) external view returns (Routed memory);
    /// @notice Routed tasks whose outcome is not yet recorded.
    function pendingCount() external view returns (uint256);
}
