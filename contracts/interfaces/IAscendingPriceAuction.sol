// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "./IMechanism.sol";

/// @title IAscendingPriceAuction
/// @notice Ascending-price lock auction (Boundless's model). From the moment a task opens, the price offered
///         for each of its proof slots rises linearly from a floor (a fraction of the slot's maximum,
///         maxPayment / redundancy) to that maximum over a ramp period. The first prover to `lock` a slot
///         takes it at the current price, posting collateral from its registry stake, and must prove within
///         the lock window. If it does not, anyone calls `slashLock`: the registry slashes the collateral
///         (part of it becomes the task's cover bounty) and the slot is free again, to be locked anew or
///         proven without a lock. A proof without a lock is accepted whenever a slot is free and is paid the
///         current ramp price (plus the cover bounty, which the registry adds to the next accepted proof).
interface IAscendingPriceAuction is IMechanism {
    /// @notice Per-task state (one storage word).
    /// @param openedAt Ramp start.
    /// @param deadline The task's deadline (a lock must end by it).
    /// @param slotMax Ramp ceiling: maxPayment / redundancy (capped by the unspent budget on a reopen;
    ///        see SlotBudget).
    /// @param slots Proofs still needed when the task opened here (redundancy − accepted).
    /// @param locked Live locks.
    /// @param delivered Accepted proofs.
    /// @param round Incremented each time the task is (re)opened to this instance; stamps its locks.
    struct Auction {
        uint40 openedAt;
        uint40 deadline;
        uint96 slotMax;
        uint8 slots;
        uint8 locked;
        uint8 delivered;
        uint8 round;
    }

    /// @notice A prover's lock (one storage word).
    /// @param lockDeadline When the lock lapses (slashable after it).
    /// @param round The round it was taken in.
    struct Lock {
        uint40 lockDeadline;
        uint8 round;
    }

    /// @param taskId No live auction for this task in this instance.
    error AuctionNotActive(uint256 taskId);
    /// @param taskId Every slot is locked or proven.
    error NoFreeSlot(uint256 taskId);
    /// @param taskId The task.
    /// @param lockDeadline The lock would end at this time…
    /// @param deadline …after the task's deadline.
    error LockPastDeadline(uint256 taskId, uint256 lockDeadline, uint256 deadline);
    /// @param taskId The task.
    /// @param prover Holds no lock on it.
    error NoLock(uint256 taskId, address prover);
    /// @param taskId The task.
    /// @param prover The locker.
    /// @param lockDeadline Its lock is live until then.
    error LockNotExpired(uint256 taskId, address prover, uint256 lockDeadline);
    /// @param redundancy A task redundancy of zero or above the per-task slot cap.
    error UnsupportedRedundancy(uint256 redundancy);
    /// @param taskId The task.
    /// @param maxPayment Too small to give each slot a non-zero ceiling.
    error SlotMaxZero(uint256 taskId, uint256 maxPayment);
    /// @param which A constructor argument out of range.
    error InvalidParameter(string which);

    /// @param taskId The task.
    /// @param round The round.
    /// @param floor Ramp floor per slot.
    /// @param ceiling Ramp ceiling per slot.
    /// @param rampEnd When the ceiling is reached.
    event AuctionOpened(uint256 indexed taskId, uint8 round, uint96 floor, uint96 ceiling, uint64 rampEnd);
    /// @param taskId The task.
    /// @param prover The locker.
    /// @param price The price it locked at.
    /// @param lockDeadline When the lock lapses.
    event Locked(uint256 indexed taskId, address indexed prover, uint96 price, uint64 lockDeadline);
    /// @param taskId The task.
    /// @param prover The locker that missed its lock deadline.
    /// @param slasher Who called slashLock.
    event LockSlashed(uint256 indexed taskId, address indexed prover, address indexed slasher);
    /// @param taskId The task.
    /// @param prover Proved without a lock.
    /// @param price The ramp price it was paid (before the cover bounty).
    event UnlockedProof(uint256 indexed taskId, address indexed prover, uint96 price);

    /// @notice Locks a free slot of `taskId` for msg.sender at the current price, posting the instance's
    ///         lock collateral from its registry stake.
    /// @return price The locked price.
    function lock(uint256 taskId) external returns (uint96 price);
    /// @notice Slashes `prover`'s lapsed lock on `taskId` and frees its slot. Anyone.
    function slashLock(uint256 taskId, address prover) external;

    /// @notice The current price of a slot of `taskId`.
    function currentPrice(uint256 taskId) external view returns (uint96);
    /// @notice The task's auction state.
    function auctionOf(uint256 taskId) external view returns (Auction memory);
    /// @notice `prover`'s lock on `taskId` (zero lockDeadline when none in the current round).
    function lockOf(uint256 taskId, address prover) external view returns (Lock memory);
}
