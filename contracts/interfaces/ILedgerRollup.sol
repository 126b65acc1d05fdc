// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";
import {QoSProfile} from "../types/Task.sol";
import {ILedgerMechanismRouter} from "./ILedgerMechanismRouter.sol";
import {IProofConsumer} from "./IProofConsumer.sol";
import {IRollup} from "./IRollup.sol";
import {ISequencerSelector} from "./ISequencerSelector.sol";
import {ITaskLedger} from "./ITaskLedger.sol";

/// @title ILedgerRollup
/// @notice The proofmarket rollup over the one-word TaskLedger: the same block inbox, header ring, reward pool,
///         finalisation and prune rule as IRollup (docs/rollup.md), with each block's root task opened on the
///         TaskLedger (directly under a pinned ledger mechanism, or through the LedgerMechanismRouter, pinned or
///         routed by QoS). Headers are IRollup.BlockHeader (same fields, same hash; `taskId` is the ledger id).
///         What the ledger changes — the prune takes the root tasks' current LedgerTasks, finalize's fallback
///         when the fulfilment callback failed, the pool parked as the Rollup's ledger deposit — is in
///         docs/rollup.md, "The Rollup over the one-word ledger".
interface ILedgerRollup is IProofConsumer {
    /// @notice Protocol parameters: IRollup.Config's, with ledger mechanisms and the ledger router.
    /// @param selector Who may post blocks.
    /// @param proofWindow Seconds from a block's post to its proof deadline (the root task's deadline).
    /// @param maxPendingBlocks Most posted-but-not-finalised blocks at once (≤ HEADER_RING_SIZE).
    /// @param sequencerShareBps Share of the block reward credited to the block's sequencer at finalisation.
    /// @param redundancy Valid root proofs (distinct provers) a block's task needs.
    /// @param mechanism The ledger mechanism root tasks open under; with a router, the pinned instance, or zero to
    ///        let the router choose by `qos`.
    /// @param blockReward Reward per block taken from the pool when its proof is requested.
    /// @param router The LedgerMechanismRouter root tasks are opened through (zero: straight into the ledger).
    /// @param qos The QoS profile of root tasks (the router scores by it; minStakeAtRisk is the task's
    ///        minCollateral on both paths).
    /// @param mechanismData Mechanism-specific parameters passed with each root task.
    struct Config {
        ISequencerSelector selector;
        uint32 proofWindow;
        uint16 maxPendingBlocks;
        uint16 sequencerShareBps;
        uint8 redundancy;
        address mechanism;
        uint96 blockReward;
        ILedgerMechanismRouter router;
        QoSProfile qos;
        bytes mechanismData;
    }

    /// @param account The caller, which the selector does not allow to post this block.
    /// @param number The block it tried to post.
    error NotSequencer(address account, uint64 number);
    /// @param expected The next block number (tip + 1).
    /// @param actual The number supplied.
    error WrongBlockNumber(uint64 expected, uint64 actual);
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
    /// @param number A block that is not in the pending chain.
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
    /// @param number A block whose root task is not known to be fulfilled.
    error BlockNotProven(uint64 number);
    /// @param number A block whose root task is fulfilled (finalise it instead of pruning).
    error BlockAlreadyProven(uint64 number);
    /// @param expected Headers (and root tasks) the call needs: every pending block.
    /// @param supplied Headers (or root tasks) supplied.
    error PendingChainIncomplete(uint256 expected, uint256 supplied);
    /// @notice No headers were supplied.
    error NoBlocks();
    /// @param required Tokens the call needs from the reward pool.
    /// @param available The pool.
    error InsufficientRewardPool(uint256 required, uint256 available);
    /// @param caller Not the TaskLedger.
    error OnlyTaskLedger(address caller);
    /// @param account Has no credited rewards.
    error NothingToWithdraw(address account);
    /// @notice The Rollup holds no loose tokens to park in the ledger.
    error NothingToSweep();
    /// @notice A zero amount was supplied.
    error ZeroAmount();
    /// @param field Index of the invalid Config field in declaration order (0 selector, 1 proofWindow,
    ///        2 maxPendingBlocks, 3 sequencerShareBps, 4 redundancy, 5 mechanism, 6 blockReward, 7 router, 8 qos).
    error InvalidConfig(uint8 field);
    /// @param stateRoot A genesis state root that is not a field element.
    error InvalidGenesis(bytes32 stateRoot);
    /// @notice The LedgerTask supplied for a pending block's live root task is not its current version (the
    ///         ledger's word holds another hash): supply the live copy from the ledger's logs.
    /// @param number The block.
    /// @param taskId Its root task.
    error StaleRootTask(uint64 number, uint256 taskId);
    /// @notice `recordProof` is for a root task the ledger closed without the Rollup hearing of a proof; this one
    ///         is still live: prove it on the ledger (or, after its deadline, prune).
    /// @param taskId The live root task.
    error RootTaskLive(uint256 taskId);
    /// @notice A prune's call into the ledger failed for lack of gas (its own capped callbacks need their
    ///         allowance): send the prune with more gas. Never caught, so that nobody can skip an expiry or a
    ///         cancel by starving it.
    /// @param gasLeft Gas left when the call was about to be made, or after it failed.
    /// @param required Gas the call needs.
    error PruneOutOfGas(uint256 gasLeft, uint256 required);

