// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "./IMechanism.sol";

/// @title ITreeAssignment
/// @notice Protocol-elected proving of a rollup block's proof tree. The block's root-circuit task (the
///         only proof L1 verifies) carries `abi.encode(uint32 txCount, uint32 rangeSize)`; the tree is split
///         into leaf ranges (TreeShape), and once a block fixed at opening (`drawBlock`) is past, anyone
///         calls `draw` with that block's header, whose prevrandao seeds a draw of each range's owner,
///         stake-weighted among the mechanism's bonded pool members that have a free declared slot in the
///         ProverRegistry, locking `rangeBond` of the owner's pool bond. A merge goes to its left child's owner, the root to
///         range 0's owner, which is the prover assigned in the TaskRegistry (with `rootCollateral`).
///         Each owner attests its range's top node on-chain by the range deadline; a range not attested in
///         time may be covered by the owner of its sibling subtree ("uncle"), which takes the range's
///         share of the payout and part of the failed owner's slashed bond. When the root proof is
///         accepted the budget is split by contribution (base proofs, merges, root) through
///         `TaskRegistry.payContributor`; the root prover's share is what `onProofAccepted` returns.
/// @dev Bonds are held by this contract (a range owner is not a registry assignee, since a task has one
///      registry slot per required proof). Conservation: token balance = Σ free pool bonds +
///      rangeBond × Σ locked ranges + Σ claimable. Capacity: a member is drawn only while its live
///      registry assignments plus its locked ranges (range 0 and the root assignment of the same task
///      counting once) stay below its declared `maxConcurrent`.
interface ITreeAssignment is IMechanism {
    /// @notice Lifecycle of a tree task in this mechanism.
    enum TreeStatus {
        None,
        AwaitingDraw,
        Drawn
    }

    /// @notice State of one range.
    enum RangeState {
        Unassigned,
        Drawn,
        Attested,
        Covered
    }

    /// @notice A tree task (view). Stored as one packed word (TreeWord) that also holds the range owners
    ///         and states of the first ten ranges; the requester and budget are read from the registry when
    ///         needed (slashes, payout) rather than stored twice. `drawBlock` is reported while the task
    ///         awaits its draw and `rangeDeadline` once drawn (they share bits), the other one is 0.
    struct TreeTask {
        uint32 txCount;
        uint32 rangeSize;
        uint40 drawBlock;
        uint40 rangeDeadline;
        uint40 deadline;
        uint8 rangeCount;
        TreeStatus status;
        bool rootAssigned;
    }

    /// @notice One range (view): current owner, leaves, merges it leads, sibling range, state. Only the
    ///         owner (a pool slot id) and the state are stored; the rest is recomputed with TreeShape.
    struct Range {
        address owner;
        uint32 count;
        uint8 mergesLed;
        uint8 sibling;
        RangeState state;
    }

    /// @notice A bonded pool member (view of one pool slot; a free slot reads as zero).
    struct Member {
        address prover;
        uint96 freeBond;
    }

    /// @notice Instance parameters.
    /// @param rangeBond Pool bond locked per drawn range (slashed if the range is neither attested nor covered).
    /// @param rootCollateral Registry stake locked by the root prover's assignment.
    /// @param rangeWindowBps Share of the time from draw to deadline by which ranges must be attested.
    /// @param uncleBps Share of a covered range's slashed bond paid to the uncle (the rest to the requester).
    /// @param maxRanges Largest number of ranges a tree may split into.
    /// @param maxPoolSize Largest pool, ≤ 256 (a draw reads every member once; members are 8-bit slot ids).
    /// @param drawDelay Blocks between opening and the block whose prevrandao seeds the draw (≥ 1; ≥ 2 keeps
    ///        the seed unknown to the proposer of the opening block, see TreeAssignment).
    /// @param exitDelay Seconds between requestLeave and leavePool, during which the bond stays drawable.
    /// @param baseWeight Contribution units per base proof.
    /// @param mergeWeight Contribution units per merge proof.
    /// @param rootWeight Contribution units of the root proof.
    /// @param profile Declared routing profile.
    struct Params {
        uint96 rangeBond;
        uint96 rootCollateral;
        uint16 rangeWindowBps;
        uint16 uncleBps;
        uint8 maxRanges;
        uint16 maxPoolSize;
        uint8 drawDelay;
        uint32 exitDelay;
        uint16 baseWeight;
        uint16 mergeWeight;
        uint16 rootWeight;
        IMechanism.Profile profile;
    }

