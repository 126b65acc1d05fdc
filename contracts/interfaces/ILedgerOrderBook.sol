// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";
import {ILedgerMechanism} from "./ILedgerMechanism.sol";
import {IMechanism} from "./IMechanism.sol";
import {IProverRegistry} from "./IProverRegistry.sol";
import {ITaskLedger} from "./ITaskLedger.sol";

/// @title ILedgerOrderBook
/// @notice Standing-offer matching (as =nil;) over the one-word TaskLedger: provers post offers (price per proof,
///         promised proving time, capacity, circuit or any), backed by their ProverRegistry stake; the requester of
///         a task on the book calls `matchTask`, which assigns the best offer by the requester's own priority
///         (price-first or time-first, fixed in the task's mechanismState when it opened) adjusted by each prover's
///         on-chain record (OfferRanking), at the offer's price with `collateralPerMatch` locked. The matched prover
///         must prove by the task's deadline, or the ledger's expiry slashes it (and reopens the task under its
///         fallback, if any).
/// @dev The book keeps no word per task (docs/one-word-tasks.md): the priority rides in the task, the match is the
///      ledger assignment (its price and collateral are in the task's hash), and `onTaskClosed` tells the book
///      when a match ends, so that an offer's capacity counts its own live matches.
///      mechanismState: bits 0-7 the priority (OfferRanking.PRICE_FIRST / TIME_FIRST); after the match bits 8-39
///      the promised time (match time + the offer's provingTime, saturated at 2^32 − 1), for agents and the logs.
///      mechanismData of a request: empty (price-first) or `abi.encode(uint256 priority)`.
interface ILedgerOrderBook is ILedgerMechanism {
    /// @notice A prover's standing offer (one storage word, plus the circuit id for a circuit-specific offer).
    /// @param pricePerProof Price asked per proof (payment token units).
    /// @param provingTime Promised seconds from match to proof.
    /// @param capacity Matches the offer may hold at once.
    /// @param active Live matches (assigned, not yet proven, expired or moved to a fallback).
    /// @param position Position in the book plus one; zero when off the book (withdrawn or evicted, still bound).
    /// @param circuitId Circuit served; zero for any.
    struct Offer {
        uint96 pricePerProof;
        uint32 provingTime;
        uint16 capacity;
        uint16 active;
        uint16 position;
        bytes32 circuitId;
    }

    /// @notice Deployment parameters of an instance.
    /// @param collateralPerMatch Stake locked per match (also the minimum free stake to post, and the largest
    ///        minCollateral a task on the book may ask for).
    /// @param maxBookSize Offers the book holds (and a match scans) at most.
    /// @param profile Declared routing profile.
    struct Params {
        uint96 collateralPerMatch;
        uint16 maxBookSize;
        IMechanism.Profile profile;
    }

    /// @notice An offer priced at zero.
    error ZeroPrice();
    /// @notice An offer promising zero seconds.
    error ZeroProvingTime();
    /// @notice An offer of zero capacity.
    error ZeroOfferCapacity();
    /// @param prover Not registered in the ProverRegistry.
    error ProverNotRegistered(address prover);
    /// @param prover The prover.
    /// @param required Free stake needed (collateralPerMatch).
    /// @param free Its free stake.
    error InsufficientFreeStake(address prover, uint256 required, uint256 free);
    /// @param maxBookSize The book is full and no unbound offer asks more than the new one.
    error BookFull(uint256 maxBookSize);
    /// @param prover Has no offer on the book.
    error NoOffer(address prover);
    /// @param caller Not the task's requester: only the requester matches its task (it chose the priority and
    ///        chooses the moment).
    /// @param taskId The task.
    error OnlyRequester(address caller, uint256 taskId);
    /// @param taskId The task.
    /// @param assignee Its live match.
    error AlreadyMatched(uint256 taskId, address assignee);
    /// @param taskId The task.
    /// @param deadline Its deadline, reached: no offer can promise a proof in time.
    error TaskPastDeadline(uint256 taskId, uint32 deadline);
    /// @param taskId The task: no offer on the book qualifies (price, time, circuit, capacity), or the registry
    ///        refused every ranked one. It waits for offers until its deadline, then expires (refund or fallback).
    error NoOfferMatched(uint256 taskId);
    /// @param redundancy Asked for: the book assigns one prover per task (the ledger's assignments need
    ///        redundancy 1), so a redundant task reopened here as a fallback is refused.
    error RedundancyNotOne(uint8 redundancy);
    /// @param minCollateral The task's collateral floor.
    /// @param collateralPerMatch What the book locks per match, below that floor.
    error CollateralFloorAboveMatch(uint96 minCollateral, uint96 collateralPerMatch);
    /// @param priority Not 0 (price-first) or 1 (time-first).
    error UnknownPriority(uint256 priority);
    /// @param length mechanismData length that is neither 0 nor 32.
    error MalformedMechanismData(uint256 length);
    /// @param taskId The task.
    /// @param prover Not its matched prover (only the match proves a task on the book).
    error NotMatched(uint256 taskId, address prover);
    /// @notice Zero ledger, zero book size.
    error InvalidParams();