    /// @param number The block.
    /// @param sequencer Who posted it.
    /// @param headerHash keccak256(abi.encode(header)), what the chain stores.
    /// @param header The header (taskId and sequencerReward still zero).
    event BlockPosted(uint64 indexed number, address indexed sequencer, bytes32 headerHash, IRollup.BlockHeader header);
    /// @param number The block.
    /// @param taskId Its root task in the ledger (its LedgerTask is in the ledger's TaskCreated log).
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
    /// @param number The block whose root proof was shown to the Rollup by `recordProof`.
    /// @param taskId Its root task (now marked proven).
    /// @param prover The prover bound in the proof.
    event RootProofRecorded(uint64 indexed number, uint256 indexed taskId, address indexed prover);
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
    /// @param taskId A discarded block's live root task that the ledger cannot cancel (it has an assignment or an
    ///        accepted proof, or its mechanism's close hook reverted); it runs to its end under the ledger's rules.
    event OrphanTaskNotCancelled(uint256 indexed taskId);
    /// @param taskId The first pruned block's live root task whose expiry the ledger refused (its mechanism's
    ///        close hook or the ProverRegistry reverted); the prune went on without it.
    event RootTaskNotExpired(uint256 indexed taskId);
    /// @param from Who funded.
    /// @param amount Added to the pool.
    event RewardsFunded(address indexed from, uint256 amount);
    /// @param amount Loose tokens of the Rollup deposited into its ledger balance.
    event RefundsSwept(uint256 amount);
    /// @param account Who withdrew.
    /// @param amount How much.
    event Withdrawn(address indexed account, uint256 amount);
    /// @param config The new parameters.
    event ConfigSet(Config config);

    /// @notice Posts block `number` on top of the pending chain as a selected sequencer (IRollup.postBlock).
    /// @return header The posted header (keep it: later calls re-supply it).
    function postBlock(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) external returns (IRollup.BlockHeader memory header);

    /// @notice Opens the block's root task on the ledger (anyone, once per block, within its proof window): the
    ///         provers' share of the block reward is escrowed from the Rollup's ledger deposit, the sequencer's share
    ///         reserved until finalisation.
    /// @param header The block's header as posted (taskId and sequencerReward zero).
    /// @return updated The header with taskId and sequencerReward filled in (what the chain now stores).
    /// @return task The root task as the ledger stored it (what provers and `prune` pass back while it is current).
    function requestProof(IRollup.BlockHeader calldata header)
        external
        returns (IRollup.BlockHeader memory updated, LedgerTask memory task);

    /// @notice postBlock then requestProof in one transaction (what a sequencer normally sends).
    function postBlockAndRequestProof(
        uint64 number,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        bytes32 txsCommitment,
        bytes calldata txs
    ) external returns (IRollup.BlockHeader memory header, LedgerTask memory task);

