// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerAscendingPriceAuction} from "../../interfaces/ILedgerAscendingPriceAuction.sol";
import {ILedgerMechanism} from "../../interfaces/ILedgerMechanism.sol";
import {IMechanism} from "../../interfaces/IMechanism.sol";
import {ITaskLedger} from "../../interfaces/ITaskLedger.sol";
import {LinearPriceRamp} from "../../libraries/LinearPriceRamp.sol";
import {LedgerTask} from "../../types/LedgerTask.sol";

/// @title LedgerAscendingPriceAuction
/// @notice The ascending-price lock auction (the rules of `AscendingPriceAuction`) as a TaskLedger mechanism: the
///         price ramps from a floor to the slot maximum, the first prover to lock takes the task at the current
///         price with collateral, a lapsed lock is slashed by anyone and the task is free again. See
///         ILedgerAscendingPriceAuction.
/// @dev What moved out of the stored auction's two storage words, and why nothing is lost:
///      * `Auction` (openedAt, deadline, slotMax, slots, locked, delivered, round): the ramp starts at the task's
///        `openedAt` and its ceiling is maxPayment / redundancy, both read from the task; the ledger knows whether
///        the task is locked (its assignee), settles each proof against its slot and deletes the word when the task
///        is fulfilled. A reopen to this instance gets a fresh `openedAt` and no assignment from the ledger, which
///        is what the stored `round` was for: the ramp restarts and no stale lock survives.
///      * `Lock` (lockDeadline, round): the lock deadline is the task's `mechanismState`, written by the ledger's
///        `assign`; the lock's price and collateral are the assignment's.
///      So the auction keeps no storage at all, declares no hook flags (creation calls nothing here; an assignee's
///      proof is paid its price by the ledger without a call, which is the stored rule "the locker is paid its
///      locked price") and only the payment hook runs, for a proof without a lock. The redundancy cap is 1 because
///      the ledger's `assign` needs it (the stored auction locked up to 32 slots per task).
///
///      No reentrancy guard: the auction holds no tokens and no state, and its only external calls go to the
///      ledger, which calls back nothing here during `assign` / `slashAssignment`.
contract LedgerAscendingPriceAuction is ILedgerAscendingPriceAuction {
    /// @inheritdoc ILedgerAscendingPriceAuction
    ITaskLedger public immutable ledger;
    /// @inheritdoc ILedgerAscendingPriceAuction
    uint16 public immutable floorBps;
    /// @inheritdoc ILedgerAscendingPriceAuction
    uint32 public immutable rampPeriod;
    /// @inheritdoc ILedgerAscendingPriceAuction
    uint32 public immutable lockWindow;
    /// @inheritdoc ILedgerAscendingPriceAuction
    uint96 public immutable lockCollateral;

    modifier onlyLedger() {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        _;
    }

    constructor(Params memory p) {
        if (address(p.ledger) == address(0)) revert InvalidParameter("ledger");
        if (p.floorBps > LinearPriceRamp.BPS) revert InvalidParameter("floorBps");
        if (p.lockWindow == 0) revert InvalidParameter("lockWindow");
        ledger = p.ledger;
        floorBps = p.floorBps;
        rampPeriod = p.rampPeriod;
        lockWindow = p.lockWindow;
        lockCollateral = p.lockCollateral;
    }

    // ------------------------------------------------------------------ auction

    /// @inheritdoc ILedgerAscendingPriceAuction
    function lock(uint256 taskId, LedgerTask calldata task) external returns (uint96 price, uint64 lockDeadline) {
        uint256 end = block.timestamp + lockWindow;
        if (end > task.deadline) revert LockPastDeadline(taskId, end, task.deadline);
        // forge-lint: disable-next-line(unsafe-typecast) end <= task.deadline, a uint32
        lockDeadline = uint64(end);
        price = _priceAt(task, block.timestamp);
        // The ledger checks the copy (StaleTask), that it is this instance's task and not locked (AlreadyAssigned),
        // the deadline and redundancy 1; the ProverRegistry that msg.sender is registered with free stake and
        // capacity. The price is ≤ the slot maximum, so within the budget.
        ledger.assign(taskId, task, msg.sender, price, _collateralOf(task), lockDeadline);
    }

    /// @inheritdoc ILedgerAscendingPriceAuction
    /// @dev The lock deadline is read from the caller's copy before the ledger checks it: a forged copy makes the
    ///      ledger's `slashAssignment` revert StaleTask, and the whole call with it. After the slash the task's
    ///      mechanismState is zero (not locked).
    function slashLock(uint256 taskId, LedgerTask calldata task) external {
        address prover = task.assignee;
        if (prover == address(0)) revert NoLock(taskId);
        uint64 lockDeadline = task.mechanismState;
        if (block.timestamp <= lockDeadline) revert LockNotExpired(taskId, prover, lockDeadline);
        ledger.slashAssignment(taskId, task, 0);
    }

    // ------------------------------------------------------------------ ILedgerMechanism

    /// @inheritdoc ILedgerMechanism
    /// @dev No hook flags; redundancy cap 1 (locks are assignments, which need it).
    function hooks() external pure returns (uint8 hookFlags, uint8 redundancyCap) {
        return (0, 1);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Not declared (HOOK_OPEN), so the ledger never calls it: a task opens unlocked (mechanismState 0).
    function onTaskOpened(uint256, LedgerTask calldata, bytes calldata) external view onlyLedger returns (uint64) {
        return 0;
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Called only for a proof without a lock (HOOK_ASSIGNED_PROOF is not declared, so the locker is paid its
    ///      locked price by the ledger; while the task is locked nobody else may prove). Pays the current ramp
    ///      price; the ledger adds the cover bounty of a slashed lock to the proof that fulfils the task.
    function onProofAccepted(uint256, LedgerTask calldata task, address, uint256)
        external
        view
        onlyLedger
        returns (uint256)
    {
        return _priceAt(task, block.timestamp);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Not declared (HOOK_CLOSE): nothing to release.
    function onTaskClosed(uint256, LedgerTask calldata) external view onlyLedger {}

    /// @inheritdoc ILedgerMechanism
    /// @dev The stored auction's profile: speed 8 (a prover locks as soon as the price covers its cost and proves
    ///      at once; the lock window bounds the delay), cost 6 (the price stops at the cheapest prover's reservation
    ///      price plus one ramp step), safety 5 (one collateralised locker; a lapse is slashed and the task reopens),
    ///      censorship resistance 7 (anyone may lock or prove without a lock; a censoring locker is slashed and
    ///      replaced within one lock window).
    function profile() external pure returns (IMechanism.Profile memory) {
        return IMechanism.Profile({kind: 3, speed: 8, cost: 6, safety: 5, censorshipResistance: 7});
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILedgerAscendingPriceAuction
    function priceAt(LedgerTask calldata task, uint256 at) external view returns (uint96) {
        return _priceAt(task, at);
    }

    /// @inheritdoc ILedgerAscendingPriceAuction
    function currentPrice(LedgerTask calldata task) external view returns (uint96) {
        return _priceAt(task, block.timestamp);
    }

    /// @inheritdoc ILedgerAscendingPriceAuction
    function collateralOf(LedgerTask calldata task) external view returns (uint96) {
        return _collateralOf(task);
    }

    /// @inheritdoc ILedgerAscendingPriceAuction
    function lockDeadlineOf(LedgerTask calldata task) external pure returns (uint64) {
        return task.assignee == address(0) ? 0 : task.mechanismState;
    }

    // ------------------------------------------------------------------ internal

    /// @dev ceiling = maxPayment / redundancy (the slot), floor = ceiling · floorBps / 10 000, from openedAt.
    function _priceAt(LedgerTask calldata task, uint256 at) internal view returns (uint96) {
        uint256 ceiling = uint256(task.maxPayment) / task.redundancy;
        uint256 floor = LinearPriceRamp.fractionOf(ceiling, floorBps);
        // forge-lint: disable-next-line(unsafe-typecast) the ramp price is ≤ ceiling ≤ maxPayment, a uint96
        return uint96(LinearPriceRamp.priceAt(floor, ceiling, task.openedAt, rampPeriod, at));
    }

    /// @dev The instance's lock collateral, raised to the requester's floor (the ledger carries `minCollateral`
    ///      for the mechanisms to enforce).
    function _collateralOf(LedgerTask calldata task) internal view returns (uint96) {
        uint96 floor = task.minCollateral;
        return floor > lockCollateral ? floor : lockCollateral;
    }
}