    /// @param prover The prover.
    /// @param pricePerProof Price asked.
    /// @param provingTime Promised seconds.
    /// @param capacity Concurrent matches.
    /// @param circuitId Circuit served (zero: any).
    event OfferPosted(
        address indexed prover, uint96 pricePerProof, uint32 provingTime, uint16 capacity, bytes32 circuitId
    );
    /// @param prover The prover.
    /// @param stillBound Live matches that keep their terms and collateral until proven or expired.
    event OfferWithdrawn(address indexed prover, uint16 stillBound);
    /// @param prover Whose unbound offer was taken off a full book by a cheaper one.
    /// @param by The prover whose offer replaced it.
    event OfferEvicted(address indexed prover, address indexed by);
    /// @param taskId The task.
    /// @param prover A ranked offer whose assignment the registry refused (its free stake or declared capacity
    ///        changed since it posted); the next ranked offer was tried.
    event MatchRefused(uint256 indexed taskId, address indexed prover);

    /// @notice Posts or replaces msg.sender's offer (live matches keep the terms they were made at: those are in
    ///         their tasks). On a full book a new offer evicts the highest-priced offer that holds no live match,
    ///         if that asks strictly more; otherwise it reverts BookFull.
    /// @param pricePerProof Price asked per proof (> 0).
    /// @param provingTime Promised seconds from match to proof (> 0).
    /// @param capacity Matches the offer may hold at once (> 0; counts its live matches).
    /// @param circuitId Circuit served, zero for any.
    function postOffer(uint96 pricePerProof, uint32 provingTime, uint16 capacity, bytes32 circuitId) external;

    /// @notice Takes msg.sender's offer off the book. Live matches stay bound: they are assignments in the ledger,
    ///         whose price and collateral the prover cannot change; it must still prove them or be slashed at
    ///         expiry. The offer record goes when its last live match ends.
    function withdrawOffer() external;

    /// @notice Matches `task` (its requester only, before its deadline, not matched) to the best offer on the
    ///         book: one scan of the whole book keeps the best few ranked offers, so an offer the registry refuses
    ///         falls to the next one without a second scan.
    /// @return prover The matched prover.
    function matchTask(uint256 taskId, LedgerTask calldata task) external returns (address prover);

    /// @notice The ledger (the only caller of the hooks, and where matches are assigned).
    function ledger() external view returns (ITaskLedger);
    /// @notice The prover registry (records, free stake).
    function provers() external view returns (IProverRegistry);
    /// @notice Stake locked per match.
    function collateralPerMatch() external view returns (uint96);
    /// @notice Book capacity.
    function maxBookSize() external view returns (uint16);
    /// @notice A prover's offer (also while off the book but still bound).
    function offerOf(address prover) external view returns (Offer memory);
    /// @notice Offers on the book.
    function bookSize() external view returns (uint256);
    /// @notice The prover at book position `index`.
    function bookAt(uint256 index) external view returns (address);
}
