// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerRollup} from "../../../contracts/LedgerRollup.sol";
import {SequencerSet} from "../../../contracts/SequencerSet.sol";
import {ILedgerMechanismRouter} from "../../../contracts/interfaces/ILedgerMechanismRouter.sol";
import {ILedgerRollup} from "../../../contracts/interfaces/ILedgerRollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {ISequencerSelector} from "../../../contracts/interfaces/ISequencerSelector.sol";
import {LedgerTask} from "../../../contracts/types/LedgerTask.sol";
import {QoSProfile} from "../../../contracts/types/Task.sol";
import {RollupFixture} from "../../rollup/RollupFixture.sol";
import {LedgerRouterFixture} from "../LedgerRouterFixture.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title LedgerRollupTestBase
/// @notice Fixture of the LedgerRollup tests: the TaskLedger with one instance of each ledger mechanism family and
///         the LedgerMechanismRouter (LedgerRouterFixture), the real root-circuit verifier registered under the root
///         circuit id, a SequencerSet with one sequencer, a LedgerRollup with the stored Rollup's deploy defaults
///         (root tasks straight into the ledger under the ledger's ProofRace instance), a funded pool (parked as the
///         Rollup's ledger deposit) and the fixture's provers registered. Blocks, roots, transactions and real
///         Groth16 root proofs come from test/fixtures/rollup_blocks.json.
abstract contract LedgerRollupTestBase is LedgerRouterFixture, RollupFixture {
    uint96 internal constant BLOCK_REWARD = DEFAULT_ROLLUP_BLOCK_REWARD;
    uint16 internal constant SEQUENCER_SHARE_BPS = DEFAULT_ROLLUP_SEQUENCER_SHARE_BPS;
    uint32 internal constant PROOF_WINDOW = DEFAULT_ROLLUP_PROOF_WINDOW;
    uint256 internal constant POOL_FUNDING = 1000e18;
    bytes32 internal constant ROOT_CIRCUIT = keccak256("proofmarket.circuit.root.v1");

    LedgerRollup internal rollup;
    SequencerSet internal sequencerSet;
    address internal sequencer = makeAddr("sequencer");
    address internal funder = makeAddr("funder");

    function setUp() public virtual {
        deployLedgerRouter();
        _loadRollupFixture();
        verifierRegistry.setVerifier(ROOT_CIRCUIT, _deployRootVerifier());
        sequencerSet = new SequencerSet(address(this));
        sequencerSet.addSequencer(sequencer);
        rollup = new LedgerRollup(address(this), ledger, IERC20(address(token)), genesisStateRoot, defaultConfig());
        vm.label(address(rollup), "LedgerRollup");
        vm.label(sequencer, "sequencer");

        token.mint(funder, POOL_FUNDING);
        vm.startPrank(funder);
        token.approve(address(rollup), POOL_FUNDING);
        rollup.fundRewards(POOL_FUNDING);
        vm.stopPrank();

        for (uint256 i; i < fixtureProvers.length; ++i) {
            registerProver(fixtureProvers[i]);
            vm.label(fixtureProvers[i], string.concat("prover", vm.toString(i + 1)));
            _accounts.push(fixtureProvers[i]);
        }
        _accounts.push(address(rollup)); // the ledger's conservation check counts the Rollup's deposit
    }

    /// @notice The stored Rollup's deploy defaults (docs/rollup.md), root tasks on the ledger's ProofRace instance.
    function defaultConfig() internal view returns (ILedgerRollup.Config memory) {
        return ILedgerRollup.Config({
            selector: ISequencerSelector(address(sequencerSet)),
            proofWindow: PROOF_WINDOW,
            maxPendingBlocks: DEFAULT_ROLLUP_MAX_PENDING_BLOCKS,
            sequencerShareBps: SEQUENCER_SHARE_BPS,
            redundancy: 1,
            mechanism: address(lrace),
            blockReward: BLOCK_REWARD,
            router: ILedgerMechanismRouter(address(0)),
            qos: QoSProfile({
                speedWeight: 7, costWeight: 5, safetyWeight: 8, censorshipWeight: 8, minRedundancy: 1, minStakeAtRisk: 0
            }),
            mechanismData: ""
        });
    }

    /// @notice Root tasks under the ledger's ascending auction (an assigning mechanism), with a proof window that
    ///         leaves room for its 20-minute lock.
    function useAscending() internal {
        ILedgerRollup.Config memory c = defaultConfig();
        c.mechanism = address(lascending);
        c.proofWindow = 1 hours;
        rollup.setConfig(c);
    }

    // ─── Block helpers ─────────────────────────────────────────────────────────────────────────────

    /// @notice Posts fixture block `i` (block number i + 1) as the sequencer.
    function post(uint256 i) internal returns (IRollup.BlockHeader memory) {
        FixtureBlock storage b = chainBlocks[i];
        vm.prank(sequencer);
        return rollup.postBlock(b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    /// @notice Requests the proof of a posted block (as anyone).
    function request(IRollup.BlockHeader memory header)
        internal
        returns (IRollup.BlockHeader memory h, LedgerTask memory t)
    {
        (h, t) = rollup.requestProof(header);
        track(h.taskId, t);
    }

    /// @notice Posts and requests fixture block `i` in one transaction, as a sequencer does.
    function postAndRequest(uint256 i) internal returns (IRollup.BlockHeader memory h, LedgerTask memory t) {
        FixtureBlock storage b = chainBlocks[i];
        vm.prank(sequencer);
        (h, t) = rollup.postBlockAndRequestProof(b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
        track(h.taskId, t);
    }

    /// @notice Fixture prover `p` submits its real root proof of fixture block `i` to the ledger.
    function proveBlock(IRollup.BlockHeader memory header, LedgerTask memory task, uint256 i, uint256 p)
        internal
        returns (uint256)
    {
        uint256[] memory inputs = rollup.rootPublicInputs(header);
        vm.prank(fixtureProvers[p]);
        return ledger.submitProof(header.taskId, task, inputs, blockProofs[i][p]);
    }

    function one(IRollup.BlockHeader memory a) internal pure returns (IRollup.BlockHeader[] memory list) {
        list = new IRollup.BlockHeader[](1);
        list[0] = a;
    }

    function two(IRollup.BlockHeader memory a, IRollup.BlockHeader memory b)
        internal
        pure
        returns (IRollup.BlockHeader[] memory list)
    {
        list = new IRollup.BlockHeader[](2);
        list[0] = a;
        list[1] = b;
    }

    function tasks1(LedgerTask memory a) internal pure returns (LedgerTask[] memory list) {
        list = new LedgerTask[](1);
        list[0] = a;
    }

    function tasks2(LedgerTask memory a, LedgerTask memory b) internal pure returns (LedgerTask[] memory list) {
        list = new LedgerTask[](2);
        list[0] = a;
        list[1] = b;
    }

    /// @notice The Rollup's holdings: its ledger deposit plus its own tokens.
    function holdings() internal view returns (uint256) {
        return ledger.balanceOf(address(rollup)) + token.balanceOf(address(rollup));
    }

    /// @notice The Rollup's books balance its holdings: pool + reserved + Σ credits of `creditors`.
    function assertBooks(address[] memory creditors) internal view {
        uint256 total = rollup.rewardPool() + rollup.pendingRewards();
        for (uint256 i; i < creditors.length; ++i) {
            total += rollup.claimable(creditors[i]);
        }
        assertEq(holdings(), total, "holdings = pool + reserved + credits");
    }

    function sequencers() internal view returns (address[] memory list) {
        list = new address[](1);
        list[0] = sequencer;
    }
}
