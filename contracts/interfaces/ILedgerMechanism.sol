// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";
import {IMechanism} from "./IMechanism.sol";

/// @title ILedgerMechanism
/// @notice A coordination mechanism over the TaskLedger (one-word tasks). The ledger calls the hooks below with the
///         task as it stands; the mechanism calls back `assign` / `unassign` / `slashAssignment` /
///         `setMechanismState` / `bumpMechanismCounter` / `payContributor` with the task it was given.
/// @dev Hooks are called only by the TaskLedger (implementations must check msg.sender). A hook that reverts makes
///      the ledger call revert, except a fallback's onTaskOpened on reopen (gas-capped, caught: the task then
///      expires for good). While a hook runs the task's word is either not written yet (onTaskOpened), deleted
///      (onTaskClosed) or re-checked after the hook (onProofAccepted): a hook cannot change the task it is told
///      about, only pay contributors from onProofAccepted.
interface ILedgerMechanism {
    /// @param caller Not the task ledger.
    error OnlyTaskLedger(address caller);

    /// @notice Which hooks the ledger calls, and the redundancy cap it enforces itself; read once, when the
    ///         mechanism is allow-listed. Must never change.
    /// @return hookFlags LedgerTaskLib.HOOK_OPEN | HOOK_CLOSE | HOOK_ASSIGNED_PROOF, as wanted. Without
    ///         HOOK_OPEN a task opens with mechanismState 0; without HOOK_ASSIGNED_PROOF an assignee's proof is
    ///         paid its price.
    /// @return redundancyCap Largest redundancy a task may ask for (0: no cap); TooManyWinners above it.
    function hooks() external view returns (uint8 hookFlags, uint8 redundancyCap);

    /// @notice A task naming this mechanism was opened, or reopened to it as a fallback (then `mechanismData` is
    ///         empty). Revert to refuse the request. Only called with HOOK_OPEN declared.
    /// @param taskId The task.
    /// @param task The task as it will be stored, mechanismState zero.
    /// @param mechanismData The request's mechanism data.
    /// @return mechanismState The task's initial mechanismState.
    function onTaskOpened(uint256 taskId, LedgerTask calldata task, bytes calldata mechanismData)
        external
        returns (uint64 mechanismState);

    /// @notice A valid proof by `prover` was verified: return its payment, or revert to refuse it. Called for
    ///         every unassigned proof, and for the assignee's with HOOK_ASSIGNED_PROOF declared. The payment plus
    ///         whatever the hook paid contributors must fit the slot (maxPayment / redundancy; BudgetExceeded);
    ///         the slot's rest is refunded to the requester.
    /// @param taskId The task.
    /// @param task The task.
    /// @param prover The prover whose proof verified.
    /// @param proofsAccepted Proofs accepted before this one.
    /// @return payment Tokens credited to `prover` from the slot.
    function onProofAccepted(uint256 taskId, LedgerTask calldata task, address prover, uint256 proofsAccepted)
        external
        returns (uint256 payment);

    /// @notice The task ended (fulfilled, expired for good, cancelled) or left this mechanism for its fallback.
    ///         Only called with HOOK_CLOSE declared.
    /// @param taskId The task.
    /// @param task The task as it ended.
    function onTaskClosed(uint256 taskId, LedgerTask calldata task) external;

    /// @notice Declared properties for routing (as IMechanism.profile).
    function profile() external view returns (IMechanism.Profile memory);
}
