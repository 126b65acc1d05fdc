// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RouterInstances} from "./RouterInstances.sol";
import {IMechanismRouter} from "./interfaces/IMechanismRouter.sol";
import {ITaskRegistry} from "./interfaces/ITaskRegistry.sol";
import {RouterScoring} from "./libraries/RouterScoring.sol";
import {TaskRequest, TaskStatus} from "./types/Task.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title MechanismRouter
/// @notice QoS router over the stored-task core's mechanism instances: scores each eligible instance by its
///         declared profile blended with its delivered QoS (RouterInstances, RouterScoring), opens the task on
///         the best through TaskRegistry.createTaskFor, and learns from outcomes recorded permissionlessly.
/// @dev The router holds no funds: the registry pulls the escrow from the requester. It needs the
///      registry's ROUTER_ROLE.
contract MechanismRouter is IMechanismRouter, RouterInstances, ReentrancyGuardTransient {
    /// @dev Top bit of `_pendingState`: set by the first route and never cleared.
    uint256 internal constant PENDING_SEEN = 1 << 255;
    uint256 internal constant LENGTH_MASK = type(uint32).max;

    /// @notice The task registry tasks are opened on.
    ITaskRegistry public immutable registry;

    mapping(uint256 taskId => Routed) internal _routed;
    /// @dev The pending routed tasks: `_pendingAt[0 .. length)`, in no particular order (swap-and-pop). A removed
    ///      entry's slot keeps its stale task id, so that the next route rewrites a non-zero slot (5k) instead of
    ///      filling an empty one (22.1k); entries at or past the length are never read.
    mapping(uint256 index => uint256 taskId) internal _pendingAt;
    /// @dev The pending list's length (bits 0-31) and the sweep's cursor (bits 32-63), with PENDING_SEEN on top so
    ///      that the word never returns to zero (the first route after the list emptied would pay 20k for it).
    uint256 internal _pendingState;

    /// @param registry_ The task registry.
    /// @param admin Receives DEFAULT_ADMIN_ROLE and ROUTER_ADMIN_ROLE.
    constructor(ITaskRegistry registry_, address admin) RouterInstances(admin) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
    }

    /// @dev Instances must be allow-listed in the TaskRegistry.
    function _isAllowedMechanism(address mechanism) internal view override returns (bool) {
        return registry.isMechanism(mechanism);
    }

    // ------------------------------------------------------------------ requesters

    /// @inheritdoc IMechanismRouter
    function route(TaskRequest calldata request) external nonReentrant returns (uint256 taskId, uint256 instanceId) {
        if (request.redundancy < request.qos.minRedundancy) {
            revert RedundancyBelowMinimum(request.redundancy, request.qos.minRedundancy);
        }
        _sweep(_config.amortisedRecords);

        TaskRequest memory req = request;
        bool pinned = request.mechanism != address(0);
        uint256[] memory scores;
        uint8[] memory reasons;
        if (pinned) {
            instanceId = _pinned(request.mechanism, _needOf(request));
        } else {
            KindData[] memory data = _kindData(request.mechanismData);
            (instanceId, scores, reasons) = _choose(_needOf(request), _weightsOf(request), data);
            if (instanceId == type(uint256).max) revert NoEligibleInstance(reasons);
            req.mechanism = _mechanismOf[instanceId];
            req.mechanismData = _dataFor(data, _instances[instanceId].kind);
        }

        taskId = registry.createTaskFor(msg.sender, req);
        uint256 state = _pendingState;
        uint256 position = (state & LENGTH_MASK) + 1; // fewer than 2^32 tasks pending: pendingPos is a uint32
        _pendingAt[position - 1] = taskId;
        _pendingState = (state & ~LENGTH_MASK) | position | PENDING_SEEN;
        _routed[taskId] = Routed({
            instanceId: uint8(instanceId),
            outcome: Outcome.Pending,
            routedAt: uint64(block.timestamp),
            deadline: request.deadline,
            pendingPos: uint32(position)
        });
        emit TaskRouted(taskId, msg.sender, instanceId, pinned, scores, reasons);
    }

    /// @inheritdoc IMechanismRouter
    function quote(TaskRequest calldata request)
        external
        view
        returns (uint256 instanceId, uint256[] memory scores, uint8[] memory reasons)
    {
        return _choose(_needOf(request), _weightsOf(request), _kindData(request.mechanismData));
    }

    /// @inheritdoc IMechanismRouter
    function recordOutcome(uint256 taskId) external nonReentrant returns (bool recorded) {
        Routed storage r = _routed[taskId];
        if (r.routedAt == 0) revert NotRouted(taskId);
        if (r.outcome != Outcome.Pending) return false;
        return _record(taskId, r);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMechanismRouter
    function routedOf(uint256 taskId) external view returns (Routed memory) {
        return _routed[taskId];
    }

    /// @inheritdoc IMechanismRouter
    function pendingCount() external view returns (uint256) {
        return _pendingState & LENGTH_MASK;
    }

    // ------------------------------------------------------------------ outcomes

    /// @dev Checks up to `budget` pending tasks from the cursor (each at most once), recording those that
    ///      ended. A task is only looked up in the registry once its original deadline has passed (by then
    ///      it has been fulfilled, or can be expired, or was reopened), so a sweep never pays a registry
    ///      read for a task that is merely running; a task fulfilled early is recorded after its deadline,
    ///      or at once by anyone calling recordOutcome.
    function _sweep(uint256 budget) internal {
        uint256 state = _pendingState;
        uint256 len = state & LENGTH_MASK;
        if (len == 0 || budget == 0) return;
        if (budget > len) budget = len;
        uint256 start = (state >> 32) & LENGTH_MASK;
        uint256 cursor = start;
        for (uint256 checked; checked < budget; ++checked) {
            len = _pendingState & LENGTH_MASK; // a recorded task left the list (a warm read)
            if (len == 0) break;
            if (cursor >= len) cursor = 0;
            uint256 taskId = _pendingAt[cursor];
            Routed storage r = _routed[taskId];
            // A recorded task is swapped out of the list, so the cursor then points at a new entry.
            if (block.timestamp <= r.deadline || !_record(taskId, r)) ++cursor;
        }
        if (cursor != start) {
            state = _pendingState;
            _pendingState = (state & ~(LENGTH_MASK << 32)) | (cursor << 32);
        }
    }

    /// @dev Records `taskId`'s outcome if it has ended or left its instance; returns whether it did.
    function _record(uint256 taskId, Routed storage r) internal returns (bool) {
        ITaskRegistry.Task memory t = registry.taskOf(taskId);
        uint256 id = r.instanceId;
        bool left = t.mechanism != _mechanismOf[id];
        Outcome outcome;
        if (left || t.status == TaskStatus.Expired) outcome = Outcome.Failed;
        else if (t.status == TaskStatus.Fulfilled) outcome = Outcome.Fulfilled;
        else if (t.status == TaskStatus.Cancelled) outcome = Outcome.Cancelled;
        else return false;

        uint256 latency;
        uint256 price;
        bool slashed = t.slashed > 0;
        if (outcome == Outcome.Fulfilled) {
            uint256 closedAt = t.closedAt == 0 ? block.timestamp : t.closedAt;
            latency = RouterScoring.latencyRatio(closedAt - r.routedAt, r.deadline - r.routedAt);
            price = RouterScoring.priceRatio(t.paid, t.maxPayment);
        } else if (outcome == Outcome.Failed) {
            latency = RouterScoring.BPS;
        }
        _recordStats(taskId, id, outcome, latency, price, slashed);
        r.outcome = outcome;
        _removePending(r.pendingPos);
        r.pendingPos = 0;
        return true;
    }

    /// @dev Swaps the last entry into 1-based position `pos` and shortens the list; the last slot keeps its stale
    ///      value (see `_pendingAt`).
    function _removePending(uint256 pos) internal {
        uint256 state = _pendingState;
        uint256 last = state & LENGTH_MASK;
        if (pos != last) {
            uint256 moved = _pendingAt[last - 1];
            _pendingAt[pos - 1] = moved;
            _routed[moved].pendingPos = uint32(pos);
        }
        _pendingState = state - 1; // length − 1 (≥ 1 here); the cursor and PENDING_SEEN are kept
    }

    // ------------------------------------------------------------------ helpers

    function _needOf(TaskRequest calldata r) internal pure returns (Need memory) {
        return Need({
            redundancy: r.redundancy,
            minStakeAtRisk: r.qos.minStakeAtRisk,
            deadline: r.deadline,
            maxPayment: r.maxPayment
        });
    }

    function _weightsOf(TaskRequest calldata r) internal pure returns (uint8[4] memory) {
        return [r.qos.speedWeight, r.qos.costWeight, r.qos.safetyWeight, r.qos.censorshipWeight];
    }
}
