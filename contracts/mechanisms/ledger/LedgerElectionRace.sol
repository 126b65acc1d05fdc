// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerElectionRace} from "../../interfaces/ILedgerElectionRace.sol";
import {ILedgerMechanism} from "../../interfaces/ILedgerMechanism.sol";
import {IMechanism} from "../../interfaces/IMechanism.sol";
import {IProverRegistry} from "../../interfaces/IProverRegistry.sol";
import {ITaskLedger} from "../../interfaces/ITaskLedger.sol";
import {BlockHeaderRandomness} from "../../libraries/BlockHeaderRandomness.sol";
import {DecaySchedule} from "../../libraries/DecaySchedule.sol";
import {WeightedDraw} from "../../libraries/WeightedDraw.sol";
import {LedgerTask, LedgerTaskLib} from "../../types/LedgerTask.sol";

/// @title LedgerElectionRace
/// @notice Election-then-race over the one-word TaskLedger: the stored ElectionRace's rules (a target block's
///         prevrandao, read from its checked header, seeds a stake-weighted draw among the provers whose capacity
///         matches; the elected race on a decaying schedule; after the election window the task is open to
///         anyone), with one storage word per drawn task.
/// @dev Holds no tokens. What lives where:
///      * `mechanismState` (set by onTaskOpened, so fixed at creation, and by a re-target): bits 0-31 the target
///        block, bits 32-55 the pool size (registered provers then; only they can be drawn).
///      * the election word, written once by `draw`, keyed by (taskId, openedAt) so that a reopen of the task to
///        this instance draws afresh: bits 0-159 the first elected prover (zero: nobody), bits 160-183 and
///        184-207 the second and third elected's registry positions + 1 (zero: none; the registry's list only
///        grows, so a position names its prover for good), bits 208-239 the election's end.
///      * the open race needs no transaction and no state: after the election's end the payment hook pays anyone.
///      Rule changes forced by the one-word core (the stored ElectionRace is the spec otherwise): the elected
///      prove unassigned, so they lock no collateral (the ledger's unassigned path cannot lock) and a silent one is
///      not slashed (there is no `slashElected`; it loses the task to the open race); a prover's capacity is
///      checked at the draw but an election does not occupy it; at most three are elected (the word).
contract LedgerElectionRace is ILedgerElectionRace {
    /// @notice Constructor parameters of one instance.
    /// @param ledger The task ledger served (its `provers()` is the draw's registry).
    /// @param electedCount N: provers elected per task (≤ MAX_ELECTED; capped by the task's open slots).
    /// @param minHardwareClass Lowest declared hardware class that may be elected.
    /// @param drawDelay Blocks between task open and the target block (≥ 1).
    /// @param electionWindow Seconds from the draw during which only the elected may prove.
    /// @param decayWindow Seconds over which a proof's pay falls from the slot to the floor.
    /// @param decayFloorBps The floor, in basis points of the slot.
    /// @param weightCap Stake at which draw weight saturates (> 0, < 2^96).
    /// @param maxAttempts Sampling attempts per draw (bounds the draw's gas).
    struct Params {
        ITaskLedger ledger;
        uint8 electedCount;
        uint8 minHardwareClass;
        uint16 drawDelay;
        uint32 electionWindow;
        uint32 decayWindow;
        uint16 decayFloorBps;
        uint96 weightCap;
        uint8 maxAttempts;
    }

    /// @notice Provers one election word can name: one address and two registry positions.
    uint8 public constant MAX_ELECTED = 3;
    /// @notice Redundancy cap declared to the ledger (as the stored instance's MAX_SLOTS).
    uint8 public constant MAX_SLOTS = 32;

    uint256 internal constant POSITION_BITS = 24;
    // forge-lint: disable-next-line(incorrect-shift) 2^24 − 1: the mask of a 24-bit field
    uint256 internal constant POSITION_MASK = (1 << POSITION_BITS) - 1;
    uint256 internal constant SECOND_SHIFT = 160;
    uint256 internal constant THIRD_SHIFT = 184;
    uint256 internal constant END_SHIFT = 208;
    uint256 internal constant POOL_SHIFT = 32;

    ITaskLedger public immutable ledger;
    IProverRegistry public immutable proverRegistry;
    uint8 public immutable electedCount;
    uint8 public immutable minHardwareClass;
    uint16 public immutable drawDelay;
    uint32 public immutable electionWindow;
    uint32 public immutable decayWindow;
    uint16 public immutable decayFloorBps;
    uint96 public immutable weightCap;
    uint8 public immutable maxAttempts;

    /// @dev Election word by `_key(taskId, openedAt)` (layout in the contract's doc).
    mapping(uint256 key => uint256 word) internal _elections;

    modifier onlyLedger() {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        _;
    }

    constructor(Params memory p) {
        if (address(p.ledger) == address(0)) revert InvalidParameter("ledger");
        if (p.electedCount == 0 || p.electedCount > MAX_ELECTED) revert InvalidParameter("electedCount");
        if (p.drawDelay == 0) revert InvalidParameter("drawDelay");
        if (p.electionWindow == 0) revert InvalidParameter("electionWindow");
        if (p.decayFloorBps > DecaySchedule.BPS) revert InvalidParameter("decayFloorBps");
        if (p.weightCap == 0) revert InvalidParameter("weightCap");
        if (p.maxAttempts == 0) revert InvalidParameter("maxAttempts");
        ledger = p.ledger;
        proverRegistry = p.ledger.provers();
        electedCount = p.electedCount;
        minHardwareClass = p.minHardwareClass;
        drawDelay = p.drawDelay;
        electionWindow = p.electionWindow;
        decayWindow = p.decayWindow;
        decayFloorBps = p.decayFloorBps;
        weightCap = p.weightCap;
        maxAttempts = p.maxAttempts;
    }

    // ------------------------------------------------------------------ ILedgerMechanism

    /// @inheritdoc ILedgerMechanism
    /// @dev HOOK_OPEN only: the open hook fixes the target and the pool at creation (the ledger has no other way to
    ///      give a mechanism the creation block); the elected prove unassigned, so no assigned-proof hook, and the
    ///      word needs no close hook (its key carries the opening).
    function hooks() external pure returns (uint8 hookFlags, uint8 redundancyCap) {
        return (LedgerTaskLib.HOOK_OPEN, MAX_SLOTS);
    }

    /// @inheritdoc ILedgerMechanism
    function onTaskOpened(uint256 taskId, LedgerTask calldata task, bytes calldata)
        external
        view
        onlyLedger
        returns (uint64 mechanismState)
    {
        if (task.maxPayment / task.redundancy == 0) revert SlotMaxZero(taskId, task.maxPayment);
        uint256 earliest = block.timestamp + electionWindow;
        if (task.deadline < earliest) revert DeadlineTooSoon(taskId, task.deadline, earliest);
        // No event: TaskCreated (or TaskReopened) logs the task with this state.
        return _state(block.number + drawDelay, _poolSize());
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev The elected are paid their slot decayed from the draw (so proving early pays more, and waiting for
    ///      the open race never pays an elected prover more); anyone else only after the election's end, on a
    ///      fresh decay from it.
    function onProofAccepted(uint256 taskId, LedgerTask calldata task, address prover, uint256 proofsAccepted)
        external
        onlyLedger
        returns (uint256 payment)
    {
        bool open;
        (payment, open) = _payment(taskId, task, prover, proofsAccepted);
        if (open) emit OpenRaceProof(taskId, prover, payment);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Not declared (no HOOK_CLOSE), so never called by the ledger; refuses anyone else.
    function onTaskClosed(uint256, LedgerTask calldata) external view onlyLedger {}

    /// @inheritdoc ILedgerMechanism
    /// @dev speed 6: a few blocks of draw delay, then the elected race on a decaying schedule. cost 5: pays the
    ///      decayed slot, no price competition. safety 6 (the stored instance: 8): the open race backs the elected
    ///      up, but they lock no collateral here. censorship resistance 9: who proves first is decided by
    ///      prevrandao, stake-weighted, and after the window anyone may prove.
    function profile() external pure returns (IMechanism.Profile memory) {
        return IMechanism.Profile({kind: 4, speed: 6, cost: 5, safety: 6, censorshipResistance: 9});
    }

    // ------------------------------------------------------------------ election

    /// @inheritdoc ILedgerElectionRace
    function draw(uint256 taskId, LedgerTask calldata task, bytes calldata header) external returns (uint256 elected) {
        if (task.mechanism != address(this)) revert NotThisMechanism(taskId, task.mechanism);
        (uint256 accepted,) = ledger.checkTask(taskId, task);
        uint256 key = _key(taskId, task.openedAt);
        if (_elections[key] != 0) revert AlreadyDrawn(taskId);
        (uint256 target, uint256 pool) = _target(task.mechanismState);
        if (block.number <= target) revert DrawTooEarly(taskId, target);
        if (!BlockHeaderRandomness.hashAvailable(target)) {
            // Nobody drew within 256 blocks: the target's hash is gone. Fix a new target, and a new pool with it.
            uint256 newTarget = block.number + drawDelay;
            uint256 newPool = _poolSize();
            emit DrawRetargeted(taskId, newTarget, newPool);
            ledger.setMechanismState(taskId, task, _state(newTarget, newPool));
            return 0;
        }
        bytes32 seed = keccak256(abi.encode(BlockHeaderRandomness.prevrandaoOf(target, header), taskId, task.openedAt));

        uint256 wanted = uint256(task.redundancy) - accepted;
        if (wanted > electedCount) wanted = electedCount;
        uint256 word;
        uint256 attempts;
        (word, elected, attempts) = _elect(taskId, seed, wanted, pool, target, accepted != 0);
        // Nobody eligible was drawn: the open race starts now.
        uint256 electionEnd = elected == 0 ? block.timestamp : block.timestamp + electionWindow;
        _elections[key] = word | electionEnd << END_SHIFT;
        // forge-lint: disable-next-line(unsafe-typecast) a unix time, < 2^32
        emit ElectionDrawn(taskId, seed, elected, attempts, uint64(electionEnd));
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILedgerElectionRace
    function electionOf(uint256 taskId, uint32 openedAt) external view returns (Election memory e) {
        uint256 word = _elections[_key(taskId, openedAt)];
        if (word == 0) return e;
        e.drawn = true;
        // forge-lint: disable-next-line(unsafe-typecast) bits 208-239
        e.electionEnd = uint32(word >> END_SHIFT);
        // forge-lint: disable-next-line(unsafe-typecast) bits 0-159
        e.firstElected = address(uint160(word));
        uint256 n = e.firstElected == address(0) ? 0 : 1;
        uint256 second = (word >> SECOND_SHIFT) & POSITION_MASK;
        uint256 third = (word >> THIRD_SHIFT) & POSITION_MASK;
        if (second != 0) ++n;
        if (third != 0) ++n;
        e.elected = new address[](n);
        if (n > 0) e.elected[0] = e.firstElected;
        if (second != 0) e.elected[1] = proverRegistry.proverAt(second - 1);
        if (third != 0) e.elected[2] = proverRegistry.proverAt(third - 1);
    }

    /// @inheritdoc ILedgerElectionRace
    function isElected(uint256 taskId, uint32 openedAt, address prover) external view returns (bool) {
        return _isElected(_elections[_key(taskId, openedAt)], prover);
    }

    /// @inheritdoc ILedgerElectionRace
    function currentPayment(uint256 taskId, LedgerTask calldata task, address prover) external view returns (uint256) {
        (uint256 accepted,) = ledger.checkTask(taskId, task);
        (uint256 payment,) = _payment(taskId, task, prover, accepted);
        return payment;
    }

    /// @inheritdoc ILedgerElectionRace
    function targetOf(uint64 mechanismState) external pure returns (uint256 targetBlock, uint256 poolSize) {
        return _target(mechanismState);
    }

    // ------------------------------------------------------------------ internal

    /// @dev The payment of `prover`'s proof after `accepted` others, and whether it is an open-race proof.
    function _payment(uint256 taskId, LedgerTask calldata task, address prover, uint256 accepted)
        internal
        view
        returns (uint256 payment, bool open)
    {
        uint256 word = _elections[_key(taskId, task.openedAt)];
        if (word == 0) revert NotDrawn(taskId);
        // forge-lint: disable-next-line(unsafe-typecast) bits 208-239 of the word
        uint256 electionEnd = uint32(word >> END_SHIFT);
        uint256 slot = LedgerTaskLib.slotBudget(task, accepted);
        if (_isElected(word, prover)) {
            return (
                DecaySchedule.decayed(slot, electionEnd - electionWindow, decayWindow, decayFloorBps, block.timestamp),
                false
            );
        }
        // forge-lint: disable-next-line(block-timestamp) the window is minutes; a validator skews seconds
        if (block.timestamp <= electionEnd) revert ElectionWindowOpen(taskId, electionEnd);
        return (DecaySchedule.decayed(slot, electionEnd, decayWindow, decayFloorBps, block.timestamp), true);
    }

    /// @dev Whether `prover` is named by the election word: the first address is compared directly, the others
    ///      read from the registry only when present.
    function _isElected(uint256 word, address prover) internal view returns (bool) {
        if (word == 0 || prover == address(0)) return false;
        // forge-lint: disable-next-line(unsafe-typecast) bits 0-159: the first elected
        if (address(uint160(word)) == prover) return true;
        uint256 second = (word >> SECOND_SHIFT) & POSITION_MASK;
        if (second == 0) return false;
        if (proverRegistry.proverAt(second - 1) == prover) return true;
        uint256 third = (word >> THIRD_SHIFT) & POSITION_MASK;
        return third != 0 && proverRegistry.proverAt(third - 1) == prover;
    }

    /// @dev Rejection sampling (WeightedDraw): up to `maxAttempts` uniform picks among the first `pool` registered
    ///      provers, each accepted with probability min(stake − pendingUnstake, weightCap) / weightCap if eligible
    ///      and not yet drawn. Returns the election word without its end.
    /// @param checkProven The task already has accepted proofs (a reopen): skip candidates that proved it, since
    ///        the ledger would refuse their second proof.
    function _elect(uint256 taskId, bytes32 seed, uint256 wanted, uint256 pool, uint256 target, bool checkProven)
        internal
        returns (uint256 word, uint256 elected, uint256 attempts)
    {
        if (pool == 0 || wanted == 0) return (0, 0, 0);
        for (; attempts < maxAttempts && elected < wanted; ++attempts) {
            (bool accepted, uint256 index, address candidate, uint256 weight) =
                _attempt(seed, attempts, pool, target, word);
            if (!accepted || (checkProven && ledger.hasProven(taskId, candidate))) continue;
            if (elected == 0) word = uint160(candidate);
            else word |= (index + 1) << (elected == 1 ? SECOND_SHIFT : THIRD_SHIFT);
            ++elected;
            emit ProverElected(taskId, candidate, index, weight);
        }
    }

    /// @dev One sampling attempt: the candidate at a uniform index of the pool, accepted when it is not in `word`
    ///      yet, eligible, and passes the stake-weighted acceptance draw.
    function _attempt(bytes32 seed, uint256 attemptNumber, uint256 pool, uint256 target, uint256 word)
        internal
        view
        returns (bool accepted, uint256 index, address candidate, uint256 weight)
    {
        uint256 acceptDraw;
        (index, acceptDraw) = WeightedDraw.attempt(seed, attemptNumber, pool);
        if (_namesPosition(word, index)) return (false, index, candidate, 0);
        candidate = proverRegistry.proverAt(index);
        // forge-lint: disable-next-line(unsafe-typecast) bits 0-159: the first elected
        if (address(uint160(word)) == candidate) return (false, index, candidate, 0);
        bool eligible;
        (eligible, weight) = _eligibility(candidate, target);
        accepted = eligible && WeightedDraw.accepts(weight, weightCap, acceptDraw);
    }

    /// @dev Whether the second or third slot of `word` holds registry position `index`.
    function _namesPosition(uint256 word, uint256 index) internal pure returns (bool) {
        uint256 p = index + 1;
        return (word >> SECOND_SHIFT) & POSITION_MASK == p || (word >> THIRD_SHIFT) & POSITION_MASK == p;
    }

    /// @dev Capacity match and the randomness rule. The target's prevrandao is the beacon mix after the block
    ///      before it: that block's proposer knows it while building it, and everyone once it is out. So a prover
    ///      whose registration, stake, unstake queue or capacity changed in the block before the target or later is
    ///      not eligible (it could have made the change knowing the seed).
    function _eligibility(address prover, uint256 target) internal view returns (bool eligible, uint256 weight) {
        IProverRegistry.Prover memory p = proverRegistry.proverOf(prover);
        if (!p.registered || p.hardwareClass < minHardwareClass || p.activeAssignments >= p.maxConcurrent) {
            return (false, 0);
        }
        if (proverRegistry.changedAt(prover) + 1 >= target) return (false, 0);
        return (true, uint256(p.stake) - p.pendingUnstake);
    }

    /// @dev The registry's prover count, saturated at the field's width (provers beyond it are never drawn).
    function _poolSize() internal view returns (uint256) {
        uint256 n = proverRegistry.proverCount();
        return n > POSITION_MASK ? POSITION_MASK : n;
    }

    function _state(uint256 target, uint256 pool) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) block numbers < 2^32, pool < 2^24
        return uint64(target | pool << POOL_SHIFT);
    }

    function _target(uint64 state) internal pure returns (uint256 target, uint256 pool) {
        // forge-lint: disable-next-line(unsafe-typecast) bits 0-31: the target block
        return (uint32(state), (state >> POOL_SHIFT) & POSITION_MASK);
    }

    /// @dev A task id is requester << 96 | nonce (a 32-bit nonce), so bits 32-95 are free for the opening time: a
    ///      reopen of the same task to this instance gets a fresh word.
    function _key(uint256 taskId, uint32 openedAt) internal pure returns (uint256) {
        return taskId | uint256(openedAt) << 32;
    }
}
