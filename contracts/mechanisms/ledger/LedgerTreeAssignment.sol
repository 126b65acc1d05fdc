// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../interfaces/ILedgerMechanism.sol";
import {ILedgerTreeAssignment} from "../../interfaces/ILedgerTreeAssignment.sol";
import {IMechanism} from "../../interfaces/IMechanism.sol";
import {IProverRegistry} from "../../interfaces/IProverRegistry.sol";
import {ITaskLedger} from "../../interfaces/ITaskLedger.sol";
import {ITreeAssignment} from "../../interfaces/ITreeAssignment.sol";
import {BlockHeaderRandomness} from "../../libraries/BlockHeaderRandomness.sol";
import {LedgerTreeWord, LedgerTreeWordLib} from "../../libraries/LedgerTreeWord.sol";
import {SlashSplit} from "../../libraries/SlashSplit.sol";
import {TreeShape} from "../../libraries/TreeShape.sol";
import {TreeWordLib} from "../../libraries/TreeWord.sol";
import {LedgerTask, LedgerTaskLib} from "../../types/LedgerTask.sol";
import {TreePool} from "../TreePool.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title LedgerTreeAssignment
/// @notice Tree assignment (kind 6) over the one-word TaskLedger: the stored TreeAssignment's rules (bonded pool,
///         draw from a checked block header's prevrandao by an exponential race, declared capacity through the
///         ProverRegistry, the root assigned with collateral, attest per range, uncle cover with the failed owner
///         slashed, payout by contribution on the root proof), with the task's state in the ledger's word and
///         one packed word per drawn tree here; the bonded pool (its storage, bookkeeping and the draw) is TreePool's,
///         shared with TreeAssignment. See ILedgerTreeAssignment and docs/mechanisms.md ("Tree assignment on the
///         ledger").
/// @dev Randomness and its bias bound are the stored tree's (TreeAssignment, docs/mechanisms.md): the seed is the
///      prevrandao of the block `drawDelay` blocks after the task's creation (fixed in the task's mechanismState
///      by onTaskOpened, so neither the requester nor the drawer can pick it), read from its RLP header checked
///      against `blockhash`, mixed with the task id and opening time. A party proposing c of the slots that
///      produce the blocks from the opening to the seed block chooses among at most 2^c seeds (each at the cost
///      of a withheld block), so an event of probability p under one seed is forced with probability at most
///      1 − (1 − p)^(2^c); a member can only pass its own turn (a bond change after the seed is public excludes
///      it), and each transaction whose order flips a member's eligibility is one more bit of choice.
///      What moved, and why (the stored tree is the spec otherwise):
///      * Before the draw nothing is stored here: the seed block and the shape ride in the task's mechanismState
///        (bits 0-31 seed block, 32-47 txCount, 48-63 rangeSize), set at creation (HOOK_OPEN) and re-anchored
///        through `setMechanismState`. So a tree is at most 65 535 leaves (TooManyTransactions).
///      * From the draw to the close, one `LedgerTreeWord` (the stored TreeWord narrowed to 16-bit shapes, with the
///        task's nonce), keyed by the requester and the nonce mod 256 and never deleted (closing keeps its USED
///        bit), so a requester's trees rewrite 256 words instead of filling a fresh one each (−17k per draw). A
///        draw whose slot still holds a live tree of the same requester 256·j tasks earlier is refused
///        (TreeSlotBusy) until that task ends.
///      * The requester credited by a slashed bond is the task id's high 160 bits (ids are requester << 96 |
///        nonce), so `attest` and `cover` of ranges other than 0 need no copy of the task.
///      * The root prover's collateral is max(rootCollateral, task.minCollateral) (the ledger carries the
///        requester's floor for the mechanisms to enforce).
///      * The root assignment is the ledger's `assign`; a refusal by the ProverRegistry (free stake or capacity)
///        leaves the root unbacked as in the stored tree, every other revert (a stale copy, a passed deadline)
///        reverts the draw. Covering range 0 slashes it with the ledger's `slashAssignment` and assigns the uncle
///        in the same call, on the task version the slash produced (rebuilt here: SlashSplit with the ledger's
///        split).
///      * Payouts to owners other than the root prover go through the ledger's `payContributor` from inside the
///        payment hook (HOOK_CONTRIBUTORS); the budget is the task's maxPayment (redundancy 1).
///      * The accepted root proof delivers range 0: its owner (the root prover) is not slashed for not having
///        attested it (the stored tree slashed a late unattested range 0 even on the root proof). Range 0's attest
///        still keeps the uncle from covering it after the range deadline, and makes its owner an uncle; a
///        single-range tree, which has no uncle, needs no attest.
contract LedgerTreeAssignment is ILedgerTreeAssignment, TreePool {
    using SafeERC20 for IERC20;

    /// @dev Layout of an undrawn task's mechanismState.
    uint256 internal constant TX_SHIFT = 32;
    uint256 internal constant SIZE_SHIFT = 48;
    uint256 internal constant U16 = 0xffff;

    /// @inheritdoc ILedgerTreeAssignment
    ITaskLedger public immutable ledger;

    /// @notice Registry stake locked by the root assignment (raised to a task's minCollateral).
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

    /// @dev Tree words by `_slotOf(taskId)` (the requester and the id's nonce mod 256): a tree's word from its draw
    ///      to its close (status Drawn, its nonce), then USED only, rewritten by the requester's next tree in the slot.
    mapping(uint256 slot => LedgerTreeWord) internal _trees;
    /// @dev Range fields from TreeWordLib.INLINE_RANGES on, RANGES_PER_WORD per word.
    mapping(uint256 taskId => mapping(uint256 word => uint256)) internal _moreRanges;

    modifier onlyLedger() {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        _;
    }

    /// @param ledger_ The task ledger (its `provers()` is the pool's registry).
    /// @param token_ The deployment's token.
    /// @param p Instance parameters (the stored tree's, ITreeAssignment.Params).
    constructor(ITaskLedger ledger_, IERC20 token_, ITreeAssignment.Params memory p)
        TreePool(_checkedProvers(ledger_, token_, p), token_, p.rangeBond, p.maxPoolSize, p.exitDelay)
    {
        ledger = ledger_;
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

    /// @dev The constructor's checks (InvalidParams), made before the ledger is asked for its prover registry.
    function _checkedProvers(ITaskLedger ledger_, IERC20 token_, ITreeAssignment.Params memory p)
        private
        view
        returns (IProverRegistry)
    {
        if (
            address(ledger_) == address(0) || address(token_) == address(0) || p.rangeBond == 0 || p.rangeWindowBps == 0
                || p.rangeWindowBps > BPS || p.uncleBps > BPS || p.maxRanges == 0 || p.maxRanges >= TreeShape.NO_SIBLING
                || p.maxPoolSize == 0 || p.maxPoolSize > 256 || p.drawDelay == 0
                || uint256(p.baseWeight) + p.mergeWeight + p.rootWeight == 0
        ) revert InvalidParams();
        return ledger_.provers();
    }

    // ------------------------------------------------------------------ pool

    /// @inheritdoc ILedgerTreeAssignment
    function joinPool(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (!provers.isRegistered(msg.sender)) revert ProverNotRegistered(msg.sender);
        emit PoolJoined(msg.sender, amount, _addBond(msg.sender, amount));
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ILedgerTreeAssignment
    function requestLeave(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        (uint256 free,) = _bondOf(msg.sender);
        if (amount > free) revert InsufficientFreeBond(msg.sender, amount, free);
        uint256 availableAt = block.timestamp + exitDelay;
        _exits[msg.sender] = Exit({amount: uint96(amount), availableAt: uint64(availableAt)});
        emit LeaveRequested(msg.sender, amount, availableAt);
    }

    /// @inheritdoc ILedgerTreeAssignment
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

    // ------------------------------------------------------------------ tree lifecycle

    /// @inheritdoc ILedgerTreeAssignment
    function draw(uint256 taskId, LedgerTask calldata task, bytes calldata header) external nonReentrant {
        // The copy is checked by the ledger's assign (or setMechanismState) below, in this same call; a registry
        // refusal of the assignment comes after the ledger's check.
        if (task.mechanism != address(this)) revert NotThisMechanism(taskId, task.mechanism);
        _checkSlotFree(taskId);
        (uint256 drawBlock, uint256 txCount, uint256 rangeSize) = _shapeOf(task.mechanismState);
        if (block.number <= drawBlock) revert DrawTooEarly(taskId, drawBlock);
        if (block.timestamp >= task.deadline) revert TaskPastDeadline(taskId, task.deadline);
        if (!BlockHeaderRandomness.hashAvailable(drawBlock)) {
            uint256 next = block.number + drawDelay;
            emit DrawReanchored(taskId, next);
            ledger.setMechanismState(taskId, task, _state(next, txCount, rangeSize));
            return;
        }
        bytes32 seed =
            keccak256(abi.encode(BlockHeaderRandomness.prevrandaoOf(drawBlock, header), taskId, task.openedAt));

        (LedgerTreeWord w, uint256 rootSlot, address root) =
            _drawRanges(taskId, seed, drawBlock, txCount, rangeSize, task.deadline);
        // Range 0 and the root assignment are one job, counted by the registry once assigned: it leaves this
        // member's held capacity before the registry's capacity check (which asks heldCapacityOf), and comes
        // back if the registry refuses the assignment.
        _addCounts(rootSlot, 0, 1);
        bool assigned = _assignRoot(taskId, task, root);
        if (assigned) w = w.withRootAssigned(true);
        else _subCounts(rootSlot, 0, 1);
        _trees[_slotOf(taskId)] = w;
        emit TreeDrawn(taskId, root, assigned, w.marker());
    }

    /// @dev The draw proper: the owners (`_drawMembers`), their locks, the tree word (not stored yet) with the
    ///      range deadline `rangeWindowBps` of the way from now to the task's deadline, and the RangeDrawn logs.
    ///      Returns the word, range 0's pool slot and its prover.
    function _drawRanges(
        uint256 taskId,
        bytes32 seed,
        uint256 drawBlock,
        uint256 txCount,
        uint256 rangeSize,
        uint256 deadline
    ) internal returns (LedgerTreeWord w, uint256 rootSlot, address root) {
        uint256 k = TreeShape.rangeCount(txCount, rangeSize);
        (uint256[] memory picks, Candidate[] memory c) = _drawMembers(taskId, seed, k, drawBlock);
        w = _openWord(taskId, k, txCount, rangeSize, deadline);
        w = _recordRanges(taskId, w, picks);
        _lockPicks(picks);
        _logRanges(taskId, TreeShape.packedSplit(txCount, rangeSize, k), picks, c);
        rootSlot = picks[0];
        root = c[rootSlot].prover;
    }

    /// @dev A drawn tree's word, its range deadline `rangeWindowBps` of the way from now to the task's deadline.
    function _openWord(uint256 taskId, uint256 k, uint256 txCount, uint256 rangeSize, uint256 deadline)
        internal
        view
        returns (LedgerTreeWord)
    {
        uint256 rangeDeadline = block.timestamp + ((deadline - block.timestamp) * rangeWindowBps) / BPS;
        return LedgerTreeWordLib.open(k, txCount, rangeSize, rangeDeadline, deadline, taskId);
    }

    function _logRanges(uint256 taskId, uint256[] memory shape, uint256[] memory picks, Candidate[] memory c) internal {
        for (uint256 i; i < shape.length; ++i) {
            emit RangeDrawn(taskId, i, c[picks[i]].prover, TreeShape.start(shape[i]), TreeShape.count(shape[i]));
        }
    }

    /// @inheritdoc ILedgerTreeAssignment
    function attest(uint256 taskId, uint256 range, bytes32 topCommitment, bytes32 nodeId) external {
        LedgerTreeWord w = _drawnTask(taskId);
        uint256 f = range < w.rangeCount() ? _fieldOf(taskId, w, range) : 0;
        if (TreeWordLib.fieldState(f) != uint256(ITreeAssignment.RangeState.Drawn)) {
            revert WrongRangeState(taskId, range, ITreeAssignment.RangeState(TreeWordLib.fieldState(f)));
        }
        if (msg.sender != _proverAt(TreeWordLib.fieldOwner(f))) revert NotRangeOwner(taskId, range, msg.sender);
        uint256 rangeDeadline = w.marker();
        if (block.timestamp > rangeDeadline) revert RangeWindow(taskId, rangeDeadline);
        w = _setField(
            taskId,
            w,
            range,
            TreeWordLib.makeField(TreeWordLib.fieldOwner(f), uint256(ITreeAssignment.RangeState.Attested))
        );
        if (range < TreeWordLib.INLINE_RANGES) _trees[_slotOf(taskId)] = w;
        emit RangeAttested(taskId, range, msg.sender, topCommitment, nodeId);
    }

    /// @inheritdoc ILedgerTreeAssignment
    function cover(uint256 taskId, LedgerTask calldata task, uint256 range, bytes32 topCommitment, bytes32 nodeId)
        external
        nonReentrant
    {
        LedgerTreeWord w = _drawnTask(taskId);
        (uint256 failedSlot, uint256 uncleSlot) = _checkCover(taskId, w, range);

        // The failed owner's bond is slashed: part to the uncle, the rest compensates the requester.
        bool rootBacked = range == 0 && w.rootAssigned();
        _subCounts(failedSlot, 1, rootBacked ? 1 : 0);
        address failed = _slashBond(failedSlot);
        (uint256 toUncle, uint256 toRequester) = _creditCover(taskId);
        w = _setField(taskId, w, range, TreeWordLib.makeField(uncleSlot, uint256(ITreeAssignment.RangeState.Covered)));
        if (range == 0) w = w.withRootAssigned(false);
        _trees[_slotOf(taskId)] = w;
        emit RangeCovered(taskId, range, failed, msg.sender, toUncle, toRequester);
        emit RangeAttested(taskId, range, msg.sender, topCommitment, nodeId);

        // Range 0 carries the root: the ledger slashes the failed owner's root assignment (treasury / cover bounty
        // / requester) and assigns the uncle on the task version that slash leaves. The uncle holds no lock on the
        // covered range, so its root assignment is counted by the registry alone.
        if (range == 0) _moveRoot(taskId, task, w, rootBacked, failed);
    }

    /// @inheritdoc ILedgerTreeAssignment
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _claimable[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _claimable[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ ledger hooks

    /// @inheritdoc ILedgerMechanism
    /// @dev HOOK_OPEN (fix the seed block and the shape at creation), HOOK_CLOSE (release or slash the range bonds
    ///      of a tree that did not end in its root proof), HOOK_ASSIGNED_PROOF (the root prover is an assignee and
    ///      is paid by contribution, not a price) and HOOK_CONTRIBUTORS (the other owners are paid from the
    ///      proof's slot); redundancy cap 1 (one root proof, one assignee).
    function hooks() external pure returns (uint8 hookFlags, uint8 redundancyCap) {
        return (
            LedgerTaskLib.HOOK_OPEN | LedgerTaskLib.HOOK_CLOSE | LedgerTaskLib.HOOK_ASSIGNED_PROOF
                | LedgerTaskLib.HOOK_CONTRIBUTORS,
            1
        );
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Stores nothing: the seed block and the shape become the task's mechanismState, which TaskCreated logs.
    ///      A fallback reopen carries no mechanism data, so the tree cannot be a fallback (the ledger then expires
    ///      the task for good).
    function onTaskOpened(uint256, LedgerTask calldata, bytes calldata mechanismData)
        external
        view
        onlyLedger
        returns (uint64)
    {
        if (mechanismData.length != 64) revert MalformedMechanismData(mechanismData.length);
        (uint32 txCount, uint32 rangeSize) = abi.decode(mechanismData, (uint32, uint32));
        if (txCount > U16) revert TooManyTransactions(txCount);
        // A range larger than the tree is the whole tree.
        if (rangeSize > txCount) rangeSize = txCount;
        TreeShape.checkedRangeCount(txCount, rangeSize, maxRanges);
        return _state(block.number + drawDelay, txCount, rangeSize);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Only the root prover (range 0's current owner) may prove, assigned or not (an unbacked root leaves the
    ///      task unassigned in the ledger). The proof ends the task (redundancy 1), so the ranges are settled here,
    ///      in the pass that sums the contributions; onTaskClosed then finds nothing left.
    function onProofAccepted(uint256 taskId, LedgerTask calldata task, address prover, uint256)
        external
        onlyLedger
        returns (uint256)
    {
        LedgerTreeWord w = _drawnTask(taskId);
        uint256 rootSlot = TreeWordLib.fieldOwner(w.field(0));
        if (prover != _proverAt(rootSlot)) revert NotRootProver(taskId, prover);
        Payout memory p = _settle(taskId, w, rootSlot, true);
        return _pay(taskId, task.maxPayment, w, p, prover);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Expired (the ledger slashed a live root assignment itself), cancelled (only possible with an unbacked
    ///      root) or left for a fallback: every range is settled without pay.
    function onTaskClosed(uint256 taskId, LedgerTask calldata) external onlyLedger {
        LedgerTreeWord w = _trees[_slotOf(taskId)];
        if (w.isTreeOf(taskId)) _settle(taskId, w, 0, false);
    }

    /// @inheritdoc ILedgerMechanism
    function profile() external view returns (IMechanism.Profile memory) {
        return IMechanism.Profile({
            kind: _kind, speed: _speed, cost: _cost, safety: _safety, censorshipResistance: _censorship
        });
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILedgerTreeAssignment
    function treeOf(uint256 taskId) external view returns (ITreeAssignment.TreeTask memory t) {
        LedgerTreeWord w = _trees[_slotOf(taskId)];
        if (!w.isTreeOf(taskId)) return t;
        t.txCount = uint32(w.txCount());
        t.rangeSize = uint32(w.rangeSize());
        t.deadline = uint40(w.deadline());
        t.rangeCount = uint8(w.rangeCount());
        t.status = ITreeAssignment.TreeStatus.Drawn;
        t.rootAssigned = w.rootAssigned();
        t.rangeDeadline = uint40(w.marker());
    }

    /// @inheritdoc ILedgerTreeAssignment
    function rangeOf(uint256 taskId, uint256 range) external view returns (ITreeAssignment.Range memory r) {
        LedgerTreeWord w = _trees[_slotOf(taskId)];
        if (!w.isTreeOf(taskId) || range >= w.rangeCount()) return r;
        uint256 shape = TreeShape.packedSplit(w.txCount(), w.rangeSize(), w.rangeCount())[range];
        uint256 f = _fieldOf(taskId, w, range);
        r = ITreeAssignment.Range({
            owner: _proverAt(TreeWordLib.fieldOwner(f)),
            count: TreeShape.count(shape),
            mergesLed: TreeShape.mergesLed(shape),
            sibling: TreeShape.sibling(shape),
            state: ITreeAssignment.RangeState(TreeWordLib.fieldState(f))
        });
    }

    /// @inheritdoc ILedgerTreeAssignment
    function rootProverOf(uint256 taskId) external view returns (address) {
        LedgerTreeWord w = _trees[_slotOf(taskId)];
        if (!w.isTreeOf(taskId)) return address(0);
        return _proverAt(TreeWordLib.fieldOwner(w.field(0)));
    }

    /// @inheritdoc ILedgerTreeAssignment
    function shapeOf(uint64 mechanismState)
        external
        pure
        returns (uint256 drawBlock, uint256 txCount, uint256 rangeSize)
    {
        return _shapeOf(mechanismState);
    }

    /// @inheritdoc ILedgerTreeAssignment
    function poolSize() external view returns (uint256) {
        return _poolInfo().members;
    }

    /// @inheritdoc ILedgerTreeAssignment
    function memberSlots() external view returns (uint256) {
        return _poolInfo().slots;
    }

    /// @inheritdoc ILedgerTreeAssignment
    function memberAt(uint256 index) external view returns (ITreeAssignment.Member memory m) {
        return _memberAt(index);
    }

    /// @inheritdoc ILedgerTreeAssignment
    function bondOf(address prover) external view returns (uint256 freeBond, uint256 lockedRanges) {
        return _bondOf(prover);
    }

    /// @inheritdoc ILedgerTreeAssignment
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

    function _drawnTask(uint256 taskId) internal view returns (LedgerTreeWord w) {
        w = _trees[_slotOf(taskId)];
        if (!w.isTreeOf(taskId)) revert WrongStatus(taskId, ITreeAssignment.TreeStatus.None);
    }

    /// @dev The task has no tree yet (WrongStatus) and its slot holds no other live tree (TreeSlotBusy: the live
    ///      tree's task id is this one's with the held nonce).
    function _checkSlotFree(uint256 taskId) internal view {
        LedgerTreeWord held = _trees[_slotOf(taskId)];
        if (held.isTreeOf(taskId)) revert WrongStatus(taskId, ITreeAssignment.TreeStatus.Drawn);
        if (held.status() != 0) revert TreeSlotBusy(taskId, taskId & ~uint256(0xffffffff) | held.nonce());
    }

    /// @dev The tree word's slot of a task: its requester (id bits 96-255) and its nonce mod 256, so a requester's
    ///      trees reuse 256 words.
    function _slotOf(uint256 taskId) internal pure returns (uint256) {
        return (taskId >> 96) << 8 | (taskId & 0xff);
    }

    function _state(uint256 drawBlock, uint256 txCount, uint256 rangeSize) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) block numbers < 2^32; txCount, rangeSize < 2^16 (checked)
        return uint64(uint32(drawBlock) | txCount << TX_SHIFT | rangeSize << SIZE_SHIFT);
    }

    function _shapeOf(uint64 state) internal pure returns (uint256 drawBlock, uint256 txCount, uint256 rangeSize) {
        return (uint32(state), (state >> TX_SHIFT) & U16, (state >> SIZE_SHIFT) & U16);
    }

    /// @dev Writes the drawn owners into the range fields (Drawn); returns the task word.
    function _recordRanges(uint256 taskId, LedgerTreeWord w, uint256[] memory picks) internal returns (LedgerTreeWord) {
        uint256 k = picks.length;
        uint256 inlined = k < TreeWordLib.INLINE_RANGES ? k : TreeWordLib.INLINE_RANGES;
        for (uint256 i; i < inlined; ++i) {
            w = w.withField(i, TreeWordLib.makeField(picks[i], uint256(ITreeAssignment.RangeState.Drawn)));
        }
        uint256 extra;
        for (uint256 i = inlined; i < k; ++i) {
            uint256 j = i - TreeWordLib.INLINE_RANGES;
            uint256 at = j % TreeWordLib.RANGES_PER_WORD;
            extra |= TreeWordLib.makeField(picks[i], uint256(ITreeAssignment.RangeState.Drawn))
            << (TreeWordLib.FIELD_BITS * at);
            if (at == TreeWordLib.RANGES_PER_WORD - 1 || i == k - 1) {
                _moreRanges[taskId][j / TreeWordLib.RANGES_PER_WORD] = extra;
                extra = 0;
            }
        }
        return w;
    }

    /// @dev Range field `i` of a task.
    function _fieldOf(uint256 taskId, LedgerTreeWord w, uint256 i) internal view returns (uint256) {
        if (i < TreeWordLib.INLINE_RANGES) return w.field(i);
        uint256 j = i - TreeWordLib.INLINE_RANGES;
        return (_moreRanges[taskId][j / TreeWordLib.RANGES_PER_WORD]
                >> (TreeWordLib.FIELD_BITS * (j % TreeWordLib.RANGES_PER_WORD))) & TreeWordLib.FIELD_MASK;
    }

    /// @dev Sets range field `i`: in the returned task word (which the caller stores) for the inline
    ///      ranges, in its extra word otherwise.
    function _setField(uint256 taskId, LedgerTreeWord w, uint256 i, uint256 f) internal returns (LedgerTreeWord) {
        if (i < TreeWordLib.INLINE_RANGES) return w.withField(i, f);
        uint256 j = i - TreeWordLib.INLINE_RANGES;
        uint256 shift = TreeWordLib.FIELD_BITS * (j % TreeWordLib.RANGES_PER_WORD);
        uint256 word = j / TreeWordLib.RANGES_PER_WORD;
        _moreRanges[taskId][word] = (_moreRanges[taskId][word] & ~(TreeWordLib.FIELD_MASK << shift)) | (f << shift);
        return w;
    }

    /// @dev The checks of `cover`: the range is drawn and unattested, its window has passed, the task's
    ///      deadline has not, and msg.sender owns its sibling subtree and has attested (or covered) it.
    function _checkCover(uint256 taskId, LedgerTreeWord w, uint256 range)
        internal
        view
        returns (uint256 failedSlot, uint256 uncleSlot)
    {
        uint256 f = range < w.rangeCount() ? _fieldOf(taskId, w, range) : 0;
        if (TreeWordLib.fieldState(f) != uint256(ITreeAssignment.RangeState.Drawn)) {
            revert WrongRangeState(taskId, range, ITreeAssignment.RangeState(TreeWordLib.fieldState(f)));
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
                || (uncleState != uint256(ITreeAssignment.RangeState.Attested)
                    && uncleState != uint256(ITreeAssignment.RangeState.Covered))
        ) revert NotUncle(taskId, range, msg.sender);
    }

    /// @dev Ends every range of a drawn task and marks its word closed: an attested range, or one whose owner
    ///      still had time (the task closed before the range deadline), returns its bond, and so does range 0 when
    ///      the root proof settles (`pay`: its owner proved the root); a range whose
    ///      window passed with it neither attested nor covered has its bond slashed to the requester; a
    ///      covered range holds no lock (its failed owner was slashed at the cover). With `pay`, also sums
    ///      the contribution units: each range's units go to its current owner when it was attested or
    ///      covered, else to the root prover in `rootSlot` (who then proved it itself); merges follow their
    ///      leftmost range.
    function _settle(uint256 taskId, LedgerTreeWord w, uint256 rootSlot, bool pay) internal returns (Payout memory p) {
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
            if (pay) _count(p, shape[i], slot, rootSlot, f >= uint256(ITreeAssignment.RangeState.Attested));
            if (f == uint256(ITreeAssignment.RangeState.Covered)) continue;
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
            // The accepted root proof delivers range 0 (its owner is the root prover): never slashed on that path.
            if (late && f == uint256(ITreeAssignment.RangeState.Drawn) && !(pay && i == 0)) {
                requester = _slashLate(taskId, i, slot, requester);
            }
        }
        if (release != 0) _counters[group] -= release;
        if (k > TreeWordLib.INLINE_RANGES) {
            uint256 words =
                (k - TreeWordLib.INLINE_RANGES + TreeWordLib.RANGES_PER_WORD - 1) / TreeWordLib.RANGES_PER_WORD;
            for (uint256 j; j < words; ++j) {
                delete _moreRanges[taskId][j];
            }
        }
        _trees[_slotOf(taskId)] = LedgerTreeWord.wrap(LedgerTreeWordLib.USED);
    }

    /// @dev Range `i`'s window passed with it neither attested nor covered: its owner's bond compensates the
    ///      requester (the id's high 160 bits, passed back in `requester`).
    function _slashLate(uint256 taskId, uint256 i, uint256 slot, address requester) internal returns (address) {
        address owner = _slashBond(slot);
        if (requester == address(0)) requester = _requesterOf(taskId);
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

    /// @dev Range 0 was covered: the ledger slashes the failed owner's root assignment if it held one, and assigns
    ///      the uncle (msg.sender) on the task version the slash left.
    function _moveRoot(uint256 taskId, LedgerTask calldata task, LedgerTreeWord w, bool rootBacked, address failed)
        internal
    {
        if (task.mechanism != address(this)) revert NotThisMechanism(taskId, task.mechanism);
        bool assigned;
        if (rootBacked) {
            if (task.assignee != failed) revert NotRootProver(taskId, task.assignee);
            ledger.slashAssignment(taskId, task, task.mechanismState);
            assigned = _assignRoot(taskId, _slashedVersion(task), msg.sender);
        } else {
            assigned = _assignRoot(taskId, task, msg.sender);
        }
        if (assigned) _trees[_slotOf(taskId)] = w.withRootAssigned(true);
        emit TreeDrawn(taskId, msg.sender, assigned, w.marker());
    }

    /// @dev Credits a covered range's slashed bond: `uncleBps` to the uncle (msg.sender), the rest to the
    ///      task's requester (the id's high 160 bits).
    function _creditCover(uint256 taskId) internal returns (uint256 toUncle, uint256 toRequester) {
        toUncle = (uint256(rangeBond) * uncleBps) / BPS;
        toRequester = rangeBond - toUncle;
        if (toUncle != 0) _claimable[msg.sender] += toUncle;
        if (toRequester != 0) _claimable[_requesterOf(taskId)] += toRequester;
    }

    /// @dev Assigns the root of `task` to `prover` in the ledger (price 0: the payout is split at acceptance;
    ///      collateral max(rootCollateral, minCollateral)). False when the ProverRegistry refuses the lock (free
    ///      stake or declared capacity), in which case the prover still owns the root here and only its range bond
    ///      binds it. Every other refusal (the ledger's: a stale copy, a passed deadline) reverts the caller, and so
    ///      does an assignment that ran out of gas, so that a caller cannot leave the root unbacked by sending too
    ///      little.
    function _assignRoot(uint256 taskId, LedgerTask memory task, address prover) internal returns (bool) {
        uint96 collateral = task.minCollateral > rootCollateral ? task.minCollateral : rootCollateral;
        try ledger.assign(taskId, task, prover, 0, collateral, task.mechanismState) {
            return true;
        } catch (bytes memory reason) {
            if (reason.length == 0) revert AssignmentOutOfGas(taskId, prover);
            bytes4 selector = bytes4(reason);
            if (
                selector != IProverRegistry.InsufficientFreeStake.selector
                    && selector != IProverRegistry.CapacityExceeded.selector
            ) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
            return false;
        }
    }

    /// @dev The version of `task` the ledger stores after `slashAssignment`: the assignment cleared (the state
    ///      kept), the cover share of the collateral added to the bounty (the ledger's split), FLAG_SLASHED set.
    function _slashedVersion(LedgerTask calldata task) internal view returns (LedgerTask memory n) {
        n = task;
        (, uint16 treasuryBps, uint16 coverBps) = ledger.slashSplit();
        (, uint256 toCover,) = SlashSplit.split(task.collateral, treasuryBps, coverBps);
        n.assignee = address(0);
        n.price = 0;
        n.collateral = 0;
        // forge-lint: disable-next-line(unsafe-typecast) toCover <= collateral, a uint96
        n.coverBounty = task.coverBounty + uint96(toCover);
        n.flags = task.flags | LedgerTaskLib.FLAG_SLASHED;
    }

    /// @dev Splits `budget` (the task's maxPayment: redundancy 1, one slot) by the units `_settle` summed: others
    ///      are paid through the ledger's payContributor; the root prover's share (its units and the rounding
    ///      remainder) is returned.
    function _pay(uint256 taskId, uint256 budget, LedgerTreeWord w, Payout memory p, address rootProver)
        internal
        returns (uint256 rootShare)
    {
        uint256 totalUnits = TreeShape.totalUnits(w.txCount(), baseWeight, mergeWeight, rootWeight);
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
            if (amount != 0) ledger.payContributor(taskId, contributor, uint96(amount));
        }
        rootShare = budget - paidOthers;
        emit ContributionPaid(taskId, rootProver, p.rootUnits, rootShare);
    }

    /// @dev A task id is requester << 96 | nonce (TaskLedger).
    function _requesterOf(uint256 taskId) internal pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast) bits 96-255 of the id
        return address(uint160(taskId >> 96));
    }
}
