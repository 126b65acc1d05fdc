// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {QoSProfile} from "../types/Task.sol";
import {IMechanismRouter} from "./IMechanismRouter.sol";
import {IProofConsumer} from "./IProofConsumer.sol";
import {ISequencerSelector} from "./ISequencerSelector.sol";

/// @title IRollup
/// @notice Block inbox of the proofmarket rollup. A sequencer posts a block (its transactions as calldata,
///         their Poseidon commitment and the claimed new state root); the block's root proof is requested as
///         a task in the TaskRegistry, paid from the Rollup's reward pool; the TaskRegistry verifies the
///         proof and notifies the Rollup (IProofConsumer); proven blocks are finalised in order and the
///         proven state root advances; a block not proven within its proof window is pruned together with
///         every pending block after it, back to the last proven block. See docs/rollup.md.
/// @dev Storage-light: the Rollup keeps one hash per block (of its BlockHeader) and callers re-supply the
///      header in calldata whenever it is needed. A header's `taskId` and `sequencerReward` are zero when
///      the block is posted and are filled in (and the stored hash rewritten) when its proof is requested.
interface IRollup is IProofConsumer {
    /// @notice Everything the Rollup knows about a block; the chain stores keccak256(abi.encode(header)).
    /// @param number Block number (genesis is 0; the first posted block is 1).
    /// @param postedAt Timestamp of the post (strictly grows for a re-posted number, so hashes never repeat).
    /// @param proofDeadline Time by which the block's root proof must be accepted (postedAt + proof window).
    /// @param sequencer Who posted the block (credited its sequencer reward at finalisation).
    /// @param prevStateRoot The parent block's new state root (a BN254 field element).
    /// @param newStateRoot The claimed state root after the block's transactions.
    /// @param txsCommitment Poseidon commitment to the transactions, computed off-chain (not recomputed on L1).
    /// @param txsDataHash keccak256 of the transactions' calldata, so anyone can check the data
    ///        availability against `txsCommitment` off-chain.
    /// @param taskId The root-proof task in the TaskRegistry (0 until requested).
    /// @param sequencerReward The sequencer's share of the block reward, fixed at request (0 until then).
    struct BlockHeader {
        uint64 number;
        uint64 postedAt;
        uint64 proofDeadline;
        address sequencer;
        bytes32 prevStateRoot;
        bytes32 newStateRoot;
        bytes32 txsCommitment;
        bytes32 txsDataHash;
        uint256 taskId;
        uint96 sequencerReward;
    }

    /// @notice Protocol parameters (defaults and reasons in docs/rollup.md).
    /// @param selector Who may post blocks.
    /// @param proofWindow Seconds from a block's post to its proof deadline.
    /// @param maxPendingBlocks Most posted-but-not-finalised blocks at once (≤ HEADER_RING_SIZE).
    /// @param sequencerShareBps Share of the block reward credited to the block's sequencer; the rest is the
    ///        root task's escrow, paid to provers by the task's mechanism.
    /// @param redundancy Valid root proofs (distinct provers) a block's task needs.
    /// @param mechanism The IMechanism instance root tasks are opened under; with a router, the pinned
    ///        instance, or zero to let the router choose by `qos`.
    /// @param blockReward Reward per block taken from the pool when its proof is requested.
    /// @param router The MechanismRouter root tasks are opened through (zero: directly in the TaskRegistry).
    /// @param qos The QoS profile stated for root tasks (what a router scores instances by).
    /// @param mechanismData Mechanism-specific parameters passed with each root task.
    struct Config {
        ISequencerSelector selector;
        uint32 proofWindow;
        uint16 maxPendingBlocks;
        uint16 sequencerShareBps;
        uint8 redundancy;
        address mechanism;
        uint96 blockReward;
        IMechanismRouter router;
        QoSProfile qos;
        bytes mechanismData;
    }

