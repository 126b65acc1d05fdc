// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TaskRequest, TaskStatus} from "../types/Task.sol";
import {IProverRegistry} from "./IProverRegistry.sol";

/// @title ITaskRegistry
/// @notice The core: one registry of proof tasks shared by every coordination mechanism. A task escrows
///         its requester's budget; only the task's mechanism assigns provers and fixes prices; a proof is
///         accepted only if the circuit's verifier accepts it with the submitting prover's address as the
///         last public input; payouts and refunds are credited and withdrawn (pull payments).
/// @dev Escrow conservation: every token unit escrowed is, exactly once, paid to a prover, refunded to
///      the requester, or (for slashed collateral) split between treasury, cover bounty and requester.
interface ITaskRegistry {
    /// @notice Registry-side view of a task.
    struct Task {
        address requester;
        uint64 deadline;
        uint8 redundancy;
        uint8 proofsAccepted;
        uint8 assignedCount;
        TaskStatus status;
        address mechanism;
        uint96 maxPayment;
        bytes32 circuitId;
        bytes32 inputCommitment;
        /// Paid out to provers so far.
        uint96 paid;
        /// Prices committed to live assignments and not yet paid.
        uint96 reserved;
        /// Slashed collateral waiting for whoever covers the failure.
        uint96 coverBounty;
        uint64 createdAt;
        /// When the task reached a final status or was reopened (0 while live); router latency stats use it.
        uint64 closedAt;
        /// Collateral slashed on this task so far; router failure stats use it.
        uint96 slashed;
        bool notifyRequester;
        /// Fallback mechanism the task reopens under once, on expiry (zero: none).
        address fallbackMechanism;
        /// How long the reopened task runs.
        uint32 fallbackWindow;
        /// When the task opened under its current mechanism: createdAt, or the reopen time after a
        /// fallback (time-based pricing such as the race's decay starts here).
        uint64 openedAt;
    }

    /// @notice The part of a task that pricing needs (what `budgetOf` returns; cheaper than `taskOf`).
    struct Budget {
        uint96 maxPayment;
        uint96 paid;
        uint96 reserved;
        uint8 redundancy;
        uint8 proofsAccepted;
        /// When the task opened under its current mechanism (see Task.openedAt).
        uint64 openedAt;
        uint64 deadline;
    }

    /// @notice A prover's assignment to a task.
    struct Assignment {
        uint96 price;
        uint96 collateral;
        bool active;
        bool delivered;
    }

    error TaskNotFound(uint256 taskId);
    /// @param taskId The task.
    /// @param status Its status, which does not allow the call.
    error TaskNotOpen(uint256 taskId, TaskStatus status);
    /// @param taskId The task.
    /// @param deadline Its deadline, already past.
    error TaskExpired(uint256 taskId, uint64 deadline);
    /// @param taskId The task.
    /// @param deadline Its deadline, not yet reached.
    error TaskNotExpired(uint256 taskId, uint64 deadline);
    error DeadlineInPast(uint64 deadline);
    error ZeroRedundancy();
    error ZeroPayment();
    /// @param mechanism An address that is not an allow-listed mechanism.
    error MechanismNotRegistered(address mechanism);
    /// @param caller The caller, which is not the task's mechanism.
    /// @param taskId The task.
    error OnlyTaskMechanism(address caller, uint256 taskId);
    /// @param caller The caller, which is not the task's requester.
    error OnlyRequester(address caller);
    /// @param taskId The task.
    /// @param expected The committed keccak256 of the public inputs.
    /// @param actual keccak256 of the inputs submitted.
    error InputCommitmentMismatch(uint256 taskId, bytes32 expected, bytes32 actual);
    /// @param taskId The task.
    /// @param prover A prover that already had a proof accepted for it.
    error AlreadyProven(uint256 taskId, address prover);
    /// @param taskId The task.
    /// @param prover Already assigned.
    error AlreadyAssigned(uint256 taskId, address prover);
    /// @param taskId The task.
    /// @param prover Not assigned.
    error NotAssigned(uint256 taskId, address prover);
    /// @param taskId The task.
    /// @param requested Price or payment asked for.
    /// @param available Unreserved budget left.
    error BudgetExceeded(uint256 taskId, uint256 requested, uint256 available);
    /// @param taskId The task.
    /// @param redundancy Every slot is already assigned.
    error RedundancyFilled(uint256 taskId, uint8 redundancy);
    error NothingToWithdraw(address account);
    /// @param taskId The task, with assignments or accepted proofs.
    error CannotCancel(uint256 taskId);
    /// @param account The requester.
    /// @param required The escrow asked for.
    /// @param available Its credited balance.
    error InsufficientBalance(address account, uint256 required, uint256 available);
    /// @notice A fallback mechanism was named with a zero fallback window.
    error ZeroFallbackWindow();
    /// @param mechanism An address without code, which cannot be allow-listed as a mechanism.
    error InvalidMechanism(address mechanism);
    /// @notice The treasury cannot be the zero address.
    error InvalidTreasury();
    /// @notice Not enough gas was forwarded to run a capped external hook (requester callback or fallback
    ///         opening) with its full allowance; retry with more gas.
    /// @param gasLeft Gas left before the hook.
    /// @param required Gas the hook call needs.
    error InsufficientGas(uint256 gasLeft, uint256 required);
    /// @notice The task asks for more proofs than its mechanism's declared redundancy cap (IRedundancyCapped);
    ///         same selector as ProofRace.TooManyWinners.
    /// @param taskId The id the task would have had.
    /// @param redundancy Its redundancy.
    /// @param maxWinners The mechanism's cap.
    error TooManyWinners(uint256 taskId, uint8 redundancy, uint8 maxWinners);

