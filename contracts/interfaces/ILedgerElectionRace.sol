// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";
import {ILedgerMechanism} from "./ILedgerMechanism.sol";

/// @title ILedgerElectionRace
/// @notice Election-then-race over the one-word TaskLedger (docs/one-word-tasks.md; the rules of IElectionRace).
///         When a task opens, a target block `drawDelay` blocks ahead and the prover pool (the registry's prover
///         count) are fixed in the task's `mechanismState`. After the target, anyone calls `draw` with the task
///         and the target block's RLP header: its prevrandao seeds a stake-weighted draw without replacement of
///         up to `min(electedCount, redundancy − proofs accepted)` provers among those whose declared capacity
///         matches (hardware class ≥ the instance minimum, a free concurrency slot) and whose registry entry did
///         not change from the block before the target on. The draw writes one word: the first elected prover's
///         address, the other two (at most) as registry positions, and the election's end. Until that end only
///         the elected may prove, each proof paid its slot decayed from the draw; after it anyone registered may
///         prove the remaining slots, paid on a fresh decay from the election's end (the open race, which needs
///         no transaction). If nobody delivers, the ledger's expiry refunds the requester (or reopens the task
///         under its fallback).
/// @dev The elected prove unassigned: the ledger's unassigned path locks no collateral, so an elected prover that
///      stays silent loses its turn, not stake (the stored ElectionRace assigns with collateral and slashes).
interface ILedgerElectionRace is ILedgerMechanism {
    /// @notice A task's election as this instance stores it (decoded from its one word).
    /// @param drawn Whether the election was drawn (the word exists).
    /// @param electionEnd Until this time (inclusive) only the elected may prove; the open race starts after it.
    /// @param firstElected The first elected prover (zero: nobody eligible was drawn, the open race started at once).
    /// @param elected Every elected prover, in draw order (the second and third read through their positions).
    struct Election {
        bool drawn;
        uint32 electionEnd;
        address firstElected;
        address[] elected;
    }

    /// @param taskId The task, not drawn yet (no proof is accepted before the draw).
    error NotDrawn(uint256 taskId);
    /// @param taskId The task, already drawn under its current opening.
    error AlreadyDrawn(uint256 taskId);
    /// @param taskId The task.
    /// @param targetBlock The draw needs this block to be in the past.
    error DrawTooEarly(uint256 taskId, uint256 targetBlock);
    /// @param taskId The task.
    /// @param electionEnd Only elected provers may prove until this time.
    error ElectionWindowOpen(uint256 taskId, uint256 electionEnd);
    /// @param taskId The task.
    /// @param mechanism The task's mechanism, not this instance.
    error NotThisMechanism(uint256 taskId, address mechanism);
    /// @param taskId The task.
    /// @param maxPayment Too small to give each slot a non-zero price.
    error SlotMaxZero(uint256 taskId, uint256 maxPayment);
    /// @param taskId The task.
    /// @param deadline The task's deadline.
    /// @param earliest The earliest this instance accepts (open + election window).
    error DeadlineTooSoon(uint256 taskId, uint256 deadline, uint256 earliest);
    /// @param which A constructor argument out of range.
    error InvalidParameter(string which);

    /// @notice The draw's target and pool moved (the ledger's MechanismStateSet carries them too). At creation they
    ///         are in the task that TaskCreated logs (`targetOf(task.mechanismState)`), so no event of this
    ///         instance repeats them.
    /// @param taskId The task.
    /// @param targetBlock The new target (the old one fell out of the 256-block blockhash window).
    /// @param poolSize The pool fixed with it.
    event DrawRetargeted(uint256 indexed taskId, uint256 targetBlock, uint256 poolSize);
    /// @param taskId The task.
    /// @param prover An elected prover.
    /// @param position Its registry position (`ProverRegistry.proverAt`).
    /// @param weight Its draw weight (stake − pending unstake, before the cap).
    event ProverElected(uint256 indexed taskId, address indexed prover, uint256 position, uint256 weight);
    /// @param taskId The task.
    /// @param seed The draw seed: keccak256 of the target block's prevrandao, the task id and its openedAt.
    /// @param elected Provers elected.
    /// @param attempts Sampling attempts used.
    /// @param electionEnd When the open race starts.
    event ElectionDrawn(uint256 indexed taskId, bytes32 seed, uint256 elected, uint256 attempts, uint64 electionEnd);
    /// @param taskId The task.
    /// @param prover A prover that proved in the open race (not elected, after the election's end).
    /// @param payment Paid (before the cover bounty).
    event OpenRaceProof(uint256 indexed taskId, address indexed prover, uint256 payment);

    /// @notice Draws the election of `task` once its target block is past (within 256 blocks; after that the call
    ///         re-targets instead, through the ledger's setMechanismState). Anyone.
    /// @param taskId The task.
    /// @param task The task as it stands (checked by the ledger: StaleTask).
    /// @param header The RLP-encoded header of the target block (checked against blockhash).
    /// @return elected Provers elected (0 when re-targeted or when nobody eligible was drawn).
    function draw(uint256 taskId, LedgerTask calldata task, bytes calldata header) external returns (uint256 elected);

    /// @notice The election of `taskId` under the opening at `openedAt` (the task's `openedAt`).
    function electionOf(uint256 taskId, uint32 openedAt) external view returns (Election memory);
    /// @notice Whether `prover` was elected for `taskId` under the opening at `openedAt`.
    function isElected(uint256 taskId, uint32 openedAt, address prover) external view returns (bool);
    /// @notice What `prover`'s proof of `task` would be paid now (reverts as the payment hook would: NotDrawn,
    ///         ElectionWindowOpen).
    function currentPayment(uint256 taskId, LedgerTask calldata task, address prover) external view returns (uint256);
    /// @notice The draw target and pool size a `mechanismState` holds.
    function targetOf(uint64 mechanismState) external pure returns (uint256 targetBlock, uint256 poolSize);
}
