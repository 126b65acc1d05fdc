// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../interfaces/ILedgerMechanism.sol";
import {ILedgerOrderBook} from "../../interfaces/ILedgerOrderBook.sol";
import {IMechanism} from "../../interfaces/IMechanism.sol";
import {IProverRegistry} from "../../interfaces/IProverRegistry.sol";
import {ITaskLedger} from "../../interfaces/ITaskLedger.sol";
import {OfferRanking} from "../../libraries/OfferRanking.sol";
import {LedgerTask, LedgerTaskLib} from "../../types/LedgerTask.sol";

/// @title LedgerOrderBook
/// @notice The order book (docs/mechanisms.md "Order book") ported onto the one-word TaskLedger: standing offers,
///         matched by the requester's own priority and the provers' record, with no storage word per task.
/// @dev Storage: one word per offer (price 96 | provingTime 32 | capacity 16 | active 16 | position 16 |
///      circuit-specific flag), the circuit id in a second word only for a circuit-specific offer, and the book
///      (one address per position). A match reads the book length, then per offer its address and its word, and for
///      an offer that passes the filters and can still rank among the kept candidates the prover's record (one
///      external view call, which also reads the ledger's count of the prover's completions). It keeps the best
///      `CANDIDATES` offers from that one pass, so a registry refusal of the best falls to the runner-up without
///      ranking the book again. The book counts its own live matches per offer (HOOK_CLOSE: the ledger tells it
///      when a task ends), as the stored book does.
contract LedgerOrderBook is ILedgerOrderBook {
    /// @notice Ranked offers kept from the scan: the best and two spares in case the registry refuses an assignment
    ///         (the stored book keeps redundancy + 2).
    uint256 internal constant CANDIDATES = 3;

    /// @inheritdoc ILedgerOrderBook
    ITaskLedger public immutable ledger;
    /// @inheritdoc ILedgerOrderBook
    IProverRegistry public immutable provers;
    /// @inheritdoc ILedgerOrderBook
    uint96 public immutable collateralPerMatch;
    /// @inheritdoc ILedgerOrderBook
    uint16 public immutable maxBookSize;

    uint8 internal immutable _kind;
    uint8 internal immutable _speed;
    uint8 internal immutable _cost;
    uint8 internal immutable _safety;
    uint8 internal immutable _censorship;

    /// @dev An offer in one slot. `position` is the book index plus one (zero: off the book but still bound).
    struct OfferData {
        uint96 price;
        uint32 provingTime;
        uint16 capacity;
        uint16 active;
        uint16 position;
        bool circuitSpecific;
    }

    /// @dev A ranked offer.
    struct Candidate {
        address prover;
        uint96 price;
        uint32 provingTime;
        uint256 primary;
        uint256 secondary;
    }

    address[] internal _book;
    mapping(address prover => OfferData) internal _offers;
    mapping(address prover => bytes32) internal _circuits;

    modifier onlyLedger() {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        _;
    }

    /// @param ledger_ The task ledger.
    /// @param params Instance parameters (see ILedgerOrderBook.Params).
    constructor(ITaskLedger ledger_, Params memory params) {
        if (address(ledger_) == address(0) || params.maxBookSize == 0) revert InvalidParams();
        ledger = ledger_;
        provers = ledger_.provers();
        collateralPerMatch = params.collateralPerMatch;
        maxBookSize = params.maxBookSize;
        _kind = params.profile.kind;
        _speed = params.profile.speed;
        _cost = params.profile.cost;
        _safety = params.profile.safety;
        _censorship = params.profile.censorshipResistance;
    }

    // ------------------------------------------------------------------ provers

    /// @inheritdoc ILedgerOrderBook
    function postOffer(uint96 pricePerProof, uint32 provingTime, uint16 capacity, bytes32 circuitId) external {
        if (pricePerProof == 0) revert ZeroPrice();
        if (provingTime == 0) revert ZeroProvingTime();
        if (capacity == 0) revert ZeroOfferCapacity();
        if (!provers.isRegistered(msg.sender)) revert ProverNotRegistered(msg.sender);
        uint256 free = provers.freeStake(msg.sender);
        if (free < collateralPerMatch) revert InsufficientFreeStake(msg.sender, collateralPerMatch, free);

        OfferData storage o = _offers[msg.sender];
        if (o.position == 0) {
            if (_book.length >= maxBookSize) _evictFor(pricePerProof);
            _book.push(msg.sender);
            // forge-lint: disable-next-line(unsafe-typecast) length ≤ maxBookSize, a uint16
            o.position = uint16(_book.length);
        }
        o.price = pricePerProof;
        o.provingTime = provingTime;
        o.capacity = capacity;
        bool specific = circuitId != bytes32(0);
        o.circuitSpecific = specific;
        if (specific || _circuits[msg.sender] != bytes32(0)) _circuits[msg.sender] = circuitId;
        emit OfferPosted(msg.sender, pricePerProof, provingTime, capacity, circuitId);
    }

    /// @inheritdoc ILedgerOrderBook
    function withdrawOffer() external {
        OfferData storage o = _offers[msg.sender];
        if (o.position == 0) revert NoOffer(msg.sender);
        uint16 bound = o.active;
        _takeOffBook(msg.sender, o);
        emit OfferWithdrawn(msg.sender, bound);
    }

    // ------------------------------------------------------------------ requesters

    /// @inheritdoc ILedgerOrderBook
    function matchTask(uint256 taskId, LedgerTask calldata t) external returns (address) {
        if (msg.sender != t.requester) revert OnlyRequester(msg.sender, taskId);
        if (t.assignee != address(0)) revert AlreadyMatched(taskId, t.assignee);
        uint256 deadline = t.deadline;
        if (block.timestamp >= deadline) revert TaskPastDeadline(taskId, t.deadline);
        // forge-lint: disable-next-line(unsafe-typecast) bits 0-7, validated when the task opened
        uint8 priority = uint8(t.mechanismState);

        Candidate[CANDIDATES] memory best = _rank(t, priority, deadline - block.timestamp);
        for (uint256 i; i < CANDIDATES; ++i) {
            Candidate memory c = best[i];
            if (c.prover == address(0)) break;
            uint256 promised = block.timestamp + c.provingTime;
            if (promised > type(uint32).max) promised = type(uint32).max;
            uint64 state = uint64(priority) | uint64(promised << 8);
            // Effects first: the match counts against the offer's capacity (undone if the registry refuses).
            _offers[c.prover].active += 1;
            // The ledger's ProverAssigned logs the match (prover, price, collateral, priority and promised time).
            try ledger.assign(taskId, t, c.prover, c.price, collateralPerMatch, state) {
                return c.prover;
            } catch (bytes memory reason) {
                // Only the registry's refusals (stake or capacity changed since the prover posted) fall to the
                // next offer; anything else (a stale task, another mechanism's task) reverts the match.
                if (!_isRefusal(reason)) {
                    assembly ("memory-safe") {
                        revert(add(reason, 0x20), mload(reason))
                    }
                }
                _offers[c.prover].active -= 1;
                emit MatchRefused(taskId, c.prover);
            }
        }
        // Nothing assigned: a stale or closed task says so (StaleTask) rather than NoOfferMatched.
        ledger.checkTask(taskId, t);
        revert NoOfferMatched(taskId);
    }

    // ------------------------------------------------------------------ ledger hooks

    /// @inheritdoc ILedgerMechanism
    function hooks() external pure returns (uint8 hookFlags, uint8 redundancyCap) {
        return (LedgerTaskLib.HOOK_OPEN | LedgerTaskLib.HOOK_CLOSE, 1);
    }

    /// @inheritdoc ILedgerMechanism
    function onTaskOpened(uint256, LedgerTask calldata task, bytes calldata mechanismData)
        external
        view
        onlyLedger
        returns (uint64)
    {
        // The ledger caps redundancy at creation; a fallback reopen is not capped there.
        if (task.redundancy != 1) revert RedundancyNotOne(task.redundancy);
        if (task.minCollateral > collateralPerMatch) {
            revert CollateralFloorAboveMatch(task.minCollateral, collateralPerMatch);
        }
        return _priority(mechanismData);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Called only for a proof by someone other than the assignee (the assignee is paid its price without a
    ///      call): a task on the book is proven by its match alone.
    function onProofAccepted(uint256 taskId, LedgerTask calldata, address prover, uint256)
        external
        view
        onlyLedger
        returns (uint256)
    {
        revert NotMatched(taskId, prover);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev The match of a task that ended (proven, expired, moved to a fallback) frees its offer's capacity.
    function onTaskClosed(uint256, LedgerTask calldata task) external onlyLedger {
        address prover = task.assignee;
        if (prover == address(0)) return;
        OfferData storage o = _offers[prover];
        uint16 active = o.active - 1;
        if (active == 0 && o.position == 0) {
            delete _offers[prover];
            if (_circuits[prover] != bytes32(0)) delete _circuits[prover];
        } else {
            o.active = active;
        }
    }

    /// @inheritdoc ILedgerMechanism
    function profile() external view returns (IMechanism.Profile memory) {
        return IMechanism.Profile({
            kind: _kind, speed: _speed, cost: _cost, safety: _safety, censorshipResistance: _censorship
        });
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILedgerOrderBook
    function offerOf(address prover) external view returns (Offer memory) {
        OfferData memory o = _offers[prover];
        return Offer({
            pricePerProof: o.price,
            provingTime: o.provingTime,
            capacity: o.capacity,
            active: o.active,
            position: o.position,
            circuitId: o.circuitSpecific ? _circuits[prover] : bytes32(0)
        });
    }

    /// @inheritdoc ILedgerOrderBook
    function bookSize() external view returns (uint256) {
        return _book.length;
    }

    /// @inheritdoc ILedgerOrderBook
    function bookAt(uint256 index) external view returns (address) {
        return _book[index];
    }

    // ------------------------------------------------------------------ internals

    function _priority(bytes calldata data) internal pure returns (uint64) {
        if (data.length == 0) return OfferRanking.PRICE_FIRST;
        if (data.length != 32) revert MalformedMechanismData(data.length);
        uint256 p = abi.decode(data, (uint256));
        if (p > OfferRanking.TIME_FIRST) revert UnknownPriority(p);
        // forge-lint: disable-next-line(unsafe-typecast) checked ≤ 1 above
        return uint64(p);
    }

    /// @dev One pass over the book: the best `CANDIDATES` eligible offers for `t`, best first (empty entries have
    ///      prover zero). Eligible: price ≤ maxPayment, provingTime ≤ `timeLeft`, spare capacity, the task's
    ///      circuit (or any). An offer whose raw price (price-first) or time (time-first) already exceeds the
    ///      primary key of the worst kept candidate is skipped without its record lookup: its key, raw ÷ r with
    ///      r < 1, is at least the raw value, so it cannot rank among them.
    function _rank(LedgerTask calldata t, uint8 priority, uint256 timeLeft)
        internal
        view
        returns (Candidate[CANDIDATES] memory best)
    {
        uint256 maxPrice = t.maxPayment;
        bytes32 circuitId = t.circuitId;
        bool timeFirst = priority == OfferRanking.TIME_FIRST;
        uint256 kept;
        uint256 n = _book.length;
        for (uint256 i; i < n; ++i) {
            address p = _book[i];
            OfferData memory o = _offers[p];
            if (o.active >= o.capacity || o.price > maxPrice || o.provingTime > timeLeft) continue;
            if (o.circuitSpecific && _circuits[p] != circuitId) continue;
            if (kept == CANDIDATES && (timeFirst ? o.provingTime : o.price) > best[CANDIDATES - 1].primary) continue;
            uint256 rel = _reliability(p);
            (uint256 primary, uint256 secondary) = OfferRanking.keys(priority, o.price, o.provingTime, rel);
            if (_insert(best, kept, p, o, primary, secondary) && kept < CANDIDATES) ++kept;
        }
    }

    /// @dev The prover's OfferRanking reliability from its registry record (`recordOf`, which adds the ledger's
    ///      count of its completions), read without decoding the whole record into memory.
    function _reliability(address p) internal view returns (uint256) {
        address registry = address(provers);
        bytes4 selector = IProverRegistry.recordOf.selector;
        uint256 completed;
        uint256 missed;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), p)
            if iszero(staticcall(gas(), registry, m, 0x24, m, 0x80)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            if lt(returndatasize(), 0x80) { revert(0, 0) }
            completed := mload(m)
            missed := mload(add(m, 0x20))
        }
        return OfferRanking.reliability(completed, missed);
    }

    /// @dev Inserts an offer into the sorted `best` (its first `kept` entries filled) if it ranks among them;
    ///      strict comparison, so on equal keys the earlier book position stays ahead. Returns whether it did.
    function _insert(
        Candidate[CANDIDATES] memory best,
        uint256 kept,
        address p,
        OfferData memory o,
        uint256 primary,
        uint256 secondary
    ) internal pure returns (bool) {
        uint256 pos = kept;
        for (uint256 j; j < kept; ++j) {
            Candidate memory b = best[j];
            if (OfferRanking.better(primary, secondary, b.primary, b.secondary)) {
                pos = j;
                break;
            }
        }
        if (pos == CANDIDATES) return false;
        for (uint256 j = kept < CANDIDATES ? kept : CANDIDATES - 1; j > pos; --j) {
            best[j] = best[j - 1];
        }
        best[pos] =
            Candidate({prover: p, price: o.price, provingTime: o.provingTime, primary: primary, secondary: secondary});
        return true;
    }

    /// @dev Whether `reason` is one of the ProverRegistry's refusals of a lock (free stake or declared capacity).
    function _isRefusal(bytes memory reason) internal pure returns (bool) {
        if (reason.length < 4) return false;
        bytes4 selector = bytes4(reason);
        return selector == IProverRegistry.InsufficientFreeStake.selector
            || selector == IProverRegistry.CapacityExceeded.selector;
    }

    /// @dev Removes `prover`'s offer from the book (swap-and-pop); deletes it unless live matches hold it.
    function _takeOffBook(address prover, OfferData storage o) internal {
        uint256 index = o.position;
        uint256 last = _book.length;
        if (index != last) {
            address moved = _book[last - 1];
            _book[index - 1] = moved;
            // forge-lint: disable-next-line(unsafe-typecast) index ≤ maxBookSize, a uint16
            _offers[moved].position = uint16(index);
        }
        _book.pop();
        if (o.active == 0) {
            delete _offers[prover];
            if (_circuits[prover] != bytes32(0)) delete _circuits[prover];
        } else {
            o.position = 0;
        }
    }

    /// @dev The book is full: evicts the highest-priced offer holding no live match if it asks more than `price`,
    ///      so that squatting the book with expensive idle offers does not keep cheaper ones out.
    function _evictFor(uint96 price) internal {
        uint256 n = _book.length;
        address worst;
        uint96 worstPrice = price;
        for (uint256 i; i < n; ++i) {
            address p = _book[i];
            OfferData storage o = _offers[p];
            if (o.active == 0 && o.price > worstPrice) (worst, worstPrice) = (p, o.price);
        }
        if (worst == address(0)) revert BookFull(maxBookSize);
        _takeOffBook(worst, _offers[worst]);
        emit OfferEvicted(worst, msg.sender);
    }
}