    /// @param account The caller, which the selector does not allow to post this block.
    /// @param number The block it tried to post.
    error NotSequencer(address account, uint64 number);
    /// @param expected The next block number (tip + 1).
    /// @param actual The number supplied.
    error WrongBlockNumber(uint64 expected, uint64 actual);
    /// @notice The block does not build on the tip of the pending chain (e.g. on a pruned or unknown parent).
    /// @param expected The tip's state root.
    /// @param actual The parent state root the block claims.
    error ParentStateRootMismatch(bytes32 expected, bytes32 actual);
    /// @param pending Blocks posted and not yet finalised.
    /// @param maxPending The limit.
    error PendingChainFull(uint64 pending, uint16 maxPending);
    /// @notice A block carries at least one transaction.
    error EmptyBlock();
    /// @param value A root or commitment that is not a canonical BN254 scalar field element.
    error NotAFieldElement(bytes32 value);
    /// @param number A block that is not in the pending chain (already finalised, pruned or never posted).
    /// @param provenBlock The last finalised block.
    /// @param tipBlock The last posted block.
    error BlockNotPending(uint64 number, uint64 provenBlock, uint64 tipBlock);
    /// @param number The block.
    /// @param stored The header hash the chain holds.
    /// @param supplied keccak256(abi.encode(header)) of the header supplied.
    error HeaderMismatch(uint64 number, bytes32 stored, bytes32 supplied);
    /// @param number The block.
    /// @param taskId Its existing root task.
    error ProofAlreadyRequested(uint64 number, uint256 taskId);
    /// @param number The block, whose proof was never requested.
    error ProofNotRequested(uint64 number);
    /// @param number The block.
    /// @param proofDeadline Its proof deadline, already past.
    error ProofWindowClosed(uint64 number, uint64 proofDeadline);
    /// @param number The block.
    /// @param proofDeadline Its proof deadline, not yet reached.
    error ProofWindowOpen(uint64 number, uint64 proofDeadline);
    /// @param expected The next block to finalise or prune (last finalised + 1).
    /// @param actual The block supplied.
    error NotNextBlock(uint64 expected, uint64 actual);
    /// @param number A block whose root task is not fulfilled.
    error BlockNotProven(uint64 number);
    /// @param number A block whose root task is fulfilled (finalise it instead of pruning).
    error BlockAlreadyProven(uint64 number);
    /// @param expected Headers the call needs (every pending block).
    /// @param supplied Headers supplied.
    error PendingChainIncomplete(uint256 expected, uint256 supplied);
    /// @notice No headers were supplied.
    error NoBlocks();
    /// @param required Tokens the call needs from the reward pool.
    /// @param available The pool.
    error InsufficientRewardPool(uint256 required, uint256 available);
    /// @param caller Not the TaskRegistry.
    error OnlyTaskRegistry(address caller);
    /// @param account Has no credited rewards.
    error NothingToWithdraw(address account);
    /// @notice The Rollup holds no loose tokens to park in the TaskRegistry.
    error NothingToSweep();
    /// @notice A zero amount was supplied.
    error ZeroAmount();
    /// @param field Index of the invalid Config field in declaration order (0 selector, 1 proofWindow,
    ///        2 maxPendingBlocks, 3 sequencerShareBps, 4 redundancy, 5 mechanism, 6 blockReward, 7 router,
    ///        8 qos).
    error InvalidConfig(uint8 field);
    /// @param stateRoot A genesis state root that is not a field element.
    error InvalidGenesis(bytes32 stateRoot);

    /// @param number The block.
    /// @param sequencer Who posted it.
    /// @param headerHash keccak256(abi.encode(header)), what the chain stores.
    /// @param header The header (taskId and sequencerReward still zero).
    event BlockPosted(uint64 indexed number, address indexed sequencer, bytes32 headerHash, BlockHeader header);
    /// @param number The block.
    /// @param taskId Its root task.
    /// @param provingBudget Escrow of the task (the provers' share of the block reward).
    /// @param sequencerReward The sequencer's share, credited at finalisation.
    /// @param headerHash The new stored header hash (with taskId and sequencerReward filled in).
    event BlockProofRequested(
        uint64 indexed number, uint256 indexed taskId, uint96 provingBudget, uint96 sequencerReward, bytes32 headerHash
    );
    /// @param taskId A root task of the Rollup that was fulfilled.
    /// @param lastProver The prover whose proof completed it.
    event RootTaskFulfilled(uint256 indexed taskId, address indexed lastProver);
    /// @param taskId A root task of the Rollup that expired for good.
    event RootTaskExpired(uint256 indexed taskId);
    /// @param number The block finalised.
    /// @param sequencer Its sequencer.
    /// @param stateRoot The new proven state root.
    /// @param sequencerReward Credited to the sequencer.
    event BlockFinalized(uint64 indexed number, address indexed sequencer, bytes32 stateRoot, uint96 sequencerReward);
    /// @param fromBlock First discarded block (the one whose proof window closed).
    /// @param toBlock Last discarded block (the old tip).
    /// @param stateRoot The state root the chain is back at (the last proven one).
    /// @param rewardsReleased Sequencer rewards reserved for the discarded blocks, returned to the pool.
    event BlocksPruned(uint64 fromBlock, uint64 toBlock, bytes32 stateRoot, uint256 rewardsReleased);
    /// @param taskId A discarded block's root task that the registry refused to cancel (it has an assignment
    ///        or an accepted proof, or already ended); it runs to its end under the registry's rules.
    event OrphanTaskNotCancelled(uint256 indexed taskId);
    /// @param from Who funded.
    /// @param amount Added to the pool.
    event RewardsFunded(address indexed from, uint256 amount);
    /// @param amount Loose tokens of the Rollup deposited into its TaskRegistry balance (they were in the pool
    ///        already; refunds are credited to that balance directly and need no sweep).
    event RefundsSwept(uint256 amount);
    /// @param account Who withdrew.
    /// @param amount How much.
    event Withdrawn(address indexed account, uint256 amount);
    /// @param config The new parameters.
    event ConfigSet(Config config);

