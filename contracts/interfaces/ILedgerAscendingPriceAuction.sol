// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";
import {ILedgerMechanism} from "./ILedgerMechanism.sol";
import {ITaskLedger} from "./ITaskLedger.sol";

/// @title ILedgerAscendingPriceAuction
/// @notice Ascending-price lock auction (Boundless's model) over the TaskLedger (one-word tasks). From the moment a
///         task opens under the instance (its creation, or its reopen as a fallback: the task's `openedAt`), the
///         price offered for its proof rises linearly from a floor (`floorBps` of the slot maximum,
///         maxPayment / redundancy) to that maximum over `rampPeriod` (LinearPriceRamp). The first prover to
///         `lock` takes the task at the current price: the ledger assigns it, locking `collateralOf(task)` from its
///         ProverRegistry stake, and the lock lapses `lockWindow` seconds later (the lock deadline rides in the
///         task's `mechanismState`). The locker is paid its locked price, even after its lock deadline as long as
///         nobody slashed it. After the lock deadline anyone calls `slashLock`: the ledger slashes the collateral
///         (treasury / cover bounty / requester split) and the task is free again, to be locked anew or proven
///         without a lock. A proof without a lock is accepted whenever the task is not locked and is paid the
///         current ramp price; the ledger adds the task's cover bounty to the proof that fulfils it, so a prover
///         covering a lapsed lock earns the ramp price plus the bounty.
/// @dev No per-task storage: the ramp is the instance's, its start the task's `openedAt`; the lock's price,
///      collateral and prover are the task's assignment; its deadline the task's `mechanismState`. The ledger's
///      events are the log: `ProverAssigned(taskId, prover, price, collateral, lockDeadline)` is the lock,
///      `AssignmentSlashed` the slash, `ProofAccepted` the payment. Locks need redundancy 1 (the ledger's
///      `assign` does; the instance's redundancy cap is 1, so only a task reopened to it as a fallback can have
///      more, and it is then proven without locks).
interface ILedgerAscendingPriceAuction is ILedgerMechanism {
    /// @notice Constructor parameters of one instance.
    /// @param ledger The task ledger served.
    /// @param floorBps Ramp floor as a fraction of the slot maximum, in basis points (≤ 10 000).
    /// @param rampPeriod Seconds from the task's opening to the ceiling (0: the ceiling at once).
    /// @param lockWindow Seconds a locker has to prove (> 0).
    /// @param lockCollateral Stake a lock posts (slashed if the lock lapses); a task's minCollateral raises it.
    struct Params {
        ITaskLedger ledger;
        uint16 floorBps;
        uint32 rampPeriod;
        uint32 lockWindow;
        uint96 lockCollateral;
    }

    /// @param taskId The task.
    /// @param lockDeadline The lock would end at this time…
    /// @param deadline …after the task's deadline.
    error LockPastDeadline(uint256 taskId, uint256 lockDeadline, uint256 deadline);
    /// @param taskId The task is not locked.
    error NoLock(uint256 taskId);
    /// @param taskId The task.
    /// @param prover The locker.
    /// @param lockDeadline Its lock is live until then.
    error LockNotExpired(uint256 taskId, address prover, uint256 lockDeadline);
    /// @param which A constructor argument out of range.
    error InvalidParameter(string which);

    /// @notice Locks `task` for msg.sender at the current price, posting `collateralOf(task)` from its registry
    ///         stake, until now + lockWindow (which must not pass the task's deadline).
    /// @dev Reverts with the ledger's errors for a stale copy (StaleTask), a task locked already
    ///      (AlreadyAssigned), of another mechanism (OnlyTaskMechanism) or of redundancy > 1
    ///      (AssignmentNeedsRedundancyOne), and the ProverRegistry's for an unregistered locker or one without
    ///      free stake or capacity.
    /// @param taskId The task.
    /// @param task The task as the ledger holds it.
    /// @return price The locked price.
    /// @return lockDeadline When the lock lapses (the task's new mechanismState).
    function lock(uint256 taskId, LedgerTask calldata task) external returns (uint96 price, uint64 lockDeadline);

    /// @notice Slashes the lapsed lock of `task` (anyone): the ledger splits the collateral and frees the task.
    /// @param taskId The task.
    /// @param task The task as the ledger holds it (locked).
    function slashLock(uint256 taskId, LedgerTask calldata task) external;

    /// @notice The ramp price of `task` at time `at`.
    /// @param task The task.
    /// @param at The time to price.
    function priceAt(LedgerTask calldata task, uint256 at) external view returns (uint96);
    /// @notice The ramp price of `task` now.
    function currentPrice(LedgerTask calldata task) external view returns (uint96);
    /// @notice The collateral a lock of `task` posts: max(lockCollateral, task.minCollateral).
    function collateralOf(LedgerTask calldata task) external view returns (uint96);
    /// @notice When the lock of `task` lapses (zero when it is not locked).
    function lockDeadlineOf(LedgerTask calldata task) external pure returns (uint64);

    /// @notice The task ledger (the only caller of the hooks).
    function ledger() external view returns (ITaskLedger);
    /// @notice Ramp floor as a fraction of the slot maximum, in basis points.
    function floorBps() external view returns (uint16);
    /// @notice Seconds from a task's opening to the ceiling.
    function rampPeriod() external view returns (uint32);
    /// @notice Seconds a locker has to prove.
    function lockWindow() external view returns (uint32);
    /// @notice The instance's lock collateral.
    function lockCollateral() external view returns (uint96);
}
