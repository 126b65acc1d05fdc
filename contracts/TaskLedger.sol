// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "./interfaces/ILedgerMechanism.sol";
import {IProofConsumer} from "./interfaces/IProofConsumer.sol";
import {IProverRegistry} from "./interfaces/IProverRegistry.sol";
import {IRoutedTaskObserver} from "./interfaces/IRoutedTaskObserver.sol";
import {ITaskLedger} from "./interfaces/ITaskLedger.sol";
import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";
import {SlashSplit} from "./libraries/SlashSplit.sol";
import {VerifierCall} from "./libraries/VerifierCall.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord, TaskWordLib} from "./types/LedgerTask.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title TaskLedger
/// @notice The one-word task core (docs/one-word-tasks.md, migration step 1): every coordination mechanism's tasks
///         in one ledger that keeps a single storage word per live task. The task itself (`LedgerTask`) travels in
///         calldata and is logged; escrow is debited from deposits; the task's mechanism assigns, unassigns and
///         slashes; a proof settles its slot at once; expiry slashes a live assignment and reopens the task once
///         under its fallback. Payouts and refunds are credits (pull payments).
/// @dev Conservation: token.balanceOf(this) == Σ credit balances + Σ over live tasks
///      (maxPayment − proofsAccepted · (maxPayment / redundancy) + coverBounty); every function keeps it.
contract TaskLedger is ITaskLedger, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using LedgerTaskLib for LedgerTask;

    /// @notice May open tasks on a requester's behalf, from the requester's deposit (the MechanismRouter).
    bytes32 public constant ROUTER_ROLE = keccak256("proofmarket.role.router");
    /// @notice May allow-list and delist mechanisms.
    bytes32 public constant MECHANISM_ADMIN_ROLE = keccak256("proofmarket.role.mechanism-admin");
    /// @notice May set the treasury and the slash split.
    bytes32 public constant PARAMS_ADMIN_ROLE = keccak256("proofmarket.role.params-admin");

    /// @notice Gas the requester's IProofConsumer callback gets.
    uint256 internal constant REQUESTER_CALLBACK_GAS = 500_000;
    /// @notice Gas a fallback's onTaskOpened gets on reopen.
    uint256 internal constant FALLBACK_OPEN_GAS = 2_000_000;
    /// @notice Gas the router's onRoutedTaskEnded gets (recording one outcome takes ≈ 13k inside the call; the
    ///         cap leaves room for a router that keeps more statistics).
    uint256 internal constant ROUTER_CALLBACK_GAS = 100_000;

    /// @dev Credit word of an account:
    ///      bits   0-127 balance (AMOUNT_MASK; CreditOverflow beyond)
    ///      bits 128-159 task nonce: the account's tasks are (account << 96 | nonce), nonce from 1
    ///      bits 160-253 accepted proofs (completionsOf)
    ///      bit  254     PROVER_CHECKED: the account's registration was checked (registration is permanent)
    ///      bit  255     CREDIT_SEEN: ever credited, so that a later credit rewrites a non-zero word
    uint256 internal constant AMOUNT_MASK = (1 << 128) - 1;
    uint256 internal constant ONE_NONCE = 1 << 128;
    uint256 internal constant NONCE_MASK = 0xffffffff;
    uint256 internal constant ONE_COMPLETION = 1 << 160;
    uint256 internal constant COMPLETIONS_MASK = (1 << 94) - 1;
    uint256 internal constant PROVER_CHECKED = 1 << 254;
    uint256 internal constant CREDIT_SEEN = 1 << 255;

    /// @dev Mechanism entry: bit 0 allowed, bits 8-15 its declared hook flags, bits 16-23 its redundancy cap.
    uint256 internal constant ALLOWED = 1;

    /// @dev Transient context of a running payment hook that may pay contributors (HOOK_CONTRIBUTORS): the task,
    ///      its mechanism and what the hook has paid so far.
    bytes32 internal constant HOOK_TASK_SLOT = keccak256("proofmarket.ledger.hook.task");
    bytes32 internal constant HOOK_MECHANISM_SLOT = keccak256("proofmarket.ledger.hook.mechanism");
    bytes32 internal constant HOOK_PAID_SLOT = keccak256("proofmarket.ledger.hook.paid");

    /// @notice The one token of the deployment (escrow and payouts).
    IERC20 public immutable token;
    /// @inheritdoc ITaskLedger
    IProverRegistry public immutable provers;
    /// @inheritdoc ITaskLedger
    IVerifierRegistry public immutable verifiers;

    /// @dev Treasury and the slash split share one slot.
    address internal _treasury;
    uint16 internal _treasuryBps;
    uint16 internal _coverBps;

    mapping(uint256 taskId => TaskWord) internal _words;
    mapping(address account => uint256) internal _credits;
    /// @dev Redundancy > 1 only: bit (taskId & 255) of word (taskId >> 8). A requester's consecutive tasks share a
    ///      word, so a prover that serves it regularly rewrites a non-zero word.
    mapping(address prover => mapping(uint256 word => uint256 bits)) internal _provenBits;
    mapping(address mechanism => uint256 entry) internal _mechanisms;
    /// @dev Circuits checked with the verifier registry (on their first task; a verifier cannot be unset there).
    mapping(bytes32 circuitId => bool) internal _knownCircuits;
    /// @dev The router whose createTaskFor tasks carry FLAG_ROUTED and whose outcomes it is told (zero: none).
    address internal _router;

    /// @param token_ The deployment's token.
    /// @param provers_ The prover registry (must grant this contract TASK_REGISTRY_ROLE, which binds it).
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
        _treasury = treasury_;
        _treasuryBps = 2000;
        _coverBps = 5000;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MECHANISM_ADMIN_ROLE, admin);
        _grantRole(PARAMS_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ funds

    /// @inheritdoc ITaskLedger
    function deposit(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _credit(msg.sender, amount);
        emit Deposited(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ITaskLedger
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 word = _credits[msg.sender];
        uint256 balance = word & AMOUNT_MASK;
        if (amount > balance) revert InsufficientBalance(msg.sender, amount, balance);
        unchecked {
            _credits[msg.sender] = word - amount;
        }
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ requester side

    /// @inheritdoc ITaskLedger
    function createTask(LedgerRequest calldata request)
        external
        nonReentrant
        returns (uint256 taskId, LedgerTask memory task)
    {
        return _create(msg.sender, request, false);
    }

    /// @inheritdoc ITaskLedger
    function createTaskFor(address requester, LedgerRequest calldata request)
        external
        nonReentrant
        onlyRole(ROUTER_ROLE)
        returns (uint256 taskId, LedgerTask memory task)
    {
        return _create(requester, request, msg.sender == _router);
    }

    /// @inheritdoc ITaskLedger
    function cancelTask(uint256 taskId, LedgerTask calldata t) external nonReentrant {
        TaskWord w = _check(taskId, t);
        if (msg.sender != t.requester) revert OnlyRequester(msg.sender, taskId);
        if (t.assignee != address(0) || w.proofsAccepted() != 0) revert CannotCancel(taskId);
        _words[taskId] = TaskWord.wrap(0);
        uint256 refund = uint256(t.maxPayment) + t.coverBounty;
        _credit(t.requester, refund);
        emit TaskCancelled(taskId, refund);

        _tellClosed(taskId, t);
    }

    // ------------------------------------------------------------------ mechanism side

    /// @inheritdoc ITaskLedger
    function assign(
        uint256 taskId,
        LedgerTask calldata t,
        address prover,
        uint96 price,
        uint96 collateral,
        uint64 mechanismState
    ) external {
        TaskWord w = _checkMechanism(taskId, t);
        if (block.timestamp > t.deadline) revert TaskExpired(taskId, t.deadline);
        if (t.redundancy != 1) revert AssignmentNeedsRedundancyOne(taskId, t.redundancy);
        if (t.assignee != address(0)) revert AlreadyAssigned(taskId, t.assignee);
        if (price > t.maxPayment) revert BudgetExceeded(taskId, price, t.maxPayment);
        LedgerTask memory n = t;
        n.assignee = prover;
        n.price = price;
        n.collateral = collateral;
        n.mechanismState = mechanismState;
        _words[taskId] = w.withHash(n.hashOfMemory());
        emit ProverAssigned(taskId, prover, price, collateral, mechanismState);

        provers.lockCollateral(prover, taskId, collateral);
    }

    /// @inheritdoc ITaskLedger
    function unassign(uint256 taskId, LedgerTask calldata t, uint64 mechanismState) external {
        TaskWord w = _checkMechanism(taskId, t);
        address prover = t.assignee;
        if (prover == address(0)) revert NotAssigned(taskId);
        LedgerTask memory n = t;
        _clearAssignment(n, mechanismState);
        _words[taskId] = w.withHash(n.hashOfMemory());
        emit ProverUnassigned(taskId, prover, mechanismState);

        provers.releaseCollateral(prover, taskId, t.collateral, false);
    }

    /// @inheritdoc ITaskLedger
    function slashAssignment(uint256 taskId, LedgerTask calldata t, uint64 mechanismState) external {
        TaskWord w = _checkMechanism(taskId, t);
        address prover = t.assignee;
        if (prover == address(0)) revert NotAssigned(taskId);
        (uint256 toCover, uint256 toRequester) = _split(taskId, t, mechanismState);
        LedgerTask memory n = t;
        _clearAssignment(n, mechanismState);
        // forge-lint: disable-next-line(unsafe-typecast) toCover <= collateral, a uint96
        n.coverBounty = t.coverBounty + uint96(toCover);
        n.flags = t.flags | LedgerTaskLib.FLAG_SLASHED;
        _words[taskId] = w.withHash(n.hashOfMemory());
        if (toRequester != 0) _credit(t.requester, toRequester);

        provers.slashCollateral(prover, taskId, t.collateral);
    }

    /// @inheritdoc ITaskLedger
    function setMechanismState(uint256 taskId, LedgerTask calldata t, uint64 mechanismState) external {
        TaskWord w = _checkMechanism(taskId, t);
        LedgerTask memory n = t;
        n.mechanismState = mechanismState;
        _words[taskId] = w.withHash(n.hashOfMemory());
        emit MechanismStateSet(taskId, mechanismState);
    }

    /// @inheritdoc ITaskLedger
    function bumpMechanismCounter(uint256 taskId, LedgerTask calldata t) external returns (uint256 count) {
        TaskWord w = _checkMechanism(taskId, t);
        count = w.mechanismCounter() + 1;
        if (count > 0xff) revert CounterFull(taskId);
        _words[taskId] = TaskWord.wrap(TaskWord.unwrap(w) + TaskWordLib.ONE_MECHANISM_COUNT);
    }

    /// @inheritdoc ITaskLedger
    function payContributor(uint256 taskId, address contributor, uint96 amount) external {
        bytes32 taskSlot = HOOK_TASK_SLOT;
        bytes32 mechanismSlot = HOOK_MECHANISM_SLOT;
        bytes32 paidSlot = HOOK_PAID_SLOT;
        uint256 hookTask;
        address hookMechanism;
        uint256 paid;
        assembly ("memory-safe") {
            hookTask := tload(taskSlot)
            hookMechanism := tload(mechanismSlot)
            paid := tload(paidSlot)
        }
        if (hookMechanism == address(0) || hookMechanism != msg.sender || hookTask != taskId) {
            revert NotInPaymentHook(taskId, msg.sender);
        }
        paid += amount;
        assembly ("memory-safe") {
            tstore(paidSlot, paid)
        }
        _credit(contributor, amount);
        emit ContributorPaid(taskId, contributor, amount);
    }

    // ------------------------------------------------------------------ prover side

    /// @inheritdoc ITaskLedger
    function submitProof(uint256 taskId, LedgerTask calldata t, uint256[] calldata publicInputs, bytes calldata proof)
        external
        nonReentrant
        returns (uint256 credited)
    {
        TaskWord w = _check(taskId, t);
        bool assigned = _checkSubmission(taskId, t);
        {
            (bytes memory verifierCall, bytes32 commitment) = VerifierCall.encode(publicInputs, proof, msg.sender);
            if (commitment != t.inputCommitment) {
                revert InputCommitmentMismatch(taskId, t.inputCommitment, commitment);
            }
            VerifierCall.verify(verifiers, t.circuitId, verifierCall);
        }
        credited = _settle(taskId, t, w, assigned);
    }

    // ------------------------------------------------------------------ anyone

    /// @inheritdoc ITaskLedger
    function expire(uint256 taskId, LedgerTask calldata t) external nonReentrant {
        TaskWord w = _check(taskId, t);
        if (block.timestamp <= t.deadline) revert TaskNotExpired(taskId, t.deadline);
        uint256 toCover;
        uint256 toRequester;
        if (t.assignee != address(0)) (toCover, toRequester) = _split(taskId, t, t.mechanismState);
        // Escrow the task still holds, its slash's cover share included; the word goes before any external call.
        uint256 escrow = t.escrowOf(w.proofsAccepted()) + toCover;
        _words[taskId] = TaskWord.wrap(0);

        uint256 fallbackEntry = t.fallbackMechanism == address(0) ? 0 : _mechanisms[t.fallbackMechanism];
        if (fallbackEntry & ALLOWED != 0) {
            if (toRequester != 0) _credit(t.requester, toRequester);
            _slashAssignee(taskId, t);
            _tellClosed(taskId, t);
            if (t.flags & LedgerTaskLib.FLAG_ROUTED != 0) _tellRouterExpired(taskId, t);
            if (_reopen(taskId, t, w, fallbackEntry, toCover)) return;
            // The fallback refused: the task expires for good (its mechanism was told above).
            _credit(t.requester, escrow);
            emit TaskExpiredFinal(taskId, escrow + toRequester);
        } else {
            escrow += toRequester;
            _credit(t.requester, escrow);
            emit TaskExpiredFinal(taskId, escrow);
            _slashAssignee(taskId, t);
            _tellClosed(taskId, t);
            if (t.flags & LedgerTaskLib.FLAG_ROUTED != 0) _tellRouterExpired(taskId, t);
        }
        if (t.flags & LedgerTaskLib.FLAG_NOTIFY != 0) {
            _notify(t.requester, abi.encodeCall(IProofConsumer.onTaskExpired, (taskId)), taskId);
        }
    }

    // ------------------------------------------------------------------ admin

    /// @inheritdoc ITaskLedger
    function setMechanism(address mechanism, bool allowed) external onlyRole(MECHANISM_ADMIN_ROLE) {
        if (mechanism.code.length == 0) revert InvalidMechanism(mechanism);
        (bool ok, bytes memory ret) = mechanism.staticcall{gas: 50_000}(abi.encodeCall(ILedgerMechanism.hooks, ()));
        if (!ok || ret.length != 64) revert InvalidMechanism(mechanism);
        (uint256 hookFlags, uint256 cap) = abi.decode(ret, (uint256, uint256));
        if (hookFlags > 0xff || cap > 0xff) revert InvalidMechanism(mechanism);
        _mechanisms[mechanism] = (allowed ? ALLOWED : 0) | (hookFlags << 8) | (cap << 16);
        // forge-lint: disable-next-line(unsafe-typecast) both checked < 256 above
        emit MechanismAllowed(mechanism, allowed, uint8(hookFlags), uint8(cap));
    }

    /// @inheritdoc ITaskLedger
    function setTreasury(address treasury_) external onlyRole(PARAMS_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert InvalidTreasury();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc ITaskLedger
    function setRouter(address router_) external onlyRole(PARAMS_ADMIN_ROLE) {
        _router = router_;
        emit RouterSet(router_);
    }

    /// @inheritdoc ITaskLedger
    function setSlashSplit(uint16 treasuryBps, uint16 coverBps) external onlyRole(PARAMS_ADMIN_ROLE) {
        SlashSplit.check(treasuryBps, coverBps);
        _treasuryBps = treasuryBps;
        _coverBps = coverBps;
        emit SlashSplitSet(treasuryBps, coverBps);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITaskLedger
    function taskWord(uint256 taskId) external view returns (TaskWord) {
        return _words[taskId];
    }

    /// @inheritdoc ITaskLedger
    function checkTask(uint256 taskId, LedgerTask calldata t)
        external
        view
        returns (uint256 proofsAccepted, uint256 mechanismCounter)
    {
        TaskWord w = _check(taskId, t);
        return (w.proofsAccepted(), w.mechanismCounter());
    }

    /// @inheritdoc ITaskLedger
    function hashTask(LedgerTask calldata t) external pure returns (bytes32) {
        return t.hashOf();
    }

    /// @inheritdoc ITaskLedger
    function nextTaskId(address requester) external view returns (uint256) {
        return uint256(uint160(requester)) << 96 | (((_credits[requester] >> 128) & NONCE_MASK) + 1);
    }

    /// @inheritdoc ITaskLedger
    function balanceOf(address account) external view returns (uint256) {
        return _credits[account] & AMOUNT_MASK;
    }

    /// @inheritdoc ITaskLedger
    function completionsOf(address prover) external view returns (uint256) {
        return (_credits[prover] >> 160) & COMPLETIONS_MASK;
    }

    /// @inheritdoc ITaskLedger
    function hasProven(uint256 taskId, address prover) external view returns (bool) {
        return _provenBits[prover][taskId >> 8] & _bit(taskId) != 0;
    }

    /// @inheritdoc ITaskLedger
    function mechanismOf(address mechanism) external view returns (bool, uint8, uint8) {
        uint256 entry = _mechanisms[mechanism];
        // forge-lint: disable-next-line(unsafe-typecast) bits 8-15 and 16-23
        return (entry & ALLOWED != 0, uint8(entry >> 8), uint8(entry >> 16));
    }

    /// @inheritdoc ITaskLedger
    function router() external view returns (address) {
        return _router;
    }

    /// @inheritdoc ITaskLedger
    function slashSplit() external view returns (address, uint16, uint16) {
        return (_treasury, _treasuryBps, _coverBps);
    }

    // ------------------------------------------------------------------ internal

    function _create(address requester, LedgerRequest calldata r, bool routed)
        internal
        returns (uint256 taskId, LedgerTask memory t)
    {
        uint8 redundancy = r.redundancy;
        uint96 maxPayment = r.maxPayment;
        address mechanism = r.mechanism;
        if (redundancy == 0) revert ZeroRedundancy();
        if (maxPayment == 0) revert ZeroAmount();
        {
            uint64 deadline = r.deadline;
            if (deadline <= block.timestamp) revert DeadlineInPast(deadline);
            if (deadline > type(uint32).max) revert DeadlineTooFar(deadline);
        }
        uint256 entry = _mechanisms[mechanism];
        if (entry & ALLOWED == 0) revert MechanismNotRegistered(mechanism);

        taskId = _debit(requester, maxPayment);
        {
            // forge-lint: disable-next-line(unsafe-typecast) bits 16-23
            uint8 cap = uint8(entry >> 16);
            if (cap != 0 && redundancy > cap) revert TooManyWinners(taskId, redundancy, cap);
        }
        if (!_knownCircuits[r.circuitId]) _learnCircuit(r.circuitId);

        t.requester = requester;
        t.maxPayment = maxPayment;
        t.mechanism = mechanism;
        t.circuitId = r.circuitId;
        t.inputCommitment = r.inputCommitment;
        t.openedAt = uint32(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast) checked <= type(uint32).max above
        t.deadline = uint32(r.deadline);
        t.redundancy = redundancy;
        t.minCollateral = r.minCollateral;
        // forge-lint: disable-next-line(unsafe-typecast) bits 8-15
        uint8 hookFlags = uint8(entry >> 8);
        t.flags = (r.notifyRequester ? LedgerTaskLib.FLAG_NOTIFY : 0) | (routed ? LedgerTaskLib.FLAG_ROUTED : 0)
            | (hookFlags & LedgerTaskLib.TASK_HOOKS);
        if (r.fallbackMechanism != address(0)) {
            if (_mechanisms[r.fallbackMechanism] & ALLOWED == 0) revert MechanismNotRegistered(r.fallbackMechanism);
            if (r.fallbackWindow == 0) revert ZeroFallbackWindow();
            t.fallbackMechanism = r.fallbackMechanism;
            t.fallbackWindow = r.fallbackWindow;
        }
        // The word is written after the hook, whose answer it hashes: the mechanism cannot act on the task yet.
        if (hookFlags & LedgerTaskLib.HOOK_OPEN != 0) {
            t.mechanismState = ILedgerMechanism(mechanism).onTaskOpened(taskId, t, r.mechanismData);
        }
        _words[taskId] = TaskWordLib.fromHash(t.hashOfMemory());
        emit TaskCreated(taskId, mechanism, t);
    }

    /// @dev Debits a new task's escrow from `requester`'s balance and counts its nonce (one write of the credit
    ///      word); returns the task's id.
    function _debit(address requester, uint96 maxPayment) internal returns (uint256 taskId) {
        uint256 word = _credits[requester];
        uint256 balance = word & AMOUNT_MASK;
        if (maxPayment > balance) revert InsufficientBalance(requester, maxPayment, balance);
        uint256 nonce = ((word >> 128) & NONCE_MASK) + 1;
        if (nonce > NONCE_MASK) revert NonceExhausted(requester);
        taskId = uint256(uint160(requester)) << 96 | nonce;
        unchecked {
            _credits[requester] = word - maxPayment + ONE_NONCE; // nonce < 2^32 - 1: no carry into completions
        }
    }

    /// @dev A circuit's first task checks that it has a verifier (UnknownCircuit passed through otherwise).
    function _learnCircuit(bytes32 circuitId) internal {
        verifiers.verifierOf(circuitId);
        _knownCircuits[circuitId] = true;
    }

    /// @dev Checks `t` against the live word of `taskId` and returns the word.
    function _check(uint256 taskId, LedgerTask calldata t) internal view returns (TaskWord w) {
        w = _words[taskId];
        if (!w.matches(t.hashOf())) revert StaleTask(taskId);
    }

    /// @dev `_check`, and the caller is the task's mechanism.
    function _checkMechanism(uint256 taskId, LedgerTask calldata t) internal view returns (TaskWord w) {
        w = _check(taskId, t);
        if (msg.sender != t.mechanism) revert OnlyTaskMechanism(msg.sender, taskId);
    }

    /// @dev The submission checks before the proof: deadline, assignee, registration (an unassigned prover is asked
    ///      about once: PROVER_CHECKED), and for redundancy > 1 the prover's proven bit (set here; the whole call
    ///      reverts if the proof is refused later). Returns whether msg.sender is the assignee.
    function _checkSubmission(uint256 taskId, LedgerTask calldata t) internal returns (bool assigned) {
        if (block.timestamp > t.deadline) revert TaskExpired(taskId, t.deadline);
        address assignee = t.assignee;
        assigned = assignee == msg.sender;
        if (!assigned) {
            if (assignee != address(0)) revert AssignedToOther(taskId, assignee);
            if (_credits[msg.sender] & PROVER_CHECKED == 0 && !provers.isRegistered(msg.sender)) {
                revert IProverRegistry.NotRegistered(msg.sender);
            }
        }
        if (t.redundancy > 1) {
            mapping(uint256 => uint256) storage bits = _provenBits[msg.sender];
            uint256 bit = _bit(taskId);
            uint256 b = bits[taskId >> 8];
            if (b & bit != 0) revert AlreadyProven(taskId, msg.sender);
            bits[taskId >> 8] = b | bit;
        }
    }

    /// @dev Prices the verified proof (the assignee's price, or the mechanism's answer) and settles its slot: the
    ///      payment (plus the cover bounty when it fulfils) to the prover, the slot's rest to the requester; then the
    ///      word (one more proof, or deleted) and the interactions: the collateral release, the close hook and the
    ///      requester's callback.
    function _settle(uint256 taskId, LedgerTask calldata t, TaskWord w, bool assigned)
        internal
        returns (uint256 credited)
    {
        uint256 accepted = w.proofsAccepted();
        uint256 payment;
        uint256 contributors;
        if (assigned && t.flags & LedgerTaskLib.HOOK_ASSIGNED_PROOF == 0) payment = t.price;
        else (payment, contributors) = _askPayment(taskId, t, w, accepted);

        uint256 slot = t.slotBudget(accepted);
        if (payment + contributors > slot) revert BudgetExceeded(taskId, payment + contributors, slot);
        uint256 refund = slot - payment - contributors;
        bool fulfils = accepted + 1 == t.redundancy;
        credited = payment;
        if (fulfils) {
            credited += t.coverBounty; // the proof that fulfils the task covers the failure that was slashed
            _words[taskId] = TaskWord.wrap(0);
        } else {
            _words[taskId] = TaskWord.wrap(TaskWord.unwrap(w) + TaskWordLib.ONE_PROOF);
        }
        _creditProver(msg.sender, credited);
        if (refund != 0) _credit(t.requester, refund);
        // forge-lint: disable-next-line(unsafe-typecast) accepted < redundancy, a uint8
        emit ProofAccepted(taskId, msg.sender, credited, refund, uint8(accepted + 1));

        // Counted above in the credit word, so the release asks the ProverRegistry for no count.
        if (assigned) provers.releaseCollateral(msg.sender, taskId, t.collateral, false);
        if (fulfils) {
            _tellClosed(taskId, t);
            if (t.flags & LedgerTaskLib.FLAG_ROUTED != 0) {
                _tellRouter(taskId, t, true, t.flags & LedgerTaskLib.FLAG_SLASHED != 0, payment + contributors, slot);
            }
            if (t.flags & LedgerTaskLib.FLAG_NOTIFY != 0) {
                _notify(t.requester, abi.encodeCall(IProofConsumer.onTaskFulfilled, (taskId, msg.sender)), taskId);
            }
        }
    }

    /// @dev Asks the mechanism what to pay; with HOOK_CONTRIBUTORS the hook may pay contributors from the slot
    ///      (payContributor), which it learns from the transient context. The task's word must be unchanged after
    ///      the hook: a hook that acted on its own task is refused (StaleTask).
    function _askPayment(uint256 taskId, LedgerTask calldata t, TaskWord w, uint256 accepted)
        internal
        returns (uint256 payment, uint256 contributors)
    {
        bool context = t.flags & LedgerTaskLib.HOOK_CONTRIBUTORS != 0;
        bytes32 taskSlot = HOOK_TASK_SLOT;
        bytes32 mechanismSlot = HOOK_MECHANISM_SLOT;
        bytes32 paidSlot = HOOK_PAID_SLOT;
        address mechanism = t.mechanism;
        if (context) {
            assembly ("memory-safe") {
                tstore(taskSlot, taskId)
                tstore(mechanismSlot, mechanism)
            }
        }
        payment = ILedgerMechanism(mechanism).onProofAccepted(taskId, t, msg.sender, accepted);
        if (context) {
            assembly ("memory-safe") {
                contributors := tload(paidSlot)
                tstore(taskSlot, 0)
                tstore(mechanismSlot, 0)
                tstore(paidSlot, 0)
            }
        }
        if (TaskWord.unwrap(_words[taskId]) != TaskWord.unwrap(w)) revert StaleTask(taskId);
    }

    /// @dev Splits the assignee's collateral (SlashSplit) and credits the treasury; the caller credits the
    ///      requester share and calls the ProverRegistry.
    function _split(uint256 taskId, LedgerTask calldata t, uint64 mechanismState)
        internal
        returns (uint256 toCover, uint256 toRequester)
    {
        uint256 toTreasury;
        (toTreasury, toCover, toRequester) = SlashSplit.split(t.collateral, _treasuryBps, _coverBps);
        if (toTreasury != 0) _credit(_treasury, toTreasury);
        emit AssignmentSlashed(taskId, t.assignee, t.collateral, toTreasury, toCover, toRequester, mechanismState);
    }

    /// @dev Hands an expired task to its allow-listed fallback once: same id and accepted proofs, the fallback as
    ///      mechanism with its hooks, deadline now + fallbackWindow, no further fallback, no assignment, the cover
    ///      share added to the bounty, mechanismState from the fallback's onTaskOpened (gas-capped, caught).
    ///      Returns false when the fallback refuses (reverts, runs out of gas, answers malformed data).
    function _reopen(uint256 taskId, LedgerTask calldata t, TaskWord w, uint256 fallbackEntry, uint256 toCover)
        internal
        returns (bool)
    {
        address fallbackMechanism = t.fallbackMechanism;
        LedgerTask memory n = t;
        uint256 deadline = block.timestamp + t.fallbackWindow;
        if (deadline > type(uint32).max) deadline = type(uint32).max;
        n.mechanism = fallbackMechanism;
        n.openedAt = uint32(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast) clamped above
        n.deadline = uint32(deadline);
        // forge-lint: disable-next-line(unsafe-typecast) bits 8-15
        uint8 hookFlags = uint8(fallbackEntry >> 8);
        n.flags = (t.flags & LedgerTaskLib.FLAG_NOTIFY) | (hookFlags & LedgerTaskLib.TASK_HOOKS);
        n.fallbackMechanism = address(0);
        n.fallbackWindow = 0;
        _clearAssignment(n, 0);
        // forge-lint: disable-next-line(unsafe-typecast) toCover <= collateral, a uint96
        n.coverBounty = t.coverBounty + uint96(toCover);
        if (hookFlags & LedgerTaskLib.HOOK_OPEN != 0) {
            bytes memory data = abi.encodeCall(ILedgerMechanism.onTaskOpened, (taskId, n, ""));
            _requireGas(FALLBACK_OPEN_GAS);
            bool ok;
            uint256 state;
            assembly ("memory-safe") {
                ok := call(FALLBACK_OPEN_GAS, fallbackMechanism, 0, add(data, 0x20), mload(data), 0x00, 0x20)
                if lt(returndatasize(), 0x20) { ok := 0 }
                state := mload(0x00)
            }
            if (!ok || state > type(uint64).max) {
                emit FallbackFailed(taskId, fallbackMechanism);
                return false;
            }
            // forge-lint: disable-next-line(unsafe-typecast) checked above
            n.mechanismState = uint64(state);
        }
        _words[taskId] = w.withHashMechanismCounterReset(n.hashOfMemory());
        emit TaskReopened(taskId, fallbackMechanism, n);
        return true;
    }

    /// @dev Slashes the expired task's live assignment, if any, in the ProverRegistry (which sends the tokens here;
    ///      `_split` booked them).
    function _slashAssignee(uint256 taskId, LedgerTask calldata t) internal {
        if (t.assignee != address(0)) provers.slashCollateral(t.assignee, taskId, t.collateral);
    }

    function _clearAssignment(LedgerTask memory n, uint64 mechanismState) internal pure {
        n.assignee = address(0);
        n.price = 0;
        n.collateral = 0;
        n.mechanismState = mechanismState;
    }

    /// @dev The mechanism's onTaskClosed, when the task's flags say it declared HOOK_CLOSE.
    function _tellClosed(uint256 taskId, LedgerTask calldata t) internal {
        if (t.flags & LedgerTaskLib.HOOK_CLOSE != 0) ILedgerMechanism(t.mechanism).onTaskClosed(taskId, t);
    }

    /// @dev Tells a requester that asked for it how its task ended, with a gas cap and without copying return data;
    ///      a revert (or a requester without code) is logged, never propagated.
    function _notify(address requester, bytes memory data, uint256 taskId) internal {
        if (!_cappedCall(requester, data, REQUESTER_CALLBACK_GAS)) emit RequesterCallbackFailed(taskId, requester);
    }

    /// @dev Calls `target` with `data` and exactly `allowance` gas (InsufficientGas unless the caller can give
    ///      it), without copying return data; false when `target` has no code, reverts or runs out of gas.
    function _cappedCall(address target, bytes memory data, uint256 allowance) internal returns (bool ok) {
        if (target.code.length == 0) return false;
        _requireGas(allowance);
        assembly ("memory-safe") {
            ok := call(allowance, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }

    /// @dev An expired routed task failed under its mechanism; it was slashed if an assignment was live at the
    ///      deadline or one was slashed before.
    function _tellRouterExpired(uint256 taskId, LedgerTask calldata t) internal {
        _tellRouter(taskId, t, false, t.assignee != address(0) || t.flags & LedgerTaskLib.FLAG_SLASHED != 0, 0, 0);
    }

    /// @dev Tells the router how a routed task ended (IRoutedTaskObserver), with a gas cap and without copying
    ///      return data; a revert (or no router, or one without code) is logged, never propagated.
    function _tellRouter(
        uint256 taskId,
        LedgerTask calldata t,
        bool fulfilled,
        bool slashed,
        uint256 paid,
        uint256 budget
    ) internal {
        address router_ = _router;
        bytes memory data =
            abi.encodeCall(IRoutedTaskObserver.onRoutedTaskEnded, (taskId, t, fulfilled, slashed, paid, budget));
        bool ok = _cappedCall(router_, data, ROUTER_CALLBACK_GAS);
        if (!ok) emit RouterCallbackFailed(taskId, router_);
    }

    /// @dev EIP-150 forwards at most 63/64 of the gas left: require enough that a capped hook gets its allowance.
    function _requireGas(uint256 allowance) internal view {
        uint256 required = allowance + allowance / 63 + 10_000;
        if (gasleft() < required) revert InsufficientGas(gasleft(), required);
    }

    /// @dev Adds `amount` to `account`'s balance and marks the word as seen.
    function _credit(address account, uint256 amount) internal {
        uint256 word = _credits[account];
        if (amount > AMOUNT_MASK - (word & AMOUNT_MASK)) revert CreditOverflow(account, amount);
        unchecked {
            _credits[account] = (word + amount) | CREDIT_SEEN;
        }
    }

    /// @dev Credits an accepted proof: the amount (possibly zero), one more completion, PROVER_CHECKED.
    function _creditProver(address prover, uint256 amount) internal {
        uint256 word = _credits[prover];
        if (amount > AMOUNT_MASK - (word & AMOUNT_MASK)) revert CreditOverflow(prover, amount);
        unchecked {
            _credits[prover] = (word + amount + ONE_COMPLETION) | CREDIT_SEEN | PROVER_CHECKED;
        }
    }

    function _bit(uint256 taskId) internal pure returns (uint256) {
        // forge-lint: disable-next-line(incorrect-shift)
        return 1 << (taskId & 0xff);
    }
}
