// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanismRouter} from "./interfaces/IMechanismRouter.sol";
import {IProofConsumer} from "./interfaces/IProofConsumer.sol";
import {IRollup} from "./interfaces/IRollup.sol";
import {ISequencerSelector} from "./interfaces/ISequencerSelector.sol";
import {ITaskRegistry} from "./interfaces/ITaskRegistry.sol";
import {RollupBlocks} from "./libraries/RollupBlocks.sol";
import {QoSProfile, TaskRequest, TaskStatus} from "./types/Task.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title Rollup
/// @notice Block inbox of the proofmarket rollup: posts blocks, requests their root proofs from the
///         TaskRegistry, finalises proven blocks in order and prunes the pending chain when a block misses its
///         proof window. Rules, parameters and the trust model are in docs/rollup.md.
contract Rollup is IRollup, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IRollup
    bytes32 public constant ROOT_CIRCUIT_ID = RollupBlocks.ROOT_CIRCUIT_ID;
    /// @notice May change the Rollup's parameters.
    bytes32 public constant CONFIG_ADMIN_ROLE = keccak256("proofmarket.role.rollup-config");

    uint256 internal constant FIELD_MODULUS = RollupBlocks.FIELD_MODULUS;
    uint256 internal constant BPS = RollupBlocks.BPS;
    /// @inheritdoc IRollup
    uint256 public constant HEADER_RING_SIZE = 64;

    /// @notice The TaskRegistry root tasks are opened in; the only caller of the IProofConsumer hooks.
    ITaskRegistry public immutable taskRegistry;
    /// @notice The payment token (the TaskRegistry's escrow token).
    IERC20 public immutable token;

    /// @dev Chain pointers and what the Rollup owes its sequencers, packed in one slot so that every step touches it
    ///      once. provenBlock: last finalised block; tipBlock: last posted block (provenBlock ≤ tipBlock; 32 bits
    ///      last 136 years at one block a second, and posting past 2^32 − 1 reverts on overflow);
    ///      pendingRewards: sequencer rewards reserved for requested blocks in (provenBlock, tipBlock];
    ///      credits: Σ sequencer credits not yet withdrawn.
    ///      Books: the Rollup's tokens are its TaskRegistry balance (where fundRewards parks them, root tasks are
    ///      escrowed from and refunds are credited) plus its own token balance ("loose": transiently after paying
    ///      a sequencer, or sent to it); rewardPool = those holdings − pendingRewards − credits, never negative.
    struct Chain {
        uint32 provenBlock;
        uint32 tipBlock;
        uint96 pendingRewards;
        uint96 credits;
    }

    /// @dev Written into every header-ring slot at deployment, so that a post always rewrites a non-zero slot (≈ 5k)
    ///      and never fills a fresh one (22.1k): blocks 1–64 cost what every later block costs. The 64 fills are
    ///      paid by the deployment instead (≈ 1.42M gas; over the first lap ≈ 0.3M more in total than filling
    ///      lazily, since each slot is then written twice). Never a keccak256 output a header could hash to, and
    ///      never exposed (`headerHashOf` answers for posted blocks only).
    bytes32 internal constant UNUSED_RING_SLOT = RollupBlocks.UNUSED_RING_SLOT;

    Chain internal _chain;
    bytes32 internal _provenStateRoot;
    bytes32 internal _tipStateRoot;

    /// @dev IRollup.Config as stored: its fields in their order (five slots), with two flags in slot 0's spare bits
    ///      so that a request reads the router's and mechanismData's slots only when they are set (−4.2k per
    ///      request on the direct path without mechanism data). `config()` rebuilds the Config.
    struct StoredConfig {
        // slot 0
        ISequencerSelector selector;
        uint32 proofWindow;
        uint16 maxPendingBlocks;
        uint16 sequencerShareBps;
        uint8 redundancy;
        bool routed; // router != 0
        bool hasMechanismData; // mechanismData.length != 0
        // slot 1
        address mechanism;
        uint96 blockReward;
        // slot 2
        IMechanismRouter router;
        // slot 3
        QoSProfile qos;
        // slot 4
        bytes mechanismData;
    }

    StoredConfig internal _config;
    /// @dev keccak256(abi.encode(BlockHeader)) of block n at index n % HEADER_RING_SIZE: the only per-block
    ///      storage. Only pending blocks need their hash (at most maxPendingBlocks ≤ HEADER_RING_SIZE of them,
    ///      so they never share a slot), and reusing slots makes a post rewrite a non-zero slot instead of
    ///      filling a fresh one once the ring has gone round (−17k gas per block).
    bytes32[HEADER_RING_SIZE] internal _headerRing;
    /// @dev Bitmap of fulfilled root tasks (bit taskId % 256 of word taskId / 256): the Rollup's tasks are
    ///      often close in id, so marking one proven usually rewrites a warm word instead of a fresh slot.
    mapping(uint256 word => uint256) internal _provenTaskBits;
    mapping(address account => uint256) internal _credits;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and CONFIG_ADMIN_ROLE.
    /// @param registry The TaskRegistry.
    /// @param paymentToken The TaskRegistry's escrow token.
    /// @param genesisStateRoot The L2's state root at block 0 (a field element).
    /// @param initialConfig The parameters (validated as by setConfig).
    constructor(
        address admin,
        ITaskRegistry registry,
        IERC20 paymentToken,
        bytes32 genesisStateRoot,
        Config memory initialConfig
    ) {
        if (uint256(genesisStateRoot) >= FIELD_MODULUS) {
            revert InvalidGenesis(genesisStateRoot);
        }
        taskRegistry = registry;
        token = paymentToken;
        _provenStateRoot = genesisStateRoot;
        _tipStateRoot = genesisStateRoot;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(CONFIG_ADMIN_ROLE, admin);
        _setConfig(initialConfig);
        // The registry pulls deposits (and, through the router, task escrows) from the Rollup; no other approval.
        paymentToken.forceApprove(address(registry), type(uint256).max);
        for (uint256 i; i < HEADER_RING_SIZE; ++i) {
            _headerRing[i] = UNUSED_RING_SLOT;
        }
    }

    // ─── Blocks ────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IRollup
    function postBlock(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) external returns (BlockHeader memory header) {
        (header,) = _post(number, prevStateRoot, newStateRoot, txsCommitment, txs);
    }

    /// @inheritdoc IRollup
    function requestProof(BlockHeader calldata header) external nonReentrant returns (BlockHeader memory updated) {
        updated = header;
        _requestProof(updated, _hashHeader(updated));
    }

    /// @inheritdoc IRollup
    function postBlockAndRequestProof(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) external nonReentrant returns (BlockHeader memory header) {
        bytes32 headerHash;
        (header, headerHash) = _post(number, prevStateRoot, newStateRoot, txsCommitment, txs);
        _requestProof(header, headerHash);
    }

    /// @inheritdoc IRollup
    function finalize(BlockHeader[] calldata headers) external {
        if (headers.length == 0) revert NoBlocks();
        Chain memory chain = _chain;
        bytes32 stateRoot = _provenStateRoot;
        for (uint256 i; i < headers.length; ++i) {
            BlockHeader calldata header = headers[i];
            uint64 number = header.number;
            if (number != uint64(chain.provenBlock) + 1) revert NotNextBlock(uint64(chain.provenBlock) + 1, number);
            if (number > chain.tipBlock) revert BlockNotPending(number, chain.provenBlock, chain.tipBlock);
            _checkStored(header);
            if (header.taskId == 0) revert ProofNotRequested(number);
            if (!_isFulfilled(header.taskId)) revert BlockNotProven(number);
            // Holds by construction (posting checks the parent against the tip, pruning resets the tip to
            // the proven root); checked again because finalisation is what the L2's bridge would trust.
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

    /// @inheritdoc IRollup
    function prune(BlockHeader[] calldata pending) external nonReentrant {
        Chain memory chain = _chain;
        uint256 count = chain.tipBlock - chain.provenBlock;
        if (count == 0) revert BlockNotPending(uint64(chain.provenBlock) + 1, chain.provenBlock, chain.tipBlock);
        if (pending.length != count) revert PendingChainIncomplete(count, pending.length);

        // Checks: every pending header is the stored one, in order; the first missed its window unproven.
        for (uint256 i; i < count; ++i) {
            // casting to 'uint64' is safe because i < count ≤ tipBlock − provenBlock < 2^32
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 expected = uint64(chain.provenBlock) + 1 + uint64(i);
            if (pending[i].number != expected) revert NotNextBlock(expected, pending[i].number);
            _checkStored(pending[i]);
        }
        BlockHeader calldata first = pending[0];
        if (block.timestamp <= first.proofDeadline) revert ProofWindowOpen(first.number, first.proofDeadline);
        bool expireFirst;
        if (first.taskId != 0) {
            if (_isProvenBit(first.taskId)) revert BlockAlreadyProven(first.number);
            TaskStatus status = taskRegistry.taskOf(first.taskId).status;
            // The fulfilment callback may have failed (the registry catches it); the task's status decides.
            if (status == TaskStatus.Fulfilled) revert BlockAlreadyProven(first.number);
            expireFirst = status == TaskStatus.Open || status == TaskStatus.Assigned;
        }

        // Effects: the tip goes back to the last proven block; reserved sequencer rewards return to the pool.
        uint256 released = chain.pendingRewards;
        uint64 lastPruned = chain.tipBlock;
        chain.pendingRewards = 0;
        chain.tipBlock = chain.provenBlock;
        _chain = chain;
        bytes32 stateRoot = _provenStateRoot;
        _tipStateRoot = stateRoot;
        emit BlocksPruned(first.number, lastPruned, stateRoot, released);

        // Interactions: expiry slashes the first block's assigned provers by its mechanism's rules and
        // credits the unspent escrow back to the Rollup's registry balance (the pool); later blocks' tasks are
        // cancelled where the registry allows (no assignment, no accepted proof) so nobody is paid to prove a
        // discarded block.
        if (expireFirst) taskRegistry.expire(first.taskId);
        for (uint256 i = 1; i < count; ++i) {
            uint256 taskId = pending[i].taskId;
            if (taskId == 0 || _isProvenBit(taskId)) continue;
            try taskRegistry.cancelTask(taskId) {}
            catch {
                emit OrphanTaskNotCancelled(taskId);
            }
        }
    }

    // ─── IProofConsumer ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IProofConsumer
    /// @dev Only marks the task proven (a few thousand gas, well inside the registry's callback cap); the
    ///      state root advances in `finalize`, in block order, where the header is re-supplied.
    function onTaskFulfilled(uint256 taskId, address lastProver) external {
        if (msg.sender != address(taskRegistry)) revert OnlyTaskRegistry(msg.sender);
        // forge-lint: disable-next-line(incorrect-shift)
        _provenTaskBits[taskId >> 8] |= 1 << (taskId & 0xff);
        emit RootTaskFulfilled(taskId, lastProver);
    }

    /// @inheritdoc IProofConsumer
    /// @dev Nothing to do: the block is discarded by `prune`, which anyone may call once its window closed.
    function onTaskExpired(uint256 taskId) external {
        if (msg.sender != address(taskRegistry)) revert OnlyTaskRegistry(msg.sender);
        emit RootTaskExpired(taskId);
    }

    // ─── Rewards ───────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IRollup
    /// @dev Parks the funding in the TaskRegistry at once (root tasks are escrowed from that balance).
    function fundRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        emit RewardsFunded(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
        taskRegistry.deposit(amount);
    }

    /// @inheritdoc IRollup
    function sweepRefunds() external nonReentrant returns (uint256 amount) {
        amount = token.balanceOf(address(this));
        if (amount == 0) revert NothingToSweep();
        emit RefundsSwept(amount);
        taskRegistry.deposit(amount);
    }

    /// @inheritdoc IRollup
    /// @dev Paid from the loose tokens; when they do not cover it, the registry balance is withdrawn first (the
    ///      rest stays loose until the next request or `sweepRefunds` parks it again). The holdings cover every
    ///      credit: the pool is never negative.
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        _chain.credits -= SafeCast.toUint96(amount);
        emit Withdrawn(msg.sender, amount);
        if (token.balanceOf(address(this)) < amount) taskRegistry.withdraw();
        token.safeTransfer(msg.sender, amount);
    }

    // ─── Admin ─────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IRollup
    function setConfig(Config calldata newConfig) external onlyRole(CONFIG_ADMIN_ROLE) {
        _setConfig(newConfig);
    }

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IRollup
    function provenTip() external view returns (uint64 number, bytes32 stateRoot) {
        return (_chain.provenBlock, _provenStateRoot);
    }

    /// @inheritdoc IRollup
    function pendingTip() external view returns (uint64 number, bytes32 stateRoot) {
        return (_chain.tipBlock, _tipStateRoot);
    }

    /// @inheritdoc IRollup
    function headerHashOf(uint64 number) external view returns (bytes32) {
        uint64 tip = _chain.tipBlock;
        if (number == 0 || number > tip || tip - number >= HEADER_RING_SIZE) return bytes32(0);
        return _headerRing[number % HEADER_RING_SIZE];
    }

    /// @inheritdoc IRollup
    function isTaskProven(uint256 taskId) external view returns (bool) {
        return _isProvenBit(taskId);
    }

    /// @inheritdoc IRollup
    function rewardPool() external view returns (uint256) {
        Chain memory chain = _chain;
        return _holdings() - chain.pendingRewards - chain.credits;
    }

    /// @inheritdoc IRollup
    function pendingRewards() external view returns (uint256) {
        return _chain.pendingRewards;
    }

    /// @inheritdoc IRollup
    function claimable(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IRollup
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

    /// @inheritdoc IRollup
    function hashHeader(BlockHeader calldata header) external pure returns (bytes32) {
        return keccak256(abi.encode(header));
    }

    /// @inheritdoc IRollup
    function rootPublicInputs(BlockHeader calldata header) external pure returns (uint256[] memory inputs) {
        return RollupBlocks.rootPublicInputs(header);
    }

    // ─── Internals ─────────────────────────────────────────────────────────────────────────────────

    function _post(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) internal returns (BlockHeader memory header, bytes32 headerHash) {
        StoredConfig storage cfg = _config;
        if (!cfg.selector.isSequencer(msg.sender, number)) revert NotSequencer(msg.sender, number);
        Chain memory chain = _chain;
        if (number != uint64(chain.tipBlock) + 1) revert WrongBlockNumber(uint64(chain.tipBlock) + 1, number);
        uint64 pending = chain.tipBlock - chain.provenBlock;
        if (pending >= cfg.maxPendingBlocks) revert PendingChainFull(pending, cfg.maxPendingBlocks);
        bytes32 tipStateRoot = _tipStateRoot;
        if (prevStateRoot != tipStateRoot) revert ParentStateRootMismatch(tipStateRoot, prevStateRoot);
        if (txs.length == 0) revert EmptyBlock();
        // Out-of-field values could never appear in a valid root proof: refuse them before they block the chain.
        if (uint256(newStateRoot) >= FIELD_MODULUS) revert NotAFieldElement(newStateRoot);
        if (uint256(txsCommitment) >= FIELD_MODULUS) revert NotAFieldElement(txsCommitment);

        header = BlockHeader({
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
        headerHash = _hashHeader(header);
        _headerRing[number % HEADER_RING_SIZE] = headerHash;
        _chain.tipBlock = SafeCast.toUint32(number);
        _tipStateRoot = newStateRoot;
        emit BlockPosted(number, msg.sender, headerHash, header);
    }

    /// @dev Opens the root task of `header` (whose hash is `headerHash`) and rewrites the stored hash with
    ///      the task id and the sequencer reward filled in. Callers hold the reentrancy lock.
    function _requestProof(BlockHeader memory header, bytes32 headerHash) internal {
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
        // casting to 'uint96' is safe because sequencerShareBps < BPS, so the share is below the uint96 reward
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 sequencerReward = uint96(uint256(reward) * cfg.sequencerShareBps / BPS);
        uint96 provingBudget = reward - sequencerReward;
        IMechanismRouter router = cfg.routed ? cfg.router : IMechanismRouter(address(0));
        (uint256 toPark, bool unpark) = _checkPool(chain, reward, provingBudget, address(router) != address(0));
        chain.pendingRewards += sequencerReward;
        _chain = chain;

        // The proving path: straight into the TaskRegistry under the configured mechanism, escrowed from the
        // Rollup's registry balance (loose tokens parked there first when it falls short), or through the
        // MechanismRouter (pinned to that mechanism, or chosen by the QoS profile when it is zero), which has
        // the registry pull the escrow from the Rollup's own balance (the registry balance withdrawn first
        // when that falls short). Either way the Rollup is the requester.
        TaskRequest memory taskRequest = _rootTaskRequest(header, provingBudget, cfg);
        uint256 taskId;
        if (address(router) == address(0)) {
            if (toPark != 0) taskRegistry.deposit(toPark);
            taskId = taskRegistry.createTaskFromBalance(taskRequest);
        } else {
            if (unpark) taskRegistry.withdraw();
            (taskId,) = router.route(taskRequest);
        }

        header.taskId = taskId;
        header.sequencerReward = sequencerReward;
        bytes32 updatedHash = _hashHeader(header);
        _headerRing[number % HEADER_RING_SIZE] = updatedHash;
        emit BlockProofRequested(number, taskId, provingBudget, sequencerReward, updatedHash);
    }

    /// @dev The root task of a block: public inputs [prev_state_root, new_state_root, txs_commitment,
    ///      block_number] (the registry appends the prover), escrow = the provers' share of the block reward.
    function _rootTaskRequest(BlockHeader memory header, uint96 provingBudget, StoredConfig storage cfg)
        internal
        view
        returns (TaskRequest memory)
    {
        return TaskRequest({
            circuitId: ROOT_CIRCUIT_ID,
            inputCommitment: RollupBlocks.rootInputCommitment(header),
            deadline: header.proofDeadline,
            maxPayment: provingBudget,
            redundancy: cfg.redundancy,
            qos: cfg.qos,
            mechanism: cfg.mechanism,
            notifyRequester: true,
            // No fallback: a missed window prunes the block, and the sequencer re-posts from the proven root.
            fallbackMechanism: address(0),
            fallbackWindow: 0,
            mechanismData: cfg.hasMechanismData ? cfg.mechanismData : bytes("")
        });
    }

    function _checkStored(BlockHeader calldata header) internal view {
        bytes32 supplied = keccak256(abi.encode(header));
        bytes32 stored = _headerRing[header.number % HEADER_RING_SIZE];
        if (stored != supplied) revert HeaderMismatch(header.number, stored, supplied);
    }

    /// @dev Refuses a block reward the pool (holdings − reserved − credited) cannot pay (InsufficientRewardPool) and
    ///      says where the escrow's tokens must be first. The loose balance is read only when it matters: the
    ///      router path pulls the escrow from it (`unpark`: withdraw the registry balance first when it falls
    ///      short); the direct path escrows from the registry balance and parks the loose tokens there first
    ///      (`toPark`) only when that balance alone does not cover what is owed plus the reward.
    function _checkPool(Chain memory chain, uint96 reward, uint96 provingBudget, bool routed)
        internal
        view
        returns (uint256 toPark, bool unpark)
    {
        uint256 owed = uint256(chain.pendingRewards) + chain.credits + reward;
        uint256 held = taskRegistry.claimable(address(this));
        uint256 loose;
        if (routed || held < owed) loose = token.balanceOf(address(this));
        if (held + loose < owed) revert InsufficientRewardPool(reward, _positive(held + loose, owed - reward));
        if (routed) unpark = loose < provingBudget; // then held > 0: held + loose >= owed >= provingBudget
        else if (held < owed) toPark = loose; // > 0: held + loose >= owed > held
    }

    /// @dev The Rollup's tokens: its TaskRegistry balance plus its own token balance.
    function _holdings() internal view returns (uint256) {
        return taskRegistry.claimable(address(this)) + token.balanceOf(address(this));
    }

    /// @dev `a − b`, or 0 when b > a.
    function _positive(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : 0;
    }

    function _isProvenBit(uint256 taskId) internal view returns (bool) {
        // forge-lint: disable-next-line(incorrect-shift)
        return _provenTaskBits[taskId >> 8] & (1 << (taskId & 0xff)) != 0;
    }

    /// @dev The callback's bit, or — if the registry's capped callback failed — the task's own status.
    function _isFulfilled(uint256 taskId) internal view returns (bool) {
        return _isProvenBit(taskId) || taskRegistry.taskOf(taskId).status == TaskStatus.Fulfilled;
    }

    function _hashHeader(BlockHeader memory header) internal pure returns (bytes32) {
        return keccak256(abi.encode(header));
    }

    function _setConfig(Config memory newConfig) internal {
        if (address(newConfig.selector).code.length == 0) revert InvalidConfig(0);
        if (newConfig.proofWindow == 0) revert InvalidConfig(1);
        if (newConfig.maxPendingBlocks == 0 || newConfig.maxPendingBlocks > HEADER_RING_SIZE) revert InvalidConfig(2);
        if (newConfig.sequencerShareBps >= BPS) revert InvalidConfig(3);
        if (newConfig.redundancy == 0) revert InvalidConfig(4);
        if (address(newConfig.router) == address(0)) {
            if (!taskRegistry.isMechanism(newConfig.mechanism)) revert InvalidConfig(5);
        } else if (address(newConfig.router).code.length == 0) {
            revert InvalidConfig(7);
        }
        // With sequencerShareBps < BPS a positive reward leaves the provers a positive share (the registry
        // refuses a zero-payment task): reward − ⌊reward·bps/BPS⌋ ≥ 1.
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
