// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";
import {ILedgerMechanism} from "./ILedgerMechanism.sol";

/// @title ILedgerSealedBidAuction
/// @notice The sealed-bid reverse auction (SealedBidAuction's rules) over the one-word TaskLedger. Phases are timed
///         from the task's `openedAt`: a commit window (registered provers post sealed commitments and lock the
///         instance's bid collateral from their bond in this contract), a reveal window (bidders open their bids and
///         get the collateral back), then anyone calls `finalize` with every committer, which assigns the best bid
///         through the ledger (first price: at its own bid; second price: at the best losing bid, or the reserve if
///         there is none). The reserve is the requester's maxPayment (redundancy 1). The winner must prove by the
///         task deadline or the ledger's `expire` slashes it. A committer that does not reveal forfeits its bid
///         collateral to the treasury.
/// @dev No word per task. Each bidder's one word per round (task, openedAt, deadline) holds its commitment and,
///      after the reveal, its price and the low 64 bits of its salt. The number of commitments is the task word's
///      mechanism counter (`bumpMechanismCounter`), outside the task's hash, so concurrent bidders do not make each
///      other's copy of the task stale; `finalize` must be given exactly that many committers, in ascending address
///      order, so no bid can be left out. "Finalized" is the task's mechanismState (set by the winner's `assign`, or
///      by `setMechanismState` when nobody wins). Redundancy 1 only: the ledger assigns one prover per task.
interface ILedgerSealedBidAuction is ILedgerMechanism {
    /// @notice Where a bidder's word stands in one round.
    enum BidStatus {
        None,
        /// Committed, not revealed: the bid collateral is held.
        Committed,
        /// Revealed: the collateral is back in the bond; the word holds the price.
        Revealed
    }

    /// @notice Constructor parameters of one instance (as SealedBidAuction's, for the ledger).
    /// @param ledger The task ledger this instance serves (its prover registry is read from it).
    /// @param token The stake token (bid collateral is posted in it).
    /// @param treasury Receives forfeited bid collateral (`sweepForfeits`).
    /// @param secondPrice Winner paid the best losing bid (or the reserve) instead of its own.
    /// @param commitWindow Seconds from the task's openedAt during which bids may be committed.
    /// @param revealWindow Seconds after the commit window during which bids may be revealed.
    /// @param minProvingWindow Seconds a winner must have between the reveal window's end and the deadline.
    /// @param bidCollateral Locked from the bond per commitment; forfeited if the bid is not revealed.
    /// @param winnerCollateral Registry stake the winner's assignment locks (at least the task's minCollateral).
    /// @param maxBids Commitments accepted per round (bounds finalize's gas; ≤ MAX_BIDS_CAP).
    struct Params {
        address ledger;
        address token;
        address treasury;
        bool secondPrice;
        uint32 commitWindow;
        uint32 revealWindow;
        uint32 minProvingWindow;
        uint96 bidCollateral;
        uint96 winnerCollateral;
        uint8 maxBids;
    }

    /// @notice A constructor argument is out of range.
    /// @param which Its name.
    error InvalidParameter(string which);
    /// @param caller Not a registered prover.
    error BidderNotRegistered(address caller);
    /// @param commitment Zero commitments are refused.
    error ZeroCommitment(bytes32 commitment);
    /// @param taskId The task.
    /// @param commitEnd When the commit window closed.
    error CommitWindowClosed(uint256 taskId, uint256 commitEnd);
    /// @param taskId The task.
    /// @param revealStart When the reveal window opens.
    /// @param revealEnd When it closes.
    error NotInRevealWindow(uint256 taskId, uint256 revealStart, uint256 revealEnd);
    /// @param taskId The task.
    /// @param revealEnd When the reveal window closes (finalize from then on).
    error RevealWindowOpen(uint256 taskId, uint256 revealEnd);
    /// @param taskId The task.
    /// @param bidder Already committed this round.
    error AlreadyCommitted(uint256 taskId, address bidder);
    /// @param taskId The task.
    /// @param bidder Has no commitment this round (never committed, or its word was settled).
    error NoCommitment(uint256 taskId, address bidder);
    /// @param taskId The task.
    /// @param bidder Already revealed this round.
    error AlreadyRevealed(uint256 taskId, address bidder);
    /// @param taskId The task.
    /// @param bidder Whose reveal does not open its commitment.
    error CommitmentMismatch(uint256 taskId, address bidder);
    /// @param taskId The task.
    /// @param maxBids The instance's cap on commitments per round.
    error AuctionFull(uint256 taskId, uint256 maxBids);
    /// @param taskId The task.
    /// @param deadline The task's deadline.
    /// @param earliest The earliest deadline this instance accepts (open + commit + reveal + min proving).
    error DeadlineTooSoon(uint256 taskId, uint256 deadline, uint256 earliest);
    /// @param taskId The task.
    /// @param prover Not the auction's assigned winner.
    error NotAWinner(uint256 taskId, address prover);
    /// @param taskId The task, already finalized this round.
    error AlreadyFinalized(uint256 taskId);
    /// @param taskId The task.
    /// @param deadline Its deadline, past: the round can no longer be finalized (`forfeitUnrevealed` instead).
    error AuctionExpired(uint256 taskId, uint256 deadline);
    /// @param taskId The task.
    /// @param given Committers passed to finalize.
    /// @param expected Commitments the ledger counted (the task word's mechanism counter).
    error CommitterCountMismatch(uint256 taskId, uint256 given, uint256 expected);
    /// @param taskId The task.
    /// @param index Position in the committer list that is not above its predecessor (unsorted or duplicated).
    error CommittersNotAscending(uint256 taskId, uint256 index);
    /// @param taskId The task.
    /// @param account Listed as a committer, but holds no commitment this round.
    error NotACommitter(uint256 taskId, address account);
    /// @param taskId The task.
    /// @param deadline The round's deadline, not yet past: `finalize` still settles it.
    error RoundNotOver(uint256 taskId, uint256 deadline);
    /// @param account The bidder.
    /// @param requested Amount asked for.
    /// @param available Its free bond.
    error InsufficientBond(address account, uint256 requested, uint256 available);
    /// @notice A bond deposit or withdrawal of zero.
    error ZeroAmount();
    error NothingToSweep();
    /// @notice The ledger's assign ran out of gas (empty revert data); retry finalize with more gas.
    /// @param taskId The task.
    /// @param bidder The winner being assigned.
    error AssignmentOutOfGas(uint256 taskId, address bidder);

