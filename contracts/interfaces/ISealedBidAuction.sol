// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "./IMechanism.sol";

/// @title ISealedBidAuction
/// @notice Commit–reveal reverse auction for a task's R proof slots. Phases are timed from the moment the
///         task is opened: a commit window (bidders post sealed commitments and lock bid collateral from
///         their bond), a reveal window (bidders open their bids and get the collateral back), then anyone
///         calls `finalize`, which assigns the R best bids through the task registry (first price: each
///         winner at its own bid; second price: all winners at the best losing bid, or the reserve if
///         there is none). A winner must prove by the task deadline or the registry's expiry slashes it.
///         A bidder that commits and does not reveal forfeits its bid collateral to the treasury.
/// @dev Bid collateral is held by this contract as a per-bidder bond (deposit once, reuse across
///      auctions), not locked from registry stake: only the task's mechanism can lock registry stake and
///      only through an assignment, which is what winners get. See docs/mechanisms.md.
interface ISealedBidAuction is IMechanism {
    /// @notice Lifecycle of one auction round.
    enum AuctionStatus {
        None,
        /// Commit and reveal windows (which one is a matter of time).
        Bidding,
        /// Winners assigned (possibly none).
        Finalized,
        /// The task closed during the commit or reveal window: every commitment may be reclaimed.
        Cancelled,
        /// The task closed after the reveal window without finalize: unrevealed bids forfeited.
        Closed
    }

    /// @notice Per-task auction state (one storage word).
    /// @param openedAt When the task was opened to this auction (phases are timed from it).
    /// @param reserve The highest acceptable bid: the requester's maxPayment / redundancy (capped by the
    ///        unspent budget on a reopen; see SlotBudget).
    /// @param slots Proofs still needed when the task opened here (redundancy − accepted).
    /// @param commits Commitments posted this round.
    /// @param reveals Commitments opened this round (eligible or not).
    /// @param bids Eligible revealed bids (0 < price ≤ reserve), stored in reveal order.
    /// @param round Incremented each time the task is (re)opened to this instance; keys bid storage.
    /// @param status Round status.
    /// @param seed XOR of the revealed bids' salts (low 64 bits): the tie-break seed.
    struct Auction {
        uint40 openedAt;
        uint96 reserve;
        uint8 slots;
        uint8 commits;
        uint8 reveals;
        uint8 bids;
        uint8 round;
        AuctionStatus status;
        uint64 seed;
    }

    /// @param caller Not a registered prover.
    error BidderNotRegistered(address caller);
    /// @param taskId The task has no live auction round in this instance.
    error AuctionNotActive(uint256 taskId);
    /// @param taskId The task.
    /// @param commitEnd When the commit window closed.
    error CommitWindowClosed(uint256 taskId, uint256 commitEnd);
    /// @param taskId The task.
    /// @param revealStart When the reveal window opens.
    /// @param revealEnd When it closes.
    error NotInRevealWindow(uint256 taskId, uint256 revealStart, uint256 revealEnd);
    /// @param taskId The task.
    /// @param revealEnd When the reveal window closes.
    error RevealWindowOpen(uint256 taskId, uint256 revealEnd);
    /// @param taskId The task.
    /// @param bidder Already committed this round.
    error AlreadyCommitted(uint256 taskId, address bidder);
    /// @param taskId The task.
    /// @param bidder Has no open commitment this round.
    error NoCommitment(uint256 taskId, address bidder);
    /// @param taskId The task.
    /// @param bidder Whose reveal does not open its commitment.
    error CommitmentMismatch(uint256 taskId, address bidder);
    /// @param taskId The task.
    /// @param maxBids The instance's cap on commitments per round.
    error AuctionFull(uint256 taskId, uint256 maxBids);
    /// @param commitment Zero commitments are refused (zero marks "no commitment").
    error ZeroCommitment(bytes32 commitment);
    /// @param taskId The task.
    /// @param deadline The task's deadline.
    /// @param earliest The earliest deadline this instance accepts (open + commit + reveal + min proving).
    error DeadlineTooSoon(uint256 taskId, uint256 deadline, uint256 earliest);
    /// @param taskId The task.
    /// @param prover Not assigned through this auction.
    error NotAWinner(uint256 taskId, address prover);
    /// @param taskId The task.
    /// @param round The round, which was not cancelled.
    error NotReclaimable(uint256 taskId, uint8 round);
    /// @param account The bidder.
    /// @param requested Amount asked for.
    /// @param available Its free bond.
    error InsufficientBond(address account, uint256 requested, uint256 available);
    error ZeroAmount();
    /// @param redundancy A task redundancy above what one auction round supports.
    error RedundancyTooHigh(uint256 redundancy);
    /// @notice A constructor argument is out of range.
    /// @param which Its name.
    error InvalidParameter(string which);
    error NothingToSweep();
    /// @notice The registry's assign ran out of gas (empty revert data); retry finalize with more gas.
    /// @param taskId The task.
    /// @param bidder The winner being assigned.
    error AssignmentOutOfGas(uint256 taskId, address bidder);

