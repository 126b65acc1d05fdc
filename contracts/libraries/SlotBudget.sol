// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskRegistry} from "../interfaces/ITaskRegistry.sol";

/// @title SlotBudget
/// @notice How many proof slots a task still has open, and the most each may pay, when a mechanism
///         (re)opens it. For a fresh task this is (redundancy, maxPayment / redundancy). For a task reopened
///         under a fallback after some proofs were accepted, only the missing proofs are open, and each is
///         capped both by the requester's per-proof maximum and by the unspent budget shared among them.
library SlotBudget {
    /// @param b The task's budget (TaskRegistry.budgetOf).
    /// @return slots Proofs still needed (redundancy − accepted).
    /// @return perSlot min(maxPayment / redundancy, (maxPayment − paid − reserved) / slots), rounded down.
    function open(ITaskRegistry.Budget memory b) internal pure returns (uint8 slots, uint256 perSlot) {
        slots = b.redundancy - b.proofsAccepted;
        perSlot = b.maxPayment / b.redundancy;
        if (slots == 0) return (0, 0);
        uint256 unspent = (uint256(b.maxPayment) - b.paid - b.reserved) / slots;
        if (unspent < perSlot) perSlot = unspent;
    }
}
