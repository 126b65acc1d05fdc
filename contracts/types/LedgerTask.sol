// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A task of the TaskLedger. Its whole state travels in calldata; the ledger keeps one word per live task
///         (`TaskWord`: this struct's hash and two counters). Every call that acts on a task passes it back, and the
///         ledger reverts `StaleTask(taskId)` unless it hashes to the word.
/// @dev All fields are static, so the ABI encoding of a `LedgerTask` is its 17 fields, one 32-byte word each, in
///      this order (the ledger hashes that encoding straight from calldata: `LedgerTaskLib.hashOf`). The offsets
///      are constants below (`OFFSET_*`); reorder nothing without changing them.
///
///      Who writes what. A field is in the hash when only one party changes it and that party is serialised:
///      * set at creation from the `LedgerRequest`, changed only by the ledger when it reopens the task under its
///        fallback (mechanism, openedAt, deadline, flags' hook bits, fallbackMechanism and fallbackWindow cleared):
///        requester … minCollateral;
///      * the assignment (assignee, price, collateral), written by the ledger on the mechanism's `assign`,
///        `unassign` and `slashAssignment`; coverBounty grows by the cover share of each slash, and the slash sets
///        FLAG_SLASHED in flags;
///      * `mechanismState`: the mechanism's own 64 bits (its `onTaskOpened` return value, then whatever it passes
///        to assign / unassign / slashAssignment / setMechanismState).
///      What concurrent provers change (the accepted-proof count) and what a mechanism counts while others act
///      (a sealed auction's commitments) are counters in the word, outside the hash.
/// @param requester Whose deposit escrowed the budget; refunds are credited to it. Also bits 96-255 of the id.
/// @param maxPayment The escrowed budget, split into `redundancy` slots of maxPayment / redundancy (the last slot
///        takes the rounding remainder).
/// @param mechanism The allow-listed ILedgerMechanism that assigns provers and prices proofs.
/// @param circuitId Verifier-registry key of the circuit.
/// @param inputCommitment keccak256(abi.encodePacked(publicInputs)) without the prover, which the ledger appends.
/// @param openedAt When the task opened under its current mechanism (creation, or the fallback reopen).
/// @param deadline Last second at which a proof is accepted (uint32: year 2106).
/// @param redundancy Proofs from distinct provers that fulfil the task (1-255).
/// @param flags FLAG_NOTIFY, the current mechanism's HOOK_CLOSE / HOOK_ASSIGNED_PROOF / HOOK_CONTRIBUTORS bits (copied
///        from its declaration when the task opens under it, so that the proof path reads no mechanism storage),
///        FLAG_ROUTED (opened by the ledger's router) and FLAG_SLASHED (set by slashAssignment).
/// @param fallbackMechanism Mechanism the task reopens under once on expiry; zero when none or already used.
/// @param fallbackWindow How long the reopened task runs (zero with no fallback).
/// @param minCollateral The requester's floor for an assignment's collateral (QoS minStakeAtRisk); the mechanism
///        enforces it, the ledger only carries it (a fallback learns it from the task).
/// @param assignee The live assignment's prover, zero when none. At most one: assignments need redundancy 1.
/// @param price What the assignee is paid for its proof (≤ maxPayment).
/// @param collateral Stake locked in the ProverRegistry behind the assignment.
/// @param coverBounty Slashed collateral waiting for the proof that fulfils the task (escrowed on top of
///        maxPayment).
/// @param mechanismState 64 bits owned by the mechanism (a lock deadline, a draw target, a priority).
struct LedgerTask {
    address requester;
    uint96 maxPayment;
    address mechanism;
    bytes32 circuitId;
    bytes32 inputCommitment;
    uint32 openedAt;
    uint32 deadline;
    uint8 redundancy;
    uint8 flags;
    address fallbackMechanism;
    uint32 fallbackWindow;
    uint96 minCollateral;
    address assignee;
    uint96 price;
    uint96 collateral;
    uint96 coverBounty;
    uint64 mechanismState;
}