    /// @param taskId The task.
    /// @param round The round.
    /// @param reserve The reserve (maximum acceptable bid).
    /// @param commitEnd End of the commit window.
    /// @param revealEnd End of the reveal window.
    event AuctionOpened(uint256 indexed taskId, uint8 round, uint96 reserve, uint64 commitEnd, uint64 revealEnd);
    /// @param taskId The task.
    /// @param bidder The bidder.
    /// @param commitment keccak256(abi.encode(taskId, round, bidder, price, salt)).
    event BidCommitted(uint256 indexed taskId, address indexed bidder, bytes32 commitment);
    /// @param taskId The task.
    /// @param bidder The bidder.
    /// @param price The revealed price.
    /// @param eligible Whether it competes (0 < price ≤ reserve); an ineligible bid is refunded and dropped.
    event BidRevealed(uint256 indexed taskId, address indexed bidder, uint96 price, bool eligible);
    /// @param taskId The task.
    /// @param winner An assigned winner.
    /// @param bid Its bid.
    /// @param price The price it was assigned at.
    event WinnerAssigned(uint256 indexed taskId, address indexed winner, uint96 bid, uint96 price);
    /// @param taskId The task.
    /// @param bidder A winning bid the registry refused to assign (stake, capacity, budget), passed over.
    /// @param reason The registry's revert data.
    event WinnerSkipped(uint256 indexed taskId, address indexed bidder, bytes reason);
    /// @param taskId The task.
    /// @param winners Assigned winners.
    /// @param forfeited Bid collateral forfeited by bidders that did not reveal.
    event AuctionFinalized(uint256 indexed taskId, uint256 winners, uint256 forfeited);
    /// @param taskId The task.
    /// @param round The round.
    /// @param forfeited Bid collateral forfeited (zero when the round was cancelled instead).
    event AuctionClosed(uint256 indexed taskId, uint8 round, uint256 forfeited);
    /// @param account The bidder.
    /// @param amount Added to its bond.
    event BondDeposited(address indexed account, uint256 amount);
    /// @param account The bidder.
    /// @param amount Withdrawn from its free bond.
    event BondWithdrawn(address indexed account, uint256 amount);
    /// @param taskId The task, whose round was cancelled.
    /// @param bidder Got its bid collateral back.
    event BidReclaimed(uint256 indexed taskId, address indexed bidder);
    /// @param amount Forfeited collateral sent to the treasury.
    event ForfeitsSwept(uint256 amount);

    /// @notice Adds `amount` (pulled with transferFrom) to msg.sender's bond.
    function depositBond(uint256 amount) external;
    /// @notice Withdraws `amount` of msg.sender's free bond (not behind an open commitment).
    function withdrawBond(uint256 amount) external;
    /// @notice Commits a sealed bid for `taskId`, locking the instance's bid collateral from msg.sender's
    ///         bond (any shortfall is pulled with transferFrom). msg.sender must be a registered prover.
    /// @param commitment keccak256(abi.encode(taskId, round, msg.sender, price, salt)); see `commitmentOf`.
    function commitBid(uint256 taskId, bytes32 commitment) external;
    /// @notice Opens msg.sender's commitment during the reveal window; its bid collateral returns to its
    ///         free bond. A bid above the reserve or of zero is accepted as a reveal but does not compete.
    function revealBid(uint256 taskId, uint96 price, bytes32 salt) external;
    /// @notice After the reveal window: assigns the best bids and forfeits unrevealed collateral. Anyone.
    function finalize(uint256 taskId) external;
    /// @notice Returns the bid collateral of a commitment whose round was cancelled (the task closed
    ///         before the reveal window ended).
    function reclaimBid(uint256 taskId, uint8 round) external;
    /// @notice Sends forfeited bid collateral to the treasury. Anyone.
    function sweepForfeits() external;

    /// @notice The commitment a bidder must post.
    function commitmentOf(uint256 taskId, uint8 round, address bidder, uint96 price, bytes32 salt)
        external
        pure
        returns (bytes32);
    /// @notice The task's current auction round.
    function auctionOf(uint256 taskId) external view returns (Auction memory);
    /// @notice The open commitment of `bidder` in `round` (zero when none or revealed).
    function commitmentFor(uint256 taskId, uint8 round, address bidder) external view returns (bytes32);
    /// @notice `bidder`'s free bond.
    function bondOf(address bidder) external view returns (uint256);
    /// @notice (commitEnd, revealEnd) of the task's current round.
    function windowsOf(uint256 taskId) external view returns (uint64 commitEnd, uint64 revealEnd);
}
