// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../interfaces/IMechanism.sol";
import {IProverRegistry} from "../interfaces/IProverRegistry.sol";
import {ISealedBidAuction} from "../interfaces/ISealedBidAuction.sol";
import {ITaskRegistry} from "../interfaces/ITaskRegistry.sol";
import {RevealedBid, SealedBidRanking} from "../libraries/SealedBidRanking.sol";
import {SlotBudget} from "../libraries/SlotBudget.sol";
import {TaskRequest} from "../types/Task.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title SealedBidAuction
/// @notice Commit–reveal reverse auction (first- or second-price per instance) for a task's proof slots.
/// @dev Storage per task: one `Auction` word; per round, one word per commitment and one per revealed bid,
///      keyed by keccak256(taskId, round) so that a task reopened to the same instance starts clean.
///      Bid collateral lives in per-bidder bonds held by this contract: Σ bonds + Σ open commitments ×
///      bidCollateral + forfeited = this contract's token balance (conservation; tested).
contract SealedBidAuction is ISealedBidAuction, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SealedBidRanking for RevealedBid[];

    /// @notice Constructor parameters of one instance.
    /// @param taskRegistry The task registry this instance serves.
    /// @param proverRegistry Its prover registry (bidders must be registered).
    /// @param token The stake token (bid collateral is posted in it).
    /// @param treasury Receives forfeited bid collateral.
    /// @param secondPrice Uniform (R+1)-th price instead of pay-as-bid.
    /// @param commitWindow Seconds from task open during which bids may be committed.
    /// @param revealWindow Seconds after the commit window during which bids may be revealed.
    /// @param minProvingWindow Seconds a winner must have between the reveal window's end and the deadline.
    /// @param bidCollateral Locked from the bond per commitment; forfeited if the bid is not revealed.
    /// @param winnerCollateral Registry stake each winner's assignment locks (slashed on a missed deadline).
    /// @param maxBids Commitments accepted per round (bounds finalize's gas).
    struct Params {
        ITaskRegistry taskRegistry;
        IProverRegistry proverRegistry;
        IERC20 token;
        address treasury;
        bool secondPrice;
        uint32 commitWindow;
        uint32 revealWindow;
        uint32 minProvingWindow;
        uint96 bidCollateral;
        uint96 winnerCollateral;
        uint8 maxBids;
    }

    /// @notice Hard cap on `maxBids` (finalize sorts all revealed bids in memory).
    uint8 public constant MAX_BIDS_CAP = 64;

    ITaskRegistry public immutable taskRegistry;
    IProverRegistry public immutable proverRegistry;
    IERC20 public immutable token;
    address public immutable treasury;
    bool public immutable secondPrice;
    uint32 public immutable commitWindow;
    uint32 public immutable revealWindow;
    uint32 public immutable minProvingWindow;
    uint96 public immutable bidCollateral;
    uint96 public immutable winnerCollateral;
    uint8 public immutable maxBids;

    /// @notice Forfeited bid collateral not yet swept to the treasury.
    uint256 public forfeited;

    mapping(uint256 taskId => Auction) internal _auctions;
    mapping(bytes32 roundKey => mapping(address bidder => bytes32 commitment)) internal _commitments;
    mapping(bytes32 roundKey => mapping(uint256 index => RevealedBid)) internal _bids;
    mapping(address bidder => uint256) internal _bonds;

    modifier onlyTaskRegistry() {
        if (msg.sender != address(taskRegistry)) revert OnlyTaskRegistry(msg.sender);
        _;
    }

    constructor(Params memory p) {
        if (address(p.taskRegistry) == address(0)) revert InvalidParameter("taskRegistry");
        if (address(p.proverRegistry) == address(0)) revert InvalidParameter("proverRegistry");
        if (address(p.token) == address(0)) revert InvalidParameter("token");
        if (p.treasury == address(0)) revert InvalidParameter("treasury");
        if (p.commitWindow == 0) revert InvalidParameter("commitWindow");
        if (p.revealWindow == 0) revert InvalidParameter("revealWindow");
        if (p.bidCollateral == 0) revert InvalidParameter("bidCollateral");
        if (p.maxBids == 0 || p.maxBids > MAX_BIDS_CAP) revert InvalidParameter("maxBids");
        taskRegistry = p.taskRegistry;
        proverRegistry = p.proverRegistry;
        token = p.token;
        treasury = p.treasury;
        secondPrice = p.secondPrice;
        commitWindow = p.commitWindow;
        revealWindow = p.revealWindow;
        minProvingWindow = p.minProvingWindow;
        bidCollateral = p.bidCollateral;
        winnerCollateral = p.winnerCollateral;
        maxBids = p.maxBids;
    }

    // ------------------------------------------------------------------ IMechanism

    /// @inheritdoc IMechanism
    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external onlyTaskRegistry {
        if (request.redundancy > maxBids) revert RedundancyTooHigh(request.redundancy);
        uint256 earliest = block.timestamp + commitWindow + revealWindow + minProvingWindow;
        if (request.deadline < earliest) revert DeadlineTooSoon(taskId, request.deadline, earliest);
        uint8 round = _auctions[taskId].round + 1;
        (uint8 slots, uint256 perSlot) = SlotBudget.open(taskRegistry.budgetOf(taskId));
        uint96 reserve = uint96(perSlot);
        _auctions[taskId] = Auction({
            openedAt: uint40(block.timestamp),
            reserve: reserve,
            slots: slots,
            commits: 0,
            reveals: 0,
            bids: 0,
            round: round,
            status: AuctionStatus.Bidding,
            seed: 0
        });
        emit AuctionOpened(
            taskId,
            round,
            reserve,
            uint64(block.timestamp + commitWindow),
            uint64(block.timestamp + commitWindow + revealWindow)
        );
    }

    /// @inheritdoc IMechanism
    /// @dev Only assigned winners may prove; they are paid their assigned (clearing) price. Every winner is
    ///      assigned at a price ≥ 1 (zero bids never compete), so a zero `assignedPrice` means "not assigned".
    function onProofAccepted(uint256 taskId, address prover, uint96 assignedPrice)
        external
        view
        onlyTaskRegistry
        returns (uint256 payment)
    {
        if (assignedPrice == 0) revert NotAWinner(taskId, prover);
        return assignedPrice;
    }

    /// @inheritdoc IMechanism
    /// @dev Closed before the reveal window ended (a cancel): every commitment becomes reclaimable. Closed
    ///      later without finalize (expiry, or a reopen elsewhere): unrevealed collateral is forfeited.
    function onTaskClosed(uint256 taskId) external onlyTaskRegistry {
        Auction storage a = _auctions[taskId];
        if (a.status != AuctionStatus.Bidding) return;
        if (block.timestamp < _revealEnd(a)) {
            a.status = AuctionStatus.Cancelled;
            emit AuctionClosed(taskId, a.round, 0);
        } else {
            a.status = AuctionStatus.Closed;
            uint256 lost = _forfeitUnrevealed(a);
            emit AuctionClosed(taskId, a.round, lost);
        }
    }

    /// @inheritdoc IMechanism
    /// @dev speed 4: a commit and a reveal window precede any proving. cost 8: competitive sealed prices,
    ///      truthful under second price. safety 6: winners post stake collateral, non-revealers forfeit.
    ///      censorship resistance 5: any registered prover may bid, but a cartel can outbid and then
    ///      sit on the task until the deadline (it is slashed, and the fallback reopens the task).
    function profile() external pure returns (Profile memory) {
        return Profile({kind: 2, speed: 4, cost: 8, safety: 6, censorshipResistance: 5});
    }

    // ------------------------------------------------------------------ bonds

    /// @inheritdoc ISealedBidAuction
    function depositBond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _bonds[msg.sender] += amount;
        emit BondDeposited(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ISealedBidAuction
    function withdrawBond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 bond = _bonds[msg.sender];
        if (amount > bond) revert InsufficientBond(msg.sender, amount, bond);
        _bonds[msg.sender] = bond - amount;
        emit BondWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ bidding

    /// @inheritdoc ISealedBidAuction
    function commitBid(uint256 taskId, bytes32 commitment) external nonReentrant {
        if (commitment == bytes32(0)) revert ZeroCommitment(commitment);
        Auction storage a = _auctions[taskId];
        if (a.status != AuctionStatus.Bidding) revert AuctionNotActive(taskId);
        uint256 commitEnd = uint256(a.openedAt) + commitWindow;
        if (block.timestamp >= commitEnd) revert CommitWindowClosed(taskId, commitEnd);
        if (a.commits >= maxBids) revert AuctionFull(taskId, maxBids);
        if (!proverRegistry.isRegistered(msg.sender)) revert BidderNotRegistered(msg.sender);
        bytes32 key = _roundKey(taskId, a.round);
        if (_commitments[key][msg.sender] != bytes32(0)) revert AlreadyCommitted(taskId, msg.sender);

        _commitments[key][msg.sender] = commitment;
        a.commits += 1;
        uint256 bond = _bonds[msg.sender];
        uint256 shortfall;
        if (bond >= bidCollateral) {
            _bonds[msg.sender] = bond - bidCollateral;
        } else {
            shortfall = bidCollateral - bond;
            if (bond != 0) _bonds[msg.sender] = 0;
        }
        emit BidCommitted(taskId, msg.sender, commitment);
        if (shortfall != 0) token.safeTransferFrom(msg.sender, address(this), shortfall);
    }

    /// @inheritdoc ISealedBidAuction
    function revealBid(uint256 taskId, uint96 price, bytes32 salt) external nonReentrant {
        Auction storage a = _auctions[taskId];
        if (a.status != AuctionStatus.Bidding) revert AuctionNotActive(taskId);
        uint256 revealStart = uint256(a.openedAt) + commitWindow;
        uint256 revealEnd = revealStart + revealWindow;
        if (block.timestamp < revealStart || block.timestamp >= revealEnd) {
            revert NotInRevealWindow(taskId, revealStart, revealEnd);
        }
        uint8 round = a.round;
        bytes32 key = _roundKey(taskId, round);
        bytes32 stored = _commitments[key][msg.sender];
        if (stored == bytes32(0)) revert NoCommitment(taskId, msg.sender);
        if (stored != _commitment(taskId, round, msg.sender, price, salt)) {
            revert CommitmentMismatch(taskId, msg.sender);
        }

        delete _commitments[key][msg.sender];
        _bonds[msg.sender] += bidCollateral;
        // Every reveal mixes its pre-committed salt into the tie-break seed.
        a.seed ^= uint64(uint256(salt));
        a.reveals += 1;
        bool eligible = price != 0 && price <= a.reserve;
        if (eligible) {
            uint8 index = a.bids;
            _bids[key][index] = RevealedBid({bidder: msg.sender, price: price});
            a.bids = index + 1;
        }
        emit BidRevealed(taskId, msg.sender, price, eligible);
    }

    /// @inheritdoc ISealedBidAuction
    function finalize(uint256 taskId) external nonReentrant {
        Auction storage a = _auctions[taskId];
        if (a.status != AuctionStatus.Bidding) revert AuctionNotActive(taskId);
        uint256 revealEnd = _revealEnd(a);
        if (block.timestamp < revealEnd) revert RevealWindowOpen(taskId, revealEnd);
        a.status = AuctionStatus.Finalized;
        uint256 lost = _forfeitUnrevealed(a);

        RevealedBid[] memory bids = _rankedBids(taskId, a);
        uint256 assigned;
        if (secondPrice && bids.length > a.slots) {
            // The clearing price is the best losing bid, known only once the winners are: select first.
            (uint256[] memory winners, uint256 count, uint256 next) = _selectWinners(taskId, bids, a.slots);
            assigned = _assignWinners(taskId, bids, winners, count, next, a.reserve);
        } else {
            assigned = _assignInOrder(taskId, bids, a.slots, a.reserve);
        }
        emit AuctionFinalized(taskId, assigned, lost);
    }

    /// @inheritdoc ISealedBidAuction
    function reclaimBid(uint256 taskId, uint8 round) external nonReentrant {
        Auction storage a = _auctions[taskId];
        // Only the latest round can have been cancelled: a cancelled task is final and never reopens.
        if (round != a.round || a.status != AuctionStatus.Cancelled) revert NotReclaimable(taskId, round);
        bytes32 key = _roundKey(taskId, round);
        if (_commitments[key][msg.sender] == bytes32(0)) revert NoCommitment(taskId, msg.sender);
        delete _commitments[key][msg.sender];
        _bonds[msg.sender] += bidCollateral;
        emit BidReclaimed(taskId, msg.sender);
    }

    /// @inheritdoc ISealedBidAuction
    function sweepForfeits() external nonReentrant {
        uint256 amount = forfeited;
        if (amount == 0) revert NothingToSweep();
        forfeited = 0;
        emit ForfeitsSwept(amount);
        token.safeTransfer(treasury, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISealedBidAuction
    function commitmentOf(uint256 taskId, uint8 round, address bidder, uint96 price, bytes32 salt)
        external
        pure
        returns (bytes32)
    {
        return _commitment(taskId, round, bidder, price, salt);
    }

    /// @inheritdoc ISealedBidAuction
    function auctionOf(uint256 taskId) external view returns (Auction memory) {
        return _auctions[taskId];
    }

    /// @inheritdoc ISealedBidAuction
    function commitmentFor(uint256 taskId, uint8 round, address bidder) external view returns (bytes32) {
        return _commitments[_roundKey(taskId, round)][bidder];
    }

    /// @inheritdoc ISealedBidAuction
    function bondOf(address bidder) external view returns (uint256) {
        return _bonds[bidder];
    }

    /// @inheritdoc ISealedBidAuction
    function windowsOf(uint256 taskId) external view returns (uint64 commitEnd, uint64 revealEnd) {
        Auction storage a = _auctions[taskId];
        if (a.status == AuctionStatus.None) revert AuctionNotActive(taskId);
        commitEnd = uint64(uint256(a.openedAt) + commitWindow);
        revealEnd = uint64(_revealEnd(a));
    }

    // ------------------------------------------------------------------ internal

    function _commitment(uint256 taskId, uint8 round, address bidder, uint96 price, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, round, bidder, price, salt));
    }

    function _roundKey(uint256 taskId, uint8 round) internal pure returns (bytes32) {
        return keccak256(abi.encode(taskId, round));
    }

    function _revealEnd(Auction storage a) internal view returns (uint256) {
        return uint256(a.openedAt) + commitWindow + revealWindow;
    }

    /// @dev The round's eligible bids, ranked best first.
    function _rankedBids(uint256 taskId, Auction storage a) internal view returns (RevealedBid[] memory bids) {
        bytes32 key = _roundKey(taskId, a.round);
        uint256 n = a.bids;
        bids = new RevealedBid[](n);
        for (uint256 i; i < n; ++i) {
            bids[i] = _bids[key][i];
        }
        bids.sort(a.seed);
    }

    /// @dev Pay-as-bid, or second price with no losing bid (everyone wins at the reserve): walk the ranking
    ///      and assign until `wanted` winners hold; a bid the registry refuses (stake, capacity changed since
    ///      the reveal, or the task ran past its deadline before finalize) is passed over.
    function _assignInOrder(uint256 taskId, RevealedBid[] memory bids, uint256 wanted, uint96 reserve)
        internal
        returns (uint256 assigned)
    {
        uint256 n = bids.length;
        for (uint256 i; i < n && assigned < wanted; ++i) {
            RevealedBid memory bid = bids[i];
            uint96 price = secondPrice ? reserve : bid.price;
            try taskRegistry.assign(taskId, bid.bidder, price, winnerCollateral) {
                ++assigned;
                emit WinnerAssigned(taskId, bid.bidder, bid.price, price);
            } catch (bytes memory reason) {
                // Every refusal by the registry carries a custom error; empty revert data means the call ran
                // out of gas, which a caller could force to skip winners: refuse rather than skip.
                if (reason.length == 0) revert AssignmentOutOfGas(taskId, bid.bidder);
                emit WinnerSkipped(taskId, bid.bidder, reason);
            }
        }
    }

    /// @dev Walks the ranking: the first `wanted` bids whose bidder can take an assignment win; a bidder
    ///      that cannot (stake, capacity changed since it revealed) is passed over and the next bid moves up.
    /// @return winners Indices into `bids` of the winners, best first (the first `count` entries).
    /// @return count Number of winners.
    /// @return next Index of the first bid not examined: the best losing bid (second-price rule).
    function _selectWinners(uint256 taskId, RevealedBid[] memory bids, uint256 wanted)
        internal
        returns (uint256[] memory winners, uint256 count, uint256 next)
    {
        winners = new uint256[](wanted);
        uint256 n = bids.length;
        for (; next < n && count < wanted; ++next) {
            if (_assignable(bids[next].bidder)) {
                winners[count++] = next;
            } else {
                emit WinnerSkipped(taskId, bids[next].bidder, "");
            }
        }
    }

    /// @dev Assigns the winners at the clearing price. A registry refusal (e.g. the task ran past its
    ///      deadline before finalize) skips the winner rather than blocking the others.
    function _assignWinners(
        uint256 taskId,
        RevealedBid[] memory bids,
        uint256[] memory winners,
        uint256 count,
        uint256 next,
        uint96 reserve
    ) internal returns (uint256 assigned) {
        for (uint256 w; w < count; ++w) {
            RevealedBid memory bid = bids[winners[w]];
            uint96 price = SealedBidRanking.clearingPrice(bids, bid.price, next, reserve, secondPrice);
            try taskRegistry.assign(taskId, bid.bidder, price, winnerCollateral) {
                ++assigned;
                emit WinnerAssigned(taskId, bid.bidder, bid.price, price);
            } catch (bytes memory reason) {
                // Every refusal by the registry carries a custom error; empty revert data means the call ran
                // out of gas, which a caller could force to skip winners: refuse rather than skip.
                if (reason.length == 0) revert AssignmentOutOfGas(taskId, bid.bidder);
                emit WinnerSkipped(taskId, bid.bidder, reason);
            }
        }
    }

    /// @dev Moves the collateral of every commitment never revealed into `forfeited`.
    function _forfeitUnrevealed(Auction storage a) internal returns (uint256 lost) {
        lost = uint256(a.commits - a.reveals) * bidCollateral;
        if (lost != 0) forfeited += lost;
    }

    /// @dev Whether the registry would accept `bidder`'s assignment now: registered, free stake for the
    ///      winner collateral, a free capacity slot (the same checks ProverRegistry.lockCollateral makes).
    function _assignable(address bidder) internal view returns (bool) {
        IProverRegistry.Prover memory p = proverRegistry.proverOf(bidder);
        if (!p.registered || p.activeAssignments >= p.maxConcurrent) return false;
        uint256 free = uint256(p.stake) - p.locked - p.pendingUnstake;
        return free >= winnerCollateral;
    }
}
