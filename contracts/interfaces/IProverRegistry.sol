// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IProverRegistry
/// @notice Permissionless prover registration with stake in one ERC-20 (fixed at deploy), declared
///         capacity, a two-step unstake, collateral locked per assignment, and slashing — the last two
///         only on the TaskRegistry's instruction. Each prover's record is public.
/// @dev Accounting: `stake` is everything the prover has in the registry; `locked` ≤ `stake` is
///      collateral behind live assignments; `pendingUnstake` is queued for withdrawal (still slashable,
///      never lockable). Free stake = stake − locked − pendingUnstake.
interface IProverRegistry {
    /// @notice Registry-side view of a prover.
    /// @param stake Total stake held for the prover.
    /// @param locked Collateral locked behind live assignments.
    /// @param pendingUnstake Amount queued by requestUnstake.
    /// @param unstakeAvailableAt When the queued amount may be withdrawn.
    /// @param maxConcurrent Declared maximum concurrent assignments.
    /// @param activeAssignments Live assignments.
    /// @param hardwareClass Declared hardware class (0 = cpu-small … 255; see docs/protocol.md).
    /// @param registered Whether the prover has registered.
    struct Prover {
        uint128 stake;
        uint128 locked;
        uint128 pendingUnstake;
        uint64 unstakeAvailableAt;
        uint16 maxConcurrent;
        uint16 activeAssignments;
        uint8 hardwareClass;
        bool registered;
    }

    /// @notice A prover's public track record.
    struct ProverRecord {
        uint64 completed;
        uint64 missed;
        uint64 slashedCount;
        uint128 slashedAmount;
    }

    error ZeroStake();
    error ZeroCapacity();
    /// @param required The registry's minimum stake.
    /// @param provided What was offered.
    error StakeBelowMinimum(uint256 required, uint256 provided);
    /// @notice A stake would exceed the largest one the registry holds (2^96 − 1 token units, ≈ 7.9·10^10
    ///         tokens of 18 decimals: stake and locked share one storage slot with the assignment count).
    /// @param max The largest stake.
    /// @param provided The stake it would have become.
    error StakeAboveMaximum(uint256 max, uint256 provided);
    error AlreadyRegistered(address prover);
    error NotRegistered(address prover);
    /// @param prover The prover.
    /// @param requested The amount asked for.
    /// @param free The prover's free stake.
    error InsufficientFreeStake(address prover, uint256 requested, uint256 free);
    /// @param prover The prover.
    /// @param maxConcurrent Its declared capacity.
    error CapacityExceeded(address prover, uint256 maxConcurrent);
    /// @param prover The prover.
    /// @param active Its load, which the new capacity may not undercut: live assignments plus the slots its
    ///        capacity holders report (`heldCapacityOf`).
    error CapacityBelowActive(address prover, uint256 active);
    error NoPendingUnstake(address prover);
    /// @param availableAt When the unstake may complete.
    error UnstakeNotReady(uint256 availableAt);
    /// @param prover The prover.
    /// @param requested Amount to unlock or slash.
    /// @param locked What is locked.
    error LockedStakeTooLow(address prover, uint256 requested, uint256 locked);
    /// @param caller The unauthorised caller.
    error OnlyTaskRegistry(address caller);

