// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "./interfaces/IMechanism.sol";
import {IMechanismRouter} from "./interfaces/IMechanismRouter.sol";
import {ITaskRegistry} from "./interfaces/ITaskRegistry.sol";
import {RouterScoring} from "./libraries/RouterScoring.sol";
import {TaskRequest, TaskStatus} from "./types/Task.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title MechanismRouter
/// @notice QoS router over mechanism instances: scores each eligible instance by its declared profile
///         blended with its delivered QoS (RouterScoring), opens the task on the best through
///         TaskRegistry.createTaskFor, and learns from outcomes recorded permissionlessly.
/// @dev The router holds no funds: the registry pulls the escrow from the requester. It needs the
///      registry's ROUTER_ROLE. Instances are capped at MAX_INSTANCES so a route's scoring is bounded
///      (2 storage slots per instance: see StoredInstance).
contract MechanismRouter is IMechanismRouter, AccessControl, ReentrancyGuardTransient {
    /// @notice May register, tune and retire instances and set the router config.
    bytes32 public constant ROUTER_ADMIN_ROLE = keccak256("proofmarket.role.router-admin");
    /// @notice Largest number of instances (ids fit a uint8; scoring reads 2 slots each).
    uint256 public constant MAX_INSTANCES = 32;
    /// @dev Top bit of `_pendingState`: set by the first route and never cleared.
    uint256 internal constant PENDING_SEEN = 1 << 255;
    uint256 internal constant LENGTH_MASK = type(uint32).max;

    /// @notice The task registry tasks are opened on.
    ITaskRegistry public immutable registry;

    /// @dev An instance as scoring reads it: two slots, the mechanism's address apart (`_mechanismOf`, read for
    ///      the chosen instance only). Slot 0 holds the state, the declared profile and the delivered statistics
    ///      (RouterScoring.Stats, inlined: a nested struct would start a slot of its own); slot 1 the limits.
    ///      `instanceOf` and `statsOf` rebuild the interface's structs.
    struct StoredInstance {
        // slot 0
        bool active;
        uint8 kind;
        uint8 speed;
        uint8 cost;
        uint8 safety;
        uint8 censorshipResistance;
        uint8 maxRedundancy;
        bool requiresData;
        uint16 latencyBps;
        uint16 priceBps;
        uint16 failBps;
        uint16 slashBps;
        uint32 count;
        uint32 fulfilled;
        // slot 1
        uint96 stakeAtRisk;
        uint32 minLeadTime;
        uint96 minPricePerProof;
    }

    StoredInstance[] internal _instances;
    mapping(uint256 instanceId => address) internal _mechanismOf;
    mapping(address mechanism => uint256 idPlusOne) internal _idOf;
    mapping(uint256 taskId => Routed) internal _routed;
    /// @dev The pending routed tasks: `_pendingAt[0 .. length)`, in no particular order (swap-and-pop). A removed
    ///      entry's slot keeps its stale task id, so that the next route rewrites a non-zero slot (5k) instead of
    ///      filling an empty one (22.1k); entries at or past the length are never read.
    mapping(uint256 index => uint256 taskId) internal _pendingAt;
    /// @dev The pending list's length (bits 0-31) and the sweep's cursor (bits 32-63), with PENDING_SEEN on top so
    ///      that the word never returns to zero (the first route after the list emptied would pay 20k for it).
    uint256 internal _pendingState;
    Config internal _config;

    /// @param registry_ The task registry.
    /// @param admin Receives DEFAULT_ADMIN_ROLE and ROUTER_ADMIN_ROLE.
    constructor(ITaskRegistry registry_, address admin) {
        if (address(registry_) == address(0) || admin == address(0)) revert ZeroAddress();
        registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ROUTER_ADMIN_ROLE, admin);
        _setConfig(Config({observedWeightBps: 7000, warmup: 5, alphaBps: 2500, amortisedRecords: 2}));
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
            instanceId = _idOf[request.mechanism];
            if (instanceId == 0) revert NotAnInstance(request.mechanism);
            instanceId -= 1;
            SkipReason reason = _skipReason(_instances[instanceId], request, true);
            if (reason != SkipReason.None) revert PinnedCannotMeetLimits(instanceId, reason);
        } else {
            KindData[] memory data = _kindData(request.mechanismData);
            (instanceId, scores, reasons) = _choose(request, data);
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
        return _choose(request, _kindData(request.mechanismData));
    }

    /// @inheritdoc IMechanismRouter
    function recordOutcome(uint256 taskId) external nonReentrant returns (bool recorded) {
        Routed storage r = _routed[taskId];
        if (r.routedAt == 0) revert NotRouted(taskId);
        if (r.outcome != Outcome.Pending) return false;
        return _record(taskId, r);
    }

    /// @inheritdoc IMechanismRouter
    function decodeKindData(bytes calldata raw) external pure returns (KindData[] memory) {
        return abi.decode(raw, (KindData[]));
    }

    // ------------------------------------------------------------------ admin

    /// @inheritdoc IMechanismRouter
    function addInstance(address mechanism, Limits calldata limits)
        external
        onlyRole(ROUTER_ADMIN_ROLE)
        returns (uint256 instanceId)
    {
        if (mechanism == address(0)) revert ZeroAddress();
        if (!registry.isMechanism(mechanism)) revert MechanismNotAllowed(mechanism);
        if (_idOf[mechanism] != 0) revert InstanceExists(mechanism, _idOf[mechanism] - 1);
        if (_instances.length >= MAX_INSTANCES) revert TooManyInstances(MAX_INSTANCES);
        IMechanism.Profile memory p = IMechanism(mechanism).profile();
        _checkProfile(p);
        instanceId = _instances.length;
        _instances.push();
        _idOf[mechanism] = instanceId + 1;
        _mechanismOf[instanceId] = mechanism;
        StoredInstance storage inst = _instances[instanceId];
        inst.active = true;
        inst.kind = p.kind;
        _setDeclared(inst, p);
        _setLimits(inst, limits);
        emit InstanceRegistered(instanceId, mechanism, p.kind);
        emit DeclaredSet(instanceId, p, false);
        emit LimitsSet(instanceId, limits);
    }

    /// @inheritdoc IMechanismRouter
    function setLimits(uint256 instanceId, Limits calldata limits) external onlyRole(ROUTER_ADMIN_ROLE) {
        _setLimits(_instance(instanceId), limits);
        emit LimitsSet(instanceId, limits);
    }

    /// @inheritdoc IMechanismRouter
    function overrideDeclared(uint256 instanceId, IMechanism.Profile calldata declared)
        external
        onlyRole(ROUTER_ADMIN_ROLE)
    {
        StoredInstance storage inst = _instance(instanceId);
        _checkProfile(declared);
        _setDeclared(inst, declared);
        emit DeclaredSet(instanceId, declared, true);
    }

    /// @inheritdoc IMechanismRouter
    function clearOverride(uint256 instanceId) external onlyRole(ROUTER_ADMIN_ROLE) {
        StoredInstance storage inst = _instance(instanceId);
        IMechanism.Profile memory p = IMechanism(_mechanismOf[instanceId]).profile();
        _checkProfile(p);
        _setDeclared(inst, p);
        emit DeclaredSet(instanceId, p, false);
    }

    /// @inheritdoc IMechanismRouter
    function retireInstance(uint256 instanceId) external onlyRole(ROUTER_ADMIN_ROLE) {
        _instance(instanceId).active = false;
        emit InstanceRetired(instanceId);
    }

    /// @inheritdoc IMechanismRouter
    function setConfig(Config calldata config_) external onlyRole(ROUTER_ADMIN_ROLE) {
        _setConfig(config_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMechanismRouter
    function instanceCount() external view returns (uint256) {
        return _instances.length;
    }

    /// @inheritdoc IMechanismRouter
    function instanceOf(uint256 instanceId) external view returns (Instance memory) {
        StoredInstance storage inst = _instance(instanceId);
        return Instance({
            mechanism: _mechanismOf[instanceId],
            active: inst.active,
            kind: inst.kind,
            speed: inst.speed,
            cost: inst.cost,
            safety: inst.safety,
            censorshipResistance: inst.censorshipResistance,
            maxRedundancy: inst.maxRedundancy,
            stakeAtRisk: inst.stakeAtRisk,
            minLeadTime: inst.minLeadTime,
            minPricePerProof: inst.minPricePerProof,
            requiresData: inst.requiresData
        });
    }

    /// @inheritdoc IMechanismRouter
    function statsOf(uint256 instanceId)
        external
        view
        returns (uint16 latencyBps, uint16 priceBps, uint16 failBps, uint16 slashBps, uint32 count, uint32 fulfilled)
    {
        StoredInstance storage inst = _instance(instanceId);
        return (inst.latencyBps, inst.priceBps, inst.failBps, inst.slashBps, inst.count, inst.fulfilled);
    }

    /// @inheritdoc IMechanismRouter
    function routedOf(uint256 taskId) external view returns (Routed memory) {
        return _routed[taskId];
    }

    /// @inheritdoc IMechanismRouter
    function pendingCount() external view returns (uint256) {
        return _pendingState & LENGTH_MASK;
    }

    /// @inheritdoc IMechanismRouter
    function config() external view returns (Config memory) {
        return _config;
    }

    // ------------------------------------------------------------------ scoring

    /// @dev Scores every instance; returns the best eligible (ties: lowest id) or type(uint256).max.
    function _choose(TaskRequest calldata request, KindData[] memory data)
        internal
        view
        returns (uint256 best, uint256[] memory scores, uint8[] memory reasons)
    {
        uint256 n = _instances.length;
        scores = new uint256[](n);
        reasons = new uint8[](n);
        best = type(uint256).max;
        uint256 bestScore;
        uint8[4] memory weights =
            [request.qos.speedWeight, request.qos.costWeight, request.qos.safetyWeight, request.qos.censorshipWeight];
        Config memory cfg = _config;
        for (uint256 i; i < n; ++i) {
            StoredInstance storage inst = _instances[i];
            SkipReason reason = _skipReason(inst, request, _hasData(data, inst.kind));
            reasons[i] = uint8(reason);
            if (reason != SkipReason.None) continue;
            uint8[4] memory declared = [inst.speed, inst.cost, inst.safety, inst.censorshipResistance];
            uint256 s = RouterScoring.score(declared, _statsOf(inst), weights, cfg.observedWeightBps, cfg.warmup);
            scores[i] = s;
            if (best == type(uint256).max || s > bestScore) (best, bestScore) = (i, s);
        }
    }

    /// @dev The first hard limit `inst` cannot meet for `request`, or None.
    function _skipReason(StoredInstance storage inst, TaskRequest calldata request, bool hasData)
        internal
        view
        returns (SkipReason)
    {
        if (!inst.active) return SkipReason.Retired;
        if (request.redundancy > inst.maxRedundancy) return SkipReason.Redundancy;
        if (request.qos.minStakeAtRisk > inst.stakeAtRisk) return SkipReason.StakeAtRisk;
        if (request.deadline < block.timestamp + inst.minLeadTime) return SkipReason.LeadTime;
        if (request.redundancy == 0 || request.maxPayment / request.redundancy < inst.minPricePerProof) {
            return SkipReason.PricePerProof;
        }
        if (inst.requiresData && !hasData) return SkipReason.MissingData;
        return SkipReason.None;
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
        if (outcome != Outcome.Cancelled) {
            StoredInstance storage inst = _instances[id];
            _setStats(
                inst,
                RouterScoring.record(
                    _statsOf(inst), outcome == Outcome.Failed, slashed, latency, price, _config.alphaBps
                )
            );
        }
        r.outcome = outcome;
        _removePending(r.pendingPos);
        r.pendingPos = 0;
        emit OutcomeRecorded(taskId, id, outcome, latency, price, slashed);
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

    function _kindData(bytes calldata raw) internal view returns (KindData[] memory data) {
        if (raw.length == 0) return data;
        try this.decodeKindData(raw) returns (KindData[] memory decoded) {
            return decoded;
        } catch {
            revert MalformedKindData(raw.length);
        }
    }

    function _hasData(KindData[] memory data, uint8 kind) internal pure returns (bool) {
        for (uint256 i; i < data.length; ++i) {
            if (data[i].kind == kind) return true;
        }
        return false;
    }

    function _dataFor(KindData[] memory data, uint8 kind) internal pure returns (bytes memory) {
        for (uint256 i; i < data.length; ++i) {
            if (data[i].kind == kind) return data[i].data;
        }
        return "";
    }

    function _instance(uint256 instanceId) internal view returns (StoredInstance storage) {
        if (instanceId >= _instances.length) revert UnknownInstance(instanceId);
        return _instances[instanceId];
    }

    function _checkProfile(IMechanism.Profile memory p) internal pure {
        if (p.speed > 10) revert ScoreOutOfRange(p.speed);
        if (p.cost > 10) revert ScoreOutOfRange(p.cost);
        if (p.safety > 10) revert ScoreOutOfRange(p.safety);
        if (p.censorshipResistance > 10) revert ScoreOutOfRange(p.censorshipResistance);
    }

    /// @dev The delivered statistics in slot 0 of `inst`, as RouterScoring takes them.
    function _statsOf(StoredInstance storage inst) internal view returns (RouterScoring.Stats memory) {
        return RouterScoring.Stats({
            latencyBps: inst.latencyBps,
            priceBps: inst.priceBps,
            failBps: inst.failBps,
            slashBps: inst.slashBps,
            count: inst.count,
            fulfilled: inst.fulfilled
        });
    }

    function _setStats(StoredInstance storage inst, RouterScoring.Stats memory s) internal {
        inst.latencyBps = s.latencyBps;
        inst.priceBps = s.priceBps;
        inst.failBps = s.failBps;
        inst.slashBps = s.slashBps;
        inst.count = s.count;
        inst.fulfilled = s.fulfilled;
    }

    function _setDeclared(StoredInstance storage inst, IMechanism.Profile memory p) internal {
        inst.speed = p.speed;
        inst.cost = p.cost;
        inst.safety = p.safety;
        inst.censorshipResistance = p.censorshipResistance;
    }

    function _setLimits(StoredInstance storage inst, Limits calldata limits) internal {
        if (limits.maxRedundancy == 0) revert InvalidLimits(limits.maxRedundancy);
        inst.maxRedundancy = limits.maxRedundancy;
        inst.stakeAtRisk = limits.stakeAtRisk;
        inst.minLeadTime = limits.minLeadTime;
        inst.minPricePerProof = limits.minPricePerProof;
        inst.requiresData = limits.requiresData;
    }

    function _setConfig(Config memory c) internal {
        if (c.observedWeightBps > RouterScoring.BPS || c.alphaBps == 0 || c.alphaBps > RouterScoring.BPS) {
            revert InvalidConfig();
        }
        _config = c;
        emit ConfigSet(c);
    }
}