    /// @notice Posts block `number` on top of the pending chain as a selected sequencer. `txs` is the data
    ///         availability; the Rollup stores only the header hash (with keccak256(txs) in it).
    /// @return header The posted header (keep it: later calls re-supply it).
    function postBlock(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) external returns (BlockHeader memory header);

    /// @notice Opens the block's root-proof task (anyone may call, once per block, within its proof window).
    ///         The block reward is taken from the pool: the provers' share is escrowed in the task, the
    ///         sequencer's share is reserved until finalisation.
    /// @param header The block's header as posted (taskId and sequencerReward zero).
    /// @return updated The header with taskId and sequencerReward filled in (what the chain now stores).
    function requestProof(BlockHeader calldata header) external returns (BlockHeader memory updated);

    /// @notice postBlock then requestProof in one transaction (what a sequencer normally sends).
    function postBlockAndRequestProof(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) external returns (BlockHeader memory header);

    /// @notice Finalises proven blocks in order: `headers` must start at the last finalised block + 1 and be
    ///         consecutive, and every one's root task fulfilled. Advances the proven state root and credits
    ///         each block's sequencer reward. Anyone may call.
    function finalize(BlockHeader[] calldata headers) external;

    /// @notice Discards the whole pending chain once its first block's proof window closed unproven: expires
    ///         that block's task in the TaskRegistry (which slashes by the mechanism's rules) if still live,
    ///         cancels the later blocks' tasks where possible, releases their reserved sequencer rewards and
    ///         resets the tip to the last proven block. Anyone may call.
    /// @param pending Every pending block's header, from the last finalised + 1 to the tip.
    function prune(BlockHeader[] calldata pending) external;

    /// @notice Adds `amount` (pulled with transferFrom) to the reward pool, parked as the Rollup's TaskRegistry
    ///         balance, from which root tasks are escrowed (createTaskFromBalance).
    function fundRewards(uint256 amount) external;
    /// @notice Parks the Rollup's loose tokens (left after paying a sequencer, or sent to it) in its TaskRegistry
    ///         balance. They count in the pool either way; refunds (unspent escrow, slash shares) are credited to
    ///         that balance by the registry and count at once. Reverts NothingToSweep without loose tokens.
    function sweepRefunds() external returns (uint256 amount);
    /// @notice Withdraws msg.sender's credited sequencer rewards (from the loose tokens, or from the registry
    ///         balance when they do not cover it).
    function withdraw() external returns (uint256 amount);
    /// @notice Replaces the parameters (CONFIG_ADMIN_ROLE only); blocks already requested keep theirs.
    function setConfig(Config calldata config) external;

    /// @notice The root circuit's verifier-registry id, keccak256("proofmarket.circuit.root.v1").
    function ROOT_CIRCUIT_ID() external view returns (bytes32);
    /// @notice The last finalised block and its state root.
    function provenTip() external view returns (uint64 number, bytes32 stateRoot);
    /// @notice The last posted block and its state root.
    function pendingTip() external view returns (uint64 number, bytes32 stateRoot);
    /// @notice The stored header hash of block `number`: the Rollup keeps the last HEADER_RING_SIZE hashes up
    ///         to the tip (zero for any other number; older headers are in the BlockPosted/BlockProofRequested
    ///         events, and a finalised block's state is its successor's `prevStateRoot`).
    function headerHashOf(uint64 number) external view returns (bytes32);
    /// @notice How many header hashes the Rollup keeps (slots are reused round-robin); bounds maxPendingBlocks.
    function HEADER_RING_SIZE() external view returns (uint256);
    /// @notice Whether the Rollup was notified that root task `taskId` was fulfilled.
    function isTaskProven(uint256 taskId) external view returns (bool);
    /// @notice Unreserved tokens available for block rewards: the Rollup's TaskRegistry balance plus its own token
    ///         balance, minus the reserved sequencer rewards and the sequencer credits not yet withdrawn.
    function rewardPool() external view returns (uint256);
    /// @notice Sequencer rewards reserved for pending blocks.
    function pendingRewards() external view returns (uint256);
    /// @notice Credited, not yet withdrawn.
    function claimable(address account) external view returns (uint256);
    /// @notice The current parameters.
    function config() external view returns (Config memory);
    /// @notice keccak256(abi.encode(header)).
    function hashHeader(BlockHeader calldata header) external pure returns (bytes32);
    /// @notice The root circuit's public inputs for the block, prover excluded:
    ///         [prevStateRoot, newStateRoot, txsCommitment, number].
    function rootPublicInputs(BlockHeader calldata header) external pure returns (uint256[] memory inputs);
}
