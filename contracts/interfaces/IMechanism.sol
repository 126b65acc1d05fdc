// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TaskRequest} from "../types/Task.sol";

/// @title IMechanism
/// @notice A coordination mechanism: decides who may prove a task and at what price. The TaskRegistry
///         calls the hooks below; the mechanism calls back `assign` / `unassign` / `slashAssignment` on the
///         registry. Several instances of one mechanism contract, with different parameters, may be
///         allow-listed at once.
/// @dev Hooks are called only by the TaskRegistry (implementations must check). A hook that reverts
///      makes the registry call revert (a refused proof, a malformed request); the registry wraps nothing
///      silently.
interface IMechanism {
    /// @notice Declared properties the router scores before any QoS has been observed (each 0–10).
    /// @param kind Mechanism family (see MechanismKind in docs/mechanisms.md: 1 race, 2 sealed-bid,
    ///        3 ascending, 4 election-race, 5 order book, 6 tree assignment).
    /// @param speed Expected time to proof (10 = fastest).
    /// @param cost Expected price relative to the max (10 = cheapest).
    /// @param safety Redundancy and stake at risk (10 = safest).
    /// @param censorshipResistance How hard it is for a few provers to refuse a task (10 = hardest).
    struct Profile {
        uint8 kind;
        uint8 speed;
        uint8 cost;
        uint8 safety;
        uint8 censorshipResistance;
    }

    /// @param caller Not the task registry.
    error OnlyTaskRegistry(address caller);

    /// @notice A task naming this mechanism was opened (or reopened to it as a fallback).
    /// @param taskId The task.
    /// @param request The request as the requester made it.
    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external;

    /// @notice A valid proof by `prover` for `taskId` was verified; return what to pay it, or revert to
    ///         refuse it (e.g. the prover is not among those allowed to prove).
    /// @param taskId The task.
    /// @param prover The prover whose proof verified.
    /// @param assignedPrice The prover's assignment price, zero when it holds no assignment.
    /// @return payment Tokens to pay from the task's budget (the registry caps it by what is unreserved
    ///         plus the prover's own reservation, and reverts BudgetExceeded above that).
    function onProofAccepted(uint256 taskId, address prover, uint96 assignedPrice) external returns (uint256 payment);

    /// @notice The task ended (fulfilled, expired without fallback, cancelled) or left this mechanism
    ///         for a fallback; release any per-task state.
    function onTaskClosed(uint256 taskId) external;

    /// @notice Declared properties for routing.
    function profile() external view returns (Profile memory);
}
