// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../contracts/interfaces/ILedgerMechanism.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IProofConsumer} from "../../contracts/interfaces/IProofConsumer.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice An open race over the TaskLedger: any registered prover, each proof paid its slot
///         (maxPayment / redundancy), no hooks but the payment, a redundancy cap the ledger enforces.
contract LedgerRace is ILedgerMechanism {
    ITaskLedger public immutable ledger;
    uint8 public immutable maxWinners;

    constructor(ITaskLedger ledger_, uint8 maxWinners_) {
        ledger = ledger_;
        maxWinners = maxWinners_;
    }

    function hooks() external view returns (uint8, uint8) {
        return (0, maxWinners);
    }

    function onTaskOpened(uint256, LedgerTask calldata, bytes calldata) external view returns (uint64) {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        return 0;
    }

    function onProofAccepted(uint256, LedgerTask calldata task, address, uint256) external view returns (uint256) {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        return task.maxPayment / task.redundancy;
    }

    function onTaskClosed(uint256, LedgerTask calldata) external view {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
    }

    function profile() external pure returns (IMechanism.Profile memory) {
        return IMechanism.Profile({kind: 1, speed: 10, cost: 5, safety: 3, censorshipResistance: 10});
    }
}

/// @notice An assigning mechanism over the TaskLedger: anyone may ask it to assign, unassign, slash or set the
///         state of its tasks (tests drive it); it opens tasks with the mechanism data as state (or the block),
///         counts its hooks, pays an unassigned (cover) proof half its slot, and can pay a contributor from the
///         payment hook.
contract LedgerAssigner is ILedgerMechanism {
    error Refused(uint256 taskId);

    ITaskLedger public immutable ledger;
    uint8 public immutable hookFlags;

    uint256 public opened;
    uint256 public closed;
    uint256 public lastClosedTask;
    bool public refuseOpen;
    address public contributor;
    uint96 public contributorPay;
    uint256 public extraPay;
    bool public actInHook;

    constructor(ITaskLedger ledger_, uint8 hookFlags_) {
        ledger = ledger_;
        hookFlags = hookFlags_;
    }

    function setRefuseOpen(bool refuse) external {
        refuseOpen = refuse;
    }

    function setContributor(address who, uint96 amount) external {
        contributor = who;
        contributorPay = amount;
    }

    function setExtraPay(uint256 amount) external {
        extraPay = amount;
    }

    /// @notice Makes the payment hook change its own task (the ledger must refuse the proof).
    function setActInHook(bool act) external {
        actInHook = act;
    }

    function assign(uint256 taskId, LedgerTask calldata t, address prover, uint96 price, uint96 collateral) external {
        ledger.assign(taskId, t, prover, price, collateral, uint64(block.timestamp + 600));
    }

    function unassign(uint256 taskId, LedgerTask calldata t) external {
        ledger.unassign(taskId, t, 0);
    }

    function slash(uint256 taskId, LedgerTask calldata t) external {
        ledger.slashAssignment(taskId, t, 0);
    }

    function setState(uint256 taskId, LedgerTask calldata t, uint64 state) external {
        ledger.setMechanismState(taskId, t, state);
    }

    function bump(uint256 taskId, LedgerTask calldata t) external returns (uint256) {
        return ledger.bumpMechanismCounter(taskId, t);
    }

    function hooks() external view returns (uint8, uint8) {
        return (hookFlags, 0);
    }

    function onTaskOpened(uint256 taskId, LedgerTask calldata, bytes calldata data) external returns (uint64) {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        if (refuseOpen) revert Refused(taskId);
        ++opened;
        return data.length == 32 ? abi.decode(data, (uint64)) : uint64(block.number);
    }

    function onProofAccepted(uint256 taskId, LedgerTask calldata task, address prover, uint256)
        external
        returns (uint256)
    {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        if (contributor != address(0)) ledger.payContributor(taskId, contributor, contributorPay);
        if (actInHook) ledger.setMechanismState(taskId, task, task.mechanismState + 1);
        uint256 base = task.assignee == prover ? task.price : task.maxPayment / task.redundancy / 2;
        return base + extraPay;
    }

    function onTaskClosed(uint256 taskId, LedgerTask calldata) external {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        ++closed;
        lastClosedTask = taskId;
    }

    function profile() external pure returns (IMechanism.Profile memory) {
        return IMechanism.Profile({kind: 3, speed: 5, cost: 5, safety: 8, censorshipResistance: 4});
    }
}

/// @notice A requester contract that opens ledger tasks and counts (or refuses) the IProofConsumer callbacks.
contract LedgerConsumer is IProofConsumer {
    error Refused();

    ITaskLedger public immutable ledger;
    bool public refuse;
    bool public reenter;
    uint256 public fulfilled;
    uint256 public expired;
    address public lastProver;

    constructor(ITaskLedger ledger_) {
        ledger = ledger_;
    }

    function setRefuse(bool refuse_) external {
        refuse = refuse_;
    }

    /// @notice Makes the fulfilment callback try to withdraw from inside the settlement.
    function setReenter(bool reenter_) external {
        reenter = reenter_;
    }

    function deposit(IERC20 token, uint256 amount) external {
        token.approve(address(ledger), amount);
        ledger.deposit(amount);
    }

    function open(LedgerRequest calldata r) external returns (uint256 taskId, LedgerTask memory task) {
        return ledger.createTask(r);
    }

    function onTaskFulfilled(uint256, address prover) external {
        if (refuse || msg.sender != address(ledger)) revert Refused();
        if (reenter) ledger.withdraw(1);
        ++fulfilled;
        lastProver = prover;
    }

    function onTaskExpired(uint256) external {
        if (refuse || msg.sender != address(ledger)) revert Refused();
        ++expired;
    }
}
