// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICapacityHolder} from "../interfaces/ICapacityHolder.sol";
import {IProverRegistry} from "../interfaces/IProverRegistry.sol";
import {ITreeAssignment} from "../interfaces/ITreeAssignment.sol";
import {ExponentialRace} from "../libraries/ExponentialRace.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title TreePool
/// @notice The bonded pool of the tree assignment, shared by TreeAssignment (stored tasks) and LedgerTreeAssignment
///         (the TaskLedger's one-word tasks): members bond the deployment's token, `rangeBond` of it locked per drawn
///         range, and a draw picks the range owners among them by an exponential race (`_drawMembers`). Here: the
///         pool's storage (bonds, lock counters, exits, credits), its bookkeeping (`_addBond`, `_takeBond`, the
///         counters, `_slashBond`, slots), the draw, and `heldCapacityOf`. In each contract: the task's word, the
///         registry or ledger calls, how a task's requester is found, and the external pool functions and views,
///         whose checks, events and token moves are its interface's.
/// @dev ITreeAssignment and ILedgerTreeAssignment each declare the pool's errors and events (the same signatures),
///      and a contract's ABI lists every declaration it uses: so the pool itself neither emits nor reverts with
///      them, but through its deriving contract (the two `_revert…` hooks, the external functions). Storage: one
///      word per pool slot (prover, bond), one per member (slot, change block), and 16-bit lock counters per
///      member packed fourteen to a word, so that a draw and a close write one counters word instead of one word
///      per range.
abstract contract TreePool is ICapacityHolder, ReentrancyGuardTransient {
    using SafeCast for uint256;

    uint256 internal constant BPS = 10_000;
    /// @dev Locked ranges per member fit in 8 bits; a member at this count is not drawn.
    uint256 internal constant MAX_LOCKED = type(uint8).max;
    /// @dev Members per counters word, and the word's never-cleared marker bit.
    uint256 internal constant GROUP = 14;
    uint256 internal constant GROUP_MARK = 1 << 255;
    /// @dev Counters word 0 also holds the pool's bookkeeping (9 bits each, above the counters).
    uint256 internal constant POOL_SHIFT = 224;
    uint256 internal constant POOL_MASK = (1 << 27) - 1;
    /// @dev Layout of a `_membership` entry.
    uint256 internal constant SLOT_MASK = 0xffff;
    uint256 internal constant CHANGED_SHIFT = 16;

    /// @notice The prover registry (pool members must be registered provers; declared capacity).
    IProverRegistry public immutable provers;
    /// @notice The deployment's token (bonds, rewards).
    IERC20 public immutable token;
    /// @notice Pool bond locked per drawn range.
    uint96 public immutable rangeBond;
    /// @notice Largest pool.
    uint16 public immutable maxPoolSize;
    /// @notice Seconds from requestLeave to leavePool.
    uint32 public immutable exitDelay;

    /// @dev Pool bookkeeping (memory view of bits 224–250 of counters word 0): slots handed out, members
    ///      now, and the head (slot + 1) of the list of freed slots (each freed slot's word holds the next one
    ///      in its bond bits).
    struct PoolInfo {
        uint16 slots;
        uint16 members;
        uint16 freeHead;
    }

    /// @dev A pool member as a draw sees it (memory only).
    struct Candidate {
        address prover;
        /// Whether its change block and declared slots have been read in this draw.
        bool checked;
        /// Its total bond while drawable in this draw (0: not drawable).
        uint256 weight;
        /// Free bond before this draw.
        uint256 free;
        /// Its ExponentialRace key in the current round (smallest wins).
        uint256 key;
        /// Locked ranges before this draw.
        uint256 locked;
        /// Of those, the ones the registry does not count (all but range 0 of a task whose root it holds).
        uint256 busy;
        /// Declared slots it may still take in this draw.
        uint256 room;
        /// Ranges drawn to it in this draw.
        uint256 picks;
    }

    /// @dev Running counts of a draw (memory only): drawable members, and those of them not yet picked.
    struct Totals {
        uint256 all;
        uint256 fresh;
    }

    /// @dev Pending exits: amount (96) | availableAt (64).
    struct Exit {
        uint96 amount;
        uint64 availableAt;
    }

    /// @dev Pool slot → prover (low 160 bits) | total bond held, free + locked (high 96 bits).
    mapping(uint256 slot => uint256) internal _members;
    /// @dev Slot / 14 → fourteen 16-bit counters, one per member: locked ranges (low 8 bits) | of which
    ///      range 0 of a task whose root this member holds in the registry (high 8 bits); bit 255 is set
    ///      once the group's first slot is handed out, so that the word never returns to zero and a draw
    ///      after an idle spell rewrites it (2.9k) instead of filling it (20k). Word 0 also holds the
    ///      PoolInfo in bits 224–250, so that a draw of a pool of up to 14 members reads one word for both.
    mapping(uint256 group => uint256) internal _counters;
    /// @dev Prover → its pool slot + 1 (low 16 bits; 0: not a member) | the block of its last bond change,
    ///      a join, top-up or leave (bits 16 and up). A draw reads the change block of its winners only.
    mapping(address prover => uint256) internal _membership;
    mapping(address account => uint256) internal _claimable;
    mapping(address prover => Exit) internal _exits;

    /// @dev The deriving contract checks the parameters (InvalidParams).
    constructor(IProverRegistry provers_, IERC20 token_, uint96 rangeBond_, uint16 maxPoolSize_, uint32 exitDelay_) {
        provers = provers_;
        token = token_;
        rangeBond = rangeBond_;
        maxPoolSize = maxPoolSize_;
        exitDelay = exitDelay_;
    }

    // ------------------------------------------------------------------ pool

    /// @dev Adds `amount` to `prover`'s bond, giving it a slot first if it is not a member (the caller has checked
    ///      that it is a registered prover, and moves the tokens); returns its free bond after.
    function _addBond(address prover, uint256 amount) internal returns (uint256 freeBond) {
        uint256 slotPlusOne = _membership[prover] & SLOT_MASK;
        uint256 slot;
        uint256 bond;
        if (slotPlusOne == 0) {
            slot = _newSlot();
            // From now on the ProverRegistry counts this member's locked ranges against its declared capacity
            // (heldCapacityOf); it refuses if this instance is not a listed capacity holder.
            provers.enterCapacityHolder(prover);
        } else {
            slot = slotPlusOne - 1;
            bond = _members[slot] >> 160;
        }
        bond += amount;
        _members[slot] = (uint256(bond.toUint96()) << 160) | uint160(prover);
        _markChanged(prover, slot);
        (uint256 locked,) = _countsOf(slot);
        return bond - uint256(rangeBond) * locked;
    }

    /// @dev Takes `amount` (at most its free bond) from `prover`'s bond, removing it from the pool when nothing is
    ///      left (the caller moves the tokens).
    function _takeBond(address prover, uint256 amount) internal {
        uint256 slot = (_membership[prover] & SLOT_MASK) - 1;
        uint256 bond = (_members[slot] >> 160) - amount;
        // bond ≥ rangeBond × locked, so a zero bond means nothing is locked either.
        if (bond == 0) {
            _removeMember(slot, prover);
        } else {
            _members[slot] = (bond << 160) | uint160(prover);
            _markChanged(prover, slot);
        }
    }

    /// @dev Reverts with the deriving contract's PoolFull(maxPoolSize) (its interface's error: see the @dev above).
    function _revertPoolFull() internal view virtual;

    /// @dev Reverts with the interface's NoEligibleProvers(taskId) (see _revertPoolFull).
    function _revertNoEligibleProvers(uint256 taskId) internal pure virtual;

    // ------------------------------------------------------------------ views

    /// @dev The member in pool slot `index` (ITreeAssignment.memberAt).
    function _memberAt(uint256 index) internal view returns (ITreeAssignment.Member memory m) {
        if (index >= _poolInfo().slots) return m;
        m.prover = _proverAt(index);
        if (m.prover == address(0)) return m;
        (uint256 locked,) = _countsOf(index);
        m.freeBond = uint96((_members[index] >> 160) - uint256(rangeBond) * locked);
    }

    /// @inheritdoc ICapacityHolder
    /// @dev The member's locked ranges less those whose root assignment the registry counts already (range 0
    ///      of a task whose root it holds): the `busy` of a draw candidate.
    function heldCapacityOf(address prover) external view returns (uint256) {
        uint256 slotPlusOne = _membership[prover] & SLOT_MASK;
        if (slotPlusOne == 0) return 0;
        (uint256 locked, uint256 roots) = _countsOf(slotPlusOne - 1);
        return locked - roots;
    }

    // ------------------------------------------------------------------ internals

    /// @dev Draws `k` pool slots by ExponentialRace: each drawable member (at least `rangeBond` free, a lock
    ///      counter left) gets the key keyOf(seed, member, 0, total bond), and range i goes to the i-th
    ///      smallest key, i.e. each range is drawn with probability proportional to total bond among the
    ///      members not picked yet (weighted sampling without replacement). Once every drawable member has
    ///      a range, members are reused: range i then races afresh (round i) among those still drawable.
    ///      A member is checked the first time it wins: if its bond changed from the block before `drawBlock`
    ///      on (the seed was public then), or it has no declared slot left, it is excluded and the next key
    ///      wins. Because a key depends on its own member's bond only, a join or top-up after the seed moves
    ///      nobody else's outcome, and excluding the member who made it leaves the rest as if it never
    ///      happened (docs/mechanisms.md, "Randomness and its bias bound").
    function _drawMembers(uint256 taskId, bytes32 seed, uint256 k, uint256 drawBlock)
        internal
        view
        returns (uint256[] memory picks, Candidate[] memory c)
    {
        uint256 n = _poolInfo().slots;
        uint256 bond = rangeBond;
        c = new Candidate[](n);
        Totals memory t;
        uint256 counters;
        for (uint256 j; j < n; ++j) {
            if (j % GROUP == 0) counters = _counters[j / GROUP];
            uint256 m = _members[j];
            address prover = address(uint160(m));
            if (prover == address(0)) continue; // a freed slot
            uint256 v = counters >> ((j % GROUP) << 4);
            Candidate memory x = c[j];
            x.prover = prover;
            // bond ≥ rangeBond × locked and roots ≤ locked (kept so by every update); bonds are uint96.
            unchecked {
                uint256 total = m >> 160;
                x.locked = v & 0xff;
                x.busy = x.locked - ((v >> 8) & 0xff);
                x.free = total - bond * x.locked;
                if (x.free >= bond && x.locked < MAX_LOCKED) {
                    x.weight = total;
                    x.key = ExponentialRace.keyOf(seed, prover, 0, total);
                    ++t.all;
                }
            }
        }
        t.fresh = t.all;
        picks = new uint256[](k);
        for (uint256 i; i < k; ++i) {
            picks[i] = _pick(taskId, seed, i, c, t, drawBlock);
        }
    }

    /// @dev One range's pick (see _drawMembers); updates the candidate and the counts.
    function _pick(uint256 taskId, bytes32 seed, uint256 i, Candidate[] memory c, Totals memory t, uint256 drawBlock)
        internal
        view
        returns (uint256 pick)
    {
        bool rekeyed;
        for (;;) {
            if (t.all == 0) _revertNoEligibleProvers(taskId);
            bool fresh = t.fresh != 0;
            if (!fresh && !rekeyed) {
                // Every drawable member holds a range of this draw: reuse them, in a race of their own.
                rekeyed = true;
                for (uint256 j; j < c.length; ++j) {
                    if (c[j].weight != 0) c[j].key = ExponentialRace.keyOf(seed, c[j].prover, i, c[j].weight);
                }
            }
            pick = _best(c, fresh);
            Candidate memory p = c[pick];
            if (!p.checked) {
                p.checked = true;
                // A bond changed once the seed could be known does not count; nor does a member at capacity.
                p.room = _changedBlockOf(p.prover) + 1 >= drawBlock ? 0 : _room(p.prover, p.busy);
            }
            if (p.room == 0) {
                p.weight = 0;
                --t.all;
                if (p.picks == 0) --t.fresh;
                continue;
            }
            // A drawable candidate has free ≥ rangeBond × (picks + 1) and room ≥ 1.
            unchecked {
                if (p.picks == 0) --t.fresh;
                p.room -= 1;
                p.picks += 1;
                // Drawable again only with another bond's worth, a lock counter and a declared slot left.
                if (
                    p.free - uint256(rangeBond) * p.picks < rangeBond || p.locked + p.picks >= MAX_LOCKED || p.room == 0
                ) {
                    p.weight = 0;
                    --t.all;
                }
            }
            return pick;
        }
    }

    /// @dev The drawable candidate with the smallest key (among those not yet picked if `fresh`); ties, which
    ///      need equal 256-bit hashes, go to the lower slot.
    function _best(Candidate[] memory c, bool fresh) internal pure returns (uint256 best) {
        uint256 bestKey = type(uint256).max;
        for (uint256 j; j < c.length; ++j) {
            Candidate memory x = c[j];
            if (x.weight == 0 || (fresh && x.picks != 0)) continue;
            if (x.key < bestKey) {
                bestKey = x.key;
                best = j;
            }
        }
    }

    /// @dev Declared slots `prover` has left: the registry's `capacityLeft` with this instance excluded
    ///      (maxConcurrent − live assignments − what its other capacity holders report) − `busy` (its locked
    ///      ranges here that the registry does not count as assignments; the counters before this draw), floored
    ///      at 0. Called in assembly: one word of return data, no decoder.
    function _room(address prover, uint256 busy) internal view returns (uint256) {
        address target = address(provers);
        bytes4 selector = IProverRegistry.capacityLeft.selector;
        uint256 left;
        assembly ("memory-safe") {
            // Call data and return data in the memory past the free pointer (not kept).
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 4), prover)
            mstore(add(ptr, 36), address())
            let ok := staticcall(gas(), target, ptr, 68, ptr, 0x20)
            if iszero(and(ok, eq(returndatasize(), 0x20))) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            left := mload(ptr)
        }
        return left > busy ? left - busy : 0;
    }

    /// @dev Adds this draw's picks to the members' lock counters (one write per run of picks in the same
    ///      counters word; a pool of up to fifteen members has one word).
    function _lockPicks(uint256[] memory picks) internal {
        uint256 group = picks[0] / GROUP;
        uint256 delta;
        for (uint256 i; i < picks.length; ++i) {
            uint256 slot = picks[i];
            if (slot / GROUP != group) {
                _counters[group] += delta;
                delta = 0;
                group = slot / GROUP;
            }
            // A counter stays below 256 (MAX_LOCKED): no carry into the next one.
            unchecked {
                delta += 1 << ((slot % GROUP) << 4);
            }
        }
        _counters[group] += delta;
    }

    /// @dev Records that `prover`'s bond (in `slot`) changed in this block (see `_membership`).
    function _markChanged(address prover, uint256 slot) internal {
        _membership[prover] = (slot + 1) | (block.number << CHANGED_SHIFT);
    }

    /// @dev The block of `prover`'s last join, top-up or leave.
    function _changedBlockOf(address prover) internal view returns (uint256) {
        return _membership[prover] >> CHANGED_SHIFT;
    }

    function _proverAt(uint256 slot) internal view returns (address) {
        return address(uint160(_members[slot]));
    }

    function _countsOf(uint256 slot) internal view returns (uint256 locked, uint256 roots) {
        uint256 v = _counters[slot / GROUP] >> ((slot % GROUP) << 4);
        return (v & 0xff, (v >> 8) & 0xff);
    }

    /// @dev `locked` and `roots` placed at `slot`'s counter in its counters word.
    function _countsDelta(uint256 slot, uint256 locked, uint256 roots) internal pure returns (uint256) {
        return (locked | (roots << 8)) << ((slot % GROUP) << 4);
    }

    function _addCounts(uint256 slot, uint256 locked, uint256 roots) internal {
        _counters[slot / GROUP] += _countsDelta(slot, locked, roots);
    }

    function _subCounts(uint256 slot, uint256 locked, uint256 roots) internal {
        _counters[slot / GROUP] -= _countsDelta(slot, locked, roots);
    }

    function _bondOf(address prover) internal view returns (uint256 freeBond, uint256 lockedRanges) {
        uint256 slotPlusOne = _membership[prover] & SLOT_MASK;
        if (slotPlusOne == 0) return (0, 0);
        (lockedRanges,) = _countsOf(slotPlusOne - 1);
        freeBond = (_members[slotPlusOne - 1] >> 160) - uint256(rangeBond) * lockedRanges;
    }

    /// @dev Takes one range bond from the member in `slot` (the caller releases the lock and credits the
    ///      bond); removes the member when nothing is left. Returns the member's address.
    function _slashBond(uint256 slot) internal returns (address prover) {
        uint256 m = _members[slot];
        prover = address(uint160(m));
        uint256 bond = (m >> 160) - rangeBond;
        // bond ≥ rangeBond × locked, and the caller releases this bond's lock: a zero bond means
        // nothing is locked any more either.
        if (bond == 0) _removeMember(slot, prover);
        else _members[slot] = (bond << 160) | uint160(prover);
    }

    function _poolInfo() internal view returns (PoolInfo memory p) {
        uint256 h = _counters[0] >> POOL_SHIFT;
        p.slots = uint16(h & 0x1ff);
        p.members = uint16((h >> 9) & 0x1ff);
        p.freeHead = uint16((h >> 18) & 0x1ff);
    }

    function _setPoolInfo(PoolInfo memory p) internal {
        uint256 info = uint256(p.slots) | (uint256(p.members) << 9) | (uint256(p.freeHead) << 18);
        _counters[0] = (_counters[0] & ~(POOL_MASK << POOL_SHIFT)) | (info << POOL_SHIFT) | GROUP_MARK;
    }

    /// @dev A slot for a new member: the most recently freed one, else the next unused one.
    function _newSlot() internal returns (uint256 slot) {
        PoolInfo memory p = _poolInfo();
        if (p.freeHead != 0) {
            slot = p.freeHead - 1;
            p.freeHead = uint16(_members[slot] >> 160);
        } else {
            if (p.slots >= maxPoolSize) _revertPoolFull();
            slot = p.slots;
            p.slots += 1;
            if (slot % GROUP == 0 && slot != 0) _counters[slot / GROUP] = GROUP_MARK;
        }
        p.members += 1;
        _setPoolInfo(p);
    }

    /// @dev Frees a member's slot (no bond, no lock left); no range refers to it any more (a range
    ///      refers to its drawn owner only while that owner's lock on it is live, or to its uncle, which
    ///      holds a lock on its own range until the task closes).
    function _removeMember(uint256 slot, address prover) internal {
        PoolInfo memory p = _poolInfo();
        _members[slot] = uint256(p.freeHead) << 160;
        p.freeHead = uint16(slot + 1);
        p.members -= 1;
        _setPoolInfo(p);
        delete _membership[prover];
        // Nothing is locked any more: the registry stops asking this instance about the prover.
        provers.exitCapacityHolder(prover);
    }
}
