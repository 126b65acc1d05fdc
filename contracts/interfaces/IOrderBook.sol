// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "./IMechanism.sol";

/// @title IOrderBook
/// @notice Standing-offer matching (as =nil;): provers post offers (price per proof, promised proving
///         time, capacity, circuit or any), backed by their ProverRegistry stake; a task opened on the book
///         is matched at once to the best offers by the requester's own priority (price-first or
///         time-first) adjusted by each prover's on-chain record (see OfferRanking), and the matched
///         provers are assigned in the TaskRegistry at their offered price with `collateralPerMatch`
///         locked. A task that finds too few offers waits; anyone may call `matchTask` when offers arrive.
/// @dev mechanismData of a request: empty (price-first) or `abi.encode(uint8 priority)` (0 price-first,
///      1 time-first). Matching scans at most `maxBookSize` offers (one per prover), so its gas is bounded.
interface IOrderBook is IMechanism {
    /// @notice A prover's standing offer.
    /// @param pricePerProof Price asked per proof (payment token units).
    /// @param provingTime Promised seconds from match to proof.
    /// @param capacity Tasks the offer may hold at once.
    /// @param active Live matches (assigned, not yet delivered or closed).
    /// @param bookIndex Position in the book plus one; zero when withdrawn (no new matches).
    /// @param circuitId Circuit served; zero for any.
    struct Offer {
        uint96 pricePerProof;
        uint32 provingTime;
        uint16 capacity;
        uint16 active;
        uint32 bookIndex;
        bytes32 circuitId;
    }

    /// @notice Per-task matching state (view; stored packed in one slot, plus the circuit id only while the
    ///         task waits for offers).
    /// @param circuitId The task's circuit while it waits for offers; zero once fully matched.
    /// @param maxPricePerProof maxPayment ÷ redundancy (on a fallback reopen: also ≤ unspent ÷ slots).
    /// @param deadline The task's deadline.
    /// @param redundancy Provers wanted (on a fallback reopen: the proofs still missing).
    /// @param matched Provers matched so far.
    /// @param priority OfferRanking.PRICE_FIRST or TIME_FIRST.
    /// @param live Whether the task is on the book (opened, not closed).
    struct BookTask {
        bytes32 circuitId;
        uint96 maxPricePerProof;
        uint64 deadline;
        uint8 redundancy;
        uint8 matched;
        uint8 priority;
        bool live;
    }

    /// @notice Deployment parameters of an instance.
    /// @param collateralPerMatch Stake locked per matched task (also the minimum free stake to post).
    /// @param maxBookSize Offers the book holds (and a match scans) at most.
    /// @param maxRedundancy Largest redundancy a task on this instance may ask for.
    /// @param profile Declared routing profile.
    struct Params {
        uint96 collateralPerMatch;
        uint16 maxBookSize;
        uint8 maxRedundancy;
        IMechanism.Profile profile;
    }

    error ZeroPrice();
    error ZeroProvingTime();
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
    /// @param taskId Not a live task of this book.
    error TaskNotOnBook(uint256 taskId);
    /// @param taskId Every slot is matched already.
    error TaskFullyMatched(uint256 taskId);
    /// @param taskId The task.
    /// @param deadline Its deadline, already past.
    error TaskPastDeadline(uint256 taskId, uint64 deadline);
    /// @param redundancy Asked for.
    /// @param maxRedundancy This instance's cap.
    error RedundancyAboveMax(uint256 redundancy, uint256 maxRedundancy);
    /// @param priority Not 0 (price-first) or 1 (time-first).
    error UnknownPriority(uint256 priority);
    /// @param length mechanismData length that is neither 0 nor 32.
    error MalformedMechanismData(uint256 length);
    /// @param taskId The task.
    /// @param prover Not matched to it.
    error NotMatched(uint256 taskId, address prover);
    error InvalidParams();

    /// @param prover The prover.
    /// @param pricePerProof Price asked.
    /// @param provingTime Promised seconds.
    /// @param capacity Concurrent tasks.
    /// @param circuitId Circuit served (zero: any).
    event OfferPosted(
        address indexed prover, uint96 pricePerProof, uint32 provingTime, uint16 capacity, bytes32 circuitId
    );
    /// @param prover The prover.
    /// @param stillBound Live matches that keep their terms and collateral until delivered or closed.
    event OfferWithdrawn(address indexed prover, uint16 stillBound);
    /// @param prover Whose unbound offer was taken off a full book by a cheaper one.
    /// @param by The prover whose offer replaced it.
    event OfferEvicted(address indexed prover, address indexed by);
    /// @param taskId The task.
    /// @param priority Requester's priority.
    /// @param maxPricePerProof Price cap.
    event TaskOnBook(uint256 indexed taskId, uint8 priority, uint96 maxPricePerProof);
    /// @param taskId The task.
    /// @param prover Matched prover.
    /// @param price Price fixed (the offer's).
    /// @param provingTime Promised time.
    /// @param reliability Prover's reliability at match (WAD).
    event OfferMatched(
        uint256 indexed taskId, address indexed prover, uint96 price, uint32 provingTime, uint256 reliability
    );
    /// @param taskId The task.
    /// @param prover Best remaining offer, whose assignment the registry refused (stake or capacity).
    event MatchRefused(uint256 indexed taskId, address indexed prover);
    /// @param taskId The task.
    /// @param missing Slots still unmatched; the task waits for offers.
    event TaskAwaitingOffers(uint256 indexed taskId, uint8 missing);

    /// @notice Posts or replaces msg.sender's offer (live matches keep the terms they were made at). On a
    ///         full book a new offer evicts the highest-priced offer that holds no live match, if that asks
    ///         strictly more; otherwise it reverts BookFull.
    /// @param pricePerProof Price asked per proof (> 0).
    /// @param provingTime Promised seconds from match to proof (> 0).
    /// @param capacity Tasks the offer may hold at once (> 0; counts live matches).
    /// @param circuitId Circuit served, zero for any.
    function postOffer(uint96 pricePerProof, uint32 provingTime, uint16 capacity, bytes32 circuitId) external;

    /// @notice Takes msg.sender's offer off the book. Live matches stay bound: the prover must still deliver
    ///         them, and their collateral stays locked in the registry until delivery or expiry.
    function withdrawOffer() external;

    /// @notice Matches open slots of a waiting task against the current book. Anyone may call.
    /// @return matched Provers matched by this call.
    function matchTask(uint256 taskId) external returns (uint256 matched);

    /// @notice A prover's offer (also while withdrawn but still bound).
    function offerOf(address prover) external view returns (Offer memory);
    /// @notice Offers on the book.
    function bookSize() external view returns (uint256);
    /// @notice The prover at book position `index`.
    function bookAt(uint256 index) external view returns (address);
    /// @notice A task's matching state.
    function bookTaskOf(uint256 taskId) external view returns (BookTask memory);
    /// @notice Provers matched to a task that have not delivered yet.
    function matchedProvers(uint256 taskId) external view returns (address[] memory);
}
