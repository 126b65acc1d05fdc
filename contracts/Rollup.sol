// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanismRouter} from "./interfaces/IMechanismRouter.sol";
import {IProofConsumer} from "./interfaces/IProofConsumer.sol";
import {IRollup} from "./interfaces/IRollup.sol";
import {ITaskRegistry} from "./interfaces/ITaskRegistry.sol";
import {TaskRequest, TaskStatus} from "./types/Task.sol";
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
    bytes32 public constant ROOT_CIRCUIT_ID = keccak256("proofmarket.circuit.root.v1");
    /// @notice May change the Rollup's parameters.
    bytes32 public constant CONFIG_ADMIN_ROLE = keccak256("proofmarket.role.rollup-config");

    /// @dev The BN254 scalar field modulus: roots and commitments are public inputs and must be below it.
    uint256 internal constant FIELD_MODULUS =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;
    uint256 internal constant BPS = 10_000;
    /// @inheritdoc IRollup
    uint256 public constant HEADER_RING_SIZE = 64;

    /// @notice The TaskRegistry root tasks are opened in; the only caller of the IProofConsumer hooks.
    ITaskRegistry public immutable taskRegistry;
    /// @notice The payment token (the TaskRegistry's escrow token).
    IERC20 public immutable token;

    /// @dev Chain pointers and reward accounting, packed in one slot so that every step touches it once.
    ///      provenBlock: last finalised block; tipBlock: last posted block (provenBlock ≤ tipBlock; 32 bits
    ///      last 136 years at one block a second, and posting past 2^32 − 1 reverts on overflow);
    ///      pendingRewards: sequencer rewards reserved for requested blocks in (provenBlock, tipBlock];
    ///      rewardPool: unreserved tokens available for block rewards.
    ///      Books: token balance = rewardPool + pendingRewards + Σ credits (+ donations, never counted).
    struct Chain {
        uint32 provenBlock;
        uint32 tipBlock;
        uint96 pendingRewards;
        uint96 rewardPool;
    }

    Chain internal _chain;
    bytes32 internal _provenStateRoot;
    bytes32 internal _tipStateRoot;
    Config internal _config;
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
        // The registry pulls each task's escrow from the Rollup; the Rollup holds no other approval.
        paymentToken.forceApprove(address(registry), type(uint256).max);
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
        chain.rewardPool += chain.pendingRewards; // the sum is bounded by tokens held: no uint96 overflow
        uint64 lastPruned = chain.tipBlock;
        chain.pendingRewards = 0;
        chain.tipBlock = chain.provenBlock;
        _chain = chain;
        bytes32 stateRoot = _provenStateRoot;
        _tipStateRoot = stateRoot;
        emit BlocksPruned(first.number, lastPruned, stateRoot, released);

        // Interactions: expiry slashes the first block's assigned provers by its mechanism's rules and
        // credits the unspent escrow back to the Rollup; later blocks' tasks are cancelled where the
        // registry allows (no assignment, no accepted proof) so nobody is paid to prove a discarded block.
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
    function fundRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _chain.rewardPool = SafeCast.toUint96(_chain.rewardPool + amount);
        emit RewardsFunded(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IRollup
    function sweepRefunds() external nonReentrant returns (uint256 amount) {
        if (taskRegistry.claimable(address(this)) == 0) revert NothingToSweep();
        uint256 before = token.balanceOf(address(this));
        taskRegistry.withdraw();
        amount = token.balanceOf(address(this)) - before;
        _chain.rewardPool = SafeCast.toUint96(_chain.rewardPool + amount);
        emit RefundsSwept(amount);
    }

    /// @inheritdoc IRollup
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
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
        if (number > tip || tip - number >= HEADER_RING_SIZE) return bytes32(0);
        return _headerRing[number % HEADER_RING_SIZE];
    }

    /// @inheritdoc IRollup
    function isTaskProven(uint256 taskId) external view returns (bool) {
        return _isProvenBit(taskId);
    }

    /// @inheritdoc IRollup
    function rewardPool() external view returns (uint256) {
        return _chain.rewardPool;
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
        return _config;
    }

    /// @inheritdoc IRollup
    function hashHeader(BlockHeader calldata header) external pure returns (bytes32) {
        return keccak256(abi.encode(header));
    }

    /// @inheritdoc IRollup
    function rootPublicInputs(BlockHeader calldata header) external pure returns (uint256[] memory inputs) {
        inputs = new uint256[](4);
        inputs[0] = uint256(header.prevStateRoot);
        inputs[1] = uint256(header.newStateRoot);
        inputs[2] = uint256(header.txsCommitment);
        inputs[3] = header.number;
    }

    // ─── Internals ─────────────────────────────────────────────────────────────────────────────────

    function _post(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) internal returns (BlockHeader memory header, bytes32 headerHash) {
        Config storage cfg = _config;
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

        Config storage cfg = _config;
        uint96 reward = cfg.blockReward;
        // casting to 'uint96' is safe because sequencerShareBps < BPS, so the share is below the uint96 reward
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 sequencerReward = uint96(uint256(reward) * cfg.sequencerShareBps / BPS);
        uint96 provingBudget = reward - sequencerReward;
        if (chain.rewardPool < reward) revert InsufficientRewardPool(reward, chain.rewardPool);
        chain.rewardPool -= reward;
        chain.pendingRewards += sequencerReward;
        _chain = chain;

        // The proving path: straight into the TaskRegistry under the configured mechanism, or through the
        // MechanismRouter (pinned to that mechanism, or chosen by the QoS profile when it is zero). Either
        // way the Rollup is the requester and the registry pulls the escrow from it.
        TaskRequest memory taskRequest = _rootTaskRequest(header, provingBudget, cfg);
        IMechanismRouter router = cfg.router;
        uint256 taskId;
        if (address(router) == address(0)) taskId = taskRegistry.createTask(taskRequest);
        else (taskId,) = router.route(taskRequest);

        header.taskId = taskId;
        header.sequencerReward = sequencerReward;
        bytes32 updatedHash = _hashHeader(header);
        _headerRing[number % HEADER_RING_SIZE] = updatedHash;
        emit BlockProofRequested(number, taskId, provingBudget, sequencerReward, updatedHash);
    }

    /// @dev The root task of a block: public inputs [prev_state_root, new_state_root, txs_commitment,
    ///      block_number] (the registry appends the prover), escrow = the provers' share of the block reward.
    function _rootTaskRequest(BlockHeader memory header, uint96 provingBudget, Config storage cfg)
        internal
        view
        returns (TaskRequest memory)
    {
        return TaskRequest({
            circuitId: ROOT_CIRCUIT_ID,
            inputCommitment: _rootInputCommitment(header),
            deadline: header.proofDeadline,
            maxPayment: provingBudget,
            redundancy: cfg.redundancy,
            qos: cfg.qos,
            mechanism: cfg.mechanism,
            notifyRequester: true,
            // No fallback: a missed window prunes the block, and the sequencer re-posts from the proven root.
            fallbackMechanism: address(0),
            fallbackWindow: 0,
            mechanismData: cfg.mechanismData
        });
    }

    function _rootInputCommitment(BlockHeader memory header) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                uint256(header.prevStateRoot),
                uint256(header.newStateRoot),
                uint256(header.txsCommitment),
                uint256(header.number)
            )
        );
    }

    function _checkStored(BlockHeader calldata header) internal view {
        bytes32 supplied = keccak256(abi.encode(header));
        bytes32 stored = _headerRing[header.number % HEADER_RING_SIZE];
        if (stored != supplied) revert HeaderMismatch(header.number, stored, supplied);
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
        _config = newConfig;
        emit ConfigSet(newConfig);
    }
}