    /// @param taskId New task id.
    /// @param requester Who escrowed the budget.
    /// @param mechanism The task's mechanism.
    /// @param circuitId The circuit.
    /// @param inputCommitment keccak256 of its public inputs (prover excluded).
    /// @param maxPayment Escrowed budget.
    /// @param deadline Proof deadline.
    /// @param redundancy Proofs needed.
    event TaskCreated(
        uint256 indexed taskId,
        address indexed requester,
        address indexed mechanism,
        bytes32 circuitId,
        bytes32 inputCommitment,
        uint96 maxPayment,
        uint64 deadline,
        uint8 redundancy
    );
    /// @param taskId The task.
    /// @param prover Assigned prover.
    /// @param price Fixed price.
    /// @param collateral Collateral locked.
    event ProverAssigned(uint256 indexed taskId, address indexed prover, uint96 price, uint96 collateral);
    /// @param taskId The task.
    /// @param prover Released prover (its assignment ends without penalty).
    event ProverUnassigned(uint256 indexed taskId, address indexed prover);
    /// @param taskId The task.
    /// @param prover Prover whose proof was accepted.
    /// @param payment Paid for it (cover bounty included).
    /// @param proofsAccepted Accepted proofs so far.
    event ProofAccepted(uint256 indexed taskId, address indexed prover, uint256 payment, uint8 proofsAccepted);
    /// @param taskId The task.
    /// @param paid Total paid to provers.
    /// @param refunded Refunded to the requester.
    event TaskFulfilled(uint256 indexed taskId, uint256 paid, uint256 refunded);
    /// @param taskId The task.
    /// @param prover Slashed prover.
    /// @param amount Collateral slashed.
    /// @param toTreasury Treasury share.
    /// @param toCover Added to the task's cover bounty.
    /// @param toRequester Credited to the requester.
    event AssignmentSlashed(
        uint256 indexed taskId,
        address indexed prover,
        uint256 amount,
        uint256 toTreasury,
        uint256 toCover,
        uint256 toRequester
    );
    /// @param taskId The task.
    /// @param refunded Refunded to the requester (unspent escrow plus any unclaimed cover bounty).
    event TaskExpiredFinal(uint256 indexed taskId, uint256 refunded);
    /// @param taskId The task.
    /// @param mechanism The fallback mechanism it now runs under.
    /// @param deadline The new deadline.
    event TaskReopened(uint256 indexed taskId, address indexed mechanism, uint64 deadline);
    /// @param taskId The task.
    /// @param refunded Escrow returned.
    event TaskCancelled(uint256 indexed taskId, uint256 refunded);
    /// @param account Who deposited.
    /// @param amount Credited to its balance.
    event Deposited(address indexed account, uint256 amount);
    /// @param account Who withdrew.
    /// @param amount How much.
    event Withdrawn(address indexed account, uint256 amount);
    /// @param taskId The task.
    /// @param requester The consumer whose callback reverted or ran out of gas (the task still settles).
    event RequesterCallbackFailed(uint256 indexed taskId, address indexed requester);
    /// @param mechanism The mechanism.
    /// @param allowed Whether tasks may now name it.
    event MechanismAllowed(address indexed mechanism, bool allowed);
    /// @param taskId The task.
    /// @param contributor Prover credited by the task's mechanism for work the task's proof built on.
    /// @param amount Credited from the task's budget.
    event ContributorPaid(uint256 indexed taskId, address indexed contributor, uint256 amount);
    /// @param taskId The task.
    /// @param mechanism The fallback mechanism whose onTaskOpened reverted; the task expired for good.
    event FallbackFailed(uint256 indexed taskId, address indexed mechanism);
    /// @param treasury The new treasury (receives the treasury share of slashes).
    event TreasurySet(address indexed treasury);
    /// @param treasuryBps Share of slashed collateral credited to the treasury.
    /// @param coverBps Share added to the task's cover bounty (the rest is credited to the requester).
    event SlashSplitSet(uint16 treasuryBps, uint16 coverBps);

