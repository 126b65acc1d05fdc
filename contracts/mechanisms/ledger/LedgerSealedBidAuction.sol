// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../interfaces/ILedgerMechanism.sol";
import {ILedgerSealedBidAuction} from "../../interfaces/ILedgerSealedBidAuction.sol";
import {IMechanism} from "../../interfaces/IMechanism.sol";
import {IProverRegistry} from "../../interfaces/IProverRegistry.sol";
import {ITaskLedger} from "../../interfaces/ITaskLedger.sol";
import {RevealedBid, SealedBidRanking} from "../../libraries/SealedBidRanking.sol";
import {LedgerTask, LedgerTaskLib, TaskWord} from "../../types/LedgerTask.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title LedgerSealedBidAuction
/// @notice Commit–reveal reverse auction (first or second price per instance) for a TaskLedger task: the rules of
///         SealedBidAuction (docs/mechanisms.md), ported onto the one-word core (docs/one-word-tasks.md).
/// @dev Storage. No word per task: one word per (round, bidder), where a round is (taskId, openedAt, deadline), so a
///      task reopened to this instance starts clean. The word is the commitment until the reveal, then the price and
///      the salt's low 64 bits. The round's commitment count is the task word's mechanism counter (bumped through the
///      ledger, which checks the task), outside the task hash: bidders committing at once do not make each other's
///      task copy stale. `finalize` is handed all committers, ascending, exactly as many as the counter.
///      Bid collateral is a per-bidder bond held here (the ProverRegistry locks stake only behind a task's single
///      assignment, which only the ledger can make): a commit and a reveal move bond balances, not tokens.
///      Conservation: token.balanceOf(this) = Σ bonds + (committed, unrevealed words) × bidCollateral + forfeited.
contract LedgerSealedBidAuction is ILedgerSealedBidAuction, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SealedBidRanking for RevealedBid[];

    /// @notice Hard cap on `maxBids` (finalize sorts the revealed bids in memory).
    uint8 public constant MAX_BIDS_CAP = 64;
    /// @notice mechanismState of a finalized round (the winner's assignment, or setMechanismState without one). A
    ///         task opens (or reopens) with mechanismState 0.
    uint64 public constant FINALIZED = 1;

    /// @dev Low byte of a bid word: its kind. A committed word is the commitment with the low byte replaced by
    ///      COMMITTED (248 bits of the hash are compared); a revealed word is REVEALED | price << 8 | salt64 << 104.
    uint256 internal constant KIND_MASK = 0xff;
    uint256 internal constant COMMITTED = 1;
    uint256 internal constant REVEALED = 2;

    ITaskLedger public immutable ledger;
    IProverRegistry public immutable provers;
    IERC20 public immutable token;
    address public immutable treasury;
    bool public immutable secondPrice;
    uint32 public immutable commitWindow;
    uint32 public immutable revealWindow;
    uint32 public immutable minProvingWindow;
    uint96 public immutable bidCollateral;
    uint96 public immutable winnerCollateral;
    uint8 public immutable maxBids;

    /// @inheritdoc ILedgerSealedBidAuction
    uint256 public forfeited;

    mapping(bytes32 roundKey => mapping(address bidder => uint256 word)) internal _bids;
    mapping(address bidder => uint256) internal _bonds;

    modifier onlyLedger() {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        _;
    }

    constructor(Params memory p) {
        if (p.ledger == address(0)) revert InvalidParameter("ledger");
        if (p.token == address(0)) revert InvalidParameter("token");
        if (p.treasury == address(0)) revert InvalidParameter("treasury");
        if (p.commitWindow == 0) revert InvalidParameter("commitWindow");
        if (p.revealWindow == 0) revert InvalidParameter("revealWindow");
        if (p.bidCollateral == 0) revert InvalidParameter("bidCollateral");
        if (p.maxBids == 0 || p.maxBids > MAX_BIDS_CAP) revert InvalidParameter("maxBids");
        ledger = ITaskLedger(p.ledger);
        provers = ITaskLedger(p.ledger).provers();
        token = IERC20(p.token);
        treasury = p.treasury;
        secondPrice = p.secondPrice;
        commitWindow = p.commitWindow;
        revealWindow = p.revealWindow;
        minProvingWindow = p.minProvingWindow;
        bidCollateral = p.bidCollateral;
        winnerCollateral = p.winnerCollateral;
        maxBids = p.maxBids;
    }

    // ------------------------------------------------------------------ ILedgerMechanism

    /// @inheritdoc ILedgerMechanism
    /// @dev HOOK_OPEN only, to refuse a deadline too short for the phases (at creation, or on a fallback reopen,
    ///      which then expires for good). No close hook (there is nothing per task to clean up) and no assigned-proof
    ///      hook (the winner is paid its assigned price by the ledger). Redundancy cap 1: the ledger assigns one
    ///      prover per task.
    function hooks() external pure returns (uint8 hookFlags, uint8 redundancyCap) {
        return (LedgerTaskLib.HOOK_OPEN, 1);
    }

    /// @inheritdoc ILedgerMechanism
    function onTaskOpened(uint256 taskId, LedgerTask calldata task, bytes calldata)
        external
        view
        onlyLedger
        returns (uint64)
    {
        uint256 earliest = block.timestamp + commitWindow + revealWindow + minProvingWindow;
        if (task.deadline < earliest) revert DeadlineTooSoon(taskId, task.deadline, earliest);
        return 0;
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Asked only for proofs of an unassigned task (the winner's proof is paid its price without a call): before
    ///      finalize, or after a finalize nobody won, nobody may prove.
    function onProofAccepted(uint256 taskId, LedgerTask calldata, address prover, uint256)
        external
        view
        onlyLedger
        returns (uint256)
    {
        revert NotAWinner(taskId, prover);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Not declared (HOOK_CLOSE), so never called; kept for the interface.
    function onTaskClosed(uint256, LedgerTask calldata) external view onlyLedger {}

    /// @inheritdoc ILedgerMechanism
    /// @dev As SealedBidAuction: speed 4 (two bidding windows precede any proving), cost 8 (competitive sealed
    ///      prices, truthful under second price), safety 6 (collateralised winner, penalised non-reveal), censorship
    ///      resistance 5 (any registered prover may bid, but a cartel can win and sit on the task until expiry).
    function profile() external pure returns (IMechanism.Profile memory) {
        return IMechanism.Profile({kind: 2, speed: 4, cost: 8, safety: 6, censorshipResistance: 5});
    }

    // ------------------------------------------------------------------ bonds

    /// @inheritdoc ILedgerSealedBidAuction
    function depositBond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _bonds[msg.sender] += amount;
        emit BondDeposited(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ILedgerSealedBidAuction
    function withdrawBond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 bond = _bonds[msg.sender];
        if (amount > bond) revert InsufficientBond(msg.sender, amount, bond);
        _bonds[msg.sender] = bond - amount;
        emit BondWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ bidding

    /// @inheritdoc ILedgerSealedBidAuction
    function commit(uint256 taskId, LedgerTask calldata task, bytes32 commitment) external nonReentrant {
        if (commitment == bytes32(0)) revert ZeroCommitment(commitment);
        uint256 commitEnd = uint256(task.openedAt) + commitWindow;
        if (block.timestamp >= commitEnd) revert CommitWindowClosed(taskId, commitEnd);
        if (!provers.isRegistered(msg.sender)) revert BidderNotRegistered(msg.sender);
        mapping(address => uint256) storage words = _round(taskId, task.openedAt, task.deadline);
        if (words[msg.sender] != 0) revert AlreadyCommitted(taskId, msg.sender);
        words[msg.sender] = _sealed(commitment);

        uint256 bond = _bonds[msg.sender];
        uint256 shortfall;
        if (bond >= bidCollateral) {
            _bonds[msg.sender] = bond - bidCollateral;
        } else {
            shortfall = bidCollateral - bond;
            if (bond != 0) _bonds[msg.sender] = 0;
        }
        // The ledger checks the task (StaleTask) and that it is this mechanism's (OnlyTaskMechanism), and counts the
        // commitment in the task word, outside the hash.
        uint256 commits = ledger.bumpMechanismCounter(taskId, task);
        if (commits > maxBids) revert AuctionFull(taskId, maxBids);
        emit BidCommitted(taskId, msg.sender, commitment, commits);
        if (shortfall != 0) token.safeTransferFrom(msg.sender, address(this), shortfall);
    }

    /// @inheritdoc ILedgerSealedBidAuction
    /// @dev No ledger call: the window is computed from `openedAt`, and (taskId, openedAt, deadline) key the word,
    ///      so values other than the committed round's find no commitment. A task cancelled meanwhile can still be
    ///      revealed (that is how its bidders get their collateral back).
    function reveal(uint256 taskId, uint32 openedAt, uint32 deadline, uint96 price, bytes32 salt) external {
        uint256 revealStart = uint256(openedAt) + commitWindow;
        uint256 revealEnd = revealStart + revealWindow;
        if (block.timestamp < revealStart || block.timestamp >= revealEnd) {
            revert NotInRevealWindow(taskId, revealStart, revealEnd);
        }
        mapping(address => uint256) storage words = _round(taskId, openedAt, deadline);
        uint256 word = words[msg.sender];
        if (word == 0) revert NoCommitment(taskId, msg.sender);
        if (word & KIND_MASK == REVEALED) revert AlreadyRevealed(taskId, msg.sender);
        if (word != _sealed(_commitment(taskId, openedAt, msg.sender, price, salt))) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        // The salt's low 64 bits feed the tie-break seed (XOR of every revealed salt, SealedBidRanking).
        words[msg.sender] = REVEALED | uint256(price) << 8 | uint256(uint64(uint256(salt))) << 104;
        _bonds[msg.sender] += bidCollateral;
        emit BidRevealed(taskId, msg.sender, price);
    }

    /// @inheritdoc ILedgerSealedBidAuction
    /// @dev The task is checked by the ledger call that ends finalize (the winner's `assign`, or `setMechanismState`
    ///      when nobody wins), so every field read before it is authenticated by the time the call returns.
    function finalize(uint256 taskId, LedgerTask calldata task, address[] calldata committers) external nonReentrant {
        {
            uint256 revealEnd = uint256(task.openedAt) + commitWindow + revealWindow;
            if (block.timestamp < revealEnd) revert RevealWindowOpen(taskId, revealEnd);
        }
        if (block.timestamp > task.deadline) revert AuctionExpired(taskId, task.deadline);
        if (task.mechanismState != 0) revert AlreadyFinalized(taskId);
        {
            // The commitment count is in the word, outside the hash: read it (the hash is checked below).
            uint256 expected = TaskWord.unwrap(ledger.taskWord(taskId)) >> 8 & 0xff;
            if (committers.length != expected) revert CommitterCountMismatch(taskId, committers.length, expected);
        }
        (RevealedBid[] memory bids, uint256 lost) = _collect(taskId, task, committers);
        if (lost != 0) forfeited += lost;

        uint96 reserve = task.maxPayment;
        uint96 collateral = winnerCollateral > task.minCollateral ? winnerCollateral : task.minCollateral;
        uint256 n = bids.length;
        for (uint256 i; i < n; ++i) {
            RevealedBid memory bid = bids[i];
            // Second price: the best bid after this one (the first loser, given every better one was skipped).
            uint96 price = SealedBidRanking.clearingPrice(bids, bid.price, i + 1, reserve, secondPrice);
            try ledger.assign(taskId, task, bid.bidder, price, collateral, FINALIZED) {
                emit AuctionFinalized(taskId, bid.bidder, bid.price, price, lost);
                return;
            } catch (bytes memory reason) {
                // A prover-level refusal (registration, free stake, capacity changed since the reveal) passes the bid
                // over. Empty revert data means the call ran out of gas, which a caller could force to skip winners:
                // refuse. A task-level refusal (StaleTask, OnlyTaskMechanism) skips every bid and then reverts in the
                // setMechanismState below, so it cannot skip anyone either.
                if (reason.length == 0) revert AssignmentOutOfGas(taskId, bid.bidder);
                emit WinnerSkipped(taskId, bid.bidder, reason);
            }
        }
        ledger.setMechanismState(taskId, task, FINALIZED);
        emit AuctionFinalized(taskId, address(0), 0, 0, lost);
    }

    /// @inheritdoc ILedgerSealedBidAuction
    /// @dev After the deadline no finalize can run (AuctionExpired), and a finalized round has no committed word
    ///      left, so nothing is forfeited twice.
    function forfeitUnrevealed(uint256 taskId, uint32 openedAt, uint32 deadline, address[] calldata bidders)
        external
        nonReentrant
    {
        if (block.timestamp <= deadline) revert RoundNotOver(taskId, deadline);
        mapping(address => uint256) storage words = _round(taskId, openedAt, deadline);
        uint256 count;
        for (uint256 i; i < bidders.length; ++i) {
            if (words[bidders[i]] & KIND_MASK == COMMITTED) {
                delete words[bidders[i]];
                ++count;
            }
        }
        uint256 lost = count * bidCollateral;
        if (lost != 0) forfeited += lost;
        emit UnrevealedForfeited(taskId, lost);
    }

    /// @inheritdoc ILedgerSealedBidAuction
    function sweepForfeits() external nonReentrant {
        uint256 amount = forfeited;
        if (amount == 0) revert NothingToSweep();
        forfeited = 0;
        emit ForfeitsSwept(amount);
        token.safeTransfer(treasury, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILedgerSealedBidAuction
    function commitmentOf(uint256 taskId, uint32 openedAt, address bidder, uint96 price, bytes32 salt)
        external
        pure
        returns (bytes32)
    {
        return _commitment(taskId, openedAt, bidder, price, salt);
    }

    /// @inheritdoc ILedgerSealedBidAuction
    function bidOf(uint256 taskId, uint32 openedAt, uint32 deadline, address bidder)
        external
        view
        returns (BidStatus status, uint96 price)
    {
        uint256 word = _round(taskId, openedAt, deadline)[bidder];
        uint256 kind = word & KIND_MASK;
        if (word == 0) return (BidStatus.None, 0);
        // forge-lint: disable-next-line(unsafe-typecast) bits 8-103 of a revealed word
        if (kind == REVEALED) return (BidStatus.Revealed, uint96(word >> 8));
        return (BidStatus.Committed, 0);
    }

    /// @inheritdoc ILedgerSealedBidAuction
    function bondOf(address bidder) external view returns (uint256) {
        return _bonds[bidder];
    }

    /// @inheritdoc ILedgerSealedBidAuction
    function windowsOf(LedgerTask calldata task) external view returns (uint256 commitEnd, uint256 revealEnd) {
        commitEnd = uint256(task.openedAt) + commitWindow;
        revealEnd = commitEnd + revealWindow;
    }

    // ------------------------------------------------------------------ internal

    /// @dev Walks the committer list (strictly ascending, every entry a committer of the round): unrevealed words
    ///      are forfeited and cleared; revealed salts are XORed into the seed; eligible bids (0 < price ≤ reserve) are
    ///      returned ranked best first (SealedBidRanking), with the collateral lost.
    function _collect(uint256 taskId, LedgerTask calldata task, address[] calldata committers)
        internal
        returns (RevealedBid[] memory bids, uint256 lost)
    {
        mapping(address => uint256) storage words = _round(taskId, task.openedAt, task.deadline);
        uint256 n = committers.length;
        bids = new RevealedBid[](n);
        uint256 eligible;
        uint256 unrevealed;
        uint64 seed;
        address previous;
        uint96 reserve = task.maxPayment;
        for (uint256 i; i < n; ++i) {
            address c = committers[i];
            if (i != 0 && c <= previous) revert CommittersNotAscending(taskId, i);
            previous = c;
            uint256 word = words[c];
            if (word == 0) revert NotACommitter(taskId, c);
            if (word & KIND_MASK == COMMITTED) {
                delete words[c];
                ++unrevealed;
                continue;
            }
            // forge-lint: disable-next-line(unsafe-typecast) bits 8-103 and 104-167 of a revealed word
            uint96 price = uint96(word >> 8);
            // forge-lint: disable-next-line(unsafe-typecast) bits 104-167
            seed ^= uint64(word >> 104);
            if (price != 0 && price <= reserve) bids[eligible++] = RevealedBid({bidder: c, price: price});
        }
        assembly ("memory-safe") {
            mstore(bids, eligible)
        }
        bids.sort(seed);
        lost = unrevealed * bidCollateral;
    }

    function _round(uint256 taskId, uint32 openedAt, uint32 deadline)
        internal
        view
        returns (mapping(address => uint256) storage)
    {
        return _bids[keccak256(abi.encode(taskId, openedAt, deadline))];
    }

    function _commitment(uint256 taskId, uint32 openedAt, address bidder, uint96 price, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, openedAt, bidder, price, salt));
    }

    /// @dev A commitment as stored: its high 248 bits, tagged COMMITTED.
    function _sealed(bytes32 commitment) internal pure returns (uint256) {
        return (uint256(commitment) & ~KIND_MASK) | COMMITTED;
    }
}