    error InvalidParams();
    /// @param length mechanismData length (must be 64: abi.encode(uint32 txCount, uint32 rangeSize)).
    error MalformedMechanismData(uint256 length);
    /// @param redundancy Tree tasks take exactly one root proof.
    error RedundancyNotOne(uint256 redundancy);
    /// @param taskId Not a tree task in the expected status.
    /// @param status Its status.
    error WrongStatus(uint256 taskId, TreeStatus status);
    /// @param taskId The task.
    /// @param drawBlock The block whose prevrandao seeds the draw, not yet past.
    error DrawTooEarly(uint256 taskId, uint256 drawBlock);
    /// @param taskId The task.
    /// @param deadline Its deadline, already past.
    error TaskPastDeadline(uint256 taskId, uint256 deadline);
    /// @param taskId No pool member has `rangeBond` of free bond, a free declared slot and a bond unchanged since
    ///        before the seed could be known.
    error NoEligibleProvers(uint256 taskId);
    /// @notice The registry's root assignment ran out of gas (empty revert data): refused, so that a caller
    ///         cannot make the root unbacked by sending too little gas.
    /// @param taskId The task.
    /// @param prover The root prover being assigned.
    error AssignmentOutOfGas(uint256 taskId, address prover);
    /// @param taskId The task.
    /// @param range The range index.
    /// @param state Its state, which does not allow the call.
    error WrongRangeState(uint256 taskId, uint256 range, RangeState state);
    /// @param taskId The task.
    /// @param range The range.
    /// @param caller Not its owner.
    error NotRangeOwner(uint256 taskId, uint256 range, address caller);
    /// @param taskId The task.
    /// @param rangeDeadline The range deadline (attest: passed; cover: not yet reached).
    error RangeWindow(uint256 taskId, uint256 rangeDeadline);
    /// @param taskId The task.
    /// @param range A range without a sibling (single-range tree).
    error NoSibling(uint256 taskId, uint256 range);
    /// @param taskId The task.
    /// @param range The range to cover.
    /// @param caller Not the owner of its sibling subtree, or that owner has not attested its own range.
    error NotUncle(uint256 taskId, uint256 range, address caller);
    /// @param taskId The task.
    /// @param prover Not the root prover (range 0's current owner).
    error NotRootProver(uint256 taskId, address prover);
    /// @param prover Not registered in the ProverRegistry.
    error ProverNotRegistered(address prover);
    error ZeroAmount();
    /// @param maxPoolSize The pool is full.
    error PoolFull(uint256 maxPoolSize);
    /// @param prover The member.
    /// @param requested Amount asked for.
    /// @param free Its free bond.
    error InsufficientFreeBond(address prover, uint256 requested, uint256 free);
    /// @param account Nothing credited.
    error NothingToWithdraw(address account);
    /// @param prover Has no exit request.
    error NoExitRequested(address prover);
    /// @param availableAt When the exit may complete.
    error ExitNotReady(uint256 availableAt);

