// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";

/// @title TestMechanism
/// @notice Test double for an assignment-based mechanism, used to drive the TaskRegistry's mechanism-only
///         entry points (assign, unassign, slashAssignment) in isolation. Whoever calls it acts as "the
///         mechanism's logic". It pays an assigned prover its price and an unassigned one `openPayment`, and
///         can be told to refuse unassigned provers or refuse tasks (to exercise the registry's handling).
contract TestMechanism is IMechanism {
    error Refused(uint256 taskId);
    error ProverNotAllowed(address prover);

    ITaskRegistry public immutable registry;
    bool public refuseOpen;
    bool public refuseUnassigned;
    uint256 public openPayment;

    mapping(uint256 taskId => uint256) public opened;
    mapping(uint256 taskId => uint256) public closed;
    mapping(uint256 taskId => uint256) public accepted;
    mapping(uint256 taskId => bytes32) public lastRequestHash;

    constructor(ITaskRegistry registry_) {
        registry = registry_;
    }

    function setRefuseOpen(bool refuse) external {
        refuseOpen = refuse;
    }

    function setRefuseUnassigned(bool refuse) external {
        refuseUnassigned = refuse;
    }

    function setOpenPayment(uint256 payment) external {
        openPayment = payment;
    }

    function assign(uint256 taskId, address prover, uint96 price, uint96 collateral) external {
        registry.assign(taskId, prover, price, collateral);
    }

    function unassign(uint256 taskId, address prover) external {
        registry.unassign(taskId, prover);
    }

    function slashAssignment(uint256 taskId, address prover) external {
        registry.slashAssignment(taskId, prover);
    }

    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        if (refuseOpen) revert Refused(taskId);
        opened[taskId] += 1;
        lastRequestHash[taskId] = keccak256(abi.encode(request));
    }

    function onProofAccepted(uint256 taskId, address prover, uint96 assignedPrice) external returns (uint256) {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        if (assignedPrice == 0 && refuseUnassigned) revert ProverNotAllowed(prover);
        accepted[taskId] += 1;
        return assignedPrice != 0 ? assignedPrice : openPayment;
    }

    function onTaskClosed(uint256 taskId) external {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        closed[taskId] += 1;
    }

    function profile() external pure returns (Profile memory) {
        return Profile({kind: 2, speed: 5, cost: 5, safety: 5, censorshipResistance: 5});
    }
}
