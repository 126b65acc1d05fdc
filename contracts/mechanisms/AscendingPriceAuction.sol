// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAscendingPriceAuction} from "../interfaces/IAscendingPriceAuction.sol";
import {IMechanism} from "../interfaces/IMechanism.sol";
import {ITaskRegistry} from "../interfaces/ITaskRegistry.sol";
import {LinearPriceRamp} from "../libraries/LinearPriceRamp.sol";
import {SlotBudget} from "../libraries/SlotBudget.sol";
import {TaskRequest} from "../types/Task.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title AscendingPriceAuction
/// @notice Ascending-price lock auction: price ramps from a floor to the slot maximum; the first prover to
///         lock takes the slot at the current price with collateral; a lapsed lock is slashed by anyone and
///         the slot is free again.
/// @dev Holds no tokens: collateral is locked, slashed and released by the task registry, which also pays.
///      Storage: one `Auction` word per task, one `Lock` word per lock (stamped with the round so that a
///      task reopened to this instance ignores stale locks).
contract AscendingPriceAuction is IAscendingPriceAuction, ReentrancyGuardTransient {
    /// @notice Constructor parameters of one instance.
    /// @param taskRegistry The task registry served.
    /// @param floorBps Ramp floor as a fraction of the slot maximum, in basis points (≤ 10 000).
    /// @param rampPeriod Seconds from task open to the ceiling.
    /// @param lockWindow Seconds a locker has to prove.
    /// @param lockCollateral Registry stake a lock posts (slashed if the lock lapses).
    struct Params {
        ITaskRegistry taskRegistry;
        uint16 floorBps;
        uint32 rampPeriod;
        uint32 lockWindow;
        uint96 lockCollateral;
    }

    /// @notice Slots per task this instance handles (uint8 counters).
    uint8 public constant MAX_SLOTS = 32;

    ITaskRegistry public immutable taskRegistry;
    uint16 public immutable floorBps;
    uint32 public immutable rampPeriod;
    uint32 public immutable lockWindow;
    uint96 public immutable lockCollateral;

    mapping(uint256 taskId => Auction) internal _auctions;
    mapping(uint256 taskId => mapping(address prover => Lock)) internal _locks;

    modifier onlyTaskRegistry() {
        if (msg.sender != address(taskRegistry)) revert OnlyTaskRegistry(msg.sender);
        _;
    }

    constructor(Params memory p) {
        if (address(p.taskRegistry) == address(0)) revert InvalidParameter("taskRegistry");
        if (p.floorBps > LinearPriceRamp.BPS) revert InvalidParameter("floorBps");
        if (p.lockWindow == 0) revert InvalidParameter("lockWindow");
        taskRegistry = p.taskRegistry;
        floorBps = p.floorBps;
        rampPeriod = p.rampPeriod;
        lockWindow = p.lockWindow;
        lockCollateral = p.lockCollateral;
    }

    // ------------------------------------------------------------------ IMechanism

    /// @inheritdoc IMechanism
    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external onlyTaskRegistry {
        if (request.redundancy > MAX_SLOTS) revert UnsupportedRedundancy(request.redundancy);
        (uint8 slots, uint256 slotMax) = SlotBudget.open(taskRegistry.budgetOf(taskId));
        if (slotMax == 0) revert SlotMaxZero(taskId, request.maxPayment);
        uint8 round = _auctions[taskId].round + 1;
        _auctions[taskId] = Auction({
            openedAt: uint40(block.timestamp),
            deadline: uint40(request.deadline),
            slotMax: uint96(slotMax),
            slots: slots,
            locked: 0,
            delivered: 0,
            round: round
        });
        emit AuctionOpened(
            taskId,
            round,
            uint96(LinearPriceRamp.fractionOf(slotMax, floorBps)),
            uint96(slotMax),
            uint64(block.timestamp + rampPeriod)
        );
    }

    /// @inheritdoc IMechanism
    /// @dev A locker is paid its locked price (even past its lock window, as long as nobody slashed it
    ///      first). Anyone else is paid the current ramp price when a slot is free.
    function onProofAccepted(uint256 taskId, address prover, uint96 assignedPrice)
        external
        onlyTaskRegistry
        returns (uint256 payment)
    {
        Auction storage a = _auctions[taskId];
        Lock storage l = _locks[taskId][prover];
        if (l.lockDeadline != 0 && l.round == a.round) {
            delete _locks[taskId][prover];
            a.locked -= 1;
            a.delivered += 1;
            return assignedPrice;
        }
        if (uint256(a.locked) + a.delivered >= a.slots) revert NoFreeSlot(taskId);
        a.delivered += 1;
        uint96 price = _price(a);
        emit UnlockedProof(taskId, prover, price);
        return price;
    }

    /// @inheritdoc IMechanism
    /// @dev Locks left behind are stale once the round ends (the registry has already slashed or released
    ///      them); they are ignored by round, not deleted, since they cannot be enumerated cheaply.
    function onTaskClosed(uint256 taskId) external onlyTaskRegistry {
        Auction storage a = _auctions[taskId];
        a.locked = 0;
        a.slots = 0;
    }

    /// @inheritdoc IMechanism
    /// @dev speed 8: a prover locks as soon as the price covers its cost and proves at once; the lock window
    ///      bounds the delay. cost 6: the price stops at the cheapest prover's reservation price plus the
    ///      ramp step it waits for; no price discovery below the floor. safety 5: one collateralised locker
    ///      per slot, a lapse is slashed and the slot reopens. censorship resistance 7: anyone may lock or
    ///      prove without a lock; a censoring locker is slashed and replaced within one lock window.
    function profile() external pure returns (Profile memory) {
        return Profile({kind: 3, speed: 8, cost: 6, safety: 5, censorshipResistance: 7});
    }

    // ------------------------------------------------------------------ auction

    /// @inheritdoc IAscendingPriceAuction
    function lock(uint256 taskId) external nonReentrant returns (uint96 price) {
        Auction storage a = _auctions[taskId];
        if (a.slots == 0) revert AuctionNotActive(taskId);
        if (uint256(a.locked) + a.delivered >= a.slots) revert NoFreeSlot(taskId);
        uint256 lockDeadline = block.timestamp + lockWindow;
        if (lockDeadline > a.deadline) revert LockPastDeadline(taskId, lockDeadline, a.deadline);
        price = _price(a);
        a.locked += 1;
        _locks[taskId][msg.sender] = Lock({lockDeadline: uint40(lockDeadline), round: a.round});
        emit Locked(taskId, msg.sender, price, uint64(lockDeadline));
        // Reverts (and undoes the above) if msg.sender is not registered, lacks free stake or capacity, or
        // already holds or proved this task.
        taskRegistry.assign(taskId, msg.sender, price, lockCollateral);
    }

    /// @inheritdoc IAscendingPriceAuction
    function slashLock(uint256 taskId, address prover) external nonReentrant {
        Auction storage a = _auctions[taskId];
        Lock memory l = _locks[taskId][prover];
        if (l.lockDeadline == 0 || l.round != a.round || a.slots == 0) revert NoLock(taskId, prover);
        if (block.timestamp <= l.lockDeadline) revert LockNotExpired(taskId, prover, l.lockDeadline);
        delete _locks[taskId][prover];
        a.locked -= 1;
        emit LockSlashed(taskId, prover, msg.sender);
        taskRegistry.slashAssignment(taskId, prover);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IAscendingPriceAuction
    function currentPrice(uint256 taskId) external view returns (uint96) {
        Auction storage a = _auctions[taskId];
        if (a.slots == 0) revert AuctionNotActive(taskId);
        return _price(a);
    }

    /// @inheritdoc IAscendingPriceAuction
    function auctionOf(uint256 taskId) external view returns (Auction memory) {
        return _auctions[taskId];
    }

    /// @inheritdoc IAscendingPriceAuction
    function lockOf(uint256 taskId, address prover) external view returns (Lock memory l) {
        l = _locks[taskId][prover];
        if (l.round != _auctions[taskId].round) l = Lock({lockDeadline: 0, round: 0});
    }

    // ------------------------------------------------------------------ internal

    function _price(Auction storage a) internal view returns (uint96) {
        uint256 ceiling = a.slotMax;
        uint256 floor = LinearPriceRamp.fractionOf(ceiling, floorBps);
        return uint96(LinearPriceRamp.priceAt(floor, ceiling, a.openedAt, rampPeriod, block.timestamp));
    }
}
