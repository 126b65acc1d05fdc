// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../interfaces/IMechanism.sol";
import {IProverRegistry} from "../interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../interfaces/ITaskRegistry.sol";
import {ITreeAssignment} from "../interfaces/ITreeAssignment.sol";
import {TreeShape} from "../libraries/TreeShape.sol";
import {TaskRequest} from "../types/Task.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title TreeAssignment
/// @notice Protocol-elected assignment of a block's proof tree: ranges drawn stake-weighted from a bonded
///         pool, merges to the left child's owner, the root to range 0's owner, sibling cover ("uncle"
///         reward) for unattested ranges, payout split by contribution on root acceptance.
/// @dev Randomness: `blockhash(drawBlock)` with `drawBlock = openBlock + drawDelay`, unknown when the task
///      is opened. Bias bound: the proposer of `drawBlock` can withhold its block (forfeiting its reward)
///      and so choose between two seeds; a party controlling c consecutive proposals chooses among at most
///      2^c. Nobody else can influence the seed; `draw` is permissionless and deterministic once the hash
///      is known. If nobody draws within 256 blocks the seed is re-anchored to a future block (a re-roll
///      that costs the would-be manipulator ~51 minutes of the task's deadline and anyone can pre-empt).
contract TreeAssignment is ITreeAssignment, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    uint256 internal constant BPS = 10_000;

    /// @notice The task registry (the only caller of the hooks).
    ITaskRegistry public immutable registry;
    /// @notice The prover registry (pool members must be registered provers).
    IProverRegistry public immutable provers;
    /// @notice The deployment's token (bonds, rewards).
    IERC20 public immutable token;

    /// @notice Pool bond locked per drawn range.
    uint96 public immutable rangeBond;
    /// @notice Registry stake locked by the root assignment.
    uint96 public immutable rootCollateral;
    /// @notice Share of the time from draw to deadline for range attestations (bps).
    uint16 public immutable rangeWindowBps;
    /// @notice Share of a covered range's slashed bond paid to the uncle (bps).
    uint16 public immutable uncleBps;
    /// @notice Largest number of ranges per tree.
    uint8 public immutable maxRanges;
    /// @notice Largest pool.
    uint16 public immutable maxPoolSize;
    /// @notice Blocks from opening to the seed block.
    uint8 public immutable drawDelay;
    /// @notice Seconds from requestLeave to leavePool.
    uint32 public immutable exitDelay;
    /// @notice Contribution units per base proof.
    uint16 public immutable baseWeight;
    /// @notice Contribution units per merge proof.
    uint16 public immutable mergeWeight;
    /// @notice Contribution units of the root proof.
    uint16 public immutable rootWeight;

    uint8 internal immutable _kind;
    uint8 internal immutable _speed;
    uint8 internal immutable _cost;
    uint8 internal immutable _safety;
    uint8 internal immutable _censorship;

    /// @dev Pool bookkeeping beside the packed member array.
    struct MemberInfo {
        uint32 indexPlusOne;
        uint32 lockedRanges;
    }

    Member[] internal _pool;
    mapping(address prover => MemberInfo) internal _info;
    mapping(uint256 taskId => TreeTask) internal _tasks;
    mapping(uint256 taskId => mapping(uint256 range => Range)) internal _ranges;
    mapping(address account => uint256) internal _claimable;
    /// @dev Pending exits: amount (96) | availableAt (64).
    mapping(address prover => Exit) internal _exits;

    struct Exit {
        uint96 amount;
        uint64 availableAt;
    }

    modifier onlyRegistry() {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        _;
    }

    /// @param registry_ The task registry.
    /// @param provers_ The prover registry.
    /// @param token_ The deployment's token.
    /// @param p Instance parameters (see ITreeAssignment.Params).
    constructor(ITaskRegistry registry_, IProverRegistry provers_, IERC20 token_, Params memory p) {
        if (
            address(registry_) == address(0) || address(provers_) == address(0) || address(token_) == address(0)
                || p.rangeBond == 0 || p.rangeWindowBps == 0 || p.rangeWindowBps > BPS || p.uncleBps > BPS
                || p.maxRanges == 0 || p.maxRanges >= TreeShape.NO_SIBLING || p.maxPoolSize == 0 || p.drawDelay == 0
                || uint256(p.baseWeight) + p.mergeWeight + p.rootWeight == 0
        ) revert InvalidParams();
        registry = registry_;
        provers = provers_;
        token = token_;
        rangeBond = p.rangeBond;
        rootCollateral = p.rootCollateral;
        rangeWindowBps = p.rangeWindowBps;
        uncleBps = p.uncleBps;
        maxRanges = p.maxRanges;
        maxPoolSize = p.maxPoolSize;
        drawDelay = p.drawDelay;
        exitDelay = p.exitDelay;
        baseWeight = p.baseWeight;
        mergeWeight = p.mergeWeight;
        rootWeight = p.rootWeight;
        _kind = p.profile.kind;
        _speed = p.profile.speed;
        _cost = p.profile.cost;
        _safety = p.profile.safety;
        _censorship = p.profile.censorshipResistance;
    }

    // ------------------------------------------------------------------ pool

    /// @inheritdoc ITreeAssignment
    function joinPool(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (!provers.isRegistered(msg.sender)) revert ProverNotRegistered(msg.sender);
        MemberInfo storage info = _info[msg.sender];
        if (info.indexPlusOne == 0) {
            if (_pool.length >= maxPoolSize) revert PoolFull(maxPoolSize);
            _pool.push(Member({prover: msg.sender, freeBond: 0}));
            info.indexPlusOne = uint32(_pool.length);
        }
        Member storage m = _pool[info.indexPlusOne - 1];
        uint256 free = m.freeBond + amount;
        m.freeBond = free.toUint96();
        emit PoolJoined(msg.sender, amount, free);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ITreeAssignment
    function requestLeave(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        MemberInfo storage info = _info[msg.sender];
        uint256 free = info.indexPlusOne == 0 ? 0 : _pool[info.indexPlusOne - 1].freeBond;
        if (amount > free) revert InsufficientFreeBond(msg.sender, amount, free);
        uint256 availableAt = block.timestamp + exitDelay;
        _exits[msg.sender] = Exit({amount: uint96(amount), availableAt: uint64(availableAt)});
        emit LeaveRequested(msg.sender, amount, availableAt);
    }

    /// @inheritdoc ITreeAssignment
    function leavePool() external nonReentrant returns (uint256 amount) {
        Exit memory e = _exits[msg.sender];
        if (e.amount == 0) revert NoExitRequested(msg.sender);
        if (block.timestamp < e.availableAt) revert ExitNotReady(e.availableAt);
        delete _exits[msg.sender];
        MemberInfo storage info = _info[msg.sender];
        uint256 free = info.indexPlusOne == 0 ? 0 : _pool[info.indexPlusOne - 1].freeBond;
        amount = e.amount < free ? e.amount : free;
        if (amount == 0) revert InsufficientFreeBond(msg.sender, e.amount, 0);
        free -= amount;
        _pool[info.indexPlusOne - 1].freeBond = uint96(free);
        if (free == 0 && info.lockedRanges == 0) _removeMember(msg.sender);
        emit PoolLeft(msg.sender, amount, free);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ITreeAssignment
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _claimable[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _claimable[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ tree lifecycle

    /// @inheritdoc ITreeAssignment
    function draw(uint256 taskId) external nonReentrant {
        TreeTask storage t = _tasks[taskId];
        if (t.status != TreeStatus.AwaitingDraw) revert WrongStatus(taskId, t.status);
        uint256 drawBlock = t.drawBlock;
        if (block.number <= drawBlock) revert DrawTooEarly(taskId, drawBlock);
        if (block.timestamp >= t.deadline) revert TaskPastDeadline(taskId, t.deadline);
        bytes32 seed = blockhash(drawBlock);
        if (seed == bytes32(0)) {
            uint256 next = block.number + drawDelay;
            t.drawBlock = uint40(next);
            emit DrawReanchored(taskId, next);
            return;
        }

        TreeShape.Split memory s = TreeShape.split(t.txCount, t.rangeSize, maxRanges);
        uint256[] memory picks = _drawMembers(taskId, keccak256(abi.encode(seed, taskId)), s.length);
        mapping(uint256 => Range) storage ranges = _ranges[taskId];
        for (uint256 i; i < s.length; ++i) {
            Member storage m = _pool[picks[i]];
            address owner = m.prover;
            m.freeBond -= rangeBond;
            _info[owner].lockedRanges += 1;
            ranges[i] = Range({
                owner: owner,
                count: s.count[i],
                mergesLed: s.mergesLed[i],
                sibling: s.sibling[i],
                state: RangeState.Drawn
            });
            emit RangeDrawn(taskId, i, owner, s.start[i], s.count[i]);
        }

        uint256 rangeDeadline = block.timestamp + ((t.deadline - block.timestamp) * rangeWindowBps) / BPS;
        t.rangeDeadline = uint40(rangeDeadline);
        t.status = TreeStatus.Drawn;
        address root = ranges[0].owner;
        bool assigned = _assignRoot(taskId, root);
        t.rootAssigned = assigned;
        emit TreeDrawn(taskId, root, assigned, rangeDeadline);
    }

    /// @inheritdoc ITreeAssignment
    function attest(uint256 taskId, uint256 range, bytes32 topCommitment, bytes32 nodeId) external {
        TreeTask storage t = _drawnTask(taskId);
        Range storage r = _ranges[taskId][range];
        if (range >= t.rangeCount || r.state != RangeState.Drawn) revert WrongRangeState(taskId, range, r.state);
        if (msg.sender != r.owner) revert NotRangeOwner(taskId, range, msg.sender);
        if (block.timestamp > t.rangeDeadline) revert RangeWindow(taskId, t.rangeDeadline);
        r.state = RangeState.Attested;
        emit RangeAttested(taskId, range, msg.sender, topCommitment, nodeId);
    }

    /// @inheritdoc ITreeAssignment
    function cover(uint256 taskId, uint256 range, bytes32 topCommitment, bytes32 nodeId) external nonReentrant {
        TreeTask storage t = _drawnTask(taskId);
        Range storage r = _ranges[taskId][range];
        if (range >= t.rangeCount || r.state != RangeState.Drawn) revert WrongRangeState(taskId, range, r.state);
        if (block.timestamp <= t.rangeDeadline) revert RangeWindow(taskId, t.rangeDeadline);
        if (block.timestamp > t.deadline) revert TaskPastDeadline(taskId, t.deadline);
        uint8 sibling = r.sibling;
        if (sibling == TreeShape.NO_SIBLING) revert NoSibling(taskId, range);
        Range storage uncleRange = _ranges[taskId][sibling];
        address failed = r.owner;
        if (
            msg.sender != uncleRange.owner || msg.sender == failed
                || (uncleRange.state != RangeState.Attested && uncleRange.state != RangeState.Covered)
        ) revert NotUncle(taskId, range, msg.sender);

        // The failed owner's bond is slashed: part to the uncle, the rest compensates the requester.
        uint256 toUncle = (uint256(rangeBond) * uncleBps) / BPS;
        uint256 toRequester = rangeBond - toUncle;
        _unlock(failed, 0);
        if (toUncle != 0) _claimable[msg.sender] += toUncle;
        if (toRequester != 0) _claimable[registry.taskOf(taskId).requester] += toRequester;
        r.owner = msg.sender;
        r.state = RangeState.Covered;
        emit RangeCovered(taskId, range, failed, msg.sender, toUncle, toRequester);
        emit RangeAttested(taskId, range, msg.sender, topCommitment, nodeId);

        // Range 0 carries the root: its registry assignment moves to the uncle, the failed owner's
        // root collateral is slashed by the registry's rules.
        if (range == 0) {
            if (t.rootAssigned) registry.slashAssignment(taskId, failed);
            bool assigned = _assignRoot(taskId, msg.sender);
            t.rootAssigned = assigned;
            emit TreeDrawn(taskId, msg.sender, assigned, t.rangeDeadline);
        }
    }

    // ------------------------------------------------------------------ registry hooks

    /// @inheritdoc IMechanism
    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external onlyRegistry {
        if (request.redundancy != 1) revert RedundancyNotOne(request.redundancy);
        if (request.mechanismData.length != 64) revert MalformedMechanismData(request.mechanismData.length);
        (uint32 txCount, uint32 rangeSize) = abi.decode(request.mechanismData, (uint32, uint32));
        uint256 k = TreeShape.split(txCount, rangeSize, maxRanges).length;
        uint256 drawBlock = block.number + drawDelay;
        _tasks[taskId] = TreeTask({
            txCount: txCount,
            rangeSize: rangeSize,
            drawBlock: uint40(drawBlock),
            rangeDeadline: 0,
            deadline: uint40(request.deadline),
            rangeCount: uint8(k),
            status: TreeStatus.AwaitingDraw,
            rootAssigned: false
        });
        emit TreeOpened(taskId, txCount, rangeSize, uint8(k), drawBlock);
    }

    /// @inheritdoc IMechanism
    function onProofAccepted(uint256 taskId, address prover, uint96) external onlyRegistry returns (uint256) {
        TreeTask storage t = _drawnTask(taskId);
        if (prover != _ranges[taskId][0].owner) revert NotRootProver(taskId, prover);
        return _payContributors(taskId, t, prover);
    }

    /// @inheritdoc IMechanism
    function onTaskClosed(uint256 taskId) external onlyRegistry {
        TreeTask storage t = _tasks[taskId];
        if (t.status == TreeStatus.Drawn) {
            uint256 k = t.rangeCount;
            address requester; // looked up on the first slash only
            uint256 rangeDeadline = t.rangeDeadline;
            for (uint256 i; i < k; ++i) {
                Range storage r = _ranges[taskId][i];
                RangeState state = r.state;
                if (state == RangeState.Attested) {
                    _unlock(r.owner, rangeBond);
                } else if (state == RangeState.Drawn && block.timestamp <= rangeDeadline) {
                    // Closed (fulfilled early or cancelled) while the owner still had time: no fault.
                    _unlock(r.owner, rangeBond);
                } else if (state == RangeState.Drawn) {
                    // The range window passed with the range neither attested nor covered: the bond
                    // compensates the requester.
                    _unlock(r.owner, 0);
                    if (requester == address(0)) requester = registry.taskOf(taskId).requester;
                    _claimable[requester] += rangeBond;
                    emit RangeBondSlashed(taskId, i, r.owner, rangeBond);
                }
                delete _ranges[taskId][i];
            }
        }
        delete _tasks[taskId];
    }

    /// @inheritdoc IMechanism
    function profile() external view returns (Profile memory) {
        return Profile({kind: _kind, speed: _speed, cost: _cost, safety: _safety, censorshipResistance: _censorship});
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITreeAssignment
    function treeOf(uint256 taskId) external view returns (TreeTask memory) {
        return _tasks[taskId];
    }

    /// @inheritdoc ITreeAssignment
    function rangeOf(uint256 taskId, uint256 range) external view returns (Range memory) {
        return _ranges[taskId][range];
    }

    /// @inheritdoc ITreeAssignment
    function rootProverOf(uint256 taskId) external view returns (address) {
        return _ranges[taskId][0].owner;
    }

    /// @inheritdoc ITreeAssignment
    function poolSize() external view returns (uint256) {
        return _pool.length;
    }

    /// @inheritdoc ITreeAssignment
    function memberAt(uint256 index) external view returns (Member memory) {
        return _pool[index];
    }

    /// @inheritdoc ITreeAssignment
    function bondOf(address prover) external view returns (uint256 freeBond, uint256 lockedRanges) {
        MemberInfo memory info = _info[prover];
        if (info.indexPlusOne != 0) freeBond = _pool[info.indexPlusOne - 1].freeBond;
        lockedRanges = info.lockedRanges;
    }

    /// @inheritdoc ITreeAssignment
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    // ------------------------------------------------------------------ internals

    function _drawnTask(uint256 taskId) internal view returns (TreeTask storage t) {
        t = _tasks[taskId];
        if (t.status != TreeStatus.Drawn) revert WrongStatus(taskId, t.status);
    }

    /// @dev Draws `k` pool indices, each with probability proportional to free bond among members with at
    ///      least `rangeBond` free (after earlier picks of this draw), distinct while enough members qualify.
    function _drawMembers(uint256 taskId, bytes32 seed, uint256 k) internal view returns (uint256[] memory picks) {
        uint256 n = _pool.length;
        uint256[] memory free = new uint256[](n);
        for (uint256 j; j < n; ++j) {
            free[j] = _pool[j].freeBond;
        }
        bool[] memory used = new bool[](n);
        picks = new uint256[](k);
        uint256 bond = rangeBond;
        for (uint256 i; i < k; ++i) {
            uint256 totalFresh;
            uint256 totalAll;
            for (uint256 j; j < n; ++j) {
                if (free[j] < bond) continue;
                totalAll += free[j];
                if (!used[j]) totalFresh += free[j];
            }
            if (totalAll == 0) revert NoEligibleProvers(taskId);
            bool fresh = totalFresh != 0;
            uint256 x = uint256(keccak256(abi.encode(seed, i))) % (fresh ? totalFresh : totalAll);
            uint256 pick;
            for (uint256 j; j < n; ++j) {
                if (free[j] < bond || (fresh && used[j])) continue;
                if (x < free[j]) {
                    pick = j;
                    break;
                }
                x -= free[j];
            }
            picks[i] = pick;
            used[pick] = true;
            free[pick] -= bond;
        }
    }

    /// @dev Assigns the root task to `prover` in the registry (price 0: the payout is split at acceptance);
    ///      false when the registry refuses (free stake below rootCollateral, capacity), in which case the
    ///      prover still owns the root here and only its range bond binds it.
    function _assignRoot(uint256 taskId, address prover) internal returns (bool) {
        try registry.assign(taskId, prover, 0, rootCollateral) {
            return true;
        } catch {
            return false;
        }
    }

    /// @dev Ends one locked range of `owner`, returning `returned` (rangeBond or 0) to its free bond.
    function _unlock(address owner, uint256 returned) internal {
        MemberInfo storage info = _info[owner];
        info.lockedRanges -= 1;
        Member storage m = _pool[info.indexPlusOne - 1];
        uint256 free = m.freeBond + returned;
        m.freeBond = uint96(free);
        if (free == 0 && info.lockedRanges == 0) _removeMember(owner);
    }

    function _removeMember(address prover) internal {
        uint256 index = _info[prover].indexPlusOne;
        uint256 last = _pool.length;
        if (index != last) {
            Member memory moved = _pool[last - 1];
            _pool[index - 1] = moved;
            _info[moved.prover].indexPlusOne = uint32(index);
        }
        _pool.pop();
        delete _info[prover];
    }

    /// @dev Splits the budget by contribution units: each range's units go to its current owner when it
    ///      was attested or covered, else to the root prover (who then proved it itself); merges follow
    ///      their leftmost range; the root prover also gets the root's units and the rounding remainder.
    ///      Others are paid through the registry; the root prover's share is returned.
    function _payContributors(uint256 taskId, TreeTask storage t, address rootProver)
        internal
        returns (uint256 rootShare)
    {
        uint256 k = t.rangeCount;
        uint256 totalUnits = TreeShape.totalUnits(t.txCount, baseWeight, mergeWeight, rootWeight);
        address[] memory who = new address[](k);
        uint256[] memory units = new uint256[](k);
        uint256 m;
        uint256 rootUnits = rootWeight;
        for (uint256 i; i < k; ++i) {
            Range memory r = _ranges[taskId][i];
            uint256 u = uint256(baseWeight) * r.count + uint256(mergeWeight) * (r.count - 1 + r.mergesLed);
            address owner = (r.state == RangeState.Attested || r.state == RangeState.Covered) ? r.owner : rootProver;
            if (owner == rootProver) {
                rootUnits += u;
                continue;
            }
            uint256 j;
            while (j < m && who[j] != owner) ++j;
            if (j == m) who[m++] = owner;
            units[j] += u;
        }
        uint256 budget = registry.budgetOf(taskId).maxPayment;
        uint256 paidOthers;
        for (uint256 j; j < m; ++j) {
            uint256 amount = (budget * units[j]) / totalUnits;
            paidOthers += amount;
            emit ContributionPaid(taskId, who[j], units[j], amount);
            if (amount != 0) registry.payContributor(taskId, who[j], amount.toUint96());
        }
        rootShare = budget - paidOthers;
        emit ContributionPaid(taskId, rootProver, rootUnits, rootShare);
    }
}
