// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBudgetedMechanism} from "./interfaces/IBudgetedMechanism.sol";
import {IMechanism} from "./interfaces/IMechanism.sol";
import {IProofConsumer} from "./interfaces/IProofConsumer.sol";
import {IProverRegistry} from "./interfaces/IProverRegistry.sol";
import {IRedundancyCapped} from "./interfaces/IRedundancyCapped.sol";
import {IStatelessMechanism} from "./interfaces/IStatelessMechanism.sol";
import {ITaskRegistry} from "./interfaces/ITaskRegistry.sol";
import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";
import {SlashSplit} from "./libraries/SlashSplit.sol";
import {VerifierCall} from "./libraries/VerifierCall.sol";
import {TaskRequest, TaskStatus} from "./types/Task.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title TaskRegistry
/// @notice One registry of proof tasks shared by every coordination mechanism: escrow, lifecycle,
///         assignments (made by the task's mechanism only), proof acceptance bound to the submitting prover,
///         slashing on expiry with a fallback reopen, and pull payouts.
/// @dev Storage is packed so that opening a task writes three fresh slots (four with a fallback): mechanism
///      and circuit addresses are interned as 16-bit ids, timestamps are 32-bit (good until 2106; the
///      interface widens them). Conservation: the token balance of this contract equals
///      Σ over live tasks (maxPayment − paid + coverBounty) + Σ claimable; every function keeps it.
contract TaskRegistry is ITaskRegistry, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice May open tasks on behalf of a requester (the MechanismRouter).
    bytes32 public constant ROUTER_ROLE = keccak256("proofmarket.role.router");
    /// @notice May allow-list and delist mechanism instances.
    bytes32 public constant MECHANISM_ADMIN_ROLE = keccak256("proofmarket.role.mechanism-admin");
    /// @notice May set the treasury and the slash split.
    bytes32 public constant PARAMS_ADMIN_ROLE = keccak256("proofmarket.role.params-admin");

    /// @notice Gas the requester's IProofConsumer callback gets (a Rollup advancing a few proven blocks).
    uint256 internal constant REQUESTER_CALLBACK_GAS = 500_000;
    /// @notice Gas a fallback mechanism's onTaskOpened gets on reopen (it may draw and assign provers).
    uint256 internal constant FALLBACK_OPEN_GAS = 2_000_000;
    /// @dev Top bit of a credit word: set on an account's first credit and kept when it withdraws, so that every
    ///      later credit rewrites a non-zero slot (2,900 gas) instead of filling an empty one (20,000). The
    ///      amount is the low 192 bits (AMOUNT_MASK); a prover's word also holds PROVER_CHECKED and its count of
    ///      completions.
    uint256 internal constant CREDIT_SEEN = 1 << 255;
    /// @dev Bit 254 of a prover's credit word: its registration was checked with the ProverRegistry (registration
    ///      is permanent there), so later unassigned proofs skip the call.
    uint256 internal constant PROVER_CHECKED = 1 << 254;
    /// @dev Bits 192-253 of a prover's credit word count its accepted proofs (`completionsOf`);
    ///      the amount is the low 192 bits.
    uint256 internal constant COMPLETION_UNIT = 1 << 192;
    uint256 internal constant AMOUNT_MASK = COMPLETION_UNIT - 1;
    /// @dev `TaskData.flags`: the requester asked for the IProofConsumer callbacks.
    uint8 internal constant FLAG_NOTIFY = 1;
    /// @dev `TaskData.flags`: the task has a fallback or had an assignment, so its slot 3 (reservations, cover
    ///      bounty, reopen, fallback) and its (task, prover) assignment words may be non-zero. Set by the first
    ///      `assign` or, for a task created with a fallback, by `_storeFallback` (a warm rewrite of the slot-0 word
    ///      just written: nothing is added to a race task's creation); while it is clear every one of those words
    ///      is zero and the proof, cancel and expiry paths do not read them.
    uint8 internal constant FLAG_TOUCHED = 2;
    /// @dev Bit 160 of a mechanism's interned address word: it declared IBudgetedMechanism.takesBudgetInHook.
    uint256 internal constant BUDGET_HOOK = 1 << 160;
    /// @dev Bit 161 of a mechanism's interned address word: it declared IStatelessMechanism.keepsNoTaskState, so
    ///      its `onTaskClosed` is not called.
    uint256 internal constant STATELESS = 1 << 161;

    /// @notice The one token of the deployment (escrow and payouts).
    IERC20 public immutable token;
    /// @notice Stake, collateral and records.
    IProverRegistry public immutable provers;
    /// @notice Circuit id → verifier.
    IVerifierRegistry public immutable verifiers;

    /// @dev Packed task. Slot 0–2 are written at creation, slot 3 only with a fallback or an assignment (see
    ///      FLAG_TOUCHED), slot 4 with a fallback, slot 5 on the first slash.
    struct TaskData {
        // slot 0
        address requester;
        uint32 deadline;
        uint32 createdAt;
        uint8 redundancy;
        TaskStatus status;
        uint8 proofsAccepted;
        uint8 flags; // FLAG_NOTIFY | FLAG_TOUCHED
        // slot 1
        uint96 maxPayment;
        uint96 paid;
        uint16 mechanismId;
        uint16 circuitId;
        uint32 closedAt;
        // slot 2
        bytes32 inputCommitment;
        // slot 3
        uint96 reserved;
        uint96 coverBounty;
        uint32 openedAt; // 0 until reopened (createdAt applies)
        uint16 fallbackId;
        uint8 assignedCount;
        bool fallbackUsed;
        // slot 4 (fallback tasks only: the reopen window and the QoS hard limits the fallback is told)
        uint32 fallbackWindow;
        uint8 minRedundancy;
        uint96 minStakeAtRisk;
        // slot 5
        uint96 slashed;
    }

    /// @dev One slot per (task, prover) that was ever assigned: the assignment, its position in the live list,
    ///      and whether the assigned prover's proof was accepted (`proven`; unassigned proofs: `_provenBits`).
    struct AssignmentData {
        uint96 price;
        uint96 collateral;
        uint8 index;
        bool active;
        bool delivered;
        bool proven;
    }

    /// @dev `redundancyCap`: non-zero when the mechanism declared one (IRedundancyCapped) at allow-listing; the
    ///      registry then enforces it at creation instead of calling `onTaskOpened`.
    struct MechanismEntry {
        uint16 id;
        bool allowed;
        uint8 redundancyCap;
    }

    /// @notice Receives the treasury share of slashes.
    address internal treasury;
    /// @notice Treasury share of a slash, in basis points (default 2000).
    uint16 internal treasuryBps;
    /// @notice Cover-bounty share of a slash, in basis points (default 5000; the requester gets the rest).
    uint16 internal coverBps;

    uint256 internal _taskCount;
    mapping(uint256 taskId => TaskData) internal _tasks;
    mapping(uint256 taskId => mapping(address prover => AssignmentData)) internal _assignments;
    /// @dev Live (active, undelivered) assignments of a task: index → prover, for index < assignedCount.
    mapping(uint256 taskId => mapping(uint256 index => address prover)) internal _live;
    /// @dev Credit word of an account: amount in the low 192 bits, completions in bits 192-253 (provers),
    ///      PROVER_CHECKED (bit 254), CREDIT_SEEN on top once ever credited.
    mapping(address account => uint256) internal _claimable;
    /// @dev Accepted proofs of provers that were not assigned (races, covers): bit `taskId & 255` of word
    ///      `taskId >> 8`. A prover that proves regularly rewrites a non-zero word, cheaper than a fresh
    ///      per-(task, prover) slot; assigned provers' proofs are marked in their assignment slot, which the
    ///      delivery writes anyway.
    mapping(address prover => mapping(uint256 word => uint256 bits)) internal _provenBits;

    mapping(address mechanism => MechanismEntry) internal _mechanisms;
    /// @dev id − 1 → the mechanism's address in the low 160 bits, BUDGET_HOOK and STATELESS above (read with
    ///      `_mechanismWord`).
    uint256[] internal _mechanismList;
    mapping(bytes32 circuitId => uint16) internal _circuitIds;
    bytes32[] internal _circuitList; // id − 1 → circuit id

    /// @param token_ The deployment's token.
    /// @param provers_ The prover registry (must grant this contract TASK_REGISTRY_ROLE).
    /// @param verifiers_ The verifier registry.
    /// @param admin Receives DEFAULT_ADMIN_ROLE, MECHANISM_ADMIN_ROLE and PARAMS_ADMIN_ROLE.
    /// @param treasury_ Receives the treasury share of slashes.
    constructor(
        IERC20 token_,
        IProverRegistry provers_,
        IVerifierRegistry verifiers_,
        address admin,
        address treasury_
    ) {
        if (treasury_ == address(0)) revert InvalidTreasury();
        token = token_;
        provers = provers_;
        verifiers = verifiers_;
        treasury = treasury_;
        treasuryBps = 2000;
        coverBps = 5000;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MECHANISM_ADMIN_ROLE, admin);
        _grantRole(PARAMS_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ requester side

    /// @inheritdoc ITaskRegistry
    function createTask(TaskRequest calldata request) external nonReentrant returns (uint256 taskId) {
        return _create(msg.sender, request, true);
    }

    /// @inheritdoc ITaskRegistry
    function createTaskFor(address requester, TaskRequest calldata request)
        external
        nonReentrant
        onlyRole(ROUTER_ROLE)
        returns (uint256 taskId)
    {
        return _create(requester, request, true);
    }

    /// @inheritdoc ITaskRegistry
    function createTaskFromBalance(TaskRequest calldata request) external nonReentrant returns (uint256 taskId) {
        uint256 word = _claimable[msg.sender];
        uint256 balance = word & AMOUNT_MASK;
        if (request.maxPayment > balance) revert InsufficientBalance(msg.sender, request.maxPayment, balance);
        _claimable[msg.sender] = word - request.maxPayment;
        return _create(msg.sender, request, false);
    }

    /// @inheritdoc ITaskRegistry
    function deposit(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroPayment();
        _credit(msg.sender, amount);
        emit Deposited(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ITaskRegistry
    function cancelTask(uint256 taskId) external nonReentrant {
        TaskData storage t = _tasks[taskId];
        TaskStatus status = t.status;
        if (status == TaskStatus.None) revert TaskNotFound(taskId);
        if (msg.sender != t.requester) revert OnlyRequester(msg.sender);
        if (status != TaskStatus.Open) revert TaskNotOpen(taskId, status);
        bool touched = t.flags & FLAG_TOUCHED != 0;
        if ((touched && t.assignedCount != 0) || t.proofsAccepted != 0) revert CannotCancel(taskId);

        emit TaskCancelled(taskId, _close(t, TaskStatus.Cancelled, touched));

        _tellClosed(_mechanismWord(t.mechanismId), taskId);
    }

    // ------------------------------------------------------------------ mechanism side

    /// @inheritdoc ITaskRegistry
    function assign(uint256 taskId, address prover, uint96 price, uint96 collateral) external {
        TaskData storage t = _tasks[taskId];
        _checkMechanism(t, taskId);
        TaskStatus status = t.status;
        if (status == TaskStatus.Assigned) revert RedundancyFilled(taskId, t.redundancy);
        if (status != TaskStatus.Open) revert TaskNotOpen(taskId, status);
        if (block.timestamp > t.deadline) revert TaskExpired(taskId, t.deadline);
        AssignmentData storage a = _assignments[taskId][prover];
        if (a.active) revert AlreadyAssigned(taskId, prover);
        // The bitmap is only read once some proof was accepted (before that, nobody can have proven).
        if (a.proven || (t.proofsAccepted != 0 && _provenBits[prover][taskId >> 8] & _bit(taskId) != 0)) {
            revert AlreadyProven(taskId, prover);
        }
        uint256 slotsUsed = uint256(t.assignedCount) + t.proofsAccepted;
        if (slotsUsed >= t.redundancy) revert RedundancyFilled(taskId, t.redundancy);
        uint256 available = uint256(t.maxPayment) - t.paid - t.reserved;
        if (price > available) revert BudgetExceeded(taskId, price, available);

        if (t.flags & FLAG_TOUCHED == 0) t.flags |= FLAG_TOUCHED;
        uint8 index = t.assignedCount;
        a.price = price;
        a.collateral = collateral;
        a.index = index;
        a.active = true;
        a.delivered = false;
        _live[taskId][index] = prover;
        t.assignedCount = index + 1;
        t.reserved += price;
        if (slotsUsed + 1 == t.redundancy) t.status = TaskStatus.Assigned;
        emit ProverAssigned(taskId, prover, price, collateral);

        provers.lockCollateral(prover, taskId, collateral);
    }

    /// @inheritdoc ITaskRegistry
    function unassign(uint256 taskId, address prover) external {
        TaskData storage t = _tasks[taskId];
        AssignmentData storage a = _endAssignment(t, taskId, prover);
        emit ProverUnassigned(taskId, prover);

        provers.releaseCollateral(prover, taskId, a.collateral, false);
    }

    /// @inheritdoc ITaskRegistry
    function slashAssignment(uint256 taskId, address prover) external {
        TaskData storage t = _tasks[taskId];
        AssignmentData storage a = _endAssignment(t, taskId, prover);
        _slash(t, taskId, prover, a.collateral);
    }

    /// @inheritdoc ITaskRegistry
    function payContributor(uint256 taskId, address contributor, uint96 amount) external {
        TaskData storage t = _tasks[taskId];
        _checkMechanism(t, taskId);
        _checkLive(t, taskId);
        uint256 available = uint256(t.maxPayment) - t.paid - t.reserved;
        if (amount > available) revert BudgetExceeded(taskId, amount, available);
        t.paid += amount;
        _credit(contributor, amount);
        emit ContributorPaid(taskId, contributor, amount);
    }

    // ------------------------------------------------------------------ prover side

    /// @inheritdoc ITaskRegistry
    function submitProof(uint256 taskId, uint256[] calldata publicInputs, bytes calldata proof)
        external
        nonReentrant
        returns (uint256 payment)
    {
        TaskData storage t = _tasks[taskId];
        AssignmentData storage a = _assignments[taskId][msg.sender];
        // The proof must verify with the submitter as the last public input: a proof copied from the mempool
        // verifies only for the prover that made it (VerifierCall).
        (bytes memory verifierCall, bytes32 commitment) = VerifierCall.encode(publicInputs, proof, msg.sender);
        bool touched = _checkSubmission(t, a, taskId, commitment);
        VerifierCall.verify(verifiers, _circuitAt(t.circuitId), verifierCall);
        return _accept(t, a, taskId, touched);
    }

    // ------------------------------------------------------------------ anyone

    /// @inheritdoc ITaskRegistry
    function expire(uint256 taskId) external nonReentrant {
        TaskData storage t = _tasks[taskId];
        _checkLive(t, taskId);
        if (block.timestamp <= t.deadline) revert TaskNotExpired(taskId, t.deadline);

        uint256 mechanism = _mechanismWord(t.mechanismId);
        bool mechanismClosed;
        bool touched = t.flags & FLAG_TOUCHED != 0;
        if (touched) {
            // Slash every live assignment that did not deliver in time.
            for (uint256 i = t.assignedCount; i > 0; --i) {
                address prover = _live[taskId][i - 1];
                AssignmentData storage a = _assignments[taskId][prover];
                a.active = false;
                t.reserved -= a.price;
                delete _live[taskId][i - 1];
                _slash(t, taskId, prover, a.collateral);
            }
            t.assignedCount = 0;

            uint16 fallbackId = t.fallbackId;
            if (fallbackId != 0 && !t.fallbackUsed) {
                address fallbackMechanism = _mechanismAt(fallbackId);
                if (_mechanisms[fallbackMechanism].allowed) {
                    if (_reopen(t, taskId, mechanism, fallbackMechanism)) return;
                    mechanismClosed = true; // _reopen told the old mechanism before the fallback refused
                }
            }
        }

        emit TaskExpiredFinal(taskId, _close(t, TaskStatus.Expired, touched));

        if (!mechanismClosed) _tellClosed(mechanism, taskId);
        if (t.flags & FLAG_NOTIFY != 0) {
            _notify(t.requester, abi.encodeCall(IProofConsumer.onTaskExpired, (taskId)), taskId);
        }
    }

    /// @inheritdoc ITaskRegistry
    function withdraw() external nonReentrant returns (uint256 amount) {
        uint256 word = _claimable[msg.sender];
        amount = word & AMOUNT_MASK;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _claimable[msg.sender] = word & ~AMOUNT_MASK; // the flags and the completion count stay
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ admin

    /// @inheritdoc ITaskRegistry
    function setMechanism(address mechanism, bool allowed) external onlyRole(MECHANISM_ADMIN_ROLE) {
        if (mechanism.code.length == 0) revert InvalidMechanism(mechanism);
        MechanismEntry storage m = _mechanisms[mechanism];
        uint256 word = uint256(uint160(mechanism));
        if (_declared(mechanism, IBudgetedMechanism.takesBudgetInHook.selector) == 1) word |= BUDGET_HOOK;
        if (_declared(mechanism, IStatelessMechanism.keepsNoTaskState.selector) == 1) word |= STATELESS;
        if (m.id == 0) {
            _mechanismList.push(word);
            m.id = _mechanismList.length.toUint16();
        } else {
            _mechanismList[m.id - 1] = word;
        }
        m.allowed = allowed;
        uint256 cap = _declared(mechanism, IRedundancyCapped.redundancyCap.selector);
        // forge-lint: disable-next-line(unsafe-typecast) cap < 256
        m.redundancyCap = cap < 256 ? uint8(cap) : 0;
        emit MechanismAllowed(mechanism, allowed);
    }

    /// @inheritdoc ITaskRegistry
    function setTreasury(address treasury_) external onlyRole(PARAMS_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert InvalidTreasury();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc ITaskRegistry
    function setSlashSplit(uint16 treasuryBps_, uint16 coverBps_) external onlyRole(PARAMS_ADMIN_ROLE) {
        SlashSplit.check(treasuryBps_, coverBps_);
        treasuryBps = treasuryBps_;
        coverBps = coverBps_;
        emit SlashSplitSet(treasuryBps_, coverBps_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITaskRegistry
    function taskOf(uint256 taskId) external view returns (Task memory task) {
        TaskData storage t = _tasks[taskId];
        if (t.status == TaskStatus.None) revert TaskNotFound(taskId);
        task.requester = t.requester;
        task.deadline = t.deadline;
        task.redundancy = t.redundancy;
        task.proofsAccepted = t.proofsAccepted;
        task.assignedCount = t.assignedCount;
        task.status = t.status;
        task.mechanism = _mechanismAt(t.mechanismId);
        task.maxPayment = t.maxPayment;
        task.circuitId = _circuitAt(t.circuitId);
        task.inputCommitment = t.inputCommitment;
        task.paid = t.paid;
        task.reserved = t.reserved;
        task.coverBounty = t.coverBounty;
        task.createdAt = t.createdAt;
        task.closedAt = t.closedAt;
        task.slashed = t.slashed;
        task.notifyRequester = t.flags & FLAG_NOTIFY != 0;
        uint16 fallbackId = t.fallbackId;
        if (fallbackId != 0) task.fallbackMechanism = _mechanismAt(fallbackId);
        task.fallbackWindow = t.fallbackWindow;
        task.openedAt = t.openedAt == 0 ? t.createdAt : t.openedAt;
    }

    /// @inheritdoc ITaskRegistry
    /// @dev Returned from the words `_writeBudget` writes, the same as the budget hook receives.
    function budgetOf(uint256 taskId) external view returns (Budget memory) {
        TaskData storage t = _tasks[taskId];
        if (t.status == TaskStatus.None) revert TaskNotFound(taskId);
        uint256 p;
        assembly ("memory-safe") {
            p := mload(0x40)
        }
        _writeBudget(t, true, p);
        assembly ("memory-safe") {
            return(p, 0xe0)
        }
    }

    /// @inheritdoc ITaskRegistry
    function assignmentOf(uint256 taskId, address prover) external view returns (Assignment memory) {
        AssignmentData storage a = _assignments[taskId][prover];
        return Assignment({price: a.price, collateral: a.collateral, active: a.active, delivered: a.delivered});
    }

    /// @inheritdoc ITaskRegistry
    function hasProven(uint256 taskId, address prover) external view returns (bool) {
        return _assignments[taskId][prover].proven || _provenBits[prover][taskId >> 8] & _bit(taskId) != 0;
    }

    /// @inheritdoc ITaskRegistry
    function claimable(address account) external view returns (uint256) {
        return _claimable[account] & AMOUNT_MASK;
    }

    /// @inheritdoc ITaskRegistry
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @inheritdoc ITaskRegistry
    function isMechanism(address mechanism) external view returns (bool) {
        return _mechanisms[mechanism].allowed;
    }

    /// @inheritdoc ITaskRegistry
    function slashSplit() external view returns (address, uint16, uint16) {
        return (treasury, treasuryBps, coverBps);
    }

    /// @notice The `index`-th live assignee of `taskId` (index < taskOf(taskId).assignedCount; zero beyond).
    function liveAssigneeAt(uint256 taskId, uint256 index) external view returns (address) {
        return _live[taskId][index];
    }

    // ------------------------------------------------------------------ completions

    /// @inheritdoc ITaskRegistry
    /// @dev Bits 192-253 of the prover's credit word (see COMPLETION_UNIT).
    function completionsOf(address prover) external view returns (uint256) {
        return (_claimable[prover] & ~(CREDIT_SEEN | PROVER_CHECKED)) >> 192;
    }

    // ------------------------------------------------------------------ internal

    /// @dev `pull`: take the escrow from the requester with transferFrom (else it was debited from its balance).
    function _create(address requester, TaskRequest calldata r, bool pull) internal returns (uint256 taskId) {
        uint8 redundancy = r.redundancy;
        uint96 maxPayment = r.maxPayment;
        uint64 deadline = r.deadline;
        address mechanism = r.mechanism;
        if (redundancy == 0) revert ZeroRedundancy();
        if (maxPayment == 0) revert ZeroPayment();
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline);
        // The mechanism's entry as one word (MechanismEntry: id in bits 0-15, allowed 16-23, redundancyCap 24-31).
        uint256 entry;
        assembly ("memory-safe") {
            mstore(0x00, mechanism)
            mstore(0x20, _mechanisms.slot)
            entry := sload(keccak256(0x00, 0x40))
        }
        if ((entry >> 16) & 0xff == 0) revert MechanismNotRegistered(mechanism);

        unchecked {
            taskId = ++_taskCount; // a uint256 counter of tasks does not overflow
        }
        // forge-lint: disable-next-line(unsafe-typecast) bits 24-31
        if (uint8(entry >> 24) != 0 && redundancy > uint8(entry >> 24)) {
            // forge-lint: disable-next-line(unsafe-typecast) bits 24-31
            revert TooManyWinners(taskId, redundancy, uint8(entry >> 24));
        }
        TaskData storage t = _tasks[taskId];
        // The task's first three slots, each written once as a whole word (layout: TaskData, lowest field in the
        // lowest bits; proofsAccepted, paid and closedAt start at zero). Tested through taskOf and budgetOf.
        {
            uint256 word = uint256(uint160(requester)) | (uint256(uint256(deadline).toUint32()) << 160)
                | (uint256(uint32(block.timestamp)) << 192) | (uint256(redundancy) << 224)
                | (uint256(uint8(TaskStatus.Open)) << 232) | (r.notifyRequester ? uint256(FLAG_NOTIFY) << 248 : 0);
            assembly ("memory-safe") {
                sstore(t.slot, word)
            }
            word = uint256(maxPayment) | ((entry & 0xffff) << 192) | (uint256(_internCircuit(r.circuitId)) << 208);
            bytes32 commitment = r.inputCommitment;
            assembly ("memory-safe") {
                sstore(add(t.slot, 1), word)
                sstore(add(t.slot, 2), commitment)
            }
        }
        if (r.fallbackMechanism != address(0)) _storeFallback(t, r);
        _emitTaskCreated(taskId, requester, mechanism, r, maxPayment, deadline, redundancy);

        if (pull) token.safeTransferFrom(requester, address(this), maxPayment);
        if (entry >> 24 == 0) _callOnTaskOpened(mechanism, taskId, r);
    }

    /// @dev `emit TaskCreated(taskId, requester, mechanism, r.circuitId, r.inputCommitment, maxPayment, deadline,
    ///      redundancy)` with the data words written straight to scratch memory (the compiler's encoder masks and
    ///      re-reads every argument). Tested by the registry tests' expectEmit of TaskCreated.
    function _emitTaskCreated(
        uint256 taskId,
        address requester,
        address mechanism,
        TaskRequest calldata r,
        uint96 maxPayment,
        uint64 deadline,
        uint8 redundancy
    ) internal {
        bytes32 topic = TaskCreated.selector;
        bytes32 circuitId = r.circuitId;
        bytes32 commitment = r.inputCommitment;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, circuitId)
            mstore(add(p, 0x20), commitment)
            mstore(add(p, 0x40), maxPayment)
            mstore(add(p, 0x60), deadline)
            mstore(add(p, 0x80), redundancy)
            log4(p, 0xa0, topic, taskId, requester, mechanism)
        }
    }

    /// @dev What a mechanism declares through an optional parameterless view (IRedundancyCapped.redundancyCap,
    ///      IBudgetedMechanism.takesBudgetInHook): its one-word answer, or 0 (nothing declared) when the call
    ///      fails, returns anything but one word, or runs out of its gas. A cap must be in 1..255 to count (the
    ///      caller checks); the budget declaration must be exactly 1 (true).
    function _declared(address mechanism, bytes4 selector) internal view returns (uint256) {
        (bool ok, bytes memory ret) = mechanism.staticcall{gas: 50_000}(abi.encodeWithSelector(selector));
        if (!ok || ret.length != 32) return 0;
        return abi.decode(ret, (uint256));
    }

    /// @dev `mechanism.onTaskOpened(taskId, r)`, forwarding the request's calldata verbatim: `r` is the last
    ///      argument of every create function, so its ABI tuple runs from `r` to the end of calldata and its
    ///      inner offsets are relative to its own start. Copying it saves re-encoding a nested struct with a
    ///      dynamic member (gas, and ~1.5 KB of bytecode the registry cannot afford under the 24,576-byte
    ///      limit). A refusal (revert) is bubbled up unchanged. Tested: the mechanism receives exactly the
    ///      request (test_MechanismReceivesTheRequest).
    function _callOnTaskOpened(address mechanism, uint256 taskId, TaskRequest calldata r) internal {
        uint256 start;
        assembly ("memory-safe") {
            start := r
        }
        bytes memory data = abi.encodePacked(IMechanism.onTaskOpened.selector, taskId, uint256(0x40), msg.data[start:]);
        assembly ("memory-safe") {
            if iszero(call(gas(), mechanism, 0, add(data, 0x20), mload(data), 0, 0)) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
        }
    }

    function _storeFallback(TaskData storage t, TaskRequest calldata r) internal {
        MechanismEntry memory f = _mechanisms[r.fallbackMechanism];
        if (!f.allowed) revert MechanismNotRegistered(r.fallbackMechanism);
        if (r.fallbackWindow == 0) revert ZeroFallbackWindow();
        t.flags |= FLAG_TOUCHED; // slot 3 holds the fallback (slot 0 was just written: a warm rewrite)
        t.fallbackId = f.id;
        t.fallbackWindow = r.fallbackWindow;
        t.minRedundancy = r.qos.minRedundancy;
        t.minStakeAtRisk = r.qos.minStakeAtRisk;
    }

    /// @dev Circuit ids are interned so that a task stores 16 bits, not 32 bytes. A circuit is interned on
    ///      its first task, which checks that it has a verifier (UnknownCircuit otherwise).
    function _internCircuit(bytes32 circuitId) internal returns (uint16 id) {
        id = _circuitIds[circuitId];
        if (id == 0) {
            verifiers.verifierOf(circuitId);
            _circuitList.push(circuitId);
            id = _circuitList.length.toUint16();
            _circuitIds[circuitId] = id;
        }
    }

    function _checkLive(TaskData storage t, uint256 taskId) internal view {
        TaskStatus status = t.status;
        if (status != TaskStatus.Open && status != TaskStatus.Assigned) {
            if (status == TaskStatus.None) revert TaskNotFound(taskId);
            revert TaskNotOpen(taskId, status);
        }
    }

    function _checkMechanism(TaskData storage t, uint256 taskId) internal view {
        uint16 id = t.mechanismId;
        if (id == 0) revert TaskNotFound(taskId);
        if (_mechanismAt(id) != msg.sender) revert OnlyTaskMechanism(msg.sender, taskId);
    }

    /// @dev Ends a live assignment on the mechanism's instruction (unassign or slashAssignment): frees the
    ///      slot, un-reserves its price, and reopens an Assigned task.
    function _endAssignment(TaskData storage t, uint256 taskId, address prover)
        internal
        returns (AssignmentData storage a)
    {
        _checkMechanism(t, taskId);
        _checkLive(t, taskId);
        a = _assignments[taskId][prover];
        if (!a.active) revert NotAssigned(taskId, prover);
        _removeLive(t, taskId, a);
        t.reserved -= a.price;
        if (t.status == TaskStatus.Assigned) t.status = TaskStatus.Open;
    }

    /// @dev Swap-and-pop removal from the live list; marks the assignment inactive.
    function _removeLive(TaskData storage t, uint256 taskId, AssignmentData storage a) internal {
        uint8 index = a.index;
        uint8 last = t.assignedCount - 1;
        if (index != last) {
            address moved = _live[taskId][last];
            _live[taskId][index] = moved;
            _assignments[taskId][moved].index = index;
        }
        delete _live[taskId][last];
        t.assignedCount = last;
        a.active = false;
    }

    /// @dev Slashes `collateral` of `prover` (the prover registry sends it here) and splits it.
    function _slash(TaskData storage t, uint256 taskId, address prover, uint96 collateral) internal {
        (uint256 toTreasury, uint256 toCover, uint256 toRequester) = SlashSplit.split(collateral, treasuryBps, coverBps);
        t.slashed += collateral;
        // forge-lint: disable-next-line(unsafe-typecast) toCover <= collateral, a uint96
        if (toCover != 0) t.coverBounty += uint96(toCover);
        if (toTreasury != 0) _credit(treasury, toTreasury);
        if (toRequester != 0) _credit(t.requester, toRequester);
        emit AssignmentSlashed(taskId, prover, collateral, toTreasury, toCover, toRequester);

        provers.slashCollateral(prover, taskId, collateral);
    }

    /// @dev Hands the task to its fallback mechanism once. Returns false (and leaves the task as it was,
    ///      fallback marked used) when the fallback refuses it, so that the caller expires it for good.
    function _reopen(TaskData storage t, uint256 taskId, uint256 mechanism, address fallbackMechanism)
        internal
        returns (bool)
    {
        uint16 previousId = t.mechanismId;
        uint32 previousDeadline = t.deadline;
        uint64 deadline = uint64(block.timestamp) + t.fallbackWindow;
        t.fallbackUsed = true;
        t.mechanismId = t.fallbackId;
        t.status = TaskStatus.Open;
        t.deadline = uint256(deadline).toUint32();
        t.openedAt = uint32(block.timestamp);
        t.closedAt = uint32(block.timestamp);

        _tellClosed(mechanism, taskId);
        bytes memory data = _reopenCall(t, taskId, deadline, fallbackMechanism);
        // Expiry must always be able to finish: a fallback that refuses the task (reverts) ends it for good
        // instead of blocking it. The call gets a fixed gas allowance so a caller cannot starve it on purpose,
        // and its return data is never copied.
        _requireGas(FALLBACK_OPEN_GAS);
        bool opened;
        assembly ("memory-safe") {
            opened := call(FALLBACK_OPEN_GAS, fallbackMechanism, 0, add(data, 0x20), mload(data), 0, 0)
        }
        if (opened) {
            emit TaskReopened(taskId, fallbackMechanism, deadline);
            return true;
        } else {
            // the task expires for good under its own mechanism and deadline
            t.mechanismId = previousId;
            t.deadline = previousDeadline;
            t.openedAt = 0;
            emit FallbackFailed(taskId, fallbackMechanism);
            return false;
        }
    }

    /// @dev Calldata of `onTaskOpened(taskId, request)` for a reopen, ABI-encoded by hand from static words:
    ///      the compiler's encoder for a memory TaskRequest (a nested struct and dynamic bytes) costs ~1.9 KB of
    ///      bytecode, which this contract cannot afford under the 24,576-byte limit. Layout after the selector:
    ///      taskId, the request's offset (0x40), the request's 16 head words (QoSProfile is static and sits
    ///      inline; the last head word is mechanismData's offset, 16 × 32 = 0x200), mechanismData's length 0.
    ///      The fallback is told: the task's statement and budget, the new deadline, the QoS hard limits
    ///      (minRedundancy, minStakeAtRisk; the weights, which only the router reads, are zero), itself as
    ///      mechanism, no further fallback, no mechanism data. Tested against the compiler's
    ///      encoding (test_ReopenTellsTheFallbackTheRequest).
    function _reopenCall(TaskData storage t, uint256 taskId, uint64 deadline, address fallbackMechanism)
        internal
        view
        returns (bytes memory)
    {
        bytes memory head = abi.encode(
            taskId, uint256(0x40), _circuitAt(t.circuitId), t.inputCommitment, deadline, t.maxPayment, t.redundancy
        );
        bytes memory qos = abi.encode(0, 0, 0, 0, t.minRedundancy, t.minStakeAtRisk);
        bytes memory tail = abi.encode(
            fallbackMechanism, t.flags & FLAG_NOTIFY != 0, address(0), uint32(0), uint256(0x200), uint256(0)
        );
        return abi.encodePacked(IMechanism.onTaskOpened.selector, head, qos, tail);
    }

    /// @dev Returns whether the task is FLAG_TOUCHED (an untouched task has no assignment: `a` is not read).
    function _checkSubmission(TaskData storage t, AssignmentData storage a, uint256 taskId, bytes32 commitment)
        internal
        view
        returns (bool touched)
    {
        _checkLive(t, taskId);
        if (block.timestamp > t.deadline) revert TaskExpired(taskId, t.deadline);
        touched = t.flags & FLAG_TOUCHED != 0;
        bool assigned = touched && a.active;
        // An active assignment implies no accepted proof yet (assign refuses provers that proved).
        if ((touched && a.proven) || (!assigned && _provenBits[msg.sender][taskId >> 8] & _bit(taskId) != 0)) {
            revert AlreadyProven(taskId, msg.sender);
        }
        if (commitment != t.inputCommitment) revert InputCommitmentMismatch(taskId, t.inputCommitment, commitment);
        // Registration: an assigned prover was registered when its collateral was locked. An unassigned one is
        // asked about once: its credit word keeps PROVER_CHECKED from its first accepted unassigned proof on
        // (registration is permanent in the ProverRegistry: there is no way to deregister).
        if (!assigned && _claimable[msg.sender] & PROVER_CHECKED == 0 && !provers.isRegistered(msg.sender)) {
            revert IProverRegistry.NotRegistered(msg.sender);
        }
    }

    /// @dev Asks the mechanism what to pay, then settles: credit (payment plus any cover bounty), release
    ///      or count, and fulfil once `redundancy` proofs are in.
    function _accept(TaskData storage t, AssignmentData storage a, uint256 taskId, bool touched)
        internal
        returns (uint256 credit)
    {
        uint256 word = _mechanismWord(t.mechanismId);
        // forge-lint: disable-next-line(unsafe-typecast) the address is the low 160 bits, flags sit above
        address mechanism = address(uint160(word));
        bool assigned = touched && a.active;
        uint96 price = assigned ? a.price : 0;
        uint256 payment = word & BUDGET_HOOK != 0
            ? _onProofAcceptedWithBudget(mechanism, t, taskId, price, touched)
            : IMechanism(mechanism).onProofAccepted(taskId, msg.sender, price);

        // The hook may have called back (assign/unassign), so the flag and the budget are read after it.
        if (!touched) touched = t.flags & FLAG_TOUCHED != 0;
        if (touched && a.active != assigned) revert NotAssigned(taskId, msg.sender);
        uint256 available = uint256(t.maxPayment) - t.paid + price;
        credit = payment;
        if (touched) {
            available -= t.reserved; // includes `price`
            uint96 bounty = t.coverBounty; // a cover bounty goes to the first proof accepted after it accrued
            if (bounty != 0) {
                credit += bounty;
                t.coverBounty = 0;
            }
        }
        if (payment > available) revert BudgetExceeded(taskId, payment, available);
        if (!assigned) {
            _provenBits[msg.sender][taskId >> 8] |= _bit(taskId);
        } else {
            a.proven = true;
            a.delivered = true;
            _removeLive(t, taskId, a);
            t.reserved -= price;
        }
        uint8 accepted = t.proofsAccepted + 1;
        bool fulfils = accepted == t.redundancy;
        _count(t, payment, fulfils);
        _creditProver(msg.sender, credit);
        emit ProofAccepted(taskId, msg.sender, credit, accepted);

        // Counted above in the credit word, so the release asks the ProverRegistry for no count (one slot there).
        if (assigned) provers.releaseCollateral(msg.sender, taskId, a.collateral, false);

        if (fulfils) _fulfil(t, taskId, word, touched);
    }

    /// @dev One write per task word for an accepted proof: slot 0 proofsAccepted + 1 (bits 240-247; at most the
    ///      redundancy, a uint8) and, when it fulfils, status Fulfilled (bits 232-239); slot 1 paid + `payment`
    ///      (bits 96-191; paid + payment <= maxPayment, a uint96, checked by the caller) and, when it fulfils,
    ///      closedAt (bits 224-255, uint32 of the time as `_close` writes it). Tested through taskOf.
    function _count(TaskData storage t, uint256 payment, bool fulfils) internal {
        assembly ("memory-safe") {
            let w := add(sload(t.slot), shl(240, 1))
            if fulfils { w := or(and(w, not(shl(232, 0xff))), shl(232, 3))} // TaskStatus.Fulfilled
            sstore(t.slot, w)
            w := add(sload(add(t.slot, 1)), shl(96, payment))
            if fulfils { w := or(and(w, not(shl(224, 0xffffffff))), shl(224, and(timestamp(), 0xffffffff))) }
            sstore(add(t.slot, 1), w)
        }
    }

    /// @dev `IBudgetedMechanism(mechanism).onProofAcceptedWithBudget(taskId, msg.sender, price, budgetOf(taskId))`
    ///      with the budget built from the task words already read (an untouched task's reservation is zero and
    ///      it opened at creation) and the calldata written straight to memory. A refusal (revert) is bubbled up
    ///      unchanged. Tested: the hook receives exactly `budgetOf` (test/core/GasShortcuts.t.sol).
    function _onProofAcceptedWithBudget(
        address mechanism,
        TaskData storage t,
        uint256 taskId,
        uint96 price,
        bool touched
    ) internal returns (uint256 payment) {
        bytes4 selector = IBudgetedMechanism.onProofAcceptedWithBudget.selector;
        uint256 p;
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, 0x160))
            mstore(p, selector)
            mstore(add(p, 0x04), taskId)
            mstore(add(p, 0x24), caller())
            mstore(add(p, 0x44), price)
        }
        _writeBudget(t, touched, p + 0x64);
        assembly ("memory-safe") {
            if iszero(call(gas(), mechanism, 0, p, 0x144, 0x00, 0x20)) {
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            payment := mload(0x00)
        }
    }

    /// @dev Writes the task's ITaskRegistry.Budget, ABI-encoded (seven words), at memory `p`, from TaskData's layout:
    ///      slot 0 deadline bits 160-191, createdAt 192-223, redundancy 224-231, proofsAccepted 240-247; slot 1
    ///      maxPayment 0-95, paid 96-191; slot 3 reserved 0-95, openedAt 192-223 (zero until a reopen: createdAt
    ///      applies). `touched` false: slot 3 is known to be zero and is not read. Tested against the task's fields
    ///      (test/core/GasShortcuts.t.sol).
    function _writeBudget(TaskData storage t, bool touched, uint256 p) internal view {
        assembly ("memory-safe") {
            let w := sload(add(t.slot, 1))
            mstore(p, and(w, 0xffffffffffffffffffffffff))
            mstore(add(p, 0x20), and(shr(96, w), 0xffffffffffffffffffffffff))
            mstore(add(p, 0x40), 0)
            w := sload(t.slot)
            mstore(add(p, 0x60), and(shr(224, w), 0xff))
            mstore(add(p, 0x80), and(shr(240, w), 0xff))
            mstore(add(p, 0xa0), and(shr(192, w), 0xffffffff))
            mstore(add(p, 0xc0), and(shr(160, w), 0xffffffff))
            if touched {
                w := sload(add(t.slot, 3))
                mstore(add(p, 0x40), and(w, 0xffffffffffffffffffffffff))
                let reopenedAt := and(shr(192, w), 0xffffffff)
                if reopenedAt { mstore(add(p, 0xa0), reopenedAt) }
            }
        }
    }

    function _fulfil(TaskData storage t, uint256 taskId, uint256 mechanism, bool touched) internal {
        if (touched) {
            // Remaining live assignments (redundancy met by others) end without penalty.
            for (uint256 i = t.assignedCount; i > 0; --i) {
                address prover = _live[taskId][i - 1];
                AssignmentData storage a = _assignments[taskId][prover];
                a.active = false;
                delete _live[taskId][i - 1];
                provers.releaseCollateral(prover, taskId, a.collateral, false);
            }
            if (t.assignedCount != 0) {
                t.assignedCount = 0;
                t.reserved = 0;
            }
        }
        uint256 refund = _refund(t, touched); // status and closedAt were written by `_count`
        emit TaskFulfilled(taskId, t.paid, refund);

        _tellClosed(mechanism, taskId);
        if (t.flags & FLAG_NOTIFY != 0) {
            _notify(t.requester, abi.encodeCall(IProofConsumer.onTaskFulfilled, (taskId, msg.sender)), taskId);
        }
    }

    /// @dev Ends a task in a final `status`: unspent escrow and any unclaimed cover bounty are credited to the
    ///      requester. An untouched task has no cover bounty (slot 3 is zero): it is not read.
    function _close(TaskData storage t, TaskStatus status, bool touched) internal returns (uint256) {
        t.status = status;
        t.closedAt = uint32(block.timestamp);
        return _refund(t, touched);
    }

    /// @dev The refund part of `_close` (a fulfilment writes the status with its last proof's count).
    function _refund(TaskData storage t, bool touched) internal returns (uint256 refund) {
        uint256 bounty = touched ? t.coverBounty : 0;
        refund = uint256(t.maxPayment) - t.paid + bounty;
        if (bounty != 0) t.coverBounty = 0;
        if (refund != 0) _credit(t.requester, refund);
    }

    /// @dev Tells a requester that asked for it how its task ended, with a gas cap and without copying return
    ///      data; a revert (or a requester without code) is logged, never propagated: provers are paid whatever
    ///      the requester's code does.
    function _notify(address requester, bytes memory data, uint256 taskId) internal {
        bool ok;
        if (requester.code.length != 0) {
            _requireGas(REQUESTER_CALLBACK_GAS);
            assembly ("memory-safe") {
                ok := call(REQUESTER_CALLBACK_GAS, requester, 0, add(data, 0x20), mload(data), 0, 0)
            }
        }
        if (!ok) emit RequesterCallbackFailed(taskId, requester);
    }

    /// @dev `IMechanism.onTaskClosed(taskId)` on the mechanism of interned `word`, unless it declared that it keeps no
    ///      per-task state (STATELESS).
    function _tellClosed(uint256 word, uint256 taskId) internal {
        // forge-lint: disable-next-line(unsafe-typecast) the address is the low 160 bits, flags sit above
        if (word & STATELESS == 0) IMechanism(address(uint160(word))).onTaskClosed(taskId);
    }

    /// @dev The mechanism's address in `_mechanismList[id - 1]` (see `_mechanismWord`).
    function _mechanismAt(uint256 id) internal view returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast) the address is the low 160 bits, flags sit above
        return address(uint160(_mechanismWord(id)));
    }

    /// @dev `_mechanismList[id - 1]` (address and flags) without the compiler's bounds check, which reads the
    ///      array's length (a second cold slot). Every id stored in a task was handed out as the list's length after
    ///      a push, so `1 <= id <= length` holds wherever this is called (callers have checked that the task exists).
    function _mechanismWord(uint256 id) internal view returns (uint256 word) {
        assembly ("memory-safe") {
            mstore(0x00, _mechanismList.slot)
            word := sload(add(keccak256(0x00, 0x20), sub(id, 1)))
        }
    }

    /// @dev `_circuitList[id - 1]` without the bounds check (same reasoning as `_mechanismAt`).
    function _circuitAt(uint256 id) internal view returns (bytes32 circuitId) {
        assembly ("memory-safe") {
            mstore(0x00, _circuitList.slot)
            circuitId := sload(add(keccak256(0x00, 0x20), sub(id, 1)))
        }
    }

    /// @dev Adds `amount` to `account`'s credit and marks the word as seen (see CREDIT_SEEN).
    function _credit(address account, uint256 amount) internal {
        _claimable[account] = _added(account, _claimable[account], amount) | CREDIT_SEEN;
    }

    /// @dev Credits a prover's accepted proof: the amount (possibly zero), one more completion and PROVER_CHECKED
    ///      (an unassigned prover's registration was checked in `_checkSubmission`, an assigned one's at its
    ///      lock). The count has 62 bits: one increment per accepted proof cannot reach the flags.
    function _creditProver(address prover, uint256 amount) internal {
        _claimable[prover] =
            (_added(prover, _claimable[prover], amount) + COMPLETION_UNIT) | CREDIT_SEEN | PROVER_CHECKED;
    }

    /// @dev `word` with `amount` added to its 192-bit amount (CreditOverflow rather than touching the count).
    function _added(address account, uint256 word, uint256 amount) internal pure returns (uint256) {
        if (amount > AMOUNT_MASK - (word & AMOUNT_MASK)) revert CreditOverflow(account, amount);
        unchecked {
            return word + amount;
        }
    }

    /// @dev The bit of `taskId` in its word of `_provenBits`.
    function _bit(uint256 taskId) internal pure returns (uint256) {
        // forge-lint: disable-next-line(incorrect-shift)
        return 1 << (taskId & 0xff);
    }

    /// @dev EIP-150 forwards at most 63/64 of the gas left: require enough that a capped hook gets its full
    ///      allowance, so that a caller cannot make it fail by sending too little gas.
    function _requireGas(uint256 allowance) internal view {
        uint256 required = allowance + allowance / 63 + 10_000;
        if (gasleft() < required) revert InsufficientGas(gasleft(), required);
    }
}
