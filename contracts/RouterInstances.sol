// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "./interfaces/IMechanism.sol";
import {IRouterInstances} from "./interfaces/IRouterInstances.sol";
import {RouterScoring} from "./libraries/RouterScoring.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title RouterInstances
/// @notice The part of a QoS router that does not depend on the task core: the instance table (declared
///         profile, hard limits and delivered statistics in two slots per instance), its administration, the
///         router-wide tuning, the scoring of a request over every instance and the recording of one outcome.
///         MechanismRouter (stored tasks) and LedgerMechanismRouter (one-word tasks) derive from it and add how
///         a task is opened and how its outcome is learnt.
/// @dev Instances are capped at MAX_INSTANCES so a route's scoring is bounded (2 storage slots per instance).
///      A derived router says which mechanisms its task core allow-lists (`_isAllowedMechanism`).
abstract contract RouterInstances is IRouterInstances, AccessControl {
    /// @notice May register, tune and retire instances and set the router config.
    bytes32 public constant ROUTER_ADMIN_ROLE = keccak256("proofmarket.role.router-admin");
    /// @notice Largest number of instances (ids fit a uint8; scoring reads 2 slots each).
    uint256 public constant MAX_INSTANCES = 32;

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

    /// @dev The hard limits of one request, whichever request type carried them.
    struct Need {
        uint256 redundancy;
        uint256 minStakeAtRisk;
        uint256 deadline;
        uint256 maxPayment;
    }

    StoredInstance[] internal _instances;
    mapping(uint256 instanceId => address) internal _mechanismOf;
    mapping(address mechanism => uint256 idPlusOne) internal _idOf;
    Config internal _config;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and ROUTER_ADMIN_ROLE.
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ROUTER_ADMIN_ROLE, admin);
        _setConfig(Config({observedWeightBps: 7000, warmup: 5, alphaBps: 2500, amortisedRecords: 2}));
    }

    /// @dev Whether the router's task core allow-lists `mechanism` (checked when it is registered).
    function _isAllowedMechanism(address mechanism) internal view virtual returns (bool);

    // ------------------------------------------------------------------ admin

    /// @inheritdoc IRouterInstances
    function addInstance(address mechanism, Limits calldata limits)
        external
        onlyRole(ROUTER_ADMIN_ROLE)
        returns (uint256 instanceId)
    {
        if (mechanism == address(0)) revert ZeroAddress();
        if (!_isAllowedMechanism(mechanism)) revert MechanismNotAllowed(mechanism);
        if (_idOf[mechanism] != 0) revert InstanceExists(mechanism, _idOf[mechanism] - 1);
        if (_instances.length >= MAX_INSTANCES) revert TooManyInstances(MAX_INSTANCES);
        // Stored and ledger mechanisms declare the same `profile()`.
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

    /// @inheritdoc IRouterInstances
    function setLimits(uint256 instanceId, Limits calldata limits) external onlyRole(ROUTER_ADMIN_ROLE) {
        _setLimits(_instance(instanceId), limits);
        emit LimitsSet(instanceId, limits);
    }

    /// @inheritdoc IRouterInstances
    function overrideDeclared(uint256 instanceId, IMechanism.Profile calldata declared)
        external
        onlyRole(ROUTER_ADMIN_ROLE)
    {
        StoredInstance storage inst = _instance(instanceId);
        _checkProfile(declared);
        _setDeclared(inst, declared);
        emit DeclaredSet(instanceId, declared, true);
    }

    /// @inheritdoc IRouterInstances
    function clearOverride(uint256 instanceId) external onlyRole(ROUTER_ADMIN_ROLE) {
        StoredInstance storage inst = _instance(instanceId);
        IMechanism.Profile memory p = IMechanism(_mechanismOf[instanceId]).profile();
        _checkProfile(p);
        _setDeclared(inst, p);
        emit DeclaredSet(instanceId, p, false);
    }

    /// @inheritdoc IRouterInstances
    function retireInstance(uint256 instanceId) external onlyRole(ROUTER_ADMIN_ROLE) {
        _instance(instanceId).active = false;
        emit InstanceRetired(instanceId);
    }

    /// @inheritdoc IRouterInstances
    function setConfig(Config calldata config_) external onlyRole(ROUTER_ADMIN_ROLE) {
        _setConfig(config_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRouterInstances
    function decodeKindData(bytes calldata raw) external pure returns (KindData[] memory) {
        return abi.decode(raw, (KindData[]));
    }

    /// @inheritdoc IRouterInstances
    function instanceCount() external view returns (uint256) {
        return _instances.length;
    }

    /// @inheritdoc IRouterInstances
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

    /// @inheritdoc IRouterInstances
    function statsOf(uint256 instanceId)
        external
        view
        returns (uint16 latencyBps, uint16 priceBps, uint16 failBps, uint16 slashBps, uint32 count, uint32 fulfilled)
    {
        StoredInstance storage inst = _instance(instanceId);
        return (inst.latencyBps, inst.priceBps, inst.failBps, inst.slashBps, inst.count, inst.fulfilled);
    }

    /// @inheritdoc IRouterInstances
    function config() external view returns (Config memory) {
        return _config;
    }

    // ------------------------------------------------------------------ scoring

    /// @dev Scores every instance; returns the best eligible (ties: lowest id) or type(uint256).max.
    function _choose(Need memory need, uint8[4] memory weights, KindData[] memory data)
        internal
        view
        returns (uint256 best, uint256[] memory scores, uint8[] memory reasons)
    {
        uint256 n = _instances.length;
        scores = new uint256[](n);
        reasons = new uint8[](n);
        best = type(uint256).max;
        uint256 bestScore;
        Config memory cfg = _config;
        for (uint256 i; i < n; ++i) {
            StoredInstance storage inst = _instances[i];
            SkipReason reason = _skipReason(inst, need, _hasData(data, inst.kind));
            reasons[i] = uint8(reason);
            if (reason != SkipReason.None) continue;
            uint8[4] memory declared = [inst.speed, inst.cost, inst.safety, inst.censorshipResistance];
            uint256 s = RouterScoring.score(declared, _statsOf(inst), weights, cfg.observedWeightBps, cfg.warmup);
            scores[i] = s;
            if (best == type(uint256).max || s > bestScore) (best, bestScore) = (i, s);
        }
    }

    /// @dev The registered instance of a pinned `mechanism`, which must meet the request's hard limits (its own
    ///      data is forwarded as is, so MissingData is not checked).
    function _pinned(address mechanism, Need memory need) internal view returns (uint256 instanceId) {
        instanceId = _idOf[mechanism];
        if (instanceId == 0) revert NotAnInstance(mechanism);
        instanceId -= 1;
        SkipReason reason = _skipReason(_instances[instanceId], need, true);
        if (reason != SkipReason.None) revert PinnedCannotMeetLimits(instanceId, reason);
    }

    /// @dev The first hard limit `inst` cannot meet for `need`, or None.
    function _skipReason(StoredInstance storage inst, Need memory need, bool hasData)
        internal
        view
        returns (SkipReason)
    {
        if (!inst.active) return SkipReason.Retired;
        if (need.redundancy > inst.maxRedundancy) return SkipReason.Redundancy;
        if (need.minStakeAtRisk > inst.stakeAtRisk) return SkipReason.StakeAtRisk;
        if (need.deadline < block.timestamp + inst.minLeadTime) return SkipReason.LeadTime;
        if (need.redundancy == 0 || need.maxPayment / need.redundancy < inst.minPricePerProof) {
            return SkipReason.PricePerProof;
        }
        if (inst.requiresData && !hasData) return SkipReason.MissingData;
        return SkipReason.None;
    }

    // ------------------------------------------------------------------ outcomes

    /// @dev Records one outcome of instance `id` into its statistics (a cancelled task only logs) and logs it.
    function _recordStats(uint256 taskId, uint256 id, Outcome outcome, uint256 latency, uint256 price, bool slashed)
        internal
    {
        if (outcome != Outcome.Cancelled) {
            StoredInstance storage inst = _instances[id];
            _setStats(
                inst,
                RouterScoring.record(
                    _statsOf(inst), outcome == Outcome.Failed, slashed, latency, price, _config.alphaBps
                )
            );
        }
        emit OutcomeRecorded(taskId, id, outcome, latency, price, slashed);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Decodes a routed request's KindData[] (empty data: none), MalformedKindData when it does not decode.
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
