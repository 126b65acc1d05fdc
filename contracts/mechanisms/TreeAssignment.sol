// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../interfaces/IMechanism.sol";
import {IProverRegistry} from "../interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../interfaces/ITaskRegistry.sol";
import {ITreeAssignment} from "../interfaces/ITreeAssignment.sol";
import {BlockHeaderRandomness} from "../libraries/BlockHeaderRandomness.sol";
import {TreeShape} from "../libraries/TreeShape.sol";
import {TreeWord, TreeWordLib} from "../libraries/TreeWord.sol";
import {TaskRequest} from "../types/Task.sol";
import {TreePool} from "./TreePool.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title TreeAssignment
/// @notice Protocol-elected assignment of a block's proof tree: ranges drawn stake-weighted from a bonded
///         pool (members with a free declared slot only), merges to the left child's owner, the root to
///         range 0's owner, sibling cover ("uncle" reward) for unattested ranges, payout split by
///         contribution on root acceptance.
/// @dev Randomness: the prevrandao of block `drawBlock = openBlock + drawDelay`, read from its RLP header
///      (checked against `blockhash`, BlockHeaderRandomness), mixed with the task id. prevrandao of block B
///      is the beacon chain's RANDAO mix after the slot that produced block B − 1; it cannot be ground
///      (each proposer's reveal is a deterministic BLS signature), so the only influence is withholding
///      a block. Bias bound: a party that proposes c of the slots that produce blocks openBlock …
///      drawBlock − 1 can choose among at most 2^c seeds, each extra bit costing a withheld block (its
///      consensus reward, fees and MEV); a party proposing none of them has no influence, and nobody
///      can choose the draw's outcome with `draw`'s caller or timing (the seed block is fixed at opening
///      and `draw` is deterministic in it). With drawDelay = 1 the proposer of the opening block itself
///      knows the seed while deciding to include the opening (its own reveal completes the mix), so
///      drawDelay ≥ 2 is the default. An event of probability p for one seed can be forced with
///      probability at most 1 − (1 − p)^(2^c). If nobody draws within 256 blocks the header can no
///      longer be checked and the seed is re-anchored to a future block (a fresh, unknown seed at the
///      cost of ~51 minutes of the task's deadline; anyone can pre-empt it by drawing in time).
///      The pool state must be fixed before the seed is known as well: the selection is an exponential
///      race (ExponentialRace), in which a member's key depends on its own total bond only, and a member
///      whose bond changed from the block before `drawBlock` on is passed over, so a join, top-up or leave
///      made after seeing the seed moves nobody's outcome but the mover's own (docs/mechanisms.md).
///      Storage: one packed word per task (TreeWord: status, shape, deadlines and the owner slot id and
///      state of ranges 0–9; further ranges in extra words); the bonded pool (its storage, bookkeeping and
///      the draw) is TreePool's, shared with LedgerTreeAssignment.
contract TreeAssignment is ITreeAssignment, TreePool {
    using SafeERC20 for IERC20;

    /// @notice The task registry (the only caller of the hooks).
    ITaskRegistry public immutable registry;

    /// @notice Registry stake locked by the root assignment.
    uint96 public immutable rootCollateral;
    /// @notice Share of the time from draw to deadline for range attestations (bps).
    uint16 public immutable rangeWindowBps;
    /// @notice Share of a covered range's slashed bond paid to the uncle (bps).
    uint16 public immutable uncleBps;
    /// @notice Largest number of ranges per tree.
    uint8 public immutable maxRanges;
    /// @notice Blocks from opening to the seed block.
    uint8 public immutable drawDelay;
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

    /// @dev Contribution units of a settled task (memory only): the contributors other than the root
    ///      prover (pool slots, in order of their first range), their units, and the root prover's units.
    struct Payout {
        uint256[] who;
        uint256[] units;
        uint256 count;
        uint256 rootUnits;
    }

    mapping(uint256 taskId => TreeWord) internal _tasks;
    /// @dev Range fields from TreeWordLib.INLINE_RANGES on, RANGES_PER_WORD per word.
    mapping(uint256 taskId => mapping(uint256 word => uint256)) internal _moreRanges;

    modifier onlyRegistry() {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        _;
    }

    /// @param registry_ The task registry.
    /// @param provers_ The prover registry.
    /// @param token_ The deployment's token.
    /// @param p Instance parameters (see ITreeAssignment.Params).
    constructor(ITaskRegistry registry_, IProverRegistry provers_, IERC20 token_, Params memory p)
        TreePool(provers_, token_, p.rangeBond, p.maxPoolSize, p.exitDelay)
    {
        if (
            address(registry_) == address(0) || address(provers_) == address(0) || address(token_) == address(0)
                || p.rangeBond == 0 || p.rangeWindowBps == 0 || p.rangeWindowBps > BPS || p.uncleBps > BPS
                || p.maxRanges == 0 || p.maxRanges >= TreeShape.NO_SIBLING || p.maxPoolSize == 0 || p.maxPoolSize > 256
                || p.drawDelay == 0 || uint256(p.baseWeight) + p.mergeWeight + p.rootWeight == 0
        ) revert InvalidParams();
        registry = registry_;
        rootCollateral = p.rootCollateral;
        rangeWindowBps = p.rangeWindowBps;
        uncleBps = p.uncleBps;
        maxRanges = p.maxRanges;
        drawDelay = p.drawDelay;
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
        emit PoolJoined(msg.sender, amount, _addBond(msg.sender, amount));
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ITreeAssignment
    function requestLeave(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        (uint256 free,) = _bondOf(msg.sender);
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
        (uint256 free,) = _bondOf(msg.sender);
        amount = e.amount < free ? e.amount : free;
        if (amount == 0) revert InsufficientFreeBond(msg.sender, e.amount, 0);
        _takeBond(msg.sender, amount);
        emit PoolLeft(msg.sender, amount, free - amount);
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
    function draw(uint256 taskId, bytes calldata header) external nonReentrant {
        TreeWord w = _tasks[taskId];
        if (w.status() != uint256(TreeStatus.AwaitingDraw)) revert WrongStatus(taskId, TreeStatus(w.status()));
        uint256 drawBlock = w.marker();
        if (block.number <= drawBlock) revert DrawTooEarly(taskId, drawBlock);
        uint256 deadline = w.deadline();
        if (block.timestamp >= deadline) revert TaskPastDeadline(taskId, deadline);
        if (!BlockHeaderRandomness.hashAvailable(drawBlock)) {
            uint256 next = block.number + drawDelay;
            _tasks[taskId] = w.withMarker(next);
            emit DrawReanchored(taskId, next);
            return;
        }
        bytes32 seed = keccak256(abi.encode(BlockHeaderRandomness.prevrandaoOf(drawBlock, header), taskId));

        uint256[] memory shape = TreeShape.packedSplit(w.txCount(), w.rangeSize(), w.rangeCount());
        (uint256[] memory picks, Candidate[] memory c) = _drawMembers(taskId, seed, shape.length, drawBlock);
        uint256 rangeDeadline = block.timestamp + ((deadline - block.timestamp) * rangeWindowBps) / BPS;
        w = _recordRanges(taskId, w, picks).withStatus(uint256(TreeStatus.Drawn)).withMarker(rangeDeadline);
        _tasks[taskId] = w;
        _lockPicks(picks);
        for (uint256 i; i < shape.length; ++i) {
            emit RangeDrawn(taskId, i, c[picks[i]].prover, TreeShape.start(shape[i]), TreeShape.count(shape[i]));
        }

        address root = c[picks[0]].prover;
        // Range 0 and the root assignment are one job, counted by the registry once assigned: it leaves this
        // member's held capacity before the registry's capacity check (which asks heldCapacityOf), and comes
        // back if the registry refuses the assignment.
        _addCounts(picks[0], 0, 1);
        bool assigned = _assignRoot(taskId, root);
        if (assigned) _tasks[taskId] = w.withRootAssigned(true);
        else _subCounts(picks[0], 0, 1);
        emit TreeDrawn(taskId, root, assigned, rangeDeadline);
    }

    /// @inheritdoc ITreeAssignment
    function attest(uint256 taskId, uint256 range, bytes32 topCommitment, bytes32 nodeId) external {
        TreeWord w = _drawnTask(taskId);
        uint256 f = range < w.rangeCount() ? _fieldOf(taskId, w, range) : 0;
        if (TreeWordLib.fieldState(f) != uint256(RangeState.Drawn)) {
            revert WrongRangeState(taskId, range, RangeState(TreeWordLib.fieldState(f)));
        }
        if (msg.sender != _proverAt(TreeWordLib.fieldOwner(f))) revert NotRangeOwner(taskId, range, msg.sender);
        uint256 rangeDeadline = w.marker();
        if (block.timestamp > rangeDeadline) revert RangeWindow(taskId, rangeDeadline);
        w = _setField(taskId, w, range, TreeWordLib.makeField(TreeWordLib.fieldOwner(f), uint256(RangeState.Attested)));
        if (range < TreeWordLib.INLINE_RANGES) _tasks[taskId] = w;
        emit RangeAttested(taskId, range, msg.sender, topCommitment, nodeId);
    }

    /// @inheritdoc ITreeAssignment
    function cover(uint256 taskId, uint256 range, bytes32 topCommitment, bytes32 nodeId) external nonReentrant {
        TreeWord w = _drawnTask(taskId);
        (uint256 failedSlot, uint256 uncleSlot) = _checkCover(taskId, w, range);

        // The failed owner's bond is slashed: part to the uncle, the rest compensates the requester.
        bool rootBacked = range == 0 && w.rootAssigned();
        _subCounts(failedSlot, 1, rootBacked ? 1 : 0);
        address failed = _slashBond(failedSlot);
        (uint256 toUncle, uint256 toRequester) = _creditCover(taskId);
        w = _setField(taskId, w, range, TreeWordLib.makeField(uncleSlot, uint256(RangeState.Covered)));
        if (range == 0) w = w.withRootAssigned(false);
        _tasks[taskId] = w;
        emit RangeCovered(taskId, range, failed, msg.sender, toUncle, toRequester);
        emit RangeAttested(taskId, range, msg.sender, topCommitment, nodeId);

        // Range 0 carries the root: its registry assignment moves to the uncle, the failed owner's
        // root collateral is slashed by the registry's rules. The uncle holds no lock on the covered
        // range, so its root assignment is counted by the registry alone.
        if (range == 0) {
            if (rootBacked) registry.slashAssignment(taskId, failed);
            bool assigned = _assignRoot(taskId, msg.sender);
            if (assigned) _tasks[taskId] = w.withRootAssigned(true);
            emit TreeDrawn(taskId, msg.sender, assigned, w.marker());
        }
    }

    // ------------------------------------------------------------------ registry hooks

    /// @inheritdoc IMechanism
    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external onlyRegistry {
        if (request.redundancy != 1) revert RedundancyNotOne(request.redundancy);
        if (request.mechanismData.length != 64) revert MalformedMechanismData(request.mechanismData.length);
        (uint32 txCount, uint32 rangeSize) = abi.decode(request.mechanismData, (uint32, uint32));
        uint256 k = TreeShape.checkedRangeCount(txCount, rangeSize, maxRanges);
        uint256 drawBlock = block.number + drawDelay;
        _tasks[taskId] = TreeWordLib.open(
            uint256(TreeStatus.AwaitingDraw), k, txCount, rangeSize, drawBlock, uint40(request.deadline)
        );
        emit TreeOpened(taskId, txCount, rangeSize, uint8(k), drawBlock);
    }

    /// @inheritdoc IMechanism
    /// @dev The accepted root proof ends the task (redundancy 1: the registry fulfils it right after this
    ///      hook), so the ranges are settled here in the same pass that sums the contributions; the
    ///      registry's onTaskClosed then finds nothing left.
    function onProofAccepted(uint256 taskId, address prover, uint96) external onlyRegistry returns (uint256) {
        TreeWord w = _drawnTask(taskId);
        uint256 rootSlot = TreeWordLib.fieldOwner(w.field(0));
        if (prover != _proverAt(rootSlot)) revert NotRootProver(taskId, prover);
        Payout memory p = _settle(taskId, w, rootSlot, true);
        return _pay(taskId, w, p, prover);
    }

    /// @inheritdoc IMechanism
    function onTaskClosed(uint256 taskId) external onlyRegistry {
        TreeWord w = _tasks[taskId];
        if (w.status() == uint256(TreeStatus.Drawn)) _settle(taskId, w, 0, false);
        else if (w.status() != uint256(TreeStatus.None)) _tasks[taskId] = TreeWord.wrap(0);
    }

    /// @inheritdoc IMechanism
    function profile() external view returns (Profile memory) {
        return Profile({kind: _kind, speed: _speed, cost: _cost, safety: _safety, censorshipResistance: _censorship});
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITreeAssignment
    function treeOf(uint256 taskId) external view returns (TreeTask memory t) {
        TreeWord w = _tasks[taskId];
        t.txCount = uint32(w.txCount());
        t.rangeSize = uint32(w.rangeSize());
        t.deadline = uint40(w.deadline());
        t.rangeCount = uint8(w.rangeCount());
        t.status = TreeStatus(w.status());
        t.rootAssigned = w.rootAssigned();
        if (t.status == TreeStatus.AwaitingDraw) t.drawBlock = uint40(w.marker());
        else if (t.status == TreeStatus.Drawn) t.rangeDeadline = uint40(w.marker());
    }

    /// @inheritdoc ITreeAssignment
    function rangeOf(uint256 taskId, uint256 range) external view returns (Range memory r) {
        TreeWord w = _tasks[taskId];
        if (w.status() != uint256(TreeStatus.Drawn) || range >= w.rangeCount()) return r;
        uint256 shape = TreeShape.packedSplit(w.txCount(), w.rangeSize(), w.rangeCount())[range];
        uint256 f = _fieldOf(taskId, w, range);
        r = Range({
            owner: _proverAt(TreeWordLib.fieldOwner(f)),
            count: TreeShape.count(shape),
            mergesLed: TreeShape.mergesLed(shape),
            sibling: TreeShape.sibling(shape),
            state: RangeState(TreeWordLib.fieldState(f))
        });
    }

    /// @inheritdoc ITreeAssignment
    function rootProverOf(uint256 taskId) external view returns (address) {
        TreeWord w = _tasks[taskId];
        if (w.status() != uint256(TreeStatus.Drawn)) return address(0);
        return _proverAt(TreeWordLib.fieldOwner(w.field(0)));
    }

    /// @inheritdoc ITreeAssignment
    function poolSize() external view returns (uint256) {
        return _poolInfo().members;
    }

    /// @inheritdoc ITreeAssignment
    function memberSlots() external view returns (uint256) {
        return _poolInfo().slots;
    }

    /// @inheritdoc ITreeAssignment
    function memberAt(uint256 index) external view returns (Member memory m) {
        return _memberAt(index);
    }

    /// @inheritdoc ITreeAssignment
    function bondOf(address prover) external view returns (uint256 freeBond, uint256 lockedRanges) {
        return _bondOf(prover);
    }

    /// @inheritdoc ITreeAssignment
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    // ------------------------------------------------------------------ internals

    /// @dev The pool is full (TreePool._newSlot).
    function _revertPoolFull() internal view override {
        revert PoolFull(maxPoolSize);
    }

    /// @dev No pool member can take a range (TreePool._pick).
    function _revertNoEligibleProvers(uint256 taskId) internal pure override {
        revert NoEligibleProvers(taskId);
    }

    function _drawnTask(uint256 taskId) internal view returns (TreeWord w) {
        w = _tasks[taskId];
        if (w.status() != uint256(TreeStatus.Drawn)) revert WrongStatus(taskId, TreeStatus(w.status()));
    }

    /// @dev Writes the drawn owners into the range fields (Drawn); returns the task word.
    function _recordRanges(uint256 taskId, TreeWord w, uint256[] memory picks) internal returns (TreeWord) {
        uint256 k = picks.length;
        uint256 inlined = k < TreeWordLib.INLINE_RANGES ? k : TreeWordLib.INLINE_RANGES;
        for (uint256 i; i < inlined; ++i) {
            w = w.withField(i, TreeWordLib.makeField(picks[i], uint256(RangeState.Drawn)));
        }
        uint256 extra;
        for (uint256 i = inlined; i < k; ++i) {
            uint256 j = i - TreeWordLib.INLINE_RANGES;
            uint256 at = j % TreeWordLib.RANGES_PER_WORD;
            extra |= TreeWordLib.makeField(picks[i], uint256(RangeState.Drawn)) << (TreeWordLib.FIELD_BITS * at);
            if (at == TreeWordLib.RANGES_PER_WORD - 1 || i == k - 1) {
                _moreRanges[taskId][j / TreeWordLib.RANGES_PER_WORD] = extra;
                extra = 0;
            }
        }
        return w;
    }

    /// @dev Range field `i` of a task.
    function _fieldOf(uint256 taskId, TreeWord w, uint256 i) internal view returns (uint256) {
        if (i < TreeWordLib.INLINE_RANGES) return w.field(i);
        uint256 j = i - TreeWordLib.INLINE_RANGES;
        return (_moreRanges[taskId][j / TreeWordLib.RANGES_PER_WORD]
                >> (TreeWordLib.FIELD_BITS * (j % TreeWordLib.RANGES_PER_WORD))) & TreeWordLib.FIELD_MASK;
    }

    /// @dev Sets range field `i`: in the returned task word (which the caller stores) for the inline
    ///      ranges, in its extra word otherwise.
    function _setField(uint256 taskId, TreeWord w, uint256 i, uint256 f) internal returns (TreeWord) {
        if (i < TreeWordLib.INLINE_RANGES) return w.withField(i, f);
        uint256 j = i - TreeWordLib.INLINE_RANGES;
        uint256 shift = TreeWordLib.FIELD_BITS * (j % TreeWordLib.RANGES_PER_WORD);
        uint256 word = j / TreeWordLib.RANGES_PER_WORD;
        _moreRanges[taskId][word] = (_moreRanges[taskId][word] & ~(TreeWordLib.FIELD_MASK << shift)) | (f << shift);
        return w;
    }

    /// @dev The checks of `cover`: the range is drawn and unattested, its window has passed, the task's
    ///      deadline has not, and msg.sender owns its sibling subtree and has attested (or covered) it.
    function _checkCover(uint256 taskId, TreeWord w, uint256 range)
        internal
        view
        returns (uint256 failedSlot, uint256 uncleSlot)
    {
        uint256 f = range < w.rangeCount() ? _fieldOf(taskId, w, range) : 0;
        if (TreeWordLib.fieldState(f) != uint256(RangeState.Drawn)) {
            revert WrongRangeState(taskId, range, RangeState(TreeWordLib.fieldState(f)));
        }
        if (block.timestamp <= w.marker()) revert RangeWindow(taskId, w.marker());
        if (block.timestamp > w.deadline()) revert TaskPastDeadline(taskId, w.deadline());
        uint256 sibling = TreeShape.sibling(TreeShape.packedSplit(w.txCount(), w.rangeSize(), w.rangeCount())[range]);
        if (sibling == TreeShape.NO_SIBLING) revert NoSibling(taskId, range);
        uint256 uncleField = _fieldOf(taskId, w, sibling);
        uncleSlot = TreeWordLib.fieldOwner(uncleField);
        failedSlot = TreeWordLib.fieldOwner(f);
        uint256 uncleState = TreeWordLib.fieldState(uncleField);
        if (
            msg.sender != _proverAt(uncleSlot) || uncleSlot == failedSlot
                || (uncleState != uint256(RangeState.Attested) && uncleState != uint256(RangeState.Covered))
        ) revert NotUncle(taskId, range, msg.sender);
    }

    /// @dev Credits a covered range's slashed bond: `uncleBps` to the uncle (msg.sender), the rest to the
    ///      task's requester.
    function _creditCover(uint256 taskId) internal returns (uint256 toUncle, uint256 toRequester) {
        toUncle = (uint256(rangeBond) * uncleBps) / BPS;
        toRequester = rangeBond - toUncle;
        if (toUncle != 0) _claimable[msg.sender] += toUncle;
        if (toRequester != 0) _claimable[registry.taskOf(taskId).requester] += toRequester;
    }

    /// @dev Assigns the root task to `prover` in the registry (price 0: the payout is split at acceptance);
    ///      false when the registry refuses (free stake below rootCollateral), in which case the prover
    ///      still owns the root here and only its range bond binds it. An assignment that ran out of gas
    ///      reverts the call instead, so that a caller cannot leave the root unbacked by sending too little.
    function _assignRoot(uint256 taskId, address prover) internal returns (bool) {
        try registry.assign(taskId, prover, 0, rootCollateral) {
            return true;
        } catch (bytes memory reason) {
            if (reason.length == 0) revert AssignmentOutOfGas(taskId, prover);
            return false;
        }
    }

    /// @dev Ends every range of a drawn task and deletes its state: an attested range, or one whose owner
    ///      still had time (the task closed before the range deadline), returns its bond; a range whose
    ///      window passed with it neither attested nor covered has its bond slashed to the requester; a
    ///      covered range holds no lock (its failed owner was slashed at the cover). With `pay`, also sums
    ///      the contribution units: each range's units go to its current owner when it was attested or
    ///      covered, else to the root prover in `rootSlot` (who then proved it itself); merges follow their
    ///      leftmost range.
    function _settle(uint256 taskId, TreeWord w, uint256 rootSlot, bool pay) internal returns (Payout memory p) {
        uint256 k = w.rangeCount();
        uint256[] memory shape;
        if (pay) {
            shape = TreeShape.packedSplit(w.txCount(), w.rangeSize(), k);
            p.who = new uint256[](k);
            p.units = new uint256[](k);
            p.rootUnits = rootWeight;
        }
        bool late = block.timestamp > w.marker();
        // Lock releases are summed per counters word and written once per word.
        uint256 group = type(uint256).max;
        uint256 release;
        address requester; // looked up on the first slash only
        for (uint256 i; i < k; ++i) {
            uint256 f = i < TreeWordLib.INLINE_RANGES ? w.field(i) : _fieldOf(taskId, w, i);
            uint256 slot = TreeWordLib.fieldOwner(f);
            f = TreeWordLib.fieldState(f);
            if (pay) _count(p, shape[i], slot, rootSlot, f >= uint256(RangeState.Attested));
            if (f == uint256(RangeState.Covered)) continue;
            if (slot / GROUP != group) {
                if (release != 0) _counters[group] -= release;
                release = 0;
                group = slot / GROUP;
            }
            // Each counter released holds at least the lock released: no borrow between counters. Range 0
            // of a root assigned in the registry also leaves the member's root count.
            unchecked {
                release += uint256(i == 0 && w.rootAssigned() ? 0x101 : 1) << ((slot % GROUP) << 4);
            }
            if (late && f == uint256(RangeState.Drawn)) requester = _slashLate(taskId, i, slot, requester);
        }
        if (release != 0) _counters[group] -= release;
        if (k > TreeWordLib.INLINE_RANGES) {
            uint256 words =
                (k - TreeWordLib.INLINE_RANGES + TreeWordLib.RANGES_PER_WORD - 1) / TreeWordLib.RANGES_PER_WORD;
            for (uint256 j; j < words; ++j) {
                delete _moreRanges[taskId][j];
            }
        }
        _tasks[taskId] = TreeWord.wrap(0);
    }

    /// @dev Range `i`'s window passed with it neither attested nor covered: its owner's bond compensates the
    ///      requester (looked up once per settle, passed back in `requester`).
    function _slashLate(uint256 taskId, uint256 i, uint256 slot, address requester) internal returns (address) {
        address owner = _slashBond(slot);
        if (requester == address(0)) requester = registry.taskOf(taskId).requester;
        _claimable[requester] += rangeBond;
        emit RangeBondSlashed(taskId, i, owner, rangeBond);
        return requester;
    }

    /// @dev Adds one range's units to its contributor (see _settle).
    function _count(Payout memory p, uint256 shape, uint256 slot, uint256 rootSlot, bool delivered) internal view {
        // Units are at most (base + merge) × 2^33 per range, and there are fewer than 255 ranges.
        unchecked {
            uint256 u = TreeShape.units(shape, baseWeight, mergeWeight);
            if (!delivered || slot == rootSlot) {
                p.rootUnits += u;
                return;
            }
            uint256 m = p.count;
            uint256 j;
            while (j < m && p.who[j] != slot) ++j;
            if (j == m) {
                p.who[m] = slot;
                p.count = m + 1;
            }
            p.units[j] += u;
        }
    }

    /// @dev Splits the budget by the units `_settle` summed: others are paid through the registry; the root
    ///      prover's share (its units and the rounding remainder) is returned.
    function _pay(uint256 taskId, TreeWord w, Payout memory p, address rootProver)
        internal
        returns (uint256 rootShare)
    {
        uint256 totalUnits = TreeShape.totalUnits(w.txCount(), baseWeight, mergeWeight, rootWeight);
        uint256 budget = _maxPayment(taskId);
        uint256 paidOthers;
        for (uint256 j; j < p.count; ++j) {
            uint256 units = p.units[j];
            // budget < 2^96 and units < 2^48; the others' units sum to less than totalUnits, so their
            // amounts sum to at most the budget.
            uint256 amount;
            unchecked {
                amount = (budget * units) / totalUnits;
                paidOthers += amount;
            }
            address contributor = _proverAt(p.who[j]);
            emit ContributionPaid(taskId, contributor, units, amount);
            // forge-lint: disable-next-line(unsafe-typecast) amount ≤ budget, a uint96
            if (amount != 0) registry.payContributor(taskId, contributor, uint96(amount));
        }
        rootShare = budget - paidOthers;
        emit ContributionPaid(taskId, rootProver, p.rootUnits, rootShare);
    }

    /// @dev The task's budget: `registry.budgetOf(taskId).maxPayment`, reading only the first word of the
    ///      returned struct (decoding all seven fields into memory cost ≈ 1k more).
    function _maxPayment(uint256 taskId) internal view returns (uint256 maxPayment) {
        address target = address(registry);
        bytes4 selector = ITaskRegistry.budgetOf.selector;
        assembly ("memory-safe") {
            // Call data and return data in the memory past the free pointer (not kept).
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 4), taskId)
            let ok := staticcall(gas(), target, ptr, 36, ptr, 0xe0)
            // Budget is seven static words.
            if iszero(and(ok, eq(returndatasize(), 0xe0))) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            maxPayment := and(mload(ptr), 0xffffffffffffffffffffffff)
        }
    }
}
