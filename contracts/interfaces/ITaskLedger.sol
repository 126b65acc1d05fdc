// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerRequest, LedgerTask, TaskWord} from "../types/LedgerTask.sol";
import {IProverRegistry} from "./IProverRegistry.sol";
import {IVerifierRegistry} from "./IVerifierRegistry.sol";

/// @title ITaskLedger
/// @notice The one-word task core (docs/one-word-tasks.md): a task's whole state travels in calldata as a
///         `LedgerTask`, and the ledger keeps one word per live task (`TaskWord`: the task's hash and two counters).
///         Escrow comes from deposits; only the task's mechanism assigns provers; a proof is accepted only if the
///         circuit's verifier accepts it with the submitter's address as the last public input; every payout and
///         refund is a credit withdrawn by its owner.
/// @dev Rebuilding a task from logs: `TaskCreated` and `TaskReopened` carry the whole task; `ProverAssigned`,
///      `ProverUnassigned`, `AssignmentSlashed` and `MechanismStateSet` carry every field they change (see each);
///      `ProofAccepted` carries the new proof count (the task is fulfilled and gone when it equals the
///      redundancy); `TaskCancelled` and `TaskExpiredFinal` end it. Conservation: the ledger's token balance equals
///      Σ credit balances + Σ over live tasks (unsettled slots + cover bounty).
interface ITaskLedger {
    // ------------------------------------------------------------------ errors

    /// @param taskId The task: the task passed does not hash to its live word (or it has none: closed, never made).
    error StaleTask(uint256 taskId);
    /// @param taskId The task.
    /// @param deadline Its deadline, already past.
    error TaskExpired(uint256 taskId, uint32 deadline);
    /// @param taskId The task.
    /// @param deadline Its deadline, not yet past.
    error TaskNotExpired(uint256 taskId, uint32 deadline);
    /// @param deadline A deadline not in the future.
    error DeadlineInPast(uint64 deadline);
    /// @param deadline A deadline past 2^32 − 1 (tasks carry 32-bit times).
    error DeadlineTooFar(uint64 deadline);
    /// @notice A request with redundancy 0.
    error ZeroRedundancy();
    /// @notice A request with maxPayment 0, or a deposit / withdrawal of 0.
    error ZeroAmount();
    /// @param mechanism Not an allow-listed mechanism.
    error MechanismNotRegistered(address mechanism);
    /// @param mechanism Cannot be allow-listed: no code, or no `hooks()` answer.
    error InvalidMechanism(address mechanism);
    /// @param caller Not the task's mechanism.
    /// @param taskId The task.
    error OnlyTaskMechanism(address caller, uint256 taskId);
    /// @param caller Not the task's requester.
    /// @param taskId The task.
    error OnlyRequester(address caller, uint256 taskId);
    /// @param taskId The task.
    /// @param expected The task's input commitment.
    /// @param actual keccak256 of the inputs submitted.
    error InputCommitmentMismatch(uint256 taskId, bytes32 expected, bytes32 actual);
    /// @param taskId The task.
    /// @param prover Already had a proof accepted for it.
    error AlreadyProven(uint256 taskId, address prover);
    /// @param taskId The task.
    /// @param assignee Its live assignee.
    error AlreadyAssigned(uint256 taskId, address assignee);
    /// @param taskId The task, without a live assignment.
    error NotAssigned(uint256 taskId);
    /// @param taskId The task.
    /// @param assignee Its live assignee: only it may prove while the assignment stands.
    error AssignedToOther(uint256 taskId, address assignee);
    /// @param taskId The task.
    /// @param redundancy Its redundancy: an assignment needs redundancy 1 (one assignee per task).
    error AssignmentNeedsRedundancyOne(uint256 taskId, uint8 redundancy);
    /// @param taskId The task.
    /// @param requested Price, or payment plus contributors' pay, asked for.
    /// @param available The slot's budget.
    error BudgetExceeded(uint256 taskId, uint256 requested, uint256 available);
    /// @param taskId The task, with an assignment or an accepted proof.
    error CannotCancel(uint256 taskId);
    /// @param account The account.
    /// @param required Amount asked for.
    /// @param available Its balance.
    error InsufficientBalance(address account, uint256 required, uint256 available);
    /// @param account The account credited.
    /// @param amount The credit that does not fit the 128-bit balance.
    error CreditOverflow(address account, uint256 amount);
    /// @param account A requester that opened 2^32 − 1 tasks.
    error NonceExhausted(address account);
    /// @notice A fallback named with a zero window.
    error ZeroFallbackWindow();
    /// @notice The treasury cannot be the zero address.
    error InvalidTreasury();
    /// @param taskId The task.
    /// @param redundancy Its redundancy.
    /// @param maxWinners The mechanism's declared cap.
    error TooManyWinners(uint256 taskId, uint8 redundancy, uint8 maxWinners);
    /// @param taskId The task.
    /// @param caller Not the mechanism of a task whose payment hook is running.
    error NotInPaymentHook(uint256 taskId, address caller);
    /// @param taskId The task whose mechanism counter is at 255.
    error CounterFull(uint256 taskId);
    /// @param gasLeft Gas left before a capped hook.
    /// @param required Gas the hook needs to get its full allowance.
    error InsufficientGas(uint256 gasLeft, uint256 required);