/// @notice What a requester supplies to open a task (the ledger builds the `LedgerTask` from it and logs it).
/// @param circuitId Verifier-registry key of the circuit (checked on its first task: UnknownCircuit).
/// @param inputCommitment keccak256(abi.encodePacked(publicInputs)), prover excluded.
/// @param deadline Unix time by which the proofs must be accepted (in the future, < 2^32).
/// @param maxPayment Budget debited from the requester's deposit.
/// @param redundancy Proofs from distinct provers that fulfil the task (≥ 1, ≤ the mechanism's cap).
/// @param mechanism The allow-listed ILedgerMechanism.
/// @param notifyRequester Whether the ledger calls IProofConsumer(requester) when the task ends.
/// @param fallbackMechanism Mechanism to reopen under, once, on expiry (zero: none).
/// @param fallbackWindow Seconds the reopened task runs (> 0 with a fallback).
/// @param minCollateral QoS floor for assignment collateral, carried in the task for the mechanisms.
/// @param mechanismData Handed to the mechanism's onTaskOpened (when it declared HOOK_OPEN), not stored.
struct LedgerRequest {
    bytes32 circuitId;
    bytes32 inputCommitment;
    uint64 deadline;
    uint96 maxPayment;
    uint8 redundancy;
    address mechanism;
    bool notifyRequester;
    address fallbackMechanism;
    uint32 fallbackWindow;
    uint96 minCollateral;
    bytes mechanismData;
}

/// @notice One live task's storage word.
/// @dev Layout:
///      bits 16-255  the high 240 bits of keccak256(abi.encode(task))
///      bits  8-15   mechanism counter (bumped only by the task's mechanism: bumpMechanismCounter)
///      bits  0-7    accepted proofs (bumped by submitProof; ≤ redundancy ≤ 255, so it never carries)
///      Zero: no live task (never created, or closed: closing deletes the word).
type TaskWord is uint256;

using TaskWordLib for TaskWord global;

/// @title TaskWordLib
/// @notice Reads and updates a `TaskWord`.
library TaskWordLib {
    uint256 internal constant COUNTERS = 0xffff;
    uint256 internal constant ONE_PROOF = 1;
    uint256 internal constant ONE_MECHANISM_COUNT = 1 << 8;

    /// @notice A fresh word for a task of hash `hash`, both counters zero.
    function fromHash(bytes32 hash) internal pure returns (TaskWord) {
        return TaskWord.wrap(uint256(hash) & ~COUNTERS);
    }

    /// @notice `w` with its hash replaced by `hash`'s high 240 bits, counters kept.
    function withHash(TaskWord w, bytes32 hash) internal pure returns (TaskWord) {
        return TaskWord.wrap((uint256(hash) & ~COUNTERS) | (TaskWord.unwrap(w) & COUNTERS));
    }

    /// @notice `w` with its mechanism counter reset (a reopen hands the task to another mechanism).
    function withHashMechanismCounterReset(TaskWord w, bytes32 hash) internal pure returns (TaskWord) {
        return TaskWord.wrap((uint256(hash) & ~COUNTERS) | (TaskWord.unwrap(w) & 0xff));
    }

    /// @notice Whether `w` is a live task whose hash is `hash`.
    function matches(TaskWord w, bytes32 hash) internal pure returns (bool) {
        uint256 raw = TaskWord.unwrap(w);
        return raw != 0 && raw & ~COUNTERS == uint256(hash) & ~COUNTERS;
    }

    /// @notice Accepted proofs (bits 0-7).
    function proofsAccepted(TaskWord w) internal pure returns (uint256) {
        return TaskWord.unwrap(w) & 0xff;
    }

    /// @notice The mechanism counter (bits 8-15).
    function mechanismCounter(TaskWord w) internal pure returns (uint256) {
        return (TaskWord.unwrap(w) >> 8) & 0xff;
    }
}