    /// @notice Opens a task; pulls `maxPayment` from msg.sender, who becomes the requester.
    function createTask(TaskRequest calldata request) external returns (uint256 taskId);
    /// @notice Opens a task on behalf of `requester`, pulling its escrow from `requester` (ROUTER_ROLE only).
    function createTaskFor(address requester, TaskRequest calldata request) external returns (uint256 taskId);
    /// @notice Opens a task whose escrow is taken from msg.sender's credited balance (deposits, refunds,
    ///         payouts) instead of a token transfer — Boundless-style prepaid requests, ~12.5k gas cheaper.
    function createTaskFromBalance(TaskRequest calldata request) external returns (uint256 taskId);
    /// @notice Credits `amount` (pulled with transferFrom) to msg.sender's balance, for createTaskFromBalance;
    ///         withdraw() returns whatever is not spent.
    function deposit(uint256 amount) external;
    /// @notice Cancels an open task with no assignment and no accepted proof; escrow is credited back.
    function cancelTask(uint256 taskId) external;

    /// @notice Assigns `prover` at `price`, locking `collateral` of its stake (task's mechanism only).
    function assign(uint256 taskId, address prover, uint96 price, uint96 collateral) external;
    /// @notice Ends an assignment without penalty (task's mechanism only; e.g. a lost sealed bid round).
    function unassign(uint256 taskId, address prover) external;
    /// @notice Slashes an assignment that missed the mechanism's own deadline and frees its slot
    ///         (task's mechanism only; e.g. an ascending-auction lock that was not proven in time).
    function slashAssignment(uint256 taskId, address prover) external;
    /// @notice Credits `amount` of the task's unreserved budget to `contributor` (task's mechanism only, while
    ///         the task is live), so that one accepted proof can pay every prover whose work it built on
    ///         (TreeAssignment pays range owners from its onProofAccepted). Counts as paid; the budget cap
    ///         of the accepted proof's own payment is computed after the hook, so the total stays within
    ///         maxPayment.
    function payContributor(uint256 taskId, address contributor, uint96 amount) external;

    /// @notice Submits a proof for `taskId` as msg.sender. Accepted only if keccak256 of `publicInputs`
    ///         matches the task's commitment, the circuit's verifier accepts `proof` for
    ///         `publicInputs ++ [uint160(msg.sender)]`, and the task's mechanism accepts the prover.
    /// @return payment What msg.sender was credited.
    function submitProof(uint256 taskId, uint256[] calldata publicInputs, bytes calldata proof)
        external
        returns (uint256 payment);

    /// @notice After the deadline: slashes undelivered assignments, then reopens the task once under its
    ///         fallback mechanism, or ends it and credits the requester. Anyone may call.
    function expire(uint256 taskId) external;

    /// @notice Withdraws msg.sender's credited payouts and refunds.
    function withdraw() external returns (uint256 amount);

    /// @notice The task.
    function taskOf(uint256 taskId) external view returns (Task memory);
    /// @notice The task's budget and timing, for mechanisms pricing a proof from their hooks (reads three
    ///         storage slots where taskOf reads six).
    function budgetOf(uint256 taskId) external view returns (Budget memory);
    /// @notice A prover's assignment to a task.
    function assignmentOf(uint256 taskId, address prover) external view returns (Assignment memory);
    /// @notice Whether `prover` had a proof accepted for `taskId`.
    function hasProven(uint256 taskId, address prover) external view returns (bool);
    /// @notice Credited, not yet withdrawn.
    function claimable(address account) external view returns (uint256);
    /// @notice Number of tasks created (ids are 1..taskCount).
    function taskCount() external view returns (uint256);
    /// @notice Whether `mechanism` is allow-listed.
    function isMechanism(address mechanism) external view returns (bool);

    /// @notice Allow-lists or delists a mechanism instance (MECHANISM_ADMIN_ROLE only). Delisting stops new
    ///         tasks (and reopens) from naming it; tasks already under it run to their end.
    function setMechanism(address mechanism, bool allowed) external;
    /// @notice Sets the treasury (PARAMS_ADMIN_ROLE only).
    function setTreasury(address treasury) external;
    /// @notice Sets the slash split (PARAMS_ADMIN_ROLE only): treasuryBps ≤ 5000 and treasuryBps + coverBps
    ///         ≤ 10000; the requester gets the rest.
    function setSlashSplit(uint16 treasuryBps, uint16 coverBps) external;
    /// @notice The slash split: treasury address, treasury share and cover share in basis points.
    function slashSplit() external view returns (address treasury, uint16 treasuryBps, uint16 coverBps);

    // ------------------------------------------------------------------ completions

    /// @notice A credit would not fit the 192-bit amount of the account's credit word (the word also holds two
    ///         flags and, for a prover, its count of completions). Only a token whose supply exceeds
    ///         2^192 units can reach it.
    /// @param account The account credited.
    /// @param amount The credit that does not fit.
    error CreditOverflow(address account, uint256 amount);

    /// @notice Proofs of `prover` accepted by this registry, assigned or not (delivered assignments, open races,
    ///         covers, open proofs). They are counted here, in the prover's credit word that the acceptance
    ///         writes anyway, instead of in the ProverRegistry (whose delivery release then touches one slot);
    ///         `ProverRegistry.recordOf` adds them to its own count.
    function completionsOf(address prover) external view returns (uint256);
    /// @notice The ProverRegistry this registry locks and slashes collateral in and checks registrations with.
    function provers() external view returns (IProverRegistry);
}
