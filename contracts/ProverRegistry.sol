// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICapacityHolder} from "./interfaces/ICapacityHolder.sol";
import {IProverRegistry} from "./interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "./interfaces/ITaskRegistry.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title ProverRegistry
/// @notice Prover stake, declared capacity, a two-step unstake, per-assignment collateral and slashing.
///         Locking, releasing and slashing collateral are reserved to the TaskRegistry (TASK_REGISTRY_ROLE),
///         which applies the protocol's rules; everything else is permissionless.
/// @dev Accounting per prover: `locked + pendingUnstake <= stake` always holds. Locks take free stake only;
///      a slash takes locked collateral only, so a queued unstake is never reduced by a slash and locked
///      stake can never be withdrawn. The contract's token balance equals the sum of all stakes.
contract ProverRegistry is IProverRegistry, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Held by the TaskRegistry: may lock, release and slash collateral and record completions.
    bytes32 public constant TASK_REGISTRY_ROLE = keccak256("proofmarket.role.task-registry");

    /// @notice The stake token (also the collateral, escrow and payment token of the deployment).
    IERC20 public immutable token;
    /// @notice Most capacity holders that may be listed: a member's every assignment asks each of them.
    uint256 public constant MAX_CAPACITY_HOLDERS = 8;

    /// @notice Largest stake a prover may hold (stake and locked are 96-bit, see ProverData).
    uint256 public constant MAX_STAKE = type(uint96).max;

    /// @notice Minimum stake to register.
    uint256 public immutable minStake;
    /// @notice Seconds between requestUnstake and completeUnstake.
    uint64 public immutable unstakeDelay;

    /// @dev A prover in storage: two slots. The first holds everything an assignment's lock, release and slash
    ///      touch (stake, locked, the assignment count, the capacity and the capacity-holder memberships — bit i:
    ///      a member of `_holders[i]`), so each of them reads and writes one slot; `unstakePending` says whether
    ///      the free-stake check must read `pendingUnstake` in the second. Stake and locked are 96-bit (MAX_STAKE,
    ///      ≈ 7.9·10^10 tokens of 18 decimals; a larger stake is refused with StakeAboveMaximum). The second slot
    ///      holds the unstake queue, the hardware class and a completion counter (`recordCompletion` and a release
    ///      with `completed`; the bound TaskRegistry counts its own completions and asks for none).
    ///      `unstakeAvailableAt` is 40-bit (good until year 36812; the interface widens it); `pendingUnstake`
    ///      is 120-bit (≤ stake). `changedAt` (second slot, which those calls write anyway except `addStake`) is
    ///      the block of the prover's last change of weight or eligibility, for draws (`changedAt`).
    struct ProverData {
        // slot 0: everything lockCollateral, releaseCollateral and slashCollateral touch
        uint96 stake;
        uint96 locked;
        uint16 maxConcurrent;
        uint16 activeAssignments;
        uint8 holderBits;
        bool registered;
        bool unstakePending; // pendingUnstake != 0: the free-stake check reads slot 1 only then
        // slot 1
        uint120 pendingUnstake;
        uint40 unstakeAvailableAt;
        uint8 hardwareClass;
        uint40 completed;
        uint40 changedAt; // block of the last register, addStake, setCapacity or unstake-queue change
    }

    /// @dev Misses and slashes: one slot, written by a slash only.
    struct SlashRecord {
        uint64 missed;
        uint64 slashedCount;
        uint128 slashedAmount;
    }

    mapping(address prover => ProverData) internal _provers;
    mapping(address prover => SlashRecord) internal _records;
    address[] internal _proverList;
    /// @dev The TaskRegistry whose completions `recordOf` adds (see `_grantRole`).
    address internal _taskRegistry;
    /// @dev Listed capacity holders (addCapacityHolder), at most MAX_CAPACITY_HOLDERS (one bit each in
    ///      `ProverData.holderBits`).
    address[] internal _holders;

    modifier onlyTaskRegistry() {
        if (!hasRole(TASK_REGISTRY_ROLE, msg.sender)) revert OnlyTaskRegistry(msg.sender);
        _;
    }

    /// @param token_ The stake token.
    /// @param minStake_ Minimum stake to register (≥ 1 token unit; zero stake is always refused).
    /// @param unstakeDelay_ Seconds a queued unstake waits (so that a prover cannot run from a slash it
    ///        sees coming).
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants TASK_REGISTRY_ROLE to the task registry).
    constructor(IERC20 token_, uint256 minStake_, uint64 unstakeDelay_, address admin) {
        token = token_;
        minStake = minStake_;
        unstakeDelay = unstakeDelay_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ prover side

    /// @inheritdoc IProverRegistry
    function register(uint256 amount, uint8 hardwareClass, uint16 maxConcurrent) external nonReentrant {
        if (amount == 0) revert ZeroStake();
        if (maxConcurrent == 0) revert ZeroCapacity();
        if (amount < minStake) revert StakeBelowMinimum(minStake, amount);
        if (amount > MAX_STAKE) revert StakeAboveMaximum(MAX_STAKE, amount);
        ProverData storage p = _provers[msg.sender];
        if (p.registered) revert AlreadyRegistered(msg.sender);

        p.registered = true;
        p.stake = uint96(amount);
        p.hardwareClass = hardwareClass;
        p.changedAt = uint40(block.number);
        p.maxConcurrent = maxConcurrent;
        _proverList.push(msg.sender);
        emit ProverRegistered(msg.sender, amount, hardwareClass, maxConcurrent);

        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IProverRegistry
    function addStake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroStake();
        ProverData storage p = _registered(msg.sender);
        uint256 total = p.stake + amount;
        if (total > MAX_STAKE) revert StakeAboveMaximum(MAX_STAKE, total);
        p.stake = uint96(total);
        p.changedAt = uint40(block.number);
        emit StakeAdded(msg.sender, amount, total);

        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IProverRegistry
    function setCapacity(uint8 hardwareClass, uint16 maxConcurrent) external {
        if (maxConcurrent == 0) revert ZeroCapacity();
        ProverData storage p = _registered(msg.sender);
        uint256 load = _load(msg.sender, p, address(0));
        if (maxConcurrent < load) revert CapacityBelowActive(msg.sender, load);
        p.hardwareClass = hardwareClass;
        p.maxConcurrent = maxConcurrent;
        p.changedAt = uint40(block.number);
        emit CapacitySet(msg.sender, hardwareClass, maxConcurrent);
    }

    /// @inheritdoc IProverRegistry
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert ZeroStake();
        ProverData storage p = _registered(msg.sender);
        uint256 free = _free(p);
        if (amount > free) revert InsufficientFreeStake(msg.sender, amount, free);
        uint256 pending = p.pendingUnstake + amount;
        uint64 availableAt = uint64(block.timestamp) + unstakeDelay;
        p.pendingUnstake = pending.toUint120();
        p.unstakePending = true;
        p.changedAt = uint40(block.number);
        p.unstakeAvailableAt = uint256(availableAt).toUint40();
        emit UnstakeRequested(msg.sender, pending, availableAt);
    }

    /// @inheritdoc IProverRegistry
    function cancelUnstake() external {
        ProverData storage p = _provers[msg.sender];
        uint256 pending = p.pendingUnstake;
        if (pending == 0) revert NoPendingUnstake(msg.sender);
        p.pendingUnstake = 0;
        p.unstakeAvailableAt = 0;
        p.unstakePending = false;
        p.changedAt = uint40(block.number);
        emit UnstakeCancelled(msg.sender, pending);
    }

    /// @inheritdoc IProverRegistry
    function completeUnstake() external nonReentrant {
        ProverData storage p = _provers[msg.sender];
        uint256 pending = p.pendingUnstake;
        if (pending == 0) revert NoPendingUnstake(msg.sender);
        if (block.timestamp < p.unstakeAvailableAt) revert UnstakeNotReady(p.unstakeAvailableAt);
        // Slashes take locked collateral only, so `pending <= stake - locked` still holds; the min is a
        // belt-and-braces guard that locked stake never leaves.
        uint256 withdrawable = p.stake - p.locked;
        uint256 amount = pending < withdrawable ? pending : withdrawable;
        p.stake -= amount.toUint96();
        p.pendingUnstake = 0;
        p.unstakeAvailableAt = 0;
        p.unstakePending = false;
        p.changedAt = uint40(block.number);
        emit Unstaked(msg.sender, amount);

        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ task registry side

    /// @inheritdoc IProverRegistry
    function lockCollateral(address prover, uint256 taskId, uint256 amount) external onlyTaskRegistry {
        ProverData storage p = _registered(prover);
        if (_load(prover, p, address(0)) >= p.maxConcurrent) revert CapacityExceeded(prover, p.maxConcurrent);
        uint256 free = _free(p);
        if (amount > free) revert InsufficientFreeStake(prover, amount, free);
        p.locked += amount.toUint96();
        p.activeAssignments += 1;
        emit CollateralLocked(prover, taskId, amount);
    }

    /// @inheritdoc IProverRegistry
    function releaseCollateral(address prover, uint256 taskId, uint256 amount, bool completed)
        external
        onlyTaskRegistry
    {
        ProverData storage p = _provers[prover];
        if (amount > p.locked) revert LockedStakeTooLow(prover, amount, p.locked);
        p.locked -= amount.toUint96();
        p.activeAssignments -= 1;
        if (completed) p.completed += 1;
        emit CollateralReleased(prover, taskId, amount, completed);
    }

    /// @inheritdoc IProverRegistry
    function slashCollateral(address prover, uint256 taskId, uint256 amount) external onlyTaskRegistry {
        ProverData storage p = _provers[prover];
        if (amount > p.locked) revert LockedStakeTooLow(prover, amount, p.locked);
        uint96 slashed = amount.toUint96();
        p.locked -= slashed;
        p.stake -= slashed;
        p.activeAssignments -= 1;
        SlashRecord storage r = _records[prover];
        r.missed += 1;
        r.slashedCount += 1;
        r.slashedAmount += slashed;
        emit Slashed(prover, taskId, amount);

        if (amount != 0) token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IProverRegistry
    function recordCompletion(address prover) external onlyTaskRegistry {
        _registered(prover).completed += 1;
    }

    // ------------------------------------------------------------------ capacity holders

    /// @inheritdoc IProverRegistry
    function addCapacityHolder(address holder) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (holder.code.length == 0) revert InvalidCapacityHolder(holder);
        (, bool listed) = _holderIndex(holder);
        if (listed) revert CapacityHolderListed(holder);
        if (_holders.length >= MAX_CAPACITY_HOLDERS) revert TooManyCapacityHolders(MAX_CAPACITY_HOLDERS);
        _holders.push(holder);
        emit CapacityHolderAdded(holder);
    }

    /// @inheritdoc IProverRegistry
    function enterCapacityHolder(address prover) external {
        uint8 bit = _holderBit(msg.sender);
        ProverData storage p = _registered(prover);
        if (p.holderBits & bit != 0) revert CapacityMembership(msg.sender, prover, true);
        p.holderBits |= bit;
        emit CapacityHolderEntered(msg.sender, prover);
    }

    /// @inheritdoc IProverRegistry
    function exitCapacityHolder(address prover) external {
        uint8 bit = _holderBit(msg.sender);
        ProverData storage p = _provers[prover];
        if (p.holderBits & bit == 0) revert CapacityMembership(msg.sender, prover, false);
        p.holderBits &= ~bit;
        emit CapacityHolderExited(msg.sender, prover);
    }

    /// @inheritdoc IProverRegistry
    function capacityHolders() external view returns (address[] memory) {
        return _holders;
    }

    /// @inheritdoc IProverRegistry
    function isCapacityMember(address holder, address prover) external view returns (bool) {
        (uint256 i, bool listed) = _holderIndex(holder);
        return listed && (_provers[prover].holderBits >> i) & 1 == 1;
    }

    /// @inheritdoc IProverRegistry
    function heldCapacityOf(address prover) external view returns (uint256) {
        ProverData storage p = _provers[prover];
        return _load(prover, p, address(0)) - p.activeAssignments;
    }

    /// @inheritdoc IProverRegistry
    function capacityLeft(address prover, address excludedHolder) external view returns (uint256) {
        ProverData storage p = _provers[prover];
        uint256 used = _load(prover, p, excludedHolder);
        return p.maxConcurrent > used ? p.maxConcurrent - used : 0;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IProverRegistry
    function proverOf(address prover) external view returns (Prover memory) {
        ProverData storage p = _provers[prover];
        return Prover({
            stake: p.stake,
            locked: p.locked,
            pendingUnstake: p.pendingUnstake,
            unstakeAvailableAt: p.unstakeAvailableAt,
            maxConcurrent: p.maxConcurrent,
            activeAssignments: p.activeAssignments,
            hardwareClass: p.hardwareClass,
            registered: p.registered
        });
    }

    /// @inheritdoc IProverRegistry
    function recordOf(address prover) external view returns (ProverRecord memory) {
        SlashRecord storage r = _records[prover];
        uint256 completed = _provers[prover].completed;
        address tasks = _taskRegistry;
        if (tasks != address(0)) completed += ITaskRegistry(tasks).completionsOf(prover);
        return ProverRecord({
            completed: completed.toUint64(),
            missed: r.missed,
            slashedCount: r.slashedCount,
            slashedAmount: r.slashedAmount
        });
    }

    /// @inheritdoc IProverRegistry
    function freeStake(address prover) external view returns (uint256) {
        return _free(_provers[prover]);
    }

    /// @inheritdoc IProverRegistry
    function changedAt(address prover) external view returns (uint256) {
        return _provers[prover].changedAt;
    }

    /// @inheritdoc IProverRegistry
    function isRegistered(address prover) external view returns (bool) {
        return _provers[prover].registered;
    }

    /// @inheritdoc IProverRegistry
    function proverCount() external view returns (uint256) {
        return _proverList.length;
    }

    /// @inheritdoc IProverRegistry
    function proverAt(uint256 index) external view returns (address) {
        return _proverList[index];
    }

    // ------------------------------------------------------------------ the bound task registry

    /// @inheritdoc IProverRegistry
    function taskRegistry() external view returns (address) {
        return _taskRegistry;
    }

    /// @dev Binds the TaskRegistry whose completions `recordOf` adds: the first account granted
    ///      TASK_REGISTRY_ROLE that names this contract as its `provers()` (every deployment grants the role to its
    ///      TaskRegistry right after deploying it; other holders of the role, such as a test harness, do not name
    ///      it and are not bound). The binding is permanent: the counts it adds are history, and revoking the
    ///      role must not erase them. A second such TaskRegistry is refused (TaskRegistryAlreadyBound), because
    ///      its completions would be missing from every record.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (role != TASK_REGISTRY_ROLE || account == _taskRegistry || !_namesThisRegistry(account)) return granted;
        if (_taskRegistry != address(0)) revert TaskRegistryAlreadyBound(_taskRegistry, account);
        _taskRegistry = account;
        emit TaskRegistryBound(account);
    }

    /// @dev Whether `account` answers `provers()` with this contract (a failing or malformed answer: no).
    function _namesThisRegistry(address account) internal view returns (bool) {
        if (account.code.length == 0) return false;
        (bool ok, bytes memory ret) = account.staticcall{gas: 50_000}(abi.encodeCall(ITaskRegistry.provers, ()));
        return ok && ret.length == 32 && abi.decode(ret, (uint256)) == uint256(uint160(address(this)));
    }

    // ------------------------------------------------------------------ internal

    function _registered(address prover) internal view returns (ProverData storage p) {
        p = _provers[prover];
        if (!p.registered) revert NotRegistered(prover);
    }

    /// @dev Live assignments plus what the prover's holders other than `excluded` report (one list element and
    ///      one call per membership). A prover that is nobody's member (the common case) costs nothing more: its
    ///      membership bits sit in the slot read for the assignments.
    function _load(address prover, ProverData storage p, address excluded) internal view returns (uint256 load) {
        load = p.activeAssignments;
        uint256 bits = p.holderBits;
        for (uint256 i; bits != 0; ++i) {
            if (bits & 1 == 1) {
                address holder = _holderAt(i);
                if (holder != excluded) load += ICapacityHolder(holder).heldCapacityOf(prover);
            }
            bits >>= 1;
        }
    }

    /// @dev `_holders[i]` without the length read of the bounds check (a second cold slot): a membership bit
    ///      is only ever set for a listed position, and the list only grows.
    function _holderAt(uint256 i) internal view returns (address holder) {
        assembly ("memory-safe") {
            mstore(0x00, _holders.slot)
            holder := sload(add(keccak256(0x00, 0x20), i))
        }
    }

    /// @dev `holder`'s position in the list, and whether it is listed.
    function _holderIndex(address holder) internal view returns (uint256 i, bool listed) {
        uint256 n = _holders.length;
        for (; i < n; ++i) {
            if (_holders[i] == holder) return (i, true);
        }
    }

    /// @dev `holder`'s membership bit (its list position); NotCapacityHolder if it is not listed.
    function _holderBit(address holder) internal view returns (uint8) {
        (uint256 i, bool listed) = _holderIndex(holder);
        if (!listed) revert NotCapacityHolder(holder);
        return uint8(1 << i);
    }

    function _free(ProverData storage p) internal view returns (uint256) {
        uint256 free = p.stake - p.locked;
        return p.unstakePending ? free - p.pendingUnstake : free;
    }
}
