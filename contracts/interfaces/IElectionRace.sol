// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "./IMechanism.sol";

/// @title IElectionRace
/// @notice Election-then-race. When a task opens, a target block a few blocks ahead is fixed; after it,
///         anyone calls `draw` with that block's header, and the target block's RANDAO value (prevrandao)
///         seeds a stake-weighted draw, without replacement, of up to N provers among those whose declared
///         capacity matches (hardware class ≥ the instance minimum, free stake ≥ the collateral, a free
///         concurrency slot). The elected are assigned through the task registry with collateral and race
///         to prove: each valid proof is paid the slot's maximum decayed linearly from the draw. Until the
///         election window ends only the elected may prove; after it, any registered prover may prove the
///         free slots (an open race, paid on a fresh decay from the window's end), and an elected prover
///         that has not delivered may be slashed by anyone, which frees its slot and adds to the task's
///         cover bounty. The registry's expiry slashes elected provers still undelivered at the deadline.
interface IElectionRace is IMechanism {
    /// @notice Phase of a task in this instance.
    enum Phase {
        None,
        /// Waiting for the target block and a `draw`.
        AwaitingDraw,
        /// Drawn: elected race until `marker` (the election end), then open race.
        Drawn,
        /// The task closed or left this instance.
        Closed
    }

    /// @notice Per-task state (one storage word).
    /// @param openedAt When the task opened to this instance.
    /// @param deadline The task's deadline.
    /// @param slotMax Price ceiling per proof: maxPayment / redundancy (capped by the unspent budget on a reopen;
    ///        see SlotBudget).
    /// @param slots Proofs still needed when the task opened here (redundancy − accepted).
    /// @param live Elected provers still assigned (undelivered, unslashed).
    /// @param delivered Accepted proofs.
    /// @param round Incremented each time the task is (re)opened to this instance.
    /// @param marker Target block number while AwaitingDraw; the election end (unix time) once Drawn.
    /// @param phase The phase.
    /// @param poolSize Provers registered when the draw's target was fixed (at open, or at a re-target): only
    ///        they can be drawn, so registering after the randomness is known cannot re-roll the draw.
    ///        Timestamps and blocks are 32-bit (< 2^32, as in the TaskRegistry) to leave room for it.
    struct Election {
        uint32 openedAt;
        uint32 deadline;
        uint96 slotMax;
        uint8 slots;
        uint8 live;
        uint8 delivered;
        uint8 round;
        uint32 marker;
        Phase phase;
        uint24 poolSize;
    }

    /// @param taskId No election in the needed phase for this task.
    /// @param phase Its phase.
    error WrongPhase(uint256 taskId, Phase phase);
    /// @param taskId The task.
    /// @param targetBlock The draw needs this block to be in the past.
    error DrawTooEarly(uint256 taskId, uint256 targetBlock);
    /// @param taskId The task.
    /// @param electionEnd Only elected provers may prove, and none be slashed, before this time.
    error ElectionWindowOpen(uint256 taskId, uint256 electionEnd);
    /// @param taskId Every slot is assigned or proven.
    error NoFreeSlot(uint256 taskId);
    /// @param redundancy A task redundancy of zero or above the instance's cap.
    error UnsupportedRedundancy(uint256 redundancy);
    /// @param taskId The task.
    /// @param maxPayment Too small to give each slot a non-zero price.
    error SlotMaxZero(uint256 taskId, uint256 maxPayment);
    /// @param taskId The task.
    /// @param deadline The task's deadline.
    /// @param earliest The earliest this instance accepts (open + election window).
    error DeadlineTooSoon(uint256 taskId, uint256 deadline, uint256 earliest);
    /// @notice The registry's assign ran out of gas (empty revert data); retry the draw with more gas.
    /// @param taskId The task.
    /// @param prover The candidate being assigned.
    error AssignmentOutOfGas(uint256 taskId, address prover);
    /// @param which A constructor argument out of range.
    error InvalidParameter(string which);

    /// @param taskId The task.
    /// @param round The round.
    /// @param targetBlock The block whose prevrandao will seed the draw.
    event DrawScheduled(uint256 indexed taskId, uint8 round, uint256 targetBlock);
    /// @param taskId The task.
    /// @param targetBlock The new target (the old one fell out of the 256-block blockhash window).
    event DrawRetargeted(uint256 indexed taskId, uint256 targetBlock);
    /// @param taskId The task.
    /// @param prover An elected prover (assigned).
    /// @param weight Its draw weight (stake − pending unstake, capped).
    event ProverElected(uint256 indexed taskId, address indexed prover, uint256 weight);
    /// @param taskId The task.
    /// @param seed The draw seed (keccak256 of the target block's prevrandao, the task id and the round).
    /// @param elected Provers elected and assigned.
    /// @param attempts Sampling attempts used.
    /// @param electionEnd When the open race starts.
    event ElectionDrawn(uint256 indexed taskId, bytes32 seed, uint256 elected, uint256 attempts, uint64 electionEnd);
    /// @param taskId The task.
    /// @param prover An elected prover that did not deliver within the election window.
    /// @param slasher Who called slashElected.
    event ElectedSlashed(uint256 indexed taskId, address indexed prover, address indexed slasher);
    /// @param taskId The task.
    /// @param prover A prover that proved in the open race.
    /// @param price Paid (before the cover bounty).
    event OpenRaceProof(uint256 indexed taskId, address indexed prover, uint96 price);

    /// @notice Draws the election once the target block is past (within 256 blocks; after that the call
    ///         re-targets instead). Anyone.
    /// @param header The RLP-encoded header of the target block (checked against blockhash).
    /// @return elected Provers elected (0 when re-targeted or when nobody eligible was drawn).
    function draw(uint256 taskId, bytes calldata header) external returns (uint256 elected);
    /// @notice Slashes an elected prover that has not delivered by the end of the election window. Anyone.
    function slashElected(uint256 taskId, address prover) external;

    /// @notice The task's election state.
    function electionOf(uint256 taskId) external view returns (Election memory);
    /// @notice What a proof of `taskId` would be paid now by an elected (`elected` true) or an open prover.
    function currentPayment(uint256 taskId, bool elected) external view returns (uint256);
}
