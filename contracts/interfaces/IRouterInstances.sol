// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "./IMechanism.sol";

/// @title IRouterInstances
/// @notice What every QoS router of proofmarket shares, whichever task core it opens tasks on: the registered
///         mechanism instances (declared profile, hard limits, delivered-QoS moving averages), their
///         administration, the router-wide tuning and the types of a routing decision. The stored-task router
///         (IMechanismRouter, over the TaskRegistry) and the one-word router (ILedgerMechanismRouter, over the
///         TaskLedger) extend it with their own `route` and outcome path. Scoring math: RouterScoring.
interface IRouterInstances {
    /// @notice Why an instance was not eligible for a request.
    enum SkipReason {
        None,
        Retired,
        Redundancy,
        StakeAtRisk,
        LeadTime,
        PricePerProof,
        MissingData
    }

    /// @notice How a routed task ended, as the router recorded it.
    enum Outcome {
        Pending,
        Fulfilled,
        Failed,
        Cancelled
    }

    /// @notice What an instance can guarantee (hard limits are checked against these).
    /// @param maxRedundancy Largest redundancy the instance serves.
    /// @param stakeAtRisk Collateral locked per assignment on this instance.
    /// @param minLeadTime Shortest time to deadline the instance can work with (seconds).
    /// @param minPricePerProof Smallest budget per proof the instance accepts.
    /// @param requiresData Whether the instance needs kind-specific mechanismData (tree assignment).
    struct Limits {
        uint8 maxRedundancy;
        uint96 stakeAtRisk;
        uint32 minLeadTime;
        uint96 minPricePerProof;
        bool requiresData;
    }

    /// @notice A registered instance. Storage: slot 0 active | kind | 4 declared scores | maxRedundancy |
    ///         requiresData | delivered statistics; slot 1 stakeAtRisk | minLeadTime | minPricePerProof.
    /// @param mechanism The mechanism instance.
    /// @param active False once retired.
    /// @param kind Mechanism family (from its profile at registration).
    /// @param speed Declared (or overridden) speed, 0–10.
    /// @param cost Declared (or overridden) cost, 0–10.
    /// @param safety Declared (or overridden) safety, 0–10.
    /// @param censorshipResistance Declared (or overridden) censorship resistance, 0–10.
    struct Instance {
        address mechanism;
        bool active;
        uint8 kind;
        uint8 speed;
        uint8 cost;
        uint8 safety;
        uint8 censorshipResistance;
        uint8 maxRedundancy;
        uint96 stakeAtRisk;
        uint32 minLeadTime;
        uint96 minPricePerProof;
        bool requiresData;
    }

    /// @notice Router-wide tuning (one slot).
    /// @param observedWeightBps Weight of delivered over declared scores once warmed up (default 7,000).
    /// @param warmup Outcomes before observed scores get their full weight (default 5).
    /// @param alphaBps EWMA weight of a new outcome (default 2,500).
    /// @param amortisedRecords Pending routed tasks checked for an outcome on each route call (default 2; the
    ///        one-word router is told its outcomes by the ledger and ignores it).
    struct Config {
        uint16 observedWeightBps;
        uint16 warmup;
        uint16 alphaBps;
        uint8 amortisedRecords;
    }

    /// @notice Mechanism-specific data for one kind, in a routed request's mechanismData.
    struct KindData {
        uint8 kind;
        bytes data;
    }

    error ZeroAddress();
    /// @param mechanism Not allow-listed in the task core the router opens tasks on.
    error MechanismNotAllowed(address mechanism);
    /// @param mechanism Already registered (as `instanceId`).
    /// @param instanceId Its id.
    error InstanceExists(address mechanism, uint256 instanceId);
    /// @param max Instance cap.
    error TooManyInstances(uint256 max);
    /// @param instanceId Unknown id.
    error UnknownInstance(uint256 instanceId);
    /// @param mechanism Not a registered instance.
    error NotAnInstance(address mechanism);
    /// @param value A declared score above 10.
    error ScoreOutOfRange(uint256 value);
    /// @param maxRedundancy Zero.
    error InvalidLimits(uint256 maxRedundancy);
    error InvalidConfig();
    /// @param redundancy The request's redundancy.
    /// @param minRedundancy The QoS minimum it undercuts.
    error RedundancyBelowMinimum(uint256 redundancy, uint256 minRedundancy);
    /// @param reasons Why each instance was skipped (SkipReason per instance id).
    error NoEligibleInstance(uint8[] reasons);
    /// @param instanceId The pinned instance.
    /// @param reason The hard limit it cannot meet.
    error PinnedCannotMeetLimits(uint256 instanceId, SkipReason reason);
    /// @param length A routed request's mechanismData that is not `abi.encode(KindData[])`.
    error MalformedKindData(uint256 length);

