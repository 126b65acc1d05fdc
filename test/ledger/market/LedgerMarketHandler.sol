// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerMechanismRouter} from "../../../contracts/LedgerMechanismRouter.sol";
import {ProofToken} from "../../../contracts/ProofToken.sol";
import {TaskLedger} from "../../../contracts/TaskLedger.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {LedgerAscendingPriceAuction} from "../../../contracts/mechanisms/ledger/LedgerAscendingPriceAuction.sol";
import {LedgerElectionRace} from "../../../contracts/mechanisms/ledger/LedgerElectionRace.sol";
import {LedgerOrderBook} from "../../../contracts/mechanisms/ledger/LedgerOrderBook.sol";
import {LedgerSealedBidAuction} from "../../../contracts/mechanisms/ledger/LedgerSealedBidAuction.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {QoSProfile} from "../../../contracts/types/Task.sol";
import {HeaderBuilder} from "../../mechanisms/ElectionRace.t.sol";
import {HashVerifier} from "../../utils/HashVerifier.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice The market the handler drives: one instance of every ported ledger family behind one router.
struct LedgerMarket {
    TaskLedger ledger;
    ProofToken token;
    HashVerifier verifier;
    LedgerMechanismRouter router;
    address race;
    LedgerSealedBidAuction sealedBid;
    LedgerAscendingPriceAuction ascending;
    LedgerElectionRace election;
    LedgerOrderBook book;
}

/// @notice A sealed-bid round: the task and the version (openedAt, deadline) the bids were committed to.
struct Round {
    uint256 taskId;
    uint32 openedAt;
    uint32 deadline;
}

/// @notice A commitment the handler made: `prover`'s bid on `taskId`'s round opened at `openedAt`.
struct Bid {
    uint256 taskId;
    uint32 openedAt;
    address prover;
}

