// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";
import {ILedgerMechanism} from "./ILedgerMechanism.sol";
import {ITaskLedger} from "./ITaskLedger.sol";
import {ITreeAssignment} from "./ITreeAssignment.sol";

/// @title ILedgerTreeAssignment
/// @notice Tree assignment (kind 6) over the TaskLedger (one-word tasks): the stored TreeAssignment's rules. The
///         block's root-circuit task (redundancy 1) carries `abi.encode(uint32 txCount, uint32 rangeSize)`; its
///         leaf ranges (TreeShape) are drawn, once a block fixed at opening is past, among the mechanism's bonded
///         pool members with a free declared slot, seeded by that block's prevrandao (`draw`, with the block's
///         header); `rangeBond` of each owner's pool bond is locked per range. A merge goes to its left child's
///         owner, the root to range 0's owner, whom the ledger assigns (price 0, collateral
///         max(rootCollateral, task.minCollateral)). Owners attest their range by the range deadline; an unattested
///         range may be covered by its sibling subtree's owner (the "uncle"), which takes the range's share and
///         `uncleBps` of the failed owner's slashed bond (range 0: the ledger also slashes the root assignment and
///         assigns the uncle). The accepted root proof splits the budget by contribution: other owners through
///         the ledger's `payContributor`, the root prover's share as the proof's payment.
/// @dev Where the state lives: before the draw, in the task's `mechanismState` (bits 0-31 the seed block, 32-47
///      txCount, 48-63 rangeSize; fixed at creation, the seed block re-anchored by `setMechanismState`); from the
///      draw to the close, one packed word per task in the mechanism (`TreeWord`: owners' pool slots, range states,
///      range deadline), deleted when the task closes. Bonds and credits are held by the mechanism: token balance
///      = Σ free pool bonds + rangeBond × Σ locked ranges + Σ claimable.
interface ILedgerTreeAssignment is ILedgerMechanism {
    /// @param taskId The task.
    /// @param mechanism Its mechanism, not this instance.
    error NotThisMechanism(uint256 taskId, address mechanism);
    /// @param taskId The task to draw.
    /// @param liveTaskId A live drawn tree of the same requester whose id is taskId's modulo 256 in the nonce: they
    ///        share a tree word. Expire (or prove) that task first.
    error TreeSlotBusy(uint256 taskId, uint256 liveTaskId);
    /// @param txCount Leaves of the requested tree, above the 16 bits a task's mechanismState holds.
    error TooManyTransactions(uint256 txCount);
    error InvalidParams();
    /// @param length mechanismData length (must be 64: abi.encode(uint32 txCount, uint32 rangeSize)).
    error MalformedMechanismData(uint256 length);
    /// @param taskId Not a tree task in the expected status.
    /// @param status Its status.
    error WrongStatus(uint256 taskId, ITreeAssignment.TreeStatus status);
    /// @param taskId The task.
    /// @param drawBlock The block whose prevrandao seeds the draw, not yet past.
    error DrawTooEarly(uint256 taskId, uint256 drawBlock);
    /// @param taskId The task.
    /// @param deadline Its deadline, already past.
    error TaskPastDeadline(uint256 taskId, uint256 deadline);
    /// @param taskId No pool member has `rangeBond` of free bond, a free declared slot and a bond unchanged since
    ///        before the seed could be known.
    error NoEligibleProvers(uint256 taskId);
    /// @notice The ledger's root assignment ran out of gas (empty revert data): refused, so that a caller cannot
    ///         make the root unbacked by sending too little gas.
    /// @param taskId The task.
    /// @param prover The root prover being assigned.
    error AssignmentOutOfGas(uint256 taskId, address prover);
    /// @param taskId The task.
    /// @param range The range index.
    /// @param state Its state, which does not allow the call.
    error WrongRangeState(uint256 taskId, uint256 range, ITreeAssignment.RangeState state);
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
    /// @param assigned Whether the ledger's root assignment (with the root collateral) succeeded.
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
    /// @param amount Paid (through the ledger's payContributor; the root prover's share is the accepted proof's payment).
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
    /// @notice Draws the range owners of `task` once its seed block is past (anyone may call), seeded by that
    ///         block's prevrandao read from `header` (its RLP header, checked against `blockhash`), mixed with the
    ///         task id and opening time; each range ∝ total bond among the drawable members whose bond did not
    ///         change from the block before the seed block on (ExponentialRace). Assigns the root to range 0's
    ///         owner in the ledger. If the seed block is more than 256 blocks old, re-anchors it to a future block
    ///         instead (the task's new mechanismState; `header` is ignored).
    /// @param taskId The task.
    /// @param task The task as the ledger holds it (checked by the ledger's assign / setMechanismState).
    /// @param header RLP header of the seed block.
    function draw(uint256 taskId, LedgerTask calldata task, bytes calldata header) external;
    /// @notice The range owner attests its range's top node before the range deadline.
    function attest(uint256 taskId, uint256 range, bytes32 topCommitment, bytes32 nodeId) external;
    /// @notice After the range deadline and before the task's, the owner of the sibling subtree (having attested
    ///         its own range) takes over an unattested range: the failed owner's bond is slashed, the uncle
    ///         becomes owner. Covering range 0 also slashes the root assignment in the ledger and assigns the
    ///         uncle; `task` (the ledger's current copy) is read only then.
    function cover(uint256 taskId, LedgerTask calldata task, uint256 range, bytes32 topCommitment, bytes32 nodeId)
        external;
    /// @notice Withdraws msg.sender's credited uncle rewards and requester compensation.
    function withdraw() external returns (uint256 amount);

    /// @notice A tree task (zero before the draw: the seed block and shape are in the task's mechanismState).
    function treeOf(uint256 taskId) external view returns (ITreeAssignment.TreeTask memory);
    /// @notice One range of a drawn tree task.
    function rangeOf(uint256 taskId, uint256 range) external view returns (ITreeAssignment.Range memory);
    /// @notice The current root prover (range 0's owner; zero before the draw).
    function rootProverOf(uint256 taskId) external view returns (address);
    /// @notice Seed block, leaves and range size of an undrawn task's `mechanismState`.
    function shapeOf(uint64 mechanismState)
        external
        pure
        returns (uint256 drawBlock, uint256 txCount, uint256 rangeSize);
    /// @notice Pool size (members now).
    function poolSize() external view returns (uint256);
    /// @notice Pool slots handed out so far (`memberAt(0 … memberSlots() − 1)` enumerates the pool).
    function memberSlots() external view returns (uint256);
    /// @notice The member in pool slot `index` (zero if the slot is free or was never used).
    function memberAt(uint256 index) external view returns (ITreeAssignment.Member memory);
    /// @notice A prover's free bond and ranges locked.
    function bondOf(address prover) external view returns (uint256 freeBond, uint256 lockedRanges);
    /// @notice Credited to `account`, not yet withdrawn.
    function claimable(address account) external view returns (uint256);
    /// @notice The task ledger (the only caller of the hooks).
    function ledger() external view returns (ITaskLedger);
}