    /// @notice Finalises proven blocks in order from the last finalised + 1 (IRollup.finalize). A block is proven
    ///         when the ledger's fulfilment callback marked its task, or — the callback having failed — when its
    ///         task's word is gone while the block is still inside its proof window (only a fulfilment can close
    ///         a root task then), or after `recordProof`.
    function finalize(IRollup.BlockHeader[] calldata headers) external;

    /// @notice Discards the whole pending chain once its first block's proof window closed unproven (IRollup.prune):
    ///         expires the first block's live root task (the ledger slashes an assignment by its rules), cancels
    ///         the later blocks' live tasks where the ledger allows, releases their reserved sequencer rewards and
    ///         resets the tip. Anyone may call.
    /// @param pending Every pending block's header, from the last finalised + 1 to the tip.
    /// @param tasks The current LedgerTask of each pending block's root task, in the same order (any value for a
    ///        block without a task or whose task has ended). A live task's entry must be its current version
    ///        (StaleRootTask otherwise), so a stale copy can never skip an expiry or a cancel.
    function prune(IRollup.BlockHeader[] calldata pending, LedgerTask[] calldata tasks) external;

    /// @notice The fallback when the ledger closed a pending block's root task without the Rollup hearing of a
    ///         proof (its callback failed after the window closed): anyone shows the block's root proof, verified
    ///         here through the ledger's verifier registry for [prev, new, txs_commitment, number, prover], and
    ///         the task is marked proven. Refused while the task is live (RootTaskLive: the market is the path).
    /// @param header The block's header (requested, pending).
    /// @param prover The prover bound in the proof.
    /// @param proof The root proof.
    function recordProof(IRollup.BlockHeader calldata header, address prover, bytes calldata proof) external;

    /// @notice Adds `amount` (transferFrom) to the reward pool, parked as the Rollup's ledger deposit.
    function fundRewards(uint256 amount) external;
    /// @notice Parks the Rollup's loose tokens (sent to it) in its ledger deposit; NothingToSweep without any.
    function sweepRefunds() external returns (uint256 amount);
    /// @notice Withdraws msg.sender's credited sequencer rewards (from loose tokens first, the shortfall from the
    ///         ledger deposit).
    function withdraw() external returns (uint256 amount);
    /// @notice Replaces the parameters (CONFIG_ADMIN_ROLE only); blocks already requested keep theirs.
    function setConfig(Config calldata config) external;

    /// @notice The ledger root tasks are opened on; the only caller of the IProofConsumer hooks.
    function ledger() external view returns (ITaskLedger);
    /// @notice keccak256("proofmarket.circuit.root.v1").
    function ROOT_CIRCUIT_ID() external view returns (bytes32);
    /// @notice How many header hashes the Rollup keeps; bounds maxPendingBlocks.
    function HEADER_RING_SIZE() external view returns (uint256);
    /// @notice The last finalised block and its state root.
    function provenTip() external view returns (uint64 number, bytes32 stateRoot);
    /// @notice The last posted block and its state root.
    function pendingTip() external view returns (uint64 number, bytes32 stateRoot);
    /// @notice The stored header hash of block `number` (last HEADER_RING_SIZE blocks up to the tip; zero otherwise).
    function headerHashOf(uint64 number) external view returns (bytes32);
    /// @notice Whether root task `taskId` was marked proven (fulfilment callback or recordProof).
    function isTaskProven(uint256 taskId) external view returns (bool);
    /// @notice Unreserved tokens for block rewards: ledger deposit + own token balance − reserved − credited.
    function rewardPool() external view returns (uint256);
    /// @notice Sequencer rewards reserved for pending blocks.
    function pendingRewards() external view returns (uint256);
    /// @notice Credited, not yet withdrawn.
    function claimable(address account) external view returns (uint256);
    /// @notice The current parameters.
    function config() external view returns (Config memory);
    /// @notice keccak256(abi.encode(header)).
    function hashHeader(IRollup.BlockHeader calldata header) external pure returns (bytes32);
    /// @notice The root circuit's public inputs, prover excluded: [prevStateRoot, newStateRoot, txsCommitment, number].
    function rootPublicInputs(IRollup.BlockHeader calldata header) external pure returns (uint256[] memory inputs);
}
