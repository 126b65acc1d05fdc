// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MechanismRouter} from "../../contracts/MechanismRouter.sol";
import {ProofToken} from "../../contracts/ProofToken.sol";
import {ProverRegistry} from "../../contracts/ProverRegistry.sol";
import {TaskRegistry} from "../../contracts/TaskRegistry.sol";
import {IAscendingPriceAuction} from "../../contracts/interfaces/IAscendingPriceAuction.sol";
import {IElectionRace} from "../../contracts/interfaces/IElectionRace.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {IRouterInstances} from "../../contracts/interfaces/IRouterInstances.sol";
import {ISealedBidAuction} from "../../contracts/interfaces/ISealedBidAuction.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {AscendingPriceAuction} from "../../contracts/mechanisms/AscendingPriceAuction.sol";
import {ElectionRace} from "../../contracts/mechanisms/ElectionRace.sol";
import {OrderBook} from "../../contracts/mechanisms/OrderBook.sol";
import {ProofRace} from "../../contracts/mechanisms/ProofRace.sol";
import {SealedBidAuction} from "../../contracts/mechanisms/SealedBidAuction.sol";
import {TreeAssignment} from "../../contracts/mechanisms/TreeAssignment.sol";
import {QoSProfile, TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {HeaderBuilder} from "../mechanisms/ElectionRace.t.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";
import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";

/// @title MarketHandler
/// @notice Drives the whole market at once — the six real mechanisms (race, sealed-bid, ascending, election,
///         order book, tree) over one ProverRegistry and one TaskRegistry, with tasks opened directly, through
///         the MechanismRouter pinned to an instance, or routed by QoS weights — through random but meaningful
///         sequences of every mechanism's lifecycle. A call that reverts for a legitimate reason (a closed
///         window, a full slot, an unassignable prover) is simply undone by the fuzzer; `calls` counts only
///         the calls that went through. Ghosts record what the contracts do not store: tokens minted into the
///         system, payments observed in events, acceptances per (task, prover), copied proofs accepted, and
///         illegal status transitions.
contract MarketHandler is Test, HeaderBuilder {
    /// @notice The contracts under test.
    struct System {
        ProofToken token;
        ProverRegistry provers;
        TaskRegistry tasks;
        MechanismRouter router;
        ProofRace race;
        SealedBidAuction sealedBid;
        AscendingPriceAuction ascending;
        ElectionRace election;
        OrderBook book;
        TreeAssignment tree;
        HashVerifier verifier;
        bytes32 circuit;
        address treasury;
    }

    ProofToken public immutable token;
    ProverRegistry public immutable provers;
    TaskRegistry public immutable tasks;
    MechanismRouter public immutable router;
    ProofRace public immutable race;
    SealedBidAuction public immutable sealedBid;
    AscendingPriceAuction public immutable ascending;
    ElectionRace public immutable election;
    OrderBook public immutable book;
    TreeAssignment public immutable tree;
    HashVerifier public immutable verifier;
    bytes32 public immutable circuit;
    address public immutable treasury;

    address[] public proverActors;
    address[] public requesterActors;

    uint256[] public taskIds;
    mapping(uint256 taskId => uint256) public seedOf;
    mapping(uint256 taskId => TaskStatus) public lastStatus;
    /// Mechanism family (IMechanism.Profile.kind) each task was opened under.
    mapping(uint256 taskId => uint8) public kindOf;

    /// Sealed bids the handler committed, by (task, round, bidder): the price and salt to reveal.
    mapping(bytes32 key => uint96) internal _bidPrice;
    mapping(bytes32 key => bytes32) internal _bidSalt;

    // ghosts
    uint256 public ghost_minted;
    mapping(uint256 taskId => mapping(address prover => uint256)) public ghost_acceptances;
    mapping(uint256 taskId => uint256) public ghost_paidToTask;
    uint256 public ghost_illegalTransitions;
    uint256 public ghost_doubleAcceptances;
    uint256 public ghost_copiedProofsAccepted;
    /// @dev Tree draws that gave a range to a member without a free declared slot.
    uint256 public ghost_treeCapacityBreaches;
    mapping(bytes32 => uint256) public calls;
    /// Tasks opened per kind (index 1–6) and how they ended.
    mapping(uint8 kind => uint256) public openedPerKind;
    mapping(uint8 kind => uint256) public fulfilledPerKind;

    uint256 internal constant STAKE = 1000e18;
    uint256 internal constant POOL_BOND = 60e18;
    uint256 internal constant MAX_TASKS = 24;
    uint256 internal constant PROVERS = 5;

    constructor(System memory s) {
        token = s.token;
        provers = s.provers;
        tasks = s.tasks;
        router = s.router;
        race = s.race;
        sealedBid = s.sealedBid;
        ascending = s.ascending;
        election = s.election;
        book = s.book;
        tree = s.tree;
        verifier = s.verifier;
        circuit = s.circuit;
        treasury = s.treasury;
        for (uint256 i; i < PROVERS; ++i) {
            proverActors.push(makeAddr(string.concat("mprover", vm.toString(i))));
        }
        for (uint256 i; i < 2; ++i) {
            requesterActors.push(makeAddr(string.concat("mrequester", vm.toString(i))));
        }
    }

    /// @dev Registers the provers (capacity 2, so capacity limits are hit), bonds them in the tree pool and
    ///      approves every contract that pulls tokens. Called once by the test after roles are granted.
    function setUpActors() external {
        for (uint256 i; i < proverActors.length; ++i) {
            address p = proverActors[i];
            _mint(p, STAKE + POOL_BOND);
            vm.startPrank(p);
            token.approve(address(provers), type(uint256).max);
            token.approve(address(tasks), type(uint256).max);
            token.approve(address(sealedBid), type(uint256).max);
            token.approve(address(tree), type(uint256).max);
            provers.register(STAKE, 1, 2);
            tree.joinPool(POOL_BOND);
            vm.stopPrank();
        }
        for (uint256 i; i < requesterActors.length; ++i) {
            vm.prank(requesterActors[i]);
            token.approve(address(tasks), type(uint256).max);
        }
    }

    /// @dev Counts the call (a revert, or a discard by a guard that found nothing to act on, undoes the count
    ///      with everything else, so `calls` counts calls that went through).
    modifier tracked(bytes32 name) {
        calls[name] += 1;
        _;
        _checkTransitions();
    }

    // ================================================================== task creation

    /// @notice Opens a task under mechanism `mechIdx` (race, sealed, ascending, election, book, tree), with a
    ///         random fallback, directly (`routeMode` 0), through the router pinned to it (1), or routed by
    ///         QoS weights (2, the router picks the instance).
    function createTask(uint256 seed, uint8 mechIdx, uint8 routeMode) external tracked("createTask") {
        if (taskIds.length >= MAX_TASKS) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        address requester = requesterActors[seed % requesterActors.length];
        TaskRequest memory r = _request(seed, mechIdx % 6);
        routeMode %= 3;
        uint256 taskId;
        if (routeMode == 0) {
            if (tasks.claimable(requester) >= r.maxPayment && (seed >> 200) % 2 == 0) {
                vm.prank(requester); // prepaid: escrow from the requester's credited balance
                taskId = tasks.createTaskFromBalance(r);
            } else {
                _mint(requester, r.maxPayment);
                vm.prank(requester);
                taskId = tasks.createTask(r);
            }
        } else {
            if (routeMode == 2) {
                r.mechanism = address(0);
                IRouterInstances.KindData[] memory data = new IRouterInstances.KindData[](1);
                data[0] = IRouterInstances.KindData({kind: 6, data: _treeData(seed)});
                r.mechanismData = abi.encode(data);
                r.redundancy = 1;
                r.qos.minRedundancy = 1;
            }
            _mint(requester, r.maxPayment);
            vm.prank(requester);
            (taskId,) = router.route(r);
            calls["routed"] += 1;
        }
        taskIds.push(taskId);
        seedOf[taskId] = seed;
        lastStatus[taskId] = TaskStatus.Open;
        uint8 kind = _kindOfMechanism(tasks.taskOf(taskId).mechanism);
        kindOf[taskId] = kind;
        openedPerKind[kind] += 1;
    }

    // ================================================================== proofs, expiry, cancel, withdraw

    /// @notice A prover submits a proof: its own or a copy of another prover's (`mode` 0/1), or, with
    ///         `mode` 2, the proof of one of the task's live assignees (the likeliest to be accepted).
    function submitProof(uint256 taskIdx, uint256 proverIdx, uint8 mode) external tracked("submitProof") {
        mode %= 3;
        // An assignee's proof is aimed at a task that has assignees, so that the assigned mechanisms'
        // payment paths are reached as often as the open race's.
        (uint256 taskId, bool ok) = mode == 2 ? _assignedTask(taskIdx) : _taskUnder(address(0), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        address prover = proverActors[proverIdx % PROVERS];
        if (mode == 2) {
            uint256 count = tasks.taskOf(taskId).assignedCount;
            if (count == 0) {
                vm.assume(false); // nothing to act on: a discard, not a call
                return;
            }
            prover = tasks.liveAssigneeAt(taskId, proverIdx % count);
        }
        bool copy = mode == 1;
        address maker = copy ? proverActors[(proverIdx + 1) % PROVERS] : prover;
        uint256[] memory s = _statement(seedOf[taskId]);
        bytes memory proof = verifier.proofFor(s, maker);
        uint256 bounty = tasks.taskOf(taskId).coverBounty;

        vm.recordLogs();
        vm.prank(prover);
        tasks.submitProof(taskId, s, proof);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        if (copy) ghost_copiedProofsAccepted += 1;
        ghost_acceptances[taskId][prover] += 1;
        if (ghost_acceptances[taskId][prover] > 1) ghost_doubleAcceptances += 1;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(tasks)) continue;
            bytes32 topic = logs[i].topics[0];
            if (topic == ITaskRegistry.ProofAccepted.selector) {
                (uint256 payment,) = abi.decode(logs[i].data, (uint256, uint8));
                ghost_paidToTask[taskId] += payment - bounty; // the cover bounty rides on the payment
            } else if (topic == ITaskRegistry.ContributorPaid.selector) {
                ghost_paidToTask[taskId] += abi.decode(logs[i].data, (uint256));
            }
        }
        if (tasks.taskOf(taskId).status == TaskStatus.Fulfilled) fulfilledPerKind[kindOf[taskId]] += 1;
    }

    /// @notice Anyone expires a task (sometimes jumping to just past its deadline first).
    function expire(uint256 taskIdx, uint8 jump) external tracked("expire") {
        (uint256 taskId, bool ok) = _taskUnder(address(0), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        ITaskRegistry.Task memory t = tasks.taskOf(taskId);
        if (block.timestamp <= t.deadline && jump % 8 == 0) _warpTo(uint256(t.deadline) + 1);
        address before = t.mechanism;
        tasks.expire(taskId);
        if (tasks.taskOf(taskId).mechanism != before) calls["reopened"] += 1;
    }

    function cancel(uint256 taskIdx) external tracked("cancel") {
        (uint256 taskId, bool ok) = _taskUnder(address(0), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        vm.prank(tasks.taskOf(taskId).requester);
        tasks.cancelTask(taskId);
    }

    /// @notice Withdraws an actor's credit from the task registry, or its tree credit.
    function withdraw(uint256 actorIdx, bool fromTree) external tracked("withdraw") {
        address a = _anyActor(actorIdx);
        vm.prank(a);
        if (fromTree) tree.withdraw();
        else tasks.withdraw();
    }

    function deposit(uint256 requesterIdx, uint96 amount) external tracked("deposit") {
        address requester = requesterActors[requesterIdx % requesterActors.length];
        amount = uint96(_bound(amount, 1, 300e18));
        _mint(requester, amount);
        vm.prank(requester);
        tasks.deposit(amount);
    }

    function recordOutcome(uint256 taskIdx) external tracked("recordOutcome") {
        (uint256 taskId, bool ok) = _task(taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        router.recordOutcome(taskId);
    }

    // ================================================================== sealed-bid auction

    /// @notice A prover commits a sealed bid (price up to 120 % of the reserve, so some are ineligible).
    function sealedCommit(uint256 taskIdx, uint256 proverIdx, uint96 price, bytes32 salt)
        external
        tracked("sealedCommit")
    {
        (uint256 taskId, bool ok) = _taskUnder(address(sealedBid), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        address p = proverActors[proverIdx % PROVERS];
        ISealedBidAuction.Auction memory a = sealedBid.auctionOf(taskId);
        price = uint96(_bound(price, 0, uint256(a.reserve) * 6 / 5 + 1));
        if (sealedBid.bondOf(p) < sealedBid.bidCollateral()) _mint(p, sealedBid.bidCollateral());
        bytes32 commitment = sealedBid.commitmentOf(taskId, a.round, p, price, salt);
        vm.prank(p);
        sealedBid.commitBid(taskId, commitment);
        bytes32 key = keccak256(abi.encode(taskId, a.round, p));
        _bidPrice[key] = price;
        _bidSalt[key] = salt;
    }

    /// @notice A bidder reveals (sometimes moving time into the reveal window first).
    function sealedReveal(uint256 taskIdx, uint256 proverIdx, bool jump) external tracked("sealedReveal") {
        (uint256 taskId, bool ok) = _committedSealedTask(taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        ISealedBidAuction.Auction memory a = sealedBid.auctionOf(taskId);
        // The first prover from `proverIdx` on with an open commitment this round (else any: it reverts).
        address p = proverActors[proverIdx % PROVERS];
        for (uint256 i; i < PROVERS; ++i) {
            address q = proverActors[(proverIdx + i) % PROVERS];
            if (sealedBid.commitmentFor(taskId, a.round, q) != bytes32(0)) {
                p = q;
                break;
            }
        }
        (uint64 commitEnd,) = sealedBid.windowsOf(taskId);
        if (jump && block.timestamp < commitEnd) _warpTo(commitEnd);
        bytes32 key = keccak256(abi.encode(taskId, a.round, p));
        vm.prank(p);
        sealedBid.revealBid(taskId, _bidPrice[key], _bidSalt[key]);
    }

    function sealedFinalize(uint256 taskIdx, bool jump) external tracked("sealedFinalize") {
        (uint256 taskId, bool ok) = _taskUnder(address(sealedBid), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        (, uint64 revealEnd) = sealedBid.windowsOf(taskId);
        if (jump && block.timestamp < revealEnd) _warpTo(revealEnd);
        sealedBid.finalize(taskId);
    }

    /// @notice A whole auction round in one action: as many provers as the round has slots commit eligible
    ///         bids, reveal them once the commit window closes, and the round is finalized once the reveal
    ///         window closes. The one-step actions above interleave these steps with everything else; a
    ///         round only completes there when commit, reveal, finalize and the winner's proof fall in the
    ///         right windows of one run, which random sequences almost never do, so without this action the
    ///         sealed-bid payment path would hardly be reached.
    function sealedRound(uint256 taskIdx, uint256 proverIdx, uint96 price, bytes32 salt)
        external
        tracked("sealedRound")
    {
        (uint256 taskId, bool ok) = _taskUnder(address(sealedBid), taskIdx);
        if (!ok || block.timestamp >= _commitEnd(taskId)) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        (address[] memory bidder, uint96[] memory bid) = _commitEligibleBids(taskId, proverIdx, price, salt);
        _warpTo(_commitEnd(taskId));
        for (uint256 i; i < bidder.length; ++i) {
            vm.prank(bidder[i]);
            sealedBid.revealBid(taskId, bid[i], salt);
        }
        (, uint64 revealEnd) = sealedBid.windowsOf(taskId);
        _warpTo(revealEnd);
        sealedBid.finalize(taskId);
    }

    function _commitEnd(uint256 taskId) internal view returns (uint64 commitEnd) {
        (commitEnd,) = sealedBid.windowsOf(taskId);
    }

    /// @dev One commitment per slot of the round (at most one per prover), each at a price within the reserve.
    function _commitEligibleBids(uint256 taskId, uint256 proverIdx, uint96 price, bytes32 salt)
        internal
        returns (address[] memory bidder, uint96[] memory bid)
    {
        ISealedBidAuction.Auction memory a = sealedBid.auctionOf(taskId);
        uint256 bidders = a.slots > PROVERS ? PROVERS : a.slots;
        bidder = new address[](bidders);
        bid = new uint96[](bidders);
        for (uint256 i; i < bidders; ++i) {
            bidder[i] = proverActors[(proverIdx + i) % PROVERS];
            bid[i] = uint96(_bound(uint256(keccak256(abi.encode(price, i))), 1, a.reserve));
            if (sealedBid.bondOf(bidder[i]) < sealedBid.bidCollateral()) _mint(bidder[i], sealedBid.bidCollateral());
            bytes32 commitment = sealedBid.commitmentOf(taskId, a.round, bidder[i], bid[i], salt);
            vm.prank(bidder[i]);
            sealedBid.commitBid(taskId, commitment);
        }
    }

    function sealedReclaim(uint256 taskIdx, uint256 proverIdx) external tracked("sealedReclaim") {
        (uint256 taskId, bool ok) = _task(taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        uint8 round = sealedBid.auctionOf(taskId).round;
        // The first prover from `proverIdx` on with a commitment this round (else any: it reverts), so a
        // cancelled round's collateral is actually reclaimed, not only refused.
        address p = proverActors[proverIdx % PROVERS];
        for (uint256 i; i < PROVERS; ++i) {
            address q = proverActors[(proverIdx + i) % PROVERS];
            if (sealedBid.commitmentFor(taskId, round, q) != bytes32(0)) {
                p = q;
                break;
            }
        }
        vm.prank(p);
        sealedBid.reclaimBid(taskId, round);
    }

    function sealedBond(uint256 proverIdx, uint96 amount, bool withdrawIt) external tracked("sealedBond") {
        address p = proverActors[proverIdx % PROVERS];
        if (withdrawIt) {
            uint256 bond = sealedBid.bondOf(p);
            if (bond == 0) {
                vm.assume(false); // nothing to act on: a discard, not a call
                return;
            }
            vm.prank(p);
            sealedBid.withdrawBond(_bound(amount, 1, bond));
        } else {
            amount = uint96(_bound(amount, 1, 40e18));
            _mint(p, amount);
            vm.prank(p);
            sealedBid.depositBond(amount);
        }
    }

    function sealedSweep() external tracked("sealedSweep") {
        sealedBid.sweepForfeits();
    }

    // ================================================================== ascending-price auction

    function ascendingLock(uint256 taskIdx, uint256 proverIdx, uint32 wait) external tracked("ascendingLock") {
        (uint256 taskId, bool ok) = _taskUnder(address(ascending), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        _warpTo(block.timestamp + _bound(wait, 0, 10 minutes)); // somewhere on (or past) the ramp
        vm.prank(proverActors[proverIdx % PROVERS]);
        ascending.lock(taskId);
    }

    /// @notice Anyone slashes a live lock (sometimes jumping to just past its lock deadline first).
    function ascendingSlash(uint256 taskIdx, uint256 liveIdx, bool jump) external tracked("ascendingSlash") {
        (uint256 taskId, address prover) = _liveAssignee(address(ascending), taskIdx, liveIdx);
        if (prover == address(0)) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        uint256 lockDeadline = ascending.lockOf(taskId, prover).lockDeadline;
        if (jump && block.timestamp <= lockDeadline) _warpTo(lockDeadline + 1);
        ascending.slashLock(taskId, prover);
    }

    // ================================================================== election-then-race

    /// @notice Anyone draws the election once its target block is past (rolling there), from a header whose
    ///         hash the chain is made to hold.
    function electionDraw(uint256 taskIdx, bytes32 mix) external tracked("electionDraw") {
        (uint256 taskId, bool ok) = _taskUnder(address(election), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        IElectionRace.Election memory e = election.electionOf(taskId);
        if (e.phase != IElectionRace.Phase.AwaitingDraw) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        uint256 target = e.marker;
        if (block.number <= target) vm.roll(target + 1);
        bytes memory header = _header(target, mix, "");
        vm.setBlockhash(target, keccak256(header));
        election.draw(taskId, header);
    }

    function electionSlash(uint256 taskIdx, uint256 liveIdx, bool jump) external tracked("electionSlash") {
        (uint256 taskId, address prover) = _liveAssignee(address(election), taskIdx, liveIdx);
        if (prover == address(0)) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        IElectionRace.Election memory e = election.electionOf(taskId);
        if (jump && e.phase == IElectionRace.Phase.Drawn && block.timestamp <= e.marker) {
            _warpTo(uint256(e.marker) + 1); // the election window is open through `marker`
        }
        election.slashElected(taskId, prover);
    }

    // ================================================================== order book

    function bookPost(uint256 proverIdx, uint96 price, uint32 provingTime, uint8 capacity, bool anyCircuit)
        external
        tracked("bookPost")
    {
        vm.prank(proverActors[proverIdx % PROVERS]);
        book.postOffer(
            uint96(_bound(price, 1, 60e18)),
            uint32(_bound(provingTime, 60, 2 hours)),
            uint16(_bound(capacity, 1, 2)),
            anyCircuit ? bytes32(0) : circuit
        );
    }

    function bookWithdraw(uint256 proverIdx) external tracked("bookWithdraw") {
        vm.prank(proverActors[proverIdx % PROVERS]);
        book.withdrawOffer();
    }

    function bookMatch(uint256 taskIdx) external tracked("bookMatch") {
        (uint256 taskId, bool ok) = _taskUnder(address(book), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        book.matchTask(taskId);
    }

    // ================================================================== tree assignment

    function treeDraw(uint256 taskIdx, bytes32 mix) external tracked("treeDraw") {
        (uint256 taskId, bool ok) = _taskUnder(address(tree), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        if (block.number <= drawBlock) vm.roll(drawBlock + 1);
        bytes memory header;
        if (block.number - drawBlock <= 256) {
            // The chain holds a header of the seed block whose prevrandao is `mix`.
            header = _header(drawBlock, mix, "");
            vm.setBlockhash(drawBlock, keccak256(header));
        }
        uint256[PROVERS] memory lockedBefore;
        for (uint256 i; i < PROVERS; ++i) {
            (, lockedBefore[i]) = tree.bondOf(proverActors[i]);
        }
        tree.draw(taskId, header);
        // A member that was drawn had a free declared slot for every range it got: its load (live registry
        // assignments + locked ranges, range 0 and the root of one task counting once) is within capacity.
        for (uint256 i; i < PROVERS; ++i) {
            (, uint256 lockedAfter) = tree.bondOf(proverActors[i]);
            if (
                lockedAfter > lockedBefore[i]
                    && _treeLoad(proverActors[i]) > provers.proverOf(proverActors[i]).maxConcurrent
            ) {
                ghost_treeCapacityBreaches += 1;
            }
        }
    }

    /// @notice `prover`'s load computed from the tree's ranges (not from its counters): live registry
    ///         assignments + locked tree ranges − ranges 0 whose root the prover holds in the registry.
    function treeLoadOf(address prover) external view returns (uint256) {
        return _treeLoad(prover);
    }

    /// @dev Live registry assignments + locked tree ranges − ranges 0 whose root the prover holds in the
    ///      registry (counted there already).
    function _treeLoad(address prover) internal view returns (uint256 load) {
        (, uint256 locked) = tree.bondOf(prover);
        load = provers.proverOf(prover).activeAssignments + locked;
        for (uint256 i; i < taskIds.length; ++i) {
            ITreeAssignment.TreeTask memory t = tree.treeOf(taskIds[i]);
            if (t.status != ITreeAssignment.TreeStatus.Drawn || !t.rootAssigned) continue;
            ITreeAssignment.Range memory r0 = tree.rangeOf(taskIds[i], 0);
            bool locks = r0.state == ITreeAssignment.RangeState.Drawn || r0.state == ITreeAssignment.RangeState.Attested;
            if (locks && r0.owner == prover) load -= 1;
        }
    }

    function treeAttest(uint256 taskIdx, uint256 range) external tracked("treeAttest") {
        (uint256 taskId, bool ok) = _taskUnder(address(tree), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
        if (t.rangeCount == 0) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        range %= t.rangeCount;
        vm.prank(tree.rangeOf(taskId, range).owner);
        tree.attest(taskId, range, keccak256(abi.encode("top", taskId, range)), keccak256(abi.encode("node", range)));
    }

    /// @notice The owner of a range's sibling covers it (sometimes jumping past the range deadline first).
    function treeCover(uint256 taskIdx, uint256 range, bool jump) external tracked("treeCover") {
        (uint256 taskId, bool ok) = _taskUnder(address(tree), taskIdx);
        if (!ok) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
        if (t.rangeCount < 2) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        // The first range from `range` on that is still only drawn while its sibling is attested.
        range %= t.rangeCount;
        for (uint256 i; i < t.rangeCount; ++i) {
            uint256 r = (range + i) % t.rangeCount;
            ITreeAssignment.Range memory rg = tree.rangeOf(taskId, r);
            if (
                rg.state == ITreeAssignment.RangeState.Drawn
                    && tree.rangeOf(taskId, rg.sibling).state == ITreeAssignment.RangeState.Attested
            ) {
                range = r;
                break;
            }
        }
        if (jump && block.timestamp <= t.rangeDeadline) _warpTo(uint256(t.rangeDeadline) + 1);
        address uncle = tree.rangeOf(taskId, tree.rangeOf(taskId, range).sibling).owner;
        vm.prank(uncle);
        tree.cover(taskId, range, keccak256(abi.encode("top", taskId, range)), keccak256(abi.encode("node", range)));
    }

    function treeBond(uint256 proverIdx, uint96 amount, uint8 op) external tracked("treeBond") {
        address p = proverActors[proverIdx % PROVERS];
        op %= 3;
        vm.startPrank(p);
        if (op == 0) {
            amount = uint96(_bound(amount, 1, 40e18));
            vm.stopPrank();
            _mint(p, amount);
            vm.prank(p);
            tree.joinPool(amount);
        } else if (op == 1) {
            (uint256 free,) = tree.bondOf(p);
            if (free == 0) {
                vm.stopPrank();
                vm.assume(false); // nothing to act on: a discard, not a call
                return;
            }
            tree.requestLeave(_bound(amount, 1, free));
            vm.stopPrank();
        } else {
            tree.leavePool();
            vm.stopPrank();
        }
    }

    // ================================================================== stake and time

    function addStake(uint256 proverIdx, uint96 amount) external tracked("addStake") {
        address p = proverActors[proverIdx % PROVERS];
        amount = uint96(_bound(amount, 1, 300e18));
        _mint(p, amount);
        vm.prank(p);
        provers.addStake(amount);
    }

    function requestUnstake(uint256 proverIdx, uint256 amount) external tracked("requestUnstake") {
        address p = proverActors[proverIdx % PROVERS];
        uint256 free = provers.freeStake(p);
        if (free == 0) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        vm.prank(p);
        provers.requestUnstake(_bound(amount, 1, free));
    }

    /// @notice Completes a pending unstake; only one call in eight jumps over the (7-day) unstake delay, since
    ///      the jump expires every live task.
    function completeUnstake(uint256 proverIdx, uint8 jump) external tracked("completeUnstake") {
        address p = proverActors[proverIdx % PROVERS];
        IProverRegistry.Prover memory info = provers.proverOf(p);
        if (info.pendingUnstake == 0) {
            vm.assume(false); // nothing to act on: a discard, not a call
            return;
        }
        if (block.timestamp < info.unstakeAvailableAt && jump % 8 == 0) _warpTo(info.unstakeAvailableAt);
        vm.prank(p);
        provers.completeUnstake();
    }

    function cancelUnstake(uint256 proverIdx) external tracked("cancelUnstake") {
        vm.prank(proverActors[proverIdx % PROVERS]);
        provers.cancelUnstake();
    }

    function setCapacity(uint256 proverIdx, uint16 capacity) external tracked("setCapacity") {
        vm.prank(proverActors[proverIdx % PROVERS]);
        provers.setCapacity(1, uint16(_bound(capacity, 1, 3)));
    }

    function warp(uint32 dt) external tracked("warp") {
        _warpTo(block.timestamp + _bound(dt, 1, 5 minutes));
    }

    // ================================================================== views for the invariants

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function proverCount() external view returns (uint256) {
        return proverActors.length;
    }

    /// @notice Every account that can ever be credited or hold tokens: provers, requesters, the treasury.
    function accounts() public view returns (address[] memory list) {
        list = new address[](proverActors.length + requesterActors.length + 1);
        uint256 n;
        for (uint256 i; i < proverActors.length; ++i) {
            list[n++] = proverActors[i];
        }
        for (uint256 i; i < requesterActors.length; ++i) {
            list[n++] = requesterActors[i];
        }
        list[n] = treasury;
    }

    // ================================================================== internal

    function _request(uint256 seed, uint8 mechIdx) internal view returns (TaskRequest memory r) {
        address[6] memory mechs =
            [address(race), address(sealedBid), address(ascending), address(election), address(book), address(tree)];
        uint8 redundancy = mechIdx == 5 ? 1 : uint8(_bound(uint8(seed >> 8), 1, 3));
        r.circuitId = circuit;
        r.inputCommitment = keccak256(abi.encodePacked(_statement(seed)));
        r.deadline = uint64(block.timestamp + _bound(uint32(seed >> 16), 20 minutes, 3 hours));
        r.maxPayment = uint96(_bound(uint96(seed >> 48), 3, 300e18));
        r.redundancy = redundancy;
        r.qos = QoSProfile({
            speedWeight: uint8(seed >> 144) % 11,
            costWeight: uint8(seed >> 152) % 11,
            safetyWeight: uint8(seed >> 160) % 11,
            censorshipWeight: uint8(seed >> 168) % 11,
            minRedundancy: 1,
            minStakeAtRisk: 0
        });
        r.mechanism = mechs[mechIdx];
        if (mechIdx == 5) r.mechanismData = _treeData(seed);
        // Fallback: none, race, sealed, ascending, election or order book (a tree is never a fallback).
        uint8 fb = uint8(seed >> 176) % 6;
        if (fb != 0) {
            r.fallbackMechanism = mechs[fb - 1];
            r.fallbackWindow = 1 hours;
        }
    }

    function _treeData(uint256 seed) internal pure returns (bytes memory) {
        return abi.encode(uint32(_bound(uint8(seed >> 184), 1, 8)), uint32(_bound(uint8(seed >> 192), 1, 4)));
    }

    function _kindOfMechanism(address m) internal view returns (uint8) {
        if (m == address(race)) return 1;
        if (m == address(sealedBid)) return 2;
        if (m == address(ascending)) return 3;
        if (m == address(election)) return 4;
        if (m == address(book)) return 5;
        return 6;
    }

    function _mint(address to, uint256 amount) internal {
        token.mint(to, amount);
        ghost_minted += amount;
    }

    /// @dev Moves time forward (never back) and the block number with it (12 s blocks).
    function _warpTo(uint256 t) internal {
        if (t <= block.timestamp) return;
        vm.roll(block.number + (t - block.timestamp) / 12 + 1);
        vm.warp(t);
    }

    function _statement(uint256 seed) internal pure returns (uint256[] memory s) {
        s = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            s[i] = uint256(keccak256(abi.encode(seed, i))) >> 8;
        }
    }

    function _task(uint256 taskIdx) internal view returns (uint256 taskId, bool ok) {
        if (taskIds.length == 0) return (0, false);
        return (taskIds[taskIdx % taskIds.length], true);
    }

    /// @dev The `idx`-th (mod count) live task with at least one live assignee.
    function _assignedTask(uint256 idx) internal view returns (uint256 taskId, bool ok) {
        uint256[] memory found = new uint256[](taskIds.length);
        uint256 n;
        for (uint256 i; i < taskIds.length; ++i) {
            ITaskRegistry.Task memory t = tasks.taskOf(taskIds[i]);
            if (t.status != TaskStatus.Open && t.status != TaskStatus.Assigned) continue;
            if (t.assignedCount == 0) continue;
            found[n++] = taskIds[i];
        }
        if (n == 0) return (0, false);
        return (found[idx % n], true);
    }

    /// @dev The `idx`-th (mod count) live sealed-bid task with a commitment in its current round, else the
    ///      `idx`-th live sealed-bid task (its reveal then reverts).
    function _committedSealedTask(uint256 idx) internal view returns (uint256 taskId, bool ok) {
        uint256[] memory found = new uint256[](taskIds.length);
        uint256 n;
        for (uint256 i; i < taskIds.length; ++i) {
            ITaskRegistry.Task memory t = tasks.taskOf(taskIds[i]);
            if (t.mechanism != address(sealedBid)) continue;
            if (t.status != TaskStatus.Open && t.status != TaskStatus.Assigned) continue;
            uint8 round = sealedBid.auctionOf(taskIds[i]).round;
            for (uint256 j; j < PROVERS; ++j) {
                if (sealedBid.commitmentFor(taskIds[i], round, proverActors[j]) != bytes32(0)) {
                    found[n++] = taskIds[i];
                    break;
                }
            }
        }
        if (n == 0) return _taskUnder(address(sealedBid), idx);
        return (found[idx % n], true);
    }

    /// @dev The `idx`-th (mod count) live task currently under `mechanism` (any, for zero), so that mechanism actions hit
    ///      tasks they apply to instead of reverting on most random picks.
    function _taskUnder(address mechanism, uint256 idx) internal view returns (uint256 taskId, bool ok) {
        uint256[] memory found = new uint256[](taskIds.length);
        uint256 n;
        for (uint256 i; i < taskIds.length; ++i) {
            ITaskRegistry.Task memory t = tasks.taskOf(taskIds[i]);
            if (mechanism != address(0) && t.mechanism != mechanism) continue;
            if (t.status != TaskStatus.Open && t.status != TaskStatus.Assigned) continue;
            found[n++] = taskIds[i];
        }
        if (n == 0) return (0, false);
        return (found[idx % n], true);
    }

    function _liveAssignee(address mechanism, uint256 taskIdx, uint256 liveIdx)
        internal
        view
        returns (uint256 taskId, address prover)
    {
        bool ok;
        (taskId, ok) = _taskUnder(mechanism, taskIdx);
        if (!ok) return (0, address(0));
        uint256 count = tasks.taskOf(taskId).assignedCount;
        if (count == 0) return (taskId, address(0));
        prover = tasks.liveAssigneeAt(taskId, liveIdx % count);
    }

    function _anyActor(uint256 idx) internal view returns (address) {
        address[] memory all = accounts();
        return all[idx % all.length];
    }

    /// @dev Compares every task's status with the last one seen and counts illegal transitions.
    function _checkTransitions() internal {
        for (uint256 i; i < taskIds.length; ++i) {
            uint256 id = taskIds[i];
            TaskStatus before = lastStatus[id];
            TaskStatus nowStatus = tasks.taskOf(id).status;
            if (before == nowStatus) continue;
            bool live = before == TaskStatus.Open || before == TaskStatus.Assigned;
            bool legal = (before == TaskStatus.Open && nowStatus == TaskStatus.Assigned)
                || (before == TaskStatus.Assigned && nowStatus == TaskStatus.Open)
                || (live && (nowStatus == TaskStatus.Fulfilled || nowStatus == TaskStatus.Expired))
                || (before == TaskStatus.Open && nowStatus == TaskStatus.Cancelled);
            if (!legal) ghost_illegalTransitions += 1;
            lastStatus[id] = nowStatus;
        }
    }
}