    // ------------------------------------------------------------------ events

    /// @param taskId The new task (requester << 96 | nonce).
    /// @param mechanism Its mechanism.
    /// @param task The whole task as stored.
    event TaskCreated(uint256 indexed taskId, address indexed mechanism, LedgerTask task);
    /// @param taskId The task.
    /// @param prover Now its assignee.
    /// @param price The assignee's price.
    /// @param collateral Collateral locked.
    /// @param mechanismState The task's new mechanismState.
    event ProverAssigned(
        uint256 indexed taskId, address indexed prover, uint96 price, uint96 collateral, uint64 mechanismState
    );
    /// @param taskId The task (assignee, price and collateral now zero).
    /// @param prover Released without penalty.
    /// @param mechanismState The task's new mechanismState.
    event ProverUnassigned(uint256 indexed taskId, address indexed prover, uint64 mechanismState);
    /// @param taskId The task (assignee, price and collateral now zero; coverBounty += toCover and flags gain
    ///        FLAG_SLASHED, unless it expired in the same call: then it is gone or reopened, TaskReopened says how).
    /// @param prover Slashed.
    /// @param amount Collateral slashed.
    /// @param toTreasury Credited to the treasury.
    /// @param toCover Added to the task's cover bounty.
    /// @param toRequester Credited to the requester.
    /// @param mechanismState The task's new mechanismState (unchanged on expiry).
    event AssignmentSlashed(
        uint256 indexed taskId,
        address indexed prover,
        uint256 amount,
        uint256 toTreasury,
        uint256 toCover,
        uint256 toRequester,
        uint64 mechanismState
    );
    /// @param taskId The task.
    /// @param mechanismState Its new mechanismState.
    event MechanismStateSet(uint256 indexed taskId, uint64 mechanismState);
    /// @param taskId The task.
    /// @param prover Whose proof was accepted.
    /// @param credited Credited to the prover (payment, plus the cover bounty on the fulfilling proof).
    /// @param refunded The slot's unpaid part, credited to the requester.
    /// @param proofsAccepted Accepted proofs now; equal to the redundancy: fulfilled and closed.
    event ProofAccepted(
        uint256 indexed taskId, address indexed prover, uint256 credited, uint256 refunded, uint8 proofsAccepted
    );
    /// @param taskId The task.
    /// @param contributor Credited by the task's mechanism from the accepted proof's slot.
    /// @param amount Credited.
    event ContributorPaid(uint256 indexed taskId, address indexed contributor, uint256 amount);
    /// @param taskId The task, expired for good.
    /// @param refunded Credited to the requester (unsettled slots, cover bounty, slash shares).
    event TaskExpiredFinal(uint256 indexed taskId, uint256 refunded);
    /// @param taskId The task, now under its fallback (same id, accepted proofs kept, mechanism counter reset).
    /// @param mechanism The fallback.
    /// @param task The whole task as now stored.
    event TaskReopened(uint256 indexed taskId, address indexed mechanism, LedgerTask task);
    /// @param taskId The task whose fallback refused it (reverted or ran out of gas); it expired for good.
    /// @param mechanism The fallback.
    event FallbackFailed(uint256 indexed taskId, address indexed mechanism);
    /// @param taskId The task.
    /// @param refunded Credited back to the requester.
    event TaskCancelled(uint256 indexed taskId, uint256 refunded);
    /// @param taskId The task.
    /// @param requester The consumer whose callback reverted, ran out of gas or has no code.
    event RequesterCallbackFailed(uint256 indexed taskId, address indexed requester);
    /// @param taskId The routed task whose outcome the router did not take.
    /// @param router The router (zero or without code, or its onRoutedTaskEnded reverted or ran out of gas).
    event RouterCallbackFailed(uint256 indexed taskId, address indexed router);
    /// @param router The router whose createTaskFor tasks carry FLAG_ROUTED (zero: none).
    event RouterSet(address indexed router);
    /// @param account Who deposited.
    /// @param amount Credited.
    event Deposited(address indexed account, uint256 amount);
    /// @param account Who withdrew.
    /// @param amount How much.
    event Withdrawn(address indexed account, uint256 amount);
    /// @param mechanism The mechanism.
    /// @param allowed Whether tasks may now name it.
    /// @param hookFlags Its declared hooks.
    /// @param redundancyCap Its declared cap (0: none).
    event MechanismAllowed(address indexed mechanism, bool allowed, uint8 hookFlags, uint8 redundancyCap);
    /// @param treasury The new treasury.
    event TreasurySet(address indexed treasury);
    /// @param treasuryBps Treasury share of a slash.
    /// @param coverBps Cover-bounty share (the requester gets the rest).
    event SlashSplitSet(uint16 treasuryBps, uint16 coverBps);