    /// @param taskId The task.
    /// @param txCount Leaves.
    /// @param rangeSize Leaves per range at most.
    /// @param ranges Ranges it splits into.
    /// @param drawBlock Block whose prevrandao will seed the draw.
    event TreeOpened(uint256 indexed taskId, uint32 txCount, uint32 rangeSize, uint8 ranges, uint256 drawBlock);
    /// @param taskId The task.
    /// @param drawBlock New seed block (the previous one's header can no longer be checked).
    event DrawReanchored(uint256 indexed taskId, uint256 drawBlock);
    /// @param taskId The task.
    /// @param range Range index.
    /// @param owner Drawn owner.
    /// @param start First leaf.
    /// @param count Leaves.
    event RangeDrawn(uint256 indexed taskId, uint256 indexed range, address indexed owner, uint32 start, uint32 count);
    /// @param taskId The task.
    /// @param rootProver Range 0's owner.
    /// @param assigned Whether the registry assignment (with rootCollateral) succeeded.
    /// @param rangeDeadline Attestation deadline.
    event TreeDrawn(uint256 indexed taskId, address indexed rootProver, bool assigned, uint256 rangeDeadline);
    /// @param taskId The task.
    /// @param range Range index.
    /// @param prover Who attested (owner or uncle).
    /// @param topCommitment Commitment of the range's top node (its merge/base `commitment` output).
    /// @param nodeId Content-addressed id of the range's top node.
    event RangeAttested(
        uint256 indexed taskId, uint256 indexed range, address indexed prover, bytes32 topCommitment, bytes32 nodeId
    );
    /// @param taskId The task.
    /// @param range Range index.
    /// @param failedOwner Slashed owner.
    /// @param uncle Covering sibling.
    /// @param toUncle Bond share credited to the uncle.
    /// @param toRequester Bond share credited to the requester.
    event RangeCovered(
        uint256 indexed taskId,
        uint256 indexed range,
        address indexed failedOwner,
        address uncle,
        uint256 toUncle,
        uint256 toRequester
    );
    /// @param taskId The task.
    /// @param range Range index.
    /// @param owner Owner whose bond was slashed at close (neither attested nor covered).
    /// @param amount Bond credited to the requester.
    event RangeBondSlashed(uint256 indexed taskId, uint256 indexed range, address indexed owner, uint256 amount);
    /// @param taskId The task.
    /// @param prover Contributor.
    /// @param units Contribution units credited.
    /// @param amount Paid (through the registry; the root prover's share is the accepted proof's payment).
    event ContributionPaid(uint256 indexed taskId, address indexed prover, uint256 units, uint256 amount);
    /// @param prover Member.
    /// @param amount Added.
    /// @param freeBond Free bond after.
    event PoolJoined(address indexed prover, uint256 amount, uint256 freeBond);
    /// @param prover Member.
    /// @param amount Requested to leave (stays drawable until it does).
    /// @param availableAt When it may leave.
    event LeaveRequested(address indexed prover, uint256 amount, uint256 availableAt);
    /// @param prover Member.
    /// @param amount Withdrawn.
    /// @param freeBond Free bond after.
    event PoolLeft(address indexed prover, uint256 amount, uint256 freeBond);
    /// @param account Who withdrew.
    /// @param amount How much.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Adds `amount` of bond for msg.sender (a registered prover), joining the pool if needed. A
    ///         member whose bond changes (here or in `leavePool`) is not drawn by a draw whose seed block is
    ///         the next block or later, since that seed may already be public.
    function joinPool(uint256 amount) external;
    /// @notice Announces that msg.sender will withdraw `amount` of its free bond after `exitDelay` (replaces
    ///         any earlier request). The bond stays drawable meanwhile, so a member who sees a draw's seed
    ///         cannot leave before the draw to dodge it.
    function requestLeave(uint256 amount) external;
    /// @notice Withdraws the requested amount once the exit delay has passed (capped by the free bond then,
    ///         since draws may have locked part of it); leaves the pool when nothing is left or locked.
    function leavePool() external returns (uint256 amount);
    /// @notice Draws the range owners once the seed block `drawBlock` is past (anyone may call), seeded by
    ///         that block's prevrandao read from `header` (its RLP header, checked against `blockhash`):
    ///         each range ∝ total bond among the drawable members whose bond did not change from the block
    ///         before `drawBlock` on, by an exponential race (ExponentialRace). Re-anchors the seed to a future block if `drawBlock` is more than 256 blocks old (then `header`
    ///         is ignored).
    function draw(uint256 taskId, bytes calldata header) external;
    /// @notice The range owner attests its range's top node before the range deadline.
    function attest(uint256 taskId, uint256 range, bytes32 topCommitment, bytes32 nodeId) external;
    /// @notice After the range deadline, the owner of the sibling subtree (having attested its own range)
    ///         takes over an unattested range: the failed owner's bond is slashed, the uncle becomes owner.
    function cover(uint256 taskId, uint256 range, bytes32 topCommitment, bytes32 nodeId) external;
    /// @notice Withdraws msg.sender's credited uncle rewards and requester compensation.
    function withdraw() external returns (uint256 amount);

    /// @notice A tree task.
    function treeOf(uint256 taskId) external view returns (TreeTask memory);
    /// @notice One range of a tree task.
    function rangeOf(uint256 taskId, uint256 range) external view returns (Range memory);
    /// @notice The current root prover (range 0's owner; zero before the draw).
    function rootProverOf(uint256 taskId) external view returns (address);
    /// @notice Pool size (members now).
    function poolSize() external view returns (uint256);
    /// @notice Pool slots handed out so far (members keep their slot while they are in the pool; a slot
    ///         freed by a leaving member is reused by the next new member). `memberAt(0 … memberSlots() − 1)`
    ///         enumerates the pool.
    function memberSlots() external view returns (uint256);
    /// @notice The member in pool slot `index` (zero if the slot is free or was never used).
    function memberAt(uint256 index) external view returns (Member memory);
    /// @notice A prover's free bond and ranges locked.
    function bondOf(address prover) external view returns (uint256 freeBond, uint256 lockedRanges);
    /// @notice Credited to `account`, not yet withdrawn.
    function claimable(address account) external view returns (uint256);
}