/// @title LedgerTaskLib
/// @notice Hashing and slot arithmetic of a `LedgerTask`.
library LedgerTaskLib {
    /// @dev Size of a LedgerTask's ABI encoding: 17 words.
    uint256 internal constant ENCODED_SIZE = 0x220;
    /// @dev Byte offsets of the fields the ledger rewrites when it derives a task's next version.
    uint256 internal constant OFFSET_MECHANISM = 0x40;
    uint256 internal constant OFFSET_OPENED_AT = 0xa0;
    uint256 internal constant OFFSET_DEADLINE = 0xc0;
    uint256 internal constant OFFSET_FLAGS = 0x100;
    uint256 internal constant OFFSET_FALLBACK = 0x120;
    uint256 internal constant OFFSET_FALLBACK_WINDOW = 0x140;
    uint256 internal constant OFFSET_ASSIGNEE = 0x180;
    uint256 internal constant OFFSET_PRICE = 0x1a0;
    uint256 internal constant OFFSET_COLLATERAL = 0x1c0;
    uint256 internal constant OFFSET_COVER_BOUNTY = 0x1e0;
    uint256 internal constant OFFSET_MECHANISM_STATE = 0x200;

    /// @notice `flags`: the requester asked for the IProofConsumer callbacks.
    uint8 internal constant FLAG_NOTIFY = 1;
    /// @notice Hook bit (a mechanism's declaration, copied into `flags`): call onTaskClosed.
    uint8 internal constant HOOK_CLOSE = 2;
    /// @notice Hook bit (declaration, copied into `flags`): ask onProofAccepted for an assignee's proof too
    ///         (otherwise the assignee is paid its price without a call).
    uint8 internal constant HOOK_ASSIGNED_PROOF = 4;
    /// @notice Hook bit (declaration only): call onTaskOpened, whose return value becomes mechanismState.
    uint8 internal constant HOOK_OPEN = 8;
    /// @notice Hook bit (declaration, copied into `flags`): onProofAccepted may call payContributor, so the ledger
    ///         sets up the transient payment context for it.
    uint8 internal constant HOOK_CONTRIBUTORS = 16;
    /// @notice The hook bits a task carries in `flags`.
    uint8 internal constant TASK_HOOKS = HOOK_CLOSE | HOOK_ASSIGNED_PROOF | HOOK_CONTRIBUTORS;
    /// @notice `flags`: the ledger's router opened the task (createTaskFor by the router in place), so the ledger
    ///         tells it how the task ended (IRoutedTaskObserver). Dropped when the task reopens under its fallback.
    uint8 internal constant FLAG_ROUTED = 32;
    /// @notice `flags`: an assignment of the task was slashed (slashAssignment) under its current mechanism.
    ///         Dropped when the task reopens under its fallback.
    uint8 internal constant FLAG_SLASHED = 64;

    /// @notice keccak256(abi.encode(t)) of a calldata task, hashed in place. A non-canonical encoding (dirty high
    ///         bits) hashes differently from every stored word, so it fails the StaleTask check.
    function hashOf(LedgerTask calldata t) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, t, ENCODED_SIZE)
            h := keccak256(p, ENCODED_SIZE)
        }
    }

    /// @notice keccak256(abi.encode(t)) of a memory task (a static struct is laid out as its encoding).
    function hashOfMemory(LedgerTask memory t) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(t, ENCODED_SIZE)
        }
    }

    /// @notice The budget of the slot that the proof after `accepted` others settles: maxPayment / redundancy, and
    ///         for the last slot what the others leave (the rounding remainder included).
    function slotBudget(LedgerTask calldata t, uint256 accepted) internal pure returns (uint256) {
        uint256 r = t.redundancy;
        uint256 slot = uint256(t.maxPayment) / r;
        return accepted + 1 == r ? uint256(t.maxPayment) - slot * (r - 1) : slot;
    }

    /// @notice Escrow a live task still holds after `accepted` proofs: its unsettled slots plus the cover bounty.
    function escrowOf(LedgerTask calldata t, uint256 accepted) internal pure returns (uint256) {
        return uint256(t.maxPayment) - accepted * (uint256(t.maxPayment) / t.redundancy) + t.coverBounty;
    }
}