    /// @param instanceId New id.
    /// @param mechanism The instance.
    /// @param kind Its mechanism family.
    event InstanceRegistered(uint256 indexed instanceId, address indexed mechanism, uint8 kind);
    /// @param instanceId The instance.
    /// @param limits New limits.
    event LimitsSet(uint256 indexed instanceId, Limits limits);
    /// @param instanceId The instance.
    /// @param declared Scores now used as declared (override, or the mechanism's own profile when cleared).
    /// @param overridden Whether an admin override is in force.
    event DeclaredSet(uint256 indexed instanceId, IMechanism.Profile declared, bool overridden);
    /// @param instanceId Retired (no longer routed to; its pending outcomes still count).
    event InstanceRetired(uint256 indexed instanceId);
    /// @param config New config.
    event ConfigSet(Config config);
    /// @param taskId The task opened.
    /// @param requester Who escrowed.
    /// @param instanceId Chosen instance.
    /// @param pinned Whether the requester pinned it.
    /// @param scores Score per instance id (zero when skipped; empty when pinned).
    /// @param reasons SkipReason per instance id (empty when pinned).
    event TaskRouted(
        uint256 indexed taskId,
        address indexed requester,
        uint256 indexed instanceId,
        bool pinned,
        uint256[] scores,
        uint8[] reasons
    );
    /// @param taskId The task.
    /// @param instanceId Its instance.
    /// @param outcome How it ended.
    /// @param latencyBps Time to proof ÷ allowed time (10,000 on failure; 0 when cancelled).
    /// @param priceBps Paid ÷ max payment (0 unless fulfilled).
    /// @param slashed Whether collateral was slashed on it.
    event OutcomeRecorded(
        uint256 indexed taskId,
        uint256 indexed instanceId,
        Outcome outcome,
        uint256 latencyBps,
        uint256 priceBps,
        bool slashed
    );

    /// @notice Decodes a routed request's mechanismData (external so that route and quote can turn a
    ///         malformed encoding into MalformedKindData).
    function decodeKindData(bytes calldata raw) external pure returns (KindData[] memory);

    /// @notice Registers a mechanism instance allow-listed in the router's task core (ROUTER_ADMIN_ROLE).
    function addInstance(address mechanism, Limits calldata limits) external returns (uint256 instanceId);
    /// @notice Replaces an instance's limits (ROUTER_ADMIN_ROLE).
    function setLimits(uint256 instanceId, Limits calldata limits) external;
    /// @notice Overrides an instance's declared scores (ROUTER_ADMIN_ROLE); kind is kept.
    function overrideDeclared(uint256 instanceId, IMechanism.Profile calldata declared) external;
    /// @notice Re-reads the instance's own profile() as its declared scores (ROUTER_ADMIN_ROLE).
    function clearOverride(uint256 instanceId) external;
    /// @notice Stops routing to an instance (ROUTER_ADMIN_ROLE).
    function retireInstance(uint256 instanceId) external;
    /// @notice Sets the router-wide tuning (ROUTER_ADMIN_ROLE).
    function setConfig(Config calldata config) external;

    /// @notice Registered instances (ids are 0..instanceCount−1).
    function instanceCount() external view returns (uint256);
    /// @notice An instance.
    function instanceOf(uint256 instanceId) external view returns (Instance memory);
    /// @notice An instance's delivered-QoS statistics.
    function statsOf(uint256 instanceId)
        external
        view
        returns (uint16 latencyBps, uint16 priceBps, uint16 failBps, uint16 slashBps, uint32 count, uint32 fulfilled);
    /// @notice The router-wide tuning.
    function config() external view returns (Config memory);
}
