// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../interfaces/IMechanism.sol";
import {IOrderBook} from "../interfaces/IOrderBook.sol";
import {IProverRegistry} from "../interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../interfaces/ITaskRegistry.sol";
import {OfferRanking} from "../libraries/OfferRanking.sol";
import {SlotBudget} from "../libraries/SlotBudget.sol";
import {TaskRequest} from "../types/Task.sol";

/// @title OrderBook
/// @notice Standing offers matched to tasks by the requester's priority and the provers' record.
/// @dev Storage per offer: slot 0 packs price (96) | provingTime (32) | capacity (16) | active (16) |
///      bookIndex (32); slot 1 the circuit id. A match reads each book entry (2 slots) and, for offers that
///      pass the price/time/capacity/circuit filters, the prover's record (one external view call), then
///      assigns the winners through the registry. The book is capped at `maxBookSize` entries so the scan
///      is bounded (docs/mechanisms.md "OrderBook" gives the gas per entry).
contract OrderBook is IOrderBook {
    /// @notice Extra candidates kept beyond the open slots, in case the registry refuses an assignment
    ///         (the prover's free stake or capacity changed since it posted).
    uint256 internal constant SPARE_CANDIDATES = 2;

    /// @notice The task registry (the only caller of the hooks).
    ITaskRegistry public immutable registry;
    /// @notice The prover registry (records, free stake).
    IProverRegistry public immutable provers;
    /// @notice Stake locked per match.
    uint96 public immutable collateralPerMatch;
    /// @notice Book capacity.
    uint16 public immutable maxBookSize;
    /// @notice Largest redundancy a task may ask for.
    uint8 public immutable maxRedundancy;

    uint8 internal immutable _kind;
    uint8 internal immutable _speed;
    uint8 internal immutable _cost;
    uint8 internal immutable _safety;
    uint8 internal immutable _censorship;

    /// @dev Per-task state in one slot: maxPricePerProof (96) | deadline (64) | redundancy | matched |
    ///      priority | live. The circuit id is stored only for a task that waits for offers.
    struct TaskData {
        uint96 maxPricePerProof;
        uint64 deadline;
        uint8 redundancy;
        uint8 matched;
        uint8 priority;
        bool live;
    }

    address[] internal _book;
    mapping(address prover => Offer) internal _offers;
    mapping(uint256 taskId => TaskData) internal _tasks;
    mapping(uint256 taskId => bytes32) internal _waitingCircuit;
    /// @dev Matched provers by slot (0..matched−1); a slot is cleared when its prover delivers.
    mapping(uint256 taskId => mapping(uint256 slot => address prover)) internal _slots;

    /// @dev A ranked candidate for a match.
    struct Candidate {
        address prover;
        uint256 primary;
        uint256 secondary;
        uint256 reliability;
        uint96 price;
        uint32 provingTime;
    }

    modifier onlyRegistry() {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        _;
    }

    /// @param registry_ The task registry.
    /// @param provers_ The prover registry.
    /// @param params Instance parameters (see IOrderBook.Params).
    constructor(ITaskRegistry registry_, IProverRegistry provers_, Params memory params) {
        if (
            address(registry_) == address(0) || address(provers_) == address(0) || params.maxBookSize == 0
                || params.maxRedundancy == 0
        ) revert InvalidParams();
        registry = registry_;
        provers = provers_;
        collateralPerMatch = params.collateralPerMatch;
        maxBookSize = params.maxBookSize;
        maxRedundancy = params.maxRedundancy;
        _kind = params.profile.kind;
        _speed = params.profile.speed;
        _cost = params.profile.cost;
        _safety = params.profile.safety;
        _censorship = params.profile.censorshipResistance;
    }

    // ------------------------------------------------------------------ provers

    /// @inheritdoc IOrderBook
    function postOffer(uint96 pricePerProof, uint32 provingTime, uint16 capacity, bytes32 circuitId) external {
        if (pricePerProof == 0) revert ZeroPrice();
        if (provingTime == 0) revert ZeroProvingTime();
        if (capacity == 0) revert ZeroOfferCapacity();
        if (!provers.isRegistered(msg.sender)) revert ProverNotRegistered(msg.sender);
        uint256 free = provers.freeStake(msg.sender);
        if (free < collateralPerMatch) revert InsufficientFreeStake(msg.sender, collateralPerMatch, free);

        Offer storage o = _offers[msg.sender];
        if (o.bookIndex == 0) {
            if (_book.length >= maxBookSize) _evictFor(pricePerProof);
            _book.push(msg.sender);
            o.bookIndex = uint32(_book.length);
        }
        o.pricePerProof = pricePerProof;
        o.provingTime = provingTime;
        o.capacity = capacity;
        o.circuitId = circuitId;
        emit OfferPosted(msg.sender, pricePerProof, provingTime, capacity, circuitId);
    }

    /// @inheritdoc IOrderBook
    function withdrawOffer() external {
        Offer storage o = _offers[msg.sender];
        if (o.bookIndex == 0) revert NoOffer(msg.sender);
        uint16 bound = o.active;
        _takeOffBook(msg.sender, o);
        emit OfferWithdrawn(msg.sender, bound);
    }

    /// @inheritdoc IOrderBook
    function matchTask(uint256 taskId) external returns (uint256 matched) {
        TaskData storage t = _tasks[taskId];
        if (!t.live) revert TaskNotOnBook(taskId);
        if (t.matched >= t.redundancy) revert TaskFullyMatched(taskId);
        if (block.timestamp >= t.deadline) revert TaskPastDeadline(taskId, t.deadline);
        matched = _match(taskId, t, _waitingCircuit[taskId]);
        if (t.matched == t.redundancy) delete _waitingCircuit[taskId];
    }

    // ------------------------------------------------------------------ registry hooks

    /// @inheritdoc IMechanism
    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external onlyRegistry {
        uint8 priority = _priority(request.mechanismData);
        if (request.redundancy > maxRedundancy) revert RedundancyAboveMax(request.redundancy, maxRedundancy);
        // A fresh task needs `redundancy` provers at maxPayment / redundancy each; a task reopened here as a
        // fallback only the proofs still missing, each within the unspent budget.
        (uint8 slots, uint256 perSlot) = SlotBudget.open(registry.budgetOf(taskId));
        uint96 maxPrice = uint96(perSlot);
        _tasks[taskId] = TaskData({
            maxPricePerProof: maxPrice,
            deadline: request.deadline,
            redundancy: slots,
            matched: 0,
            priority: priority,
            live: true
        });
        emit TaskOnBook(taskId, priority, maxPrice);
        TaskData storage t = _tasks[taskId];
        _match(taskId, t, request.circuitId);
        if (t.matched < t.redundancy) _waitingCircuit[taskId] = request.circuitId;
    }

    /// @inheritdoc IMechanism
    function onProofAccepted(uint256 taskId, address prover, uint96 assignedPrice)
        external
        onlyRegistry
        returns (uint256 payment)
    {
        uint256 n = _tasks[taskId].matched;
        mapping(uint256 => address) storage slots = _slots[taskId];
        for (uint256 i; i < n; ++i) {
            if (slots[i] == prover) {
                delete slots[i];
                _release(prover);
                return assignedPrice;
            }
        }
        revert NotMatched(taskId, prover);
    }

    /// @inheritdoc IMechanism
    function onTaskClosed(uint256 taskId) external onlyRegistry {
        uint256 n = _tasks[taskId].matched;
        mapping(uint256 => address) storage slots = _slots[taskId];
        for (uint256 i; i < n; ++i) {
            address p = slots[i];
            if (p != address(0)) {
                _release(p);
                delete slots[i];
            }
        }
        delete _tasks[taskId];
        delete _waitingCircuit[taskId];
    }

    /// @inheritdoc IMechanism
    function profile() external view returns (Profile memory) {
        return Profile({kind: _kind, speed: _speed, cost: _cost, safety: _safety, censorshipResistance: _censorship});
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IOrderBook
    function offerOf(address prover) external view returns (Offer memory) {
        return _offers[prover];
    }

    /// @inheritdoc IOrderBook
    function bookSize() external view returns (uint256) {
        return _book.length;
    }

    /// @inheritdoc IOrderBook
    function bookAt(uint256 index) external view returns (address) {
        return _book[index];
    }

    /// @inheritdoc IOrderBook
    function bookTaskOf(uint256 taskId) external view returns (BookTask memory b) {
        TaskData memory t = _tasks[taskId];
        b = BookTask({
            circuitId: _waitingCircuit[taskId],
            maxPricePerProof: t.maxPricePerProof,
            deadline: t.deadline,
            redundancy: t.redundancy,
            matched: t.matched,
            priority: t.priority,
            live: t.live
        });
    }

    /// @inheritdoc IOrderBook
    function matchedProvers(uint256 taskId) external view returns (address[] memory list) {
        uint256 n = _tasks[taskId].matched;
        list = new address[](n);
        uint256 m;
        for (uint256 i; i < n; ++i) {
            address p = _slots[taskId][i];
            if (p != address(0)) list[m++] = p;
        }
        assembly ("memory-safe") {
            mstore(list, m)
        }
    }

    // ------------------------------------------------------------------ internals

    function _priority(bytes calldata data) internal pure returns (uint8) {
        if (data.length == 0) return OfferRanking.PRICE_FIRST;
        if (data.length != 32) revert MalformedMechanismData(data.length);
        uint256 p = abi.decode(data, (uint256));
        if (p > OfferRanking.TIME_FIRST) revert UnknownPriority(p);
        return uint8(p);
    }

    /// @dev Ranks the book for `t`'s open slots and assigns the best through the registry.
    function _match(uint256 taskId, TaskData storage t, bytes32 circuitId) internal returns (uint256 matched) {
        uint256 already = t.matched;
        uint256 missing = t.redundancy - already;
        address[] memory taken = new address[](already);
        for (uint256 i; i < already; ++i) {
            taken[i] = _slots[taskId][i];
        }
        Candidate[] memory best = _rank(t, circuitId, taken, missing + SPARE_CANDIDATES);
        for (uint256 i; i < best.length && matched < missing; ++i) {
            Candidate memory c = best[i];
            if (c.prover == address(0)) break;
            try registry.assign(taskId, c.prover, c.price, collateralPerMatch) {
                _slots[taskId][already + matched] = c.prover;
                _offers[c.prover].active += 1;
                ++matched;
                emit OfferMatched(taskId, c.prover, c.price, c.provingTime, c.reliability);
            } catch {
                emit MatchRefused(taskId, c.prover);
            }
        }
        // matched ≤ missing ≤ redundancy (a uint8), so the casts cannot truncate.
        t.matched = uint8(already + matched);
        if (matched < missing) emit TaskAwaitingOffers(taskId, uint8(missing - matched));
    }

    /// @dev The `slots` best eligible offers for `t`, best first (empty entries have prover zero). Provers
    ///      in `taken` (already matched and live) are skipped; one that already delivered is refused by the
    ///      registry (AlreadyProven) and skipped by `_match`.
    function _rank(TaskData storage t, bytes32 circuitId, address[] memory taken, uint256 slots)
        internal
        view
        returns (Candidate[] memory best)
    {
        best = new Candidate[](slots);
        uint256 timeLeft = t.deadline > block.timestamp ? t.deadline - block.timestamp : 0;
        uint96 maxPrice = t.maxPricePerProof;
        uint8 priority = t.priority;
        uint256 n = _book.length;
        for (uint256 i; i < n; ++i) {
            address p = _book[i];
            Offer storage o = _offers[p];
            if (o.active >= o.capacity || o.pricePerProof > maxPrice || o.provingTime > timeLeft) continue;
            if (o.circuitId != bytes32(0) && o.circuitId != circuitId) continue;
            if (_contains(taken, p)) continue;
            _insert(best, _candidate(p, o, priority));
        }
    }

    function _contains(address[] memory list, address p) internal pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == p) return true;
        }
        return false;
    }

    function _candidate(address p, Offer storage o, uint8 priority) internal view returns (Candidate memory c) {
        IProverRegistry.ProverRecord memory r = provers.recordOf(p);
        c.prover = p;
        c.price = o.pricePerProof;
        c.provingTime = o.provingTime;
        c.reliability = OfferRanking.reliability(r.completed, r.missed);
        (c.primary, c.secondary) = OfferRanking.keys(priority, c.price, c.provingTime, c.reliability);
    }

    /// @dev Inserts `c` into the sorted list `best` if it ranks among its entries (stable: earlier wins ties).
    function _insert(Candidate[] memory best, Candidate memory c) internal pure {
        uint256 len = best.length;
        uint256 pos = len;
        for (uint256 j; j < len; ++j) {
            Candidate memory b = best[j];
            if (b.prover == address(0) || OfferRanking.better(c.primary, c.secondary, b.primary, b.secondary)) {
                pos = j;
                break;
            }
        }
        if (pos == len) return;
        for (uint256 j = len - 1; j > pos; --j) {
            best[j] = best[j - 1];
        }
        best[pos] = c;
    }

    /// @dev Removes `prover`'s offer from the book (swap-and-pop); deletes it unless live matches hold it.
    function _takeOffBook(address prover, Offer storage o) internal {
        uint256 index = o.bookIndex;
        uint256 last = _book.length;
        if (index != last) {
            address moved = _book[last - 1];
            _book[index - 1] = moved;
            _offers[moved].bookIndex = uint32(index);
        }
        _book.pop();
        if (o.active == 0) delete _offers[prover];
        else o.bookIndex = 0;
    }

    /// @dev The book is full: evicts the highest-priced offer holding no live match if it asks more than
    ///      `price`, so that squatting the book with expensive idle offers does not keep cheaper ones out.
    function _evictFor(uint96 price) internal {
        uint256 n = _book.length;
        address worst;
        uint96 worstPrice = price;
        for (uint256 i; i < n; ++i) {
            address p = _book[i];
            Offer storage o = _offers[p];
            if (o.active == 0 && o.pricePerProof > worstPrice) (worst, worstPrice) = (p, o.pricePerProof);
        }
        if (worst == address(0)) revert BookFull(maxBookSize);
        _takeOffBook(worst, _offers[worst]);
        emit OfferEvicted(worst, msg.sender);
    }

    /// @dev One live match of `prover` ended (delivered or closed).
    function _release(address prover) internal {
        Offer storage o = _offers[prover];
        o.active -= 1;
        if (o.active == 0 && o.bookIndex == 0) delete _offers[prover];
    }
}