    /// @param taskId The task.
    /// @param bidder The bidder.
    /// @param commitment keccak256(abi.encode(taskId, openedAt, bidder, price, salt)) (`commitmentOf`).
    /// @param commits Commitments of the round so far, this one included (the ledger's mechanism counter).
    event BidCommitted(uint256 indexed taskId, address indexed bidder, bytes32 commitment, uint256 commits);
    /// @param taskId The task.
    /// @param bidder The bidder (its collateral is back in its bond).
    /// @param price The revealed price (competes at finalize only if 0 < price ≤ the reserve).
    event BidRevealed(uint256 indexed taskId, address indexed bidder, uint96 price);
    /// @param taskId The task.
    /// @param bidder A best bid the ledger refused to assign (stake, capacity), passed over.
    /// @param reason The ledger's (or the prover registry's) revert data.
    event WinnerSkipped(uint256 indexed taskId, address indexed bidder, bytes reason);
    /// @param taskId The task.
    /// @param winner The assigned winner (zero: nobody won; the task runs to its expiry).
    /// @param bid The winner's bid.
    /// @param price The price it was assigned at.
    /// @param forfeited Bid collateral forfeited by committers that did not reveal.
    event AuctionFinalized(uint256 indexed taskId, address indexed winner, uint96 bid, uint96 price, uint256 forfeited);
    /// @param taskId The task, whose round ended without finalize.
    /// @param forfeited Bid collateral of its unrevealed commitments, forfeited now.
    event UnrevealedForfeited(uint256 indexed taskId, uint256 forfeited);
    /// @param account The bidder.
    /// @param amount Added to its bond.
    event BondDeposited(address indexed account, uint256 amount);
    /// @param account The bidder.
    /// @param amount Withdrawn from its free bond.
    event BondWithdrawn(address indexed account, uint256 amount);
    /// @param amount Forfeited collateral sent to the treasury.
    event ForfeitsSwept(uint256 amount);

    /// @notice Adds `amount` (pulled with transferFrom) to msg.sender's bond.
    function depositBond(uint256 amount) external;
    /// @notice Withdraws `amount` of msg.sender's free bond (not behind an open commitment).
    function withdrawBond(uint256 amount) external;
    /// @notice Commits a sealed bid for `taskId` during its commit window, locking the bid collateral from
    ///         msg.sender's bond (a shortfall is pulled with transferFrom) and bumping the task's commitment count in
    ///         the ledger (which checks `task`). msg.sender must be a registered prover.
    /// @param commitment `commitmentOf(taskId, task.openedAt, msg.sender, price, salt)`.
    function commit(uint256 taskId, LedgerTask calldata task, bytes32 commitment) external;
    /// @notice Opens msg.sender's commitment during the reveal window; the collateral returns to its bond. Needs no
    ///         task: the round (openedAt, deadline) selects the word, so a wrong one finds no commitment. A bid of
    ///         zero or above the reserve is accepted as a reveal but does not compete.
    function reveal(uint256 taskId, uint32 openedAt, uint32 deadline, uint96 price, bytes32 salt) external;
    /// @notice From the reveal window's end until the deadline: ranks the revealed bids, assigns the best one that
    ///         the ledger accepts, and forfeits the collateral of every unrevealed commitment. Anyone.
    /// @param committers Every committer of the round, ascending, as many as the task's mechanism counter.
    function finalize(uint256 taskId, LedgerTask calldata task, address[] calldata committers) external;
    /// @notice After the deadline of a round that was never finalized (expired, cancelled): forfeits the collateral
    ///         of the listed bidders' unrevealed commitments and clears their words. Anyone; others are skipped.
    function forfeitUnrevealed(uint256 taskId, uint32 openedAt, uint32 deadline, address[] calldata bidders) external;
    /// @notice Sends forfeited bid collateral to the treasury. Anyone.
    function sweepForfeits() external;

    /// @notice The commitment a bidder must post.
    function commitmentOf(uint256 taskId, uint32 openedAt, address bidder, uint96 price, bytes32 salt)
        external
        pure
        returns (bytes32);
    /// @notice `bidder`'s word in the round (taskId, openedAt, deadline).
    /// @return status None, Committed or Revealed.
    /// @return price The revealed price (zero unless Revealed).
    function bidOf(uint256 taskId, uint32 openedAt, uint32 deadline, address bidder)
        external
        view
        returns (BidStatus status, uint96 price);
    /// @notice `bidder`'s free bond.
    function bondOf(address bidder) external view returns (uint256);
    /// @notice Forfeited bid collateral not yet swept.
    function forfeited() external view returns (uint256);
    /// @notice (commitEnd, revealEnd) of a task's round.
    function windowsOf(LedgerTask calldata task) external view returns (uint256 commitEnd, uint256 revealEnd);
}