/// @title LedgerMarketHandler
/// @notice The only thing the market invariant fuzzer calls: the five ledger families (race, sealed-bid, ascending,
///         election, order book) live at once on one TaskLedger, one ProverRegistry and one router, four provers
///         acting in all of them. Each action is what an agent or requester sends (open pinned or routed, with or
///         without a race fallback; lock and slash a lapsed lock; commit, reveal, finalize, forfeit; draw; post,
///         withdraw and match offers; prove; expire; cancel; withdraw). The handler knows each task's current version
///         only the way an agent does, by folding the ledger's logs (TaskCreated / TaskReopened carry the whole task,
///         ProverAssigned / ProverUnassigned / AssignmentSlashed / MechanismStateSet the fields they change), so the
///         invariants also check that the logs are enough to follow every family.
contract LedgerMarketHandler is CommonBase, StdCheats, StdUtils, HeaderBuilder {
    uint256 internal constant STATEMENT_LENGTH = 3;
    bytes32 internal constant CIRCUIT = keccak256("proofmarket.circuit.test.v1");
    uint256 internal constant FAMILIES = 5;

    TaskLedger public immutable ledger;
    ProofToken public immutable token;
    HashVerifier public immutable verifier;
    LedgerMechanismRouter public immutable router;
    address public immutable race;
    LedgerSealedBidAuction public immutable sealedBid;
    LedgerAscendingPriceAuction public immutable ascending;
    LedgerElectionRace public immutable election;
    LedgerOrderBook public immutable book;
    address public immutable requester;

    address[] public provers;
    uint256[] public taskIds;
    mapping(uint256 taskId => LedgerTask) internal current;
    mapping(uint256 taskId => uint256) public seedOf;
    /// @notice Credited by the task's proofs (payments, cover bounties and contributor payouts).
    mapping(uint256 taskId => uint256) public paidOut;
    /// @notice Cover shares the task ever received from slashes.
    mapping(uint256 taskId => uint256) public coverIn;
    mapping(uint256 taskId => uint256) public acceptedCount;
    mapping(uint256 taskId => mapping(address prover => uint256)) public acceptedBy;
    /// @notice Whether the task's current version was opened by the router (cleared when it ends or reopens).
    mapping(uint256 taskId => bool) public routedLive;
    uint256 public routedEnded;
    uint256 public routedFulfilled;
    /// @notice Sealed-bid commitments not yet revealed nor forfeited, by the handler's own count.
    uint256 public sealedUnrevealed;
    /// @notice Committers of a sealed-bid round, keyed by (task, openedAt).
    mapping(bytes32 round => address[]) internal committers;
    /// @notice Every sealed-bid round that received a commitment (its task may since have moved on).
    Round[] public rounds;
    /// @notice Commitments the handler may still reveal (a reveal of an ended round reverts and is skipped).
    Bid[] internal pending;
    mapping(bytes32 round => bool) internal known;
    mapping(bytes32 action => uint256) public calls;

    constructor(LedgerMarket memory m, address requester_, address[] memory provers_) {
        ledger = m.ledger;
        token = m.token;
        verifier = m.verifier;
        router = m.router;
        race = m.race;
        sealedBid = m.sealedBid;
        ascending = m.ascending;
        election = m.election;
        book = m.book;
        requester = requester_;
        provers = provers_;
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function proverCount() external view returns (uint256) {
        return provers.length;
    }

    function currentTask(uint256 taskId) external view returns (LedgerTask memory) {
        return current[taskId];
    }

    // ------------------------------------------------------------------ requester

    /// @param family 0 race, 1 sealed-bid, 2 ascending, 3 election, 4 order book.
    /// @param options Bit 0: routed (pinned through the router) rather than direct; bit 1: a race fallback; bit 2:
    ///        the order book's time-first priority.
    function open(uint256 seed, uint8 family, uint8 options, uint96 maxPayment, uint8 redundancy) external {
        family = uint8(family % FAMILIES);
        LedgerRequest memory r;
        r.circuitId = CIRCUIT;
        r.inputCommitment = keccak256(abi.encodePacked(_statement(seed)));
        r.deadline = uint64(block.timestamp) + uint64(bound(seed >> 8, 30 minutes, 90 minutes));
        r.maxPayment = uint96(bound(maxPayment, 1e18, 100e18));
        r.mechanism = _mechanismOf(family);
        // The race and the election take several proofs; the auctions and the book assign one prover.
        r.redundancy = family == 0 || family == 3 ? uint8(bound(redundancy, 1, 3)) : 1;
        if (options & 2 != 0 && family != 0) {
            r.fallbackMechanism = race;
            r.fallbackWindow = 600;
        }
        if (family == 4 && options & 4 != 0) r.mechanismData = abi.encode(uint256(1));
        token.mint(requester, r.maxPayment);
        vm.startPrank(requester);
        token.approve(address(ledger), r.maxPayment);
        ledger.deposit(r.maxPayment);
        bool routed = options & 1 != 0;
        vm.recordLogs();
        uint256 id;
        if (routed) {
            QoSProfile memory qos;
            qos.minRedundancy = 1;
            (id,,) = router.route(r, qos);
        } else {
            (id,) = ledger.createTask(r);
        }
        vm.stopPrank();
        taskIds.push(id);
        seedOf[id] = seed;
        routedLive[id] = routed;
        _fold();
        ++calls[routed ? bytes32("route") : bytes32("open")];
    }

    function cancel(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pick(taskIndex);
        vm.recordLogs();
        vm.prank(requester);
        ledger.cancelTask(id, t);
        _fold();
        routedLive[id] = false; // a cancellation is not reported
        ++calls["cancel"];
    }

    // ------------------------------------------------------------------ provers: every family

    /// @param copyFrom Non-zero multiple of 4: submit another prover's proof (it must never be accepted).
    function prove(uint256 taskIndex, uint256 proverIndex, uint256 copyFrom) external {
        (uint256 id, LedgerTask memory t) = _pickOf(taskIndex, address(0), true);
        address prover = _prover(proverIndex);
        if (t.assignee != address(0) && proverIndex % 4 != 0) prover = t.assignee;
        address maker = copyFrom % 4 == 1 ? _prover(proverIndex + 1) : prover;
        bytes memory proof = verifier.proofFor(_statement(seedOf[id]), maker);
        vm.recordLogs();
        vm.prank(prover);
        ledger.submitProof(id, t, _statement(seedOf[id]), proof);
        require(maker == prover, "a copied proof was accepted");
        _fold();
        ++calls["prove"];
    }

    /// @param taskIndex Its low two bits zero: jump to the picked task's deadline; otherwise only a task already past
    ///        its deadline is expired (a jump ends every younger task's windows too, so it is the rarer move).
    function expire(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = taskIndex % 4 == 0 ? _pick(taskIndex >> 2) : _pickExpired(taskIndex >> 2);
        if (block.timestamp <= t.deadline) vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, t);
        _noteExpiry(id);
        _fold();
        ++calls["expire"];
    }

    function withdraw(uint256 actorIndex, uint256 amount) external {
        address actor = actorIndex % 3 == 0 ? requester : _prover(actorIndex);
        uint256 balance = ledger.balanceOf(actor);
        if (balance == 0) return;
        vm.prank(actor);
        ledger.withdraw(bound(amount, 1, balance));
        ++calls["withdraw"];
    }

    // ------------------------------------------------------------------ ascending auction

    function lock(uint256 taskIndex, uint256 proverIndex) external {
        (uint256 id, LedgerTask memory t) = _pickOf(taskIndex, address(ascending), true);
        vm.recordLogs();
        vm.prank(_prover(proverIndex));
        ascending.lock(id, t);
        _fold();
        ++calls["lock"];
    }

    function slashLock(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pickOf(taskIndex, address(ascending), true);
        uint256 lapse = ascending.lockDeadlineOf(t);
        if (t.assignee != address(0) && block.timestamp <= lapse) vm.warp(lapse + 1);
        vm.recordLogs();
        ascending.slashLock(id, t);
        _fold();
        ++calls["slashLock"];
    }

    // ------------------------------------------------------------------ sealed-bid auction

    function commit(uint256 taskIndex, uint256 proverIndex) external {
        (uint256 id, LedgerTask memory t) = _pickInCommitWindow(taskIndex);
        address prover = _prover(proverIndex);
        uint96 price = _bidPrice(id, t, prover);
        bytes32 c = sealedBid.commitmentOf(id, t.openedAt, prover, price, _salt(id, t.openedAt, prover));
        vm.prank(prover);
        sealedBid.commit(id, t, c);
        bytes32 key = _round(id, t.openedAt);
        committers[key].push(prover);
        pending.push(Bid({taskId: id, openedAt: t.openedAt, prover: prover}));
        if (!known[key]) {
            known[key] = true;
            rounds.push(Round({taskId: id, openedAt: t.openedAt, deadline: t.deadline}));
        }
        ++sealedUnrevealed;
        ++calls["commit"];
    }

    /// @dev Reveals a pending commitment (one the handler made and has not revealed), moving into its reveal window.
    function reveal(uint256 bidIndex) external {
        require(pending.length != 0, "no pending bid");
        uint256 k = bidIndex % pending.length;
        Bid memory b = pending[k];
        uint256 id = b.taskId;
        require(TaskWord.unwrap(ledger.taskWord(id)) != 0, "closed");
        LedgerTask memory t = current[id];
        require(t.openedAt == b.openedAt, "round over");
        (uint256 commitEnd, uint256 revealEnd) = sealedBid.windowsOf(t);
        if (block.timestamp <= commitEnd) vm.warp(commitEnd + 1);
        require(block.timestamp <= revealEnd, "reveal window over");
        vm.prank(b.prover);
        sealedBid.reveal(id, t.openedAt, t.deadline, _bidPrice(id, t, b.prover), _salt(id, t.openedAt, b.prover));
        pending[k] = pending[pending.length - 1];
        pending.pop();
        --sealedUnrevealed;
        ++calls["reveal"];
    }

    function finalize(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pickOf(taskIndex, address(sealedBid), true);
        (, uint256 revealEnd) = sealedBid.windowsOf(t);
        if (block.timestamp <= revealEnd) vm.warp(revealEnd + 1);
        uint256 before = sealedBid.forfeited();
        vm.recordLogs();
        sealedBid.finalize(id, t, _sorted(committers[_round(id, t.openedAt)]));
        _fold();
        sealedUnrevealed -= (sealedBid.forfeited() - before) / sealedBid.bidCollateral();
        ++calls["finalize"];
    }

    /// @dev A round that was never finalized (its task ended or reopened, or its deadline passed): anyone forfeits the
    ///      unrevealed commitments once the round's deadline is past.
    function forfeit(uint256 roundIndex) external {
        require(rounds.length != 0, "no round");
        Round memory r = rounds[(roundIndex >> 2) % rounds.length];
        // As expire: a jump to the round's deadline is the rarer move.
        if (block.timestamp <= r.deadline) {
            require(roundIndex % 4 == 0, "round not over");
            vm.warp(uint256(r.deadline) + 1);
        }
        uint256 before = sealedBid.forfeited();
        sealedBid.forfeitUnrevealed(r.taskId, r.openedAt, r.deadline, _sorted(committers[_round(r.taskId, r.openedAt)]));
        sealedUnrevealed -= (sealedBid.forfeited() - before) / sealedBid.bidCollateral();
        ++calls["forfeit"];
    }

    // ------------------------------------------------------------------ election

    function draw(uint256 taskIndex, bytes32 mix) external {
        (uint256 id, LedgerTask memory t) = _pickOf(taskIndex, address(election), true);
        (uint256 target,) = election.targetOf(t.mechanismState);
        if (block.number <= target) vm.roll(target + 1);
        bytes memory header = _header(target, mix, "proofmarket");
        vm.setBlockhash(target, keccak256(header));
        vm.recordLogs();
        election.draw(id, t, header);
        _fold();
        ++calls["draw"];
    }

    // ------------------------------------------------------------------ order book

    function postOffer(uint256 proverIndex, uint96 price, uint32 provingTime, uint16 capacity) external {
        vm.prank(_prover(proverIndex));
        book.postOffer(
            uint96(bound(price, 1e18, 110e18)),
            uint32(bound(provingTime, 1 minutes, 1 hours)),
            uint16(bound(capacity, 1, 3)),
            capacity % 2 == 0 ? CIRCUIT : bytes32(0)
        );
        ++calls["postOffer"];
    }

    function withdrawOffer(uint256 proverIndex) external {
        vm.prank(_prover(proverIndex));
        book.withdrawOffer();
        ++calls["withdrawOffer"];
    }

    function matchTask(uint256 taskIndex) external {
        (uint256 id, LedgerTask memory t) = _pickOf(taskIndex, address(book), true);
        vm.recordLogs();
        vm.prank(requester);
        book.matchTask(id, t);
        _fold();
        ++calls["matchTask"];
    }

    // ------------------------------------------------------------------ time

    function warp(uint256 seconds_) external {
        // Short steps: the windows that matter are minutes long (commit, reveal); the actions that need a deadline or a
        // window to pass (expire, finalize, slashLock, forfeit) move time themselves.
        vm.warp(block.timestamp + bound(seconds_, 1, 4 minutes));
        vm.roll(block.number + 1 + seconds_ % 20);
        ++calls["warp"];
    }

    // ------------------------------------------------------------------ the log fold (what an agent's book does)

    /// @dev Applies every ledger log recorded since the action began to the handler's copy of its task.
    function _fold() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != address(ledger)) continue;
            bytes32 topic = l.topics[0];
            uint256 id = l.topics.length > 1 ? uint256(l.topics[1]) : 0;
            if (topic == ITaskLedger.TaskCreated.selector) {
                current[id] = abi.decode(l.data, (LedgerTask));
            } else if (topic == ITaskLedger.TaskReopened.selector) {
                current[id] = abi.decode(l.data, (LedgerTask));
                ++calls["reopen"];
            } else if (topic == ITaskLedger.ProverAssigned.selector) {
                _foldAssigned(id, l);
            } else if (topic == ITaskLedger.ProverUnassigned.selector) {
                _clear(id, abi.decode(l.data, (uint64)));
            } else if (topic == ITaskLedger.AssignmentSlashed.selector) {
                _foldSlashed(id, l);
            } else if (topic == ITaskLedger.MechanismStateSet.selector) {
                current[id].mechanismState = abi.decode(l.data, (uint64));
            } else if (topic == ITaskLedger.ProofAccepted.selector) {
                _foldAccepted(id, l);
            } else if (topic == ITaskLedger.ContributorPaid.selector) {
                paidOut[id] += abi.decode(l.data, (uint256));
            }
        }
    }

    function _foldAssigned(uint256 id, Vm.Log memory l) internal {
        (uint96 price, uint96 collateral, uint64 state) = abi.decode(l.data, (uint96, uint96, uint64));
        LedgerTask storage t = current[id];
        t.assignee = address(uint160(uint256(l.topics[2])));
        t.price = price;
        t.collateral = collateral;
        t.mechanismState = state;
    }

    function _foldSlashed(uint256 id, Vm.Log memory l) internal {
        (,, uint256 toCover,, uint64 state) = abi.decode(l.data, (uint256, uint256, uint256, uint256, uint64));
        coverIn[id] += toCover;
        // On an expiry the task is gone or reopened in the same call (TaskReopened, later in the logs, replaces it).
        _clear(id, state);
        LedgerTask storage t = current[id];
        t.coverBounty += uint96(toCover);
        t.flags |= LedgerTaskLib.FLAG_SLASHED;
        ++calls["slash"];
    }

    function _foldAccepted(uint256 id, Vm.Log memory l) internal {
        (uint256 credited,, uint8 accepted) = abi.decode(l.data, (uint256, uint256, uint8));
        address prover = address(uint160(uint256(l.topics[2])));
        paidOut[id] += credited;
        ++acceptedBy[id][prover];
        ++acceptedCount[id];
        require(accepted == acceptedCount[id], "proof count in the log");
        if (accepted == current[id].redundancy && routedLive[id]) {
            routedLive[id] = false;
            ++routedEnded;
            ++routedFulfilled;
        }
    }

    /// @dev A routed task that expired under its routed mechanism (for good or into its fallback) is reported once.
    function _noteExpiry(uint256 id) internal {
        if (routedLive[id]) {
            routedLive[id] = false;
            ++routedEnded;
        }
    }

    // ------------------------------------------------------------------ helpers

    function _mechanismOf(uint8 family) internal view returns (address) {
        if (family == 0) return race;
        if (family == 1) return address(sealedBid);
        if (family == 2) return address(ascending);
        if (family == 3) return address(election);
        return address(book);
    }

    /// @dev The first live task at or after `taskIndex` (cyclically), past its deadline or not (a call on no live task
    ///      reverts: the fuzzer skips it).
    function _pick(uint256 taskIndex) internal view returns (uint256 id, LedgerTask memory t) {
        return _pickOf(taskIndex, address(0), false);
    }

    /// @dev The first live task at or after `taskIndex` (cyclically) that now runs under `mechanism` (zero: any) and,
    ///      if `beforeDeadline`, whose deadline has not passed: the fuzzer's picks land where the action can act.
    function _pickOf(uint256 taskIndex, address mechanism, bool beforeDeadline)
        internal
        view
        returns (uint256 id, LedgerTask memory t)
    {
        uint256 n = taskIds.length;
        for (uint256 i; i < n; ++i) {
            id = taskIds[(taskIndex + i) % n];
            if (TaskWord.unwrap(ledger.taskWord(id)) == 0) continue;
            t = current[id];
            if (mechanism != address(0) && t.mechanism != mechanism) continue;
            if (beforeDeadline && block.timestamp > t.deadline) continue;
            return (id, t);
        }
        revert("no live task to act on");
    }

    /// @dev The first live task at or after `taskIndex` (cyclically) whose deadline has passed.
    function _pickExpired(uint256 taskIndex) internal view returns (uint256 id, LedgerTask memory t) {
        uint256 n = taskIds.length;
        for (uint256 i; i < n; ++i) {
            id = taskIds[(taskIndex + i) % n];
            if (TaskWord.unwrap(ledger.taskWord(id)) == 0) continue;
            t = current[id];
            if (block.timestamp > t.deadline) return (id, t);
        }
        revert("no task past its deadline");
    }

    /// @dev The first live sealed-bid task at or after `taskIndex` (cyclically) whose commit window is open.
    function _pickInCommitWindow(uint256 taskIndex) internal view returns (uint256 id, LedgerTask memory t) {
        uint256 n = taskIds.length;
        for (uint256 i; i < n; ++i) {
            id = taskIds[(taskIndex + i) % n];
            if (TaskWord.unwrap(ledger.taskWord(id)) == 0) continue;
            t = current[id];
            if (t.mechanism != address(sealedBid)) continue;
            (uint256 commitEnd,) = sealedBid.windowsOf(t);
            if (block.timestamp <= commitEnd) return (id, t);
        }
        revert("no sealed-bid round in its commit window");
    }

    function _prover(uint256 index) internal view returns (address) {
        return provers[index % provers.length];
    }

    function _clear(uint256 id, uint64 state) internal {
        LedgerTask storage t = current[id];
        t.assignee = address(0);
        t.price = 0;
        t.collateral = 0;
        t.mechanismState = state;
    }

    function _statement(uint256 seed) internal pure returns (uint256[] memory s) {
        s = new uint256[](STATEMENT_LENGTH);
        for (uint256 i; i < STATEMENT_LENGTH; ++i) {
            s[i] = uint256(keccak256(abi.encode(seed, i))) >> 8;
        }
    }

    function _round(uint256 id, uint32 openedAt) internal pure returns (bytes32) {
        return keccak256(abi.encode(id, openedAt));
    }

    function _salt(uint256 id, uint32 openedAt, address prover) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", id, openedAt, prover));
    }

    /// @dev A prover's bid in a round is fixed by the round (so its reveal finds it): zero to 110 % of the reserve,
    ///      so a zero bid and one above the reserve both occur.
    function _bidPrice(uint256 id, LedgerTask memory t, address prover) internal pure returns (uint96) {
        uint256 r = uint256(keccak256(abi.encode("bid", id, t.openedAt, prover)));
        return uint96(r % (uint256(t.maxPayment) * 11 / 10 + 1));
    }

    function _sorted(address[] storage list) internal pure returns (address[] memory out) {
        out = list;
        for (uint256 i = 1; i < out.length; ++i) {
            address a = out[i];
            uint256 j = i;
            while (j > 0 && out[j - 1] > a) {
                out[j] = out[j - 1];
                --j;
            }
            out[j] = a;
        }
    }
}
