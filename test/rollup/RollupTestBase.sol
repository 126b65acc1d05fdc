// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Rollup} from "../../contracts/Rollup.sol";
import {SequencerSet} from "../../contracts/SequencerSet.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {ISequencerSelector} from "../../contracts/interfaces/ISequencerSelector.sol";
import {Deployers} from "../utils/Deployers.sol";
import {RollupFixture} from "./RollupFixture.sol";

/// @title RollupTestBase
/// @notice Fixture for the Rollup tests: the core and the Rollup as the deploy script deploys them
///         (`_deployRollup`, default parameters), the real root-circuit verifier registered under the root
///         circuit id, one sequencer, a funded reward pool, and the fixture's provers registered.
///         Blocks, roots, transactions and proofs all come from test/fixtures/rollup_blocks.json (real
///         Groth16 proofs made by the Rust circuits).
abstract contract RollupTestBase is Deployers, RollupFixture {
    uint96 internal constant BLOCK_REWARD = DEFAULT_ROLLUP_BLOCK_REWARD;
    uint16 internal constant SEQUENCER_SHARE_BPS = DEFAULT_ROLLUP_SEQUENCER_SHARE_BPS;
    uint32 internal constant PROOF_WINDOW = DEFAULT_ROLLUP_PROOF_WINDOW;
    uint256 internal constant POOL_FUNDING = 1000e18;

    Rollup internal rollup;
    SequencerSet internal sequencerSet;
    address internal sequencer = makeAddr("sequencer");
    address internal funder = makeAddr("funder");

    function setUp() public virtual {
        deployCore();
        _loadRollupFixture();
        verifierRegistry.setVerifier(keccak256("proofmarket.circuit.root.v1"), _deployRootVerifier());
        Core memory core =
            Core({token: token, provers: proverRegistry, verifiers: verifierRegistry, tasks: taskRegistry, race: race});
        (sequencerSet, rollup) = _deployRollup(core, address(this), _defaultRollupParams(genesisStateRoot, sequencer));
        vm.label(address(rollup), "Rollup");
        vm.label(sequencer, "sequencer");

        fund(funder, POOL_FUNDING);
        vm.startPrank(funder);
        token.approve(address(rollup), POOL_FUNDING);
        rollup.fundRewards(POOL_FUNDING);
        vm.stopPrank();

        for (uint256 i; i < fixtureProvers.length; ++i) {
            registerProver(fixtureProvers[i]);
            vm.label(fixtureProvers[i], string.concat("prover", vm.toString(i + 1)));
        }
    }

    /// @notice The parameters the tests run with: the deploy defaults (see docs/rollup.md).
    function defaultConfig() internal view returns (IRollup.Config memory) {
        return _rollupConfig(
            ISequencerSelector(address(sequencerSet)), address(race), _defaultRollupParams(genesisStateRoot, sequencer)
        );
    }

    // ─── Block helpers ─────────────────────────────────────────────────────────────────────────────

    /// @notice Posts fixture block `i` (0-based: block number i + 1) as the sequencer.
    function post(uint256 i) internal returns (IRollup.BlockHeader memory) {
        FixtureBlock storage b = chainBlocks[i];
        vm.prank(sequencer);
        return rollup.postBlock(b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    /// @notice Requests the proof of a posted block (as an arbitrary caller: requesting is permissionless).
    function request(IRollup.BlockHeader memory header) internal returns (IRollup.BlockHeader memory) {
        return rollup.requestProof(header);
    }

    /// @notice Posts and requests fixture block `i` in one transaction, as a sequencer normally does.
    function postAndRequest(uint256 i) internal returns (IRollup.BlockHeader memory) {
        FixtureBlock storage b = chainBlocks[i];
        vm.prank(sequencer);
        return rollup.postBlockAndRequestProof(b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs);
    }

    /// @notice Fixture prover `p` submits its real root proof of fixture block `i` for the header's task.
    function proveBlock(IRollup.BlockHeader memory header, uint256 i, uint256 p) internal returns (uint256) {
        bytes memory proof = blockProofs[i][p];
        uint256[] memory inputs = rollup.rootPublicInputs(header);
        vm.prank(fixtureProvers[p]);
        return taskRegistry.submitProof(header.taskId, inputs, proof);
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

    function three(IRollup.BlockHeader memory a, IRollup.BlockHeader memory b, IRollup.BlockHeader memory c)
        internal
        pure
        returns (IRollup.BlockHeader[] memory list)
    {
        list = new IRollup.BlockHeader[](3);
        list[0] = a;
        list[1] = b;
        list[2] = c;
    }

    /// @notice Tokens the Rollup owes or holds by its own books: pool + reserved sequencer rewards + credits (its
    ///         holdings: own token balance + TaskRegistry balance).
    function rollupBooks(address[] memory creditors) internal view returns (uint256 total) {
        total = rollup.rewardPool() + rollup.pendingRewards();
        for (uint256 i; i < creditors.length; ++i) {
            total += rollup.claimable(creditors[i]);
        }
    }
}
