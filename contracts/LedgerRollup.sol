// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanismRouter} from "./interfaces/ILedgerMechanismRouter.sol";
import {ILedgerRollup} from "./interfaces/ILedgerRollup.sol";
import {IProofConsumer} from "./interfaces/IProofConsumer.sol";
import {IRollup} from "./interfaces/IRollup.sol";
import {ISequencerSelector} from "./interfaces/ISequencerSelector.sol";
import {ITaskLedger} from "./interfaces/ITaskLedger.sol";
import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";
import {RollupBlocks} from "./libraries/RollupBlocks.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "./types/LedgerTask.sol";
import {QoSProfile} from "./types/Task.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title LedgerRollup
/// @notice The proofmarket rollup with its root tasks on the one-word TaskLedger: posts blocks, opens each block's
///         root task on the ledger (directly or through the LedgerMechanismRouter), finalises proven blocks in order
///         and prunes the pending chain when its first block misses its proof window. The rules are the Rollup's
///         (docs/rollup.md); what the ledger changes is in its section "The Rollup over the one-word ledger".
contract LedgerRollup is ILedgerRollup, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using LedgerTaskLib for LedgerTask;
    using RollupBlocks for mapping(uint256 => uint256);

    /// @inheritdoc ILedgerRollup
    bytes32 public constant ROOT_CIRCUIT_ID = RollupBlocks.ROOT_CIRCUIT_ID;
    /// @notice May change the Rollup's parameters.
    bytes32 public constant CONFIG_ADMIN_ROLE = keccak256("proofmarket.role.rollup-config");
    /// @inheritdoc ILedgerRollup
    uint256 public constant HEADER_RING_SIZE = 64;
    /// @dev Gas a prune must still hold before each ledger call (expire / cancelTask): the ledger refuses to start
    ///      its capped requester callback (500k) without its full allowance, and a caught revert for lack of gas
    ///      would let a starved prune skip an expiry. 600k covers the callback's 500k + 1/63 + the ledger's margin
    ///      and the slash before it.
    uint256 internal constant LEDGER_CALL_GAS = 600_000;

    /// @inheritdoc ILedgerRollup
    ITaskLedger public immutable ledger;
    /// @notice The ledger's payment token.
    IERC20 public immutable token;
    /// @notice The ledger's verifier registry (recordProof verifies there).
    IVerifierRegistry public immutable verifiers;

    /// @dev As Rollup.Chain: provenBlock | tipBlock | pendingRewards | credits in one slot.
    ///      Books: holdings = ledger.balanceOf(this) (the deposit: funding parked there, root tasks escrowed from it,
    ///      refunds credited to it) + token.balanceOf(this) (loose); rewardPool = holdings − pendingRewards − credits.
    struct Chain {
        uint32 provenBlock;
        uint32 tipBlock;
        uint96 pendingRewards;
        uint96 credits;
    }

    /// @dev As Rollup.StoredConfig: the Config's fields in order, two flags in slot 0's spare bits.
    struct StoredConfig {
        ISequencerSelector selector;
        uint32 proofWindow;
        uint16 maxPendingBlocks;
        uint16 sequencerShareBps;
        uint8 redundancy;
        bool routed;
        bool hasMechanismData;
        address mechanism;
        uint96 blockReward;
        ILedgerMechanismRouter router;
        QoSProfile qos;
        bytes mechanismData;
    }

    Chain internal _chain;
    bytes32 internal _provenStateRoot;
    bytes32 internal _tipStateRoot;
    StoredConfig internal _config;
    /// @dev keccak256(abi.encode(header)) of block n at n % HEADER_RING_SIZE, pre-filled (see Rollup).
    bytes32[HEADER_RING_SIZE] internal _headerRing;
    /// @dev Root tasks marked proven (the fulfilment callback or recordProof). Ledger ids of one requester are
    ///      consecutive (requester << 96 | nonce), so consecutive blocks share a word.
    mapping(uint256 word => uint256) internal _provenTaskBits;
    mapping(address account => uint256) internal _credits;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and CONFIG_ADMIN_ROLE.
    /// @param ledger_ The TaskLedger.
    /// @param paymentToken The ledger's token.
    /// @param genesisStateRoot The L2's state root at block 0 (a field element).
    /// @param initialConfig The parameters (validated as by setConfig).
    constructor(
        address admin,
        ITaskLedger ledger_,
        IERC20 paymentToken,
        bytes32 genesisStateRoot,
        Config memory initialConfig
    ) {
        if (!RollupBlocks.isFieldElement(genesisStateRoot)) {
            revert InvalidGenesis(genesisStateRoot);
        }
        ledger = ledger_;
        token = paymentToken;
        verifiers = ledger_.verifiers();
        _provenStateRoot = genesisStateRoot;
        _tipStateRoot = genesisStateRoot;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(CONFIG_ADMIN_ROLE, admin);
        _setConfig(initialConfig);
        // The ledger pulls deposits from the Rollup; tasks (direct or routed) are escrowed from the deposit.
        token.forceApprove(address(ledger_), type(uint256).max);
        for (uint256 i; i < HEADER_RING_SIZE; ++i) {
            _headerRing[i] = RollupBlocks.UNUSED_RING_SLOT;
        }
    }

    // ─── Blocks ────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ILedgerRollup
    function postBlock(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) external returns (IRollup.BlockHeader memory header) {
        (header,) = _post(number, prevStateRoot, newStateRoot, txsCommitment, txs);
    }

    /// @inheritdoc ILedgerRollup
    function requestProof(IRollup.BlockHeader calldata header)
        external
        nonReentrant
        returns (IRollup.BlockHeader memory updated, LedgerTask memory task)
    {
        updated = header;
        task = _requestProof(updated, RollupBlocks.hash(updated));
    }

    /// @inheritdoc ILedgerRollup
    function postBlockAndRequestProof(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) external nonReentrant returns (IRollup.BlockHeader memory header, LedgerTask memory task) {
        bytes32 headerHash;
        (header, headerHash) = _post(number, prevStateRoot, newStateRoot, txsCommitment, txs);
        task = _requestProof(header, headerHash);
    }

    /// @inheritdoc ILedgerRollup
    function finalize(IRollup.BlockHeader[] calldata headers) external {
        if (headers.length == 0) revert NoBlocks();
        Chain memory chain = _chain;
        bytes32 stateRoot = _provenStateRoot;
        for (uint256 i; i < headers.length; ++i) {
            IRollup.BlockHeader calldata header = headers[i];
            uint64 number = header.number;
            if (number != uint64(chain.provenBlock) + 1) revert NotNextBlock(uint64(chain.provenBlock) + 1, number);
            if (number > chain.tipBlock) revert BlockNotPending(number, chain.provenBlock, chain.tipBlock);
            _checkStored(header);
            if (header.taskId == 0) revert ProofNotRequested(number);
            if (!_isFulfilled(header)) revert BlockNotProven(number);
            // True by construction; checked again because finalisation is what the L2's bridge trusts.
            if (header.prevStateRoot != stateRoot) revert ParentStateRootMismatch(stateRoot, header.prevStateRoot);

            stateRoot = header.newStateRoot;
            chain.provenBlock = uint32(number); // number ≤ tipBlock, a uint32
            uint96 reward = header.sequencerReward;
            chain.pendingRewards -= reward;
            chain.credits += reward;
            if (reward != 0) _credits[header.sequencer] += reward;
            emit BlockFinalized(number, header.sequencer, stateRoot, reward);
        }
        _chain = chain;
        _provenStateRoot = stateRoot;
    }

    /// @inheritdoc ILedgerRollup
    function prune(IRollup.BlockHeader[] calldata pending, LedgerTask[] calldata tasks) external nonReentrant {
        Chain memory chain = _chain;
        uint256 count = chain.tipBlock - chain.provenBlock;
        if (count == 0) revert BlockNotPending(uint64(chain.provenBlock) + 1, chain.provenBlock, chain.tipBlock);
        if (pending.length != count) revert PendingChainIncomplete(count, pending.length);
        if (tasks.length != count) revert PendingChainIncomplete(count, tasks.length);

        // Checks: every pending header is the stored one, in order; the first missed its window unproven; every
        // live root task is supplied in its current version.
        uint256 liveMask; // bit i: pending[i]'s task is live in the ledger (and tasks[i] is its current copy)
        uint256 boundMask; // bit i > 0: that live task has an assignment or an accepted proof (no cancel)
        for (uint256 i; i < count; ++i) {
            // casting to 'uint64' is safe because i < count ≤ tipBlock − provenBlock < 2^32
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 expected = uint64(chain.provenBlock) + 1 + uint64(i);
            IRollup.BlockHeader calldata header = pending[i];
            if (header.number != expected) revert NotNextBlock(expected, header.number);
            _checkStored(header);
            uint256 taskId = header.taskId;
            if (taskId == 0 || _provenTaskBits.isSet(taskId)) continue;
            TaskWord w = ledger.taskWord(taskId);
            if (TaskWord.unwrap(w) == 0) continue; // ended: fulfilled, expired by anyone, or never to be seen again
            if (!w.matches(tasks[i].hashOf())) revert StaleRootTask(expected, taskId);
            liveMask |= 1 << i;
            if (i != 0 && (tasks[i].assignee != address(0) || w.proofsAccepted() != 0)) boundMask |= 1 << i;
        }
        IRollup.BlockHeader calldata first = pending[0];
        if (block.timestamp <= first.proofDeadline) revert ProofWindowOpen(first.number, first.proofDeadline);
        if (first.taskId != 0 && _provenTaskBits.isSet(first.taskId)) revert BlockAlreadyProven(first.number);

        // Effects: the tip goes back to the last proven block; reserved sequencer rewards return to the pool.
        uint256 released = chain.pendingRewards;
        uint64 lastPruned = chain.tipBlock;
        chain.pendingRewards = 0;
        chain.tipBlock = chain.provenBlock;
        _chain = chain;
        bytes32 stateRoot = _provenStateRoot;
        _tipStateRoot = stateRoot;
        emit BlocksPruned(first.number, lastPruned, stateRoot, released);

        // Interactions: the first block's live task expires (the ledger slashes an assignment and credits the unspent
        // escrow and the requester's slash share to the Rollup's deposit); later blocks' live tasks without an
        // assignment or an accepted proof are cancelled (refunded to the deposit). A ledger call that reverts for
        // its own reasons (a mechanism's close hook) is logged and passed over; one that fails for lack of gas
        // reverts the whole prune (PruneOutOfGas), so that starving it can skip nothing.
        if (liveMask & 1 != 0) {
            uint256 taskId = first.taskId;
            uint256 before = _requireLedgerGas();
            try ledger.expire(taskId, tasks[0]) {}
            catch (bytes memory reason) {
                _checkNotStarved(before, reason);
                emit RootTaskNotExpired(taskId);
            }
        }
        for (uint256 i = 1; i < count; ++i) {
            if (liveMask & (1 << i) == 0) continue;
            uint256 taskId = pending[i].taskId;
            if (boundMask & (1 << i) != 0) {
                emit OrphanTaskNotCancelled(taskId);
                continue;
            }
            uint256 before = _requireLedgerGas();
            try ledger.cancelTask(taskId, tasks[i]) {}
            catch (bytes memory reason) {
                _checkNotStarved(before, reason);
                emit OrphanTaskNotCancelled(taskId);
            }
        }
    }

    /// @inheritdoc ILedgerRollup
    function recordProof(IRollup.BlockHeader calldata header, address prover, bytes calldata proof) external {
        uint64 number = header.number;
        Chain memory chain = _chain;
        if (number <= chain.provenBlock || number > chain.tipBlock) {
            revert BlockNotPending(number, chain.provenBlock, chain.tipBlock);
        }
        _checkStored(header);
        uint256 taskId = header.taskId;
        if (taskId == 0) revert ProofNotRequested(number);
        if (TaskWord.unwrap(ledger.taskWord(taskId)) != 0) revert RootTaskLive(taskId);
        uint256[] memory inputs = new uint256[](5);
        inputs[0] = uint256(header.prevStateRoot);
        inputs[1] = uint256(header.newStateRoot);
        inputs[2] = uint256(header.txsCommitment);
        inputs[3] = number;
        inputs[4] = uint256(uint160(prover));
        verifiers.verify(ROOT_CIRCUIT_ID, proof, inputs); // reverts unless the proof verifies
        _provenTaskBits.set(taskId);
        emit RootProofRecorded(number, taskId, prover);
    }

    // ─── IProofConsumer ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IProofConsumer
    /// @dev Only marks the task proven; the state root advances in `finalize`, in block order.
    function onTaskFulfilled(uint256 taskId, address lastProver) external {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        _provenTaskBits.set(taskId);
        emit RootTaskFulfilled(taskId, lastProver);
    }

    /// @inheritdoc IProofConsumer
    /// @dev Nothing to do: the block is discarded by `prune`.
    function onTaskExpired(uint256 taskId) external {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        emit RootTaskExpired(taskId);
    }

    // ─── Rewards ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ILedgerRollup
    function fundRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        emit RewardsFunded(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
        ledger.deposit(amount);
    }

    /// @inheritdoc ILedgerRollup
    function sweepRefunds() external nonReentrant returns (uint256 amount) {
        amount = token.balanceOf(address(this));
        if (amount == 0) revert NothingToSweep();
        emit RefundsSwept(amount);
        ledger.deposit(amount);
    }

    /// @inheritdoc ILedgerRollup
    /// @dev The ledger withdraws any amount, so only the shortfall leaves the deposit: nothing is left loose.
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        _chain.credits -= SafeCast.toUint96(amount);
        emit Withdrawn(msg.sender, amount);
        uint256 loose = token.balanceOf(address(this));
        if (loose < amount) ledger.withdraw(amount - loose);
        token.safeTransfer(msg.sender, amount);
    }

    // ─── Admin ─────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ILedgerRollup
    function setConfig(Config calldata newConfig) external onlyRole(CONFIG_ADMIN_ROLE) {
        _setConfig(newConfig);
    }

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ILedgerRollup
    function provenTip() external view returns (uint64 number, bytes32 stateRoot) {
        return (_chain.provenBlock, _provenStateRoot);
    }

    /// @inheritdoc ILedgerRollup
    function pendingTip() external view returns (uint64 number, bytes32 stateRoot) {
        return (_chain.tipBlock, _tipStateRoot);
    }

    /// @inheritdoc ILedgerRollup
    function headerHashOf(uint64 number) external view returns (bytes32) {
        uint64 tip = _chain.tipBlock;
        if (number == 0 || number > tip || tip - number >= HEADER_RING_SIZE) return bytes32(0);
        return _headerRing[number % HEADER_RING_SIZE];
    }

    /// @inheritdoc ILedgerRollup
    function isTaskProven(uint256 taskId) external view returns (bool) {
        return _provenTaskBits.isSet(taskId);
    }

    /// @inheritdoc ILedgerRollup
    function rewardPool() external view returns (uint256) {
        Chain memory chain = _chain;
        return ledger.balanceOf(address(this)) + token.balanceOf(address(this)) - chain.pendingRewards - chain.credits;
    }

    /// @inheritdoc ILedgerRollup
    function pendingRewards() external view returns (uint256) {
        return _chain.pendingRewards;
    }

    /// @inheritdoc ILedgerRollup
    function claimable(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc ILedgerRollup
    function config() external view returns (Config memory) {
        StoredConfig storage c = _config;
        return Config({
            selector: c.selector,
            proofWindow: c.proofWindow,
            maxPendingBlocks: c.maxPendingBlocks,
            sequencerShareBps: c.sequencerShareBps,
            redundancy: c.redundancy,
            mechanism: c.mechanism,
            blockReward: c.blockReward,
            router: c.router,
            qos: c.qos,
            mechanismData: c.mechanismData
        });
    }

    /// @inheritdoc ILedgerRollup
    function hashHeader(IRollup.BlockHeader calldata header) external pure returns (bytes32) {
        return keccak256(abi.encode(header));
    }

    /// @inheritdoc ILedgerRollup
    function rootPublicInputs(IRollup.BlockHeader calldata header) external pure returns (uint256[] memory) {
        return RollupBlocks.rootPublicInputs(header);
    }

    // ─── Internals ─────────────────────────────────────────────────────────────────────────────────

    function _post(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) internal returns (IRollup.BlockHeader memory header, bytes32 headerHash) {
        StoredConfig storage cfg = _config;
        if (!cfg.selector.isSequencer(msg.sender, number)) revert NotSequencer(msg.sender, number);
        Chain memory chain = _chain;
        if (number != uint64(chain.tipBlock) + 1) revert WrongBlockNumber(uint64(chain.tipBlock) + 1, number);
        uint64 pending = chain.tipBlock - chain.provenBlock;
        if (pending >= cfg.maxPendingBlocks) revert PendingChainFull(pending, cfg.maxPendingBlocks);
        bytes32 tipStateRoot = _tipStateRoot;
        if (prevStateRoot != tipStateRoot) revert ParentStateRootMismatch(tipStateRoot, prevStateRoot);
        if (txs.length == 0) revert EmptyBlock();
        if (!RollupBlocks.isFieldElement(newStateRoot)) revert NotAFieldElement(newStateRoot);
        if (!RollupBlocks.isFieldElement(txsCommitment)) revert NotAFieldElement(txsCommitment);

        header = IRollup.BlockHeader({
            number: number,
            postedAt: uint64(block.timestamp),
            proofDeadline: uint64(block.timestamp) + cfg.proofWindow,
            sequencer: msg.sender,
            prevStateRoot: prevStateRoot,
            newStateRoot: newStateRoot,
            txsCommitment: txsCommitment,
            txsDataHash: keccak256(txs),
            taskId: 0,
            sequencerReward: 0
        });
        headerHash = RollupBlocks.hash(header);
        _headerRing[number % HEADER_RING_SIZE] = headerHash;
        _chain.tipBlock = SafeCast.toUint32(number);
        _tipStateRoot = newStateRoot;
        emit BlockPosted(number, msg.sender, headerHash, header);
    }

    /// @dev Opens the root task of `header` on the ledger and rewrites the stored hash with the task id and the
    ///      sequencer reward filled in. Both paths escrow from the Rollup's deposit: createTask debits msg.sender's,
    ///      and the router's createTaskFor debits the requester's, which is the Rollup. Callers hold the lock.
    function _requestProof(IRollup.BlockHeader memory header, bytes32 headerHash)
        internal
        returns (LedgerTask memory task)
    {
        uint64 number = header.number;
        Chain memory chain = _chain;
        if (number <= chain.provenBlock || number > chain.tipBlock) {
            revert BlockNotPending(number, chain.provenBlock, chain.tipBlock);
        }
        bytes32 stored = _headerRing[number % HEADER_RING_SIZE];
        if (stored != headerHash) revert HeaderMismatch(number, stored, headerHash);
        if (header.taskId != 0) revert ProofAlreadyRequested(number, header.taskId);
        if (block.timestamp >= header.proofDeadline) revert ProofWindowClosed(number, header.proofDeadline);

        StoredConfig storage cfg = _config;
        uint96 reward = cfg.blockReward;
        (uint96 sequencerReward, uint96 provingBudget) = RollupBlocks.split(reward, cfg.sequencerShareBps);
        uint256 toPark = _checkPool(chain, reward);
        chain.pendingRewards += sequencerReward;
        _chain = chain;

        if (toPark != 0) ledger.deposit(toPark);
        LedgerRequest memory request = LedgerRequest({
            circuitId: ROOT_CIRCUIT_ID,
            inputCommitment: RollupBlocks.rootInputCommitment(header),
            deadline: header.proofDeadline,
            maxPayment: provingBudget,
            redundancy: cfg.redundancy,
            mechanism: cfg.mechanism,
            notifyRequester: true,
            // No fallback: a missed window prunes the block, and the sequencer re-posts from the proven root.
            fallbackMechanism: address(0),
            fallbackWindow: 0,
            minCollateral: cfg.qos.minStakeAtRisk,
            mechanismData: cfg.hasMechanismData ? cfg.mechanismData : bytes("")
        });
        uint256 taskId;
        if (cfg.routed) (taskId,, task) = cfg.router.route(request, cfg.qos);
        else (taskId, task) = ledger.createTask(request);

        header.taskId = taskId;
        header.sequencerReward = sequencerReward;
        bytes32 updatedHash = RollupBlocks.hash(header);
        _headerRing[number % HEADER_RING_SIZE] = updatedHash;
        emit BlockProofRequested(number, taskId, provingBudget, sequencerReward, updatedHash);
    }

    /// @dev Refuses a block reward the pool cannot pay and returns the loose tokens to park first: only when the
    ///      deposit alone does not cover what is owed plus the reward (the loose balance is read only then).
    function _checkPool(Chain memory chain, uint96 reward) internal view returns (uint256 toPark) {
        uint256 owed = uint256(chain.pendingRewards) + chain.credits + reward;
        uint256 held = ledger.balanceOf(address(this));
        if (held >= owed) return 0;
        uint256 loose = token.balanceOf(address(this));
        if (held + loose < owed) {
            uint256 owedBefore = owed - reward;
            revert InsufficientRewardPool(reward, held + loose > owedBefore ? held + loose - owedBefore : 0);
        }
        return loose;
    }

    /// @dev The callback's bit; failing that, a root task whose word is gone while its block is still inside its
    ///      proof window was fulfilled (expiry needs the deadline past, and only the Rollup cancels its tasks, in a
    ///      prune that discards the block). After the window a gone word is ambiguous: recordProof decides.
    function _isFulfilled(IRollup.BlockHeader calldata header) internal view returns (bool) {
        if (_provenTaskBits.isSet(header.taskId)) return true;
        return block.timestamp <= header.proofDeadline && TaskWord.unwrap(ledger.taskWord(header.taskId)) == 0;
    }

    function _checkStored(IRollup.BlockHeader calldata header) internal view {
        bytes32 supplied = keccak256(abi.encode(header));
        bytes32 stored = _headerRing[header.number % HEADER_RING_SIZE];
        if (stored != supplied) revert HeaderMismatch(header.number, stored, supplied);
    }

    /// @dev PruneOutOfGas unless a ledger call can get LEDGER_CALL_GAS; returns the gas left before the call.
    function _requireLedgerGas() internal view returns (uint256 before) {
        before = gasleft();
        if (before < LEDGER_CALL_GAS) revert PruneOutOfGas(before, LEDGER_CALL_GAS);
    }

    /// @dev After a caught revert: if the callee ran out of gas (63/64 forwarded, so at most ≈ 1/64 of `before` is
    ///      left) or the ledger refused to start a capped hook without its allowance (ITaskLedger.InsufficientGas),
    ///      the prune reverts rather than pass the task over.
    function _checkNotStarved(uint256 before, bytes memory reason) internal view {
        uint256 left = gasleft();
        if (left <= before / 63 || (reason.length >= 4 && bytes4(reason) == ITaskLedger.InsufficientGas.selector)) {
            revert PruneOutOfGas(left, before);
        }
    }

    function _setConfig(Config memory newConfig) internal {
        if (address(newConfig.selector).code.length == 0) revert InvalidConfig(0);
        if (newConfig.proofWindow == 0) revert InvalidConfig(1);
        if (newConfig.maxPendingBlocks == 0 || newConfig.maxPendingBlocks > HEADER_RING_SIZE) revert InvalidConfig(2);
        if (newConfig.sequencerShareBps >= RollupBlocks.BPS) revert InvalidConfig(3);
        if (newConfig.redundancy == 0) revert InvalidConfig(4);
        if (address(newConfig.router) == address(0)) {
            (bool allowed,,) = ledger.mechanismOf(newConfig.mechanism);
            if (!allowed) revert InvalidConfig(5);
        } else if (address(newConfig.router).code.length == 0) {
            revert InvalidConfig(7);
        }
        if (newConfig.blockReward == 0) revert InvalidConfig(6);
        if (newConfig.qos.minRedundancy > newConfig.redundancy) revert InvalidConfig(8);
        StoredConfig storage c = _config;
        c.selector = newConfig.selector;
        c.proofWindow = newConfig.proofWindow;
        c.maxPendingBlocks = newConfig.maxPendingBlocks;
        c.sequencerShareBps = newConfig.sequencerShareBps;
        c.redundancy = newConfig.redundancy;
        c.routed = address(newConfig.router) != address(0);
        c.hasMechanismData = newConfig.mechanismData.length != 0;
        c.mechanism = newConfig.mechanism;
        c.blockReward = newConfig.blockReward;
        c.router = newConfig.router;
        c.qos = newConfig.qos;
        c.mechanismData = newConfig.mechanismData;
        emit ConfigSet(newConfig);
    }
}