    /// @param prover The new prover.
    /// @param stake Initial stake.
    /// @param hardwareClass Declared hardware class.
    /// @param maxConcurrent Declared capacity.
    event ProverRegistered(address indexed prover, uint256 stake, uint8 hardwareClass, uint16 maxConcurrent);
    /// @param prover The prover.
    /// @param amount Added stake.
    /// @param total Stake after.
    event StakeAdded(address indexed prover, uint256 amount, uint256 total);
    /// @param prover The prover.
    /// @param hardwareClass New hardware class.
    /// @param maxConcurrent New capacity.
    event CapacitySet(address indexed prover, uint8 hardwareClass, uint16 maxConcurrent);
    /// @param prover The prover.
    /// @param amount Amount queued (total pending after this call).
    /// @param availableAt When it may be withdrawn.
    event UnstakeRequested(address indexed prover, uint256 amount, uint64 availableAt);
    /// @param prover The prover.
    /// @param amount Amount returned to free stake.
    event UnstakeCancelled(address indexed prover, uint256 amount);
    /// @param prover The prover.
    /// @param amount Amount transferred out.
    event Unstaked(address indexed prover, uint256 amount);
    /// @param prover The prover.
    /// @param taskId The assignment's task.
    /// @param amount Collateral locked.
    event CollateralLocked(address indexed prover, uint256 indexed taskId, uint256 amount);
    /// @param prover The prover.
    /// @param taskId The assignment's task.
    /// @param amount Collateral released.
    /// @param completed Whether the assignment was delivered (counts in the record).
    event CollateralReleased(address indexed prover, uint256 indexed taskId, uint256 amount, bool completed);
    /// @param prover The prover.
    /// @param taskId The task it failed.
    /// @param amount Stake slashed (sent to the task registry, which splits it).
    event Slashed(address indexed prover, uint256 indexed taskId, uint256 amount);

    /// @notice Registers msg.sender with `amount` stake (pulled with transferFrom) and capacity.
    function register(uint256 amount, uint8 hardwareClass, uint16 maxConcurrent) external;
    /// @notice Adds stake for msg.sender.
    function addStake(uint256 amount) external;
    /// @notice Changes msg.sender's declared capacity; cannot go below its load (live assignments plus the slots
    ///         its capacity holders report).
    function setCapacity(uint8 hardwareClass, uint16 maxConcurrent) external;
    /// @notice Queues `amount` of free stake for withdrawal after the unstake delay (adds to any pending).
    function requestUnstake(uint256 amount) external;
    /// @notice Returns the pending amount to free stake.
    function cancelUnstake() external;
    /// @notice Withdraws the pending amount once the delay has passed (less anything slashed meanwhile).
    function completeUnstake() external;

    /// @notice Locks `amount` of `prover`'s free stake behind an assignment of `taskId` (task registry only).
    /// @dev Reverts NotRegistered, InsufficientFreeStake or CapacityExceeded (live assignments plus the slots the
    ///      prover's capacity holders report already fill its declared capacity).
    function lockCollateral(address prover, uint256 taskId, uint256 amount) external;
    /// @notice Releases an assignment's collateral (task registry only).
    /// @param completed Whether this registry's record counts a completion. The bound TaskRegistry passes false:
    ///        it counts every accepted proof itself (ITaskRegistry.completionsOf), which `recordOf` adds.
    function releaseCollateral(address prover, uint256 taskId, uint256 amount, bool completed) external;
    /// @notice Slashes `amount` of `prover`'s locked collateral for `taskId`, sending it to the task
    ///         registry, which splits it by its rules (task registry only). Counts a miss.
    function slashCollateral(address prover, uint256 taskId, uint256 amount) external;
    /// @notice Counts a delivered proof for which no collateral was locked (task registry role only). Reverts with
    ///         NotRegistered if `prover` is not registered. The TaskRegistry does not call it: it counts
    ///         completions itself (ITaskRegistry.completionsOf), which `recordOf` adds.
    function recordCompletion(address prover) external;

