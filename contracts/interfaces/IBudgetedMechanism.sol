// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskRegistry} from "./ITaskRegistry.sol";

/// @title IBudgetedMechanism
/// @notice Optional for a mechanism that prices an accepted proof from the task's budget and would otherwise call
///         `ITaskRegistry.budgetOf` back from `onProofAccepted` (the open race). The TaskRegistry reads the
///         declaration when the mechanism is allow-listed (`setMechanism`, kept in a spare bit of the mechanism's
///         interned address word) and from then on calls `onProofAcceptedWithBudget` instead of
///         `IMechanism.onProofAccepted`, handing it exactly what `budgetOf(taskId)` would return at that moment:
///         one external call per proof instead of two.
interface IBudgetedMechanism {
    /// @notice True: the registry calls `onProofAcceptedWithBudget` instead of `IMechanism.onProofAccepted`.
    ///         Must never change.
    function takesBudgetInHook() external view returns (bool);

    /// @notice As `IMechanism.onProofAccepted` (return what to pay, or revert to refuse the proof).
    /// @param taskId The task.
    /// @param prover The prover whose proof verified.
    /// @param assignedPrice The prover's assignment price, zero when it holds no assignment.
    /// @param budget The task's budget and timing, equal to `budgetOf(taskId)` at the time of the call.
    /// @return payment Tokens to pay from the task's budget (capped by the registry as for `onProofAccepted`).
    function onProofAcceptedWithBudget(
        uint256 taskId,
        address prover,
        uint96 assignedPrice,
        ITaskRegistry.Budget calldata budget
    ) external returns (uint256 payment);
}
