// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Lifecycle of a task. Legal transitions:
///         None → Open (create); Open → Assigned (mechanism assigns the last required prover);
///         Assigned → Open (the mechanism ends an assignment early: unassign or slashAssignment frees a slot);
///         Open|Assigned → Fulfilled (the required number of valid proofs arrived);
///         Open|Assigned → Expired (deadline passed without enough proofs; anyone may call expire);
///         Open|Assigned → Open (expire with an unused fallback: the same task reopens once under its
///         fallback mechanism with a new deadline, escrow and cover bounty kept);
///         Open → Cancelled (requester, only while nobody is assigned and no proof was accepted).
///         Fulfilled, Expired and Cancelled are final.
enum TaskStatus {
    None,
    Open,
    Assigned,
    Fulfilled,
    Expired,
    Cancelled
}

/// @notice A requester's quality-of-service preferences: relative weights (0–10 each) and hard limits.
/// @dev Weights are what the router scores mechanisms by; hard limits are enforced, not traded off.
struct QoSProfile {
    uint8 speedWeight;
    uint8 costWeight;
    uint8 safetyWeight;
    uint8 censorshipWeight;
    /// Minimum number of independent proofs (distinct provers) the task needs.
    uint8 minRedundancy;
    /// Minimum prover collateral at risk per assignment, in stake-token units.
    uint96 minStakeAtRisk;
}

/// @notice What a requester supplies to open a task.
/// @param circuitId Verifier-registry key of the circuit the proof must be for.
/// @param inputCommitment keccak256(abi.encodePacked(publicInputs)) of the public inputs, *excluding*
///        the prover address, which the registry appends as the last public input at submission.
/// @param deadline Unix time by which the required proofs must be accepted.
/// @param maxPayment Escrowed budget in the payment token; whatever is not paid out is refunded.
/// @param redundancy Number of valid proofs from distinct provers that fulfil the task (≥ 1).
/// @param mechanism The IMechanism instance that assigns provers and fixes prices for this task.
/// @param notifyRequester Whether the registry calls IProofConsumer(requester) when the task ends.
/// @param fallbackMechanism Mechanism the task reopens under, once, if it expires (zero: none).
/// @param fallbackWindow Seconds the reopened task runs for.
/// @param mechanismData Mechanism-specific parameters (opaque to the registry).
struct TaskRequest {
    bytes32 circuitId;
    bytes32 inputCommitment;
    uint64 deadline;
    uint96 maxPayment;
    uint8 redundancy;
    QoSProfile qos;
    address mechanism;
    bool notifyRequester;
    address fallbackMechanism;
    uint32 fallbackWindow;
    bytes mechanismData;
}