    // ------------------------------------------------------------------ funds

    /// @notice Credits `amount`, pulled with transferFrom, to msg.sender's balance (escrow for its tasks).
    function deposit(uint256 amount) external;
    /// @notice Transfers `amount` of msg.sender's balance (deposits, refunds, payouts) to it.
    function withdraw(uint256 amount) external;

    // ------------------------------------------------------------------ requester side

    /// @notice Opens a task for msg.sender, its escrow debited from msg.sender's balance.
    /// @return taskId msg.sender << 96 | its next nonce.
    /// @return task The task as stored and logged.
    function createTask(LedgerRequest calldata request) external returns (uint256 taskId, LedgerTask memory task);
    /// @notice Opens a task for `requester`, its escrow debited from `requester`'s balance (ROUTER_ROLE only). A
    ///         task opened by the ledger's router (`router()`) carries FLAG_ROUTED: the ledger tells the router how
    ///         it ended (IRoutedTaskObserver).
    function createTaskFor(address requester, LedgerRequest calldata request)
        external
        returns (uint256 taskId, LedgerTask memory task);
    /// @notice Cancels a task with no assignment and no accepted proof (its requester only); escrow and any
    ///         cover bounty are credited back.
    function cancelTask(uint256 taskId, LedgerTask calldata task) external;

    // ------------------------------------------------------------------ mechanism side

    /// @notice Assigns `prover` at `price` (≤ maxPayment), locking `collateral` of its stake (the task's mechanism
    ///         only; redundancy-1 tasks, before the deadline, nobody assigned).
    function assign(
        uint256 taskId,
        LedgerTask calldata task,
        address prover,
        uint96 price,
        uint96 collateral,
        uint64 mechanismState
    ) external;
    /// @notice Ends the assignment without penalty, releasing the collateral (the task's mechanism only).
    function unassign(uint256 taskId, LedgerTask calldata task, uint64 mechanismState) external;
    /// @notice Slashes the assignment now (a mechanism-level deadline missed) and frees the task: the collateral
    ///         is split treasury / cover bounty / requester (the task's mechanism only).
    function slashAssignment(uint256 taskId, LedgerTask calldata task, uint64 mechanismState) external;
    /// @notice Replaces the task's mechanismState (the task's mechanism only).
    function setMechanismState(uint256 taskId, LedgerTask calldata task, uint64 mechanismState) external;
    /// @notice Bumps the task's mechanism counter (word bits 8-15) after checking `task` (the task's mechanism only).
    /// @return count The counter after the bump.
    function bumpMechanismCounter(uint256 taskId, LedgerTask calldata task) external returns (uint256 count);
    /// @notice Credits `amount` from the slot of the proof being accepted to `contributor`: only the task's
    ///         mechanism, only from inside its onProofAccepted for that task. The payment plus every contributor's
    ///         pay must fit the slot.
    function payContributor(uint256 taskId, address contributor, uint96 amount) external;

