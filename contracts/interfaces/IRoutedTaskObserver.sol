// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";

/// @title IRoutedTaskObserver
/// @notice What the TaskLedger tells its router about each task the router opened (LedgerTaskLib.FLAG_ROUTED): how
///         it ended under the mechanism it was routed to. The ledger keeps no closed tasks, so a one-word router
///         cannot look an outcome up later; it is told once, as the task leaves its mechanism.
/// @dev Called by the ledger after the task's word is gone or rewritten (the task cannot be acted on again under
///      that mechanism), with a gas cap, caught: a router that reverts or runs out of gas loses the sample (the
///      ledger logs RouterCallbackFailed), never a proof or an expiry. Exactly once per routed task: on the
///      fulfilling proof, on the final expiry, or on the expiry that reopens it under its fallback (the reopened
///      task no longer carries FLAG_ROUTED). Cancellations say nothing about QoS and are not reported.
interface IRoutedTaskObserver {
    /// @notice A routed task ended under `task.mechanism`.
    /// @param taskId The task.
    /// @param task The task as it ended (openedAt and deadline bound the time it was given).
    /// @param fulfilled True: its last required proof was accepted now; false: it expired (for good, or to its
    ///        fallback).
    /// @param slashed Whether collateral was slashed on it under this mechanism (FLAG_SLASHED, or the expiry's).
    /// @param paid What the fulfilling proof's slot paid out (prover and contributors; the cover bounty apart).
    /// @param budget That slot's budget (maxPayment for redundancy 1).
    function onRoutedTaskEnded(
        uint256 taskId,
        LedgerTask calldata task,
        bool fulfilled,
        bool slashed,
        uint256 paid,
        uint256 budget
    ) external;
}