    /// @notice The prover's registry entry.
    function proverOf(address prover) external view returns (Prover memory);
    /// @notice The prover's record. `completed` counts the completions recorded here (`recordCompletion`, a release
    ///         with `completed`) plus the bound TaskRegistry's count of the prover's accepted proofs
    ///         (`completionsOf`).
    function recordOf(address prover) external view returns (ProverRecord memory);
    /// @notice stake − locked − pendingUnstake.
    function freeStake(address prover) external view returns (uint256);
    /// @notice The block of `prover`'s last registration, stake, unstake-queue or capacity change (0: none). A
    ///         draw fixed before it must not count the prover: it could have made the change after seeing the
    ///         draw's randomness (ElectionRace).
    function changedAt(address prover) external view returns (uint256);
    /// @notice Whether `prover` is registered.
    function isRegistered(address prover) external view returns (bool);
    /// @notice Registered provers, in registration order (for stake-weighted draws).
    function proverCount() external view returns (uint256);
    /// @notice The `index`-th registered prover.
    function proverAt(uint256 index) external view returns (address);

    // ------------------------------------------------------------------ the bound task registry

    /// @notice TASK_REGISTRY_ROLE was granted to a second TaskRegistry of this ProverRegistry: one ProverRegistry
    ///         serves one TaskRegistry, whose completions `recordOf` adds.
    /// @param bound The TaskRegistry already bound.
    /// @param other The one the role was granted to.
    error TaskRegistryAlreadyBound(address bound, address other);

    /// @notice `taskRegistry` was granted TASK_REGISTRY_ROLE and names this ProverRegistry as its `provers()`:
    ///         from now on `recordOf` adds its count of completions. Happens once.
    /// @param taskRegistry The TaskRegistry.
    event TaskRegistryBound(address indexed taskRegistry);

    /// @notice The TaskRegistry whose completions `recordOf` adds (zero until it is granted the role).
    function taskRegistry() external view returns (address);

    // ------------------------------------------------------------------ capacity holders

    /// @notice Caller is not a listed capacity holder.
    error NotCapacityHolder(address caller);
    /// @notice The holder is listed already.
    error CapacityHolderListed(address holder);
    /// @notice The list is full (each holder is asked on every assignment of its members).
    error TooManyCapacityHolders(uint256 max);
    /// @notice A capacity holder must be a contract.
    error InvalidCapacityHolder(address holder);
    /// @notice The holder entered a prover that is its member already, or exited one that is not.
    /// @param holder The holder.
    /// @param prover The prover.
    /// @param member Whether the prover is the holder's member.
    error CapacityMembership(address holder, address prover, bool member);

    /// @param holder The mechanism listed (its `heldCapacityOf` now counts against its members' capacity).
    event CapacityHolderAdded(address indexed holder);
    /// @param holder The holder.
    /// @param prover The prover that became its member.
    event CapacityHolderEntered(address indexed holder, address indexed prover);
    /// @param holder The holder.
    /// @param prover The prover that stopped being its member.
    event CapacityHolderExited(address indexed holder, address indexed prover);

    /// @notice Lists `holder`, a mechanism that gives provers jobs the task registry does not see as assignments
    ///         (a TreeAssignment's locked ranges); admin only, permanent. From then on a member's load is its live
    ///         assignments plus what every holder it is a member of reports (`ICapacityHolder.heldCapacityOf`), and
    ///         `lockCollateral` and `setCapacity` keep that load within the declared capacity.
    function addCapacityHolder(address holder) external;
    /// @notice Makes `prover` a member of msg.sender, a listed holder (a prover joining its pool).
    function enterCapacityHolder(address prover) external;
    /// @notice Ends `prover`'s membership of msg.sender (it holds nothing for the prover any more).
    function exitCapacityHolder(address prover) external;
    /// @notice The listed capacity holders.
    function capacityHolders() external view returns (address[] memory);
    /// @notice Whether `prover` is a member of `holder`.
    function isCapacityMember(address holder, address prover) external view returns (bool);
    /// @notice Slots of `prover`'s capacity that its holders report, all together.
    function heldCapacityOf(address prover) external view returns (uint256);
    /// @notice Declared capacity − live assignments − the slots every holder but `excludedHolder` reports, floored at
    ///         zero (a holder asks with itself excluded and subtracts what it holds itself).
    function capacityLeft(address prover, address excludedHolder) external view returns (uint256);
}