    // ------------------------------------------------------------------ prover side

    /// @notice Submits a proof of `task` as msg.sender: accepted if the task is live and `task` is current,
    ///         the deadline has not passed, keccak256 of `publicInputs` is the task's commitment, msg.sender is
    ///         registered, has no accepted proof for it, is the assignee or the task has none, and the circuit's
    ///         verifier accepts `proof` for `publicInputs ++ [uint160(msg.sender)]`. The proof settles its slot.
    /// @return credited What msg.sender was credited.
    function submitProof(
        uint256 taskId,
        LedgerTask calldata task,
        uint256[] calldata publicInputs,
        bytes calldata proof
    ) external returns (uint256 credited);

    // ------------------------------------------------------------------ anyone

    /// @notice After the deadline: slashes a live assignment, then reopens the task once under its fallback, or
    ///         ends it and credits the requester. Anyone may call.
    function expire(uint256 taskId, LedgerTask calldata task) external;

    // ------------------------------------------------------------------ admin

    /// @notice Allow-lists or delists a mechanism (MECHANISM_ADMIN_ROLE), reading its `hooks()`. Delisting stops
    ///         new tasks and reopens naming it; running tasks finish under it.
    function setMechanism(address mechanism, bool allowed) external;
    /// @notice Sets the router told about the tasks it opens (PARAMS_ADMIN_ROLE; it also needs ROUTER_ROLE to open
    ///         them). Tasks it opened before a change are reported to whichever router is set when they end.
    function setRouter(address router) external;
    /// @notice Sets the treasury (PARAMS_ADMIN_ROLE).
    function setTreasury(address treasury) external;
    /// @notice Sets the slash split (PARAMS_ADMIN_ROLE): treasuryBps ≤ 5000, treasuryBps + coverBps ≤ 10000.
    function setSlashSplit(uint16 treasuryBps, uint16 coverBps) external;

    // ------------------------------------------------------------------ views

    /// @notice The live word of `taskId` (zero: none).
    function taskWord(uint256 taskId) external view returns (TaskWord);
    /// @notice Reverts StaleTask unless `task` is the live task `taskId`.
    /// @return proofsAccepted Its accepted proofs.
    /// @return mechanismCounter Its mechanism counter.
    function checkTask(uint256 taskId, LedgerTask calldata task)
        external
        view
        returns (uint256 proofsAccepted, uint256 mechanismCounter);
    /// @notice keccak256(abi.encode(task)), whose high 240 bits a live word holds.
    function hashTask(LedgerTask calldata task) external pure returns (bytes32);
    /// @notice The id `requester`'s next task will get.
    function nextTaskId(address requester) external view returns (uint256);
    /// @notice `account`'s balance (deposits, payouts and refunds not withdrawn).
    function balanceOf(address account) external view returns (uint256);
    /// @notice Proofs of `prover` this ledger accepted (ProverRegistry.recordOf adds them once this ledger is bound).
    function completionsOf(address prover) external view returns (uint256);
    /// @notice Whether `prover` had a proof accepted for `taskId` (recorded for redundancy > 1 tasks, where it
    ///         keeps provers distinct; a redundancy-1 task closes on its proof).
    function hasProven(uint256 taskId, address prover) external view returns (bool);
    /// @notice A mechanism's allow-list entry.
    function mechanismOf(address mechanism) external view returns (bool allowed, uint8 hookFlags, uint8 redundancyCap);
    /// @notice The router whose tasks carry FLAG_ROUTED.
    function router() external view returns (address);
    /// @notice Treasury, treasury share and cover share (basis points).
    function slashSplit() external view returns (address treasury, uint16 treasuryBps, uint16 coverBps);
    /// @notice The ProverRegistry collateral is locked in (named `provers` so that the ProverRegistry can bind it).
    function provers() external view returns (IProverRegistry);
    /// @notice The verifier registry.
    function verifiers() external view returns (IVerifierRegistry);
}
