// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerRollup} from "../../contracts/interfaces/ILedgerRollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {LedgerRollupTestBase} from "../ledger/rollup/LedgerRollupTestBase.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title LedgerRollupGas
/// @notice Gas of every step of a block's life on the LedgerRollup with the real root verifier and real proofs,
///         written to snapshots/LedgerRollupGas.json under the names of snapshots/RollupGas.json, so that the two
///         compare line by line. Same conventions as RollupGas: isolated calls (cold storage as on chain),
///         `tx_<step>` the whole transaction, `<step>` execution only (minus 21,000 and the calldata). Proofs are
///         also recorded as the ledger gas suites state them: `submitRootProof_lessVerifier` is the proof with the
///         root verification (`rootVerification`, the registry's verify call) subtracted. Steady state: setUp runs
///         block 1 through its whole life (circuit known to the ledger, credit words and the sequencer's credit
///         non-zero); the tests measure block 2. `*_ringWrapped` measure it with block 2's ring slot holding an
///         earlier lap's hash (the ring is pre-filled, so they equal the plain figures).
/// forge-config: default.isolate = true
contract LedgerRollupGas is LedgerRollupTestBase, MechanismGasBase {
    /// @dev Storage slot of `_headerRing[0]` in LedgerRollup (forge inspect LedgerRollup storageLayout), checked
    ///      against block 1's stored hash before use.
    uint256 internal constant HEADER_RING_SLOT = 9;

    IRollup.BlockHeader internal h1;

    function setUp() public override {
        super.setUp();
        LedgerTask memory t1;
        (h1, t1) = postAndRequest(0);
        proveBlock(h1, t1, 0, 0);
        rollup.finalize(one(h1));
        vm.warp(block.timestamp + 12);
    }

    function test_Gas_PostBlock() public {
        (uint256 gas,) = _call("postBlock", sequencer, address(rollup), _postData(1));
        assertLe(gas, 60_000, "posting a block within 60k + calldata");
    }

    function test_Gas_PostBlock_RingWrapped() public {
        _wrapRing();
        _call("postBlock_ringWrapped", sequencer, address(rollup), _postData(1));
    }

    function test_Gas_RequestProof() public {
        IRollup.BlockHeader memory h2 = post(1);
        _call("requestProof", address(this), address(rollup), abi.encodeCall(ILedgerRollup.requestProof, (h2)));
    }

    function test_Gas_PostBlockAndRequestProof() public {
        _call("postBlockAndRequestProof", sequencer, address(rollup), _postAndRequestData(1));
    }

    function test_Gas_RootVerification() public {
        (IRollup.BlockHeader memory h2,) = postAndRequest(1);
        (uint256 gas,) = _call("rootVerification", address(ledger), address(verifierRegistry), _verifyData(h2, 1, 0));
        assertLe(gas, 230_000, "root verification within 230k");
    }

    function test_Gas_SubmitRootProof() public {
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        (uint256 verify,) = _call("rootVerification", address(ledger), address(verifierRegistry), _verifyData(h2, 1, 0));
        (uint256 prove,) = _call("submitRootProof", fixtureProvers[0], address(ledger), _submitData(h2, t2, 1, 0));
        vm.snapshotValue("submitRootProof_lessVerifier", prove - verify);
    }

    function test_Gas_FinalizeOneBlock() public {
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        proveBlock(h2, t2, 1, 0);
        _call("finalizeOneBlock", address(this), address(rollup), abi.encodeCall(ILedgerRollup.finalize, (one(h2))));
    }

    function test_Gas_FinalizeTwoBlocks() public {
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        (IRollup.BlockHeader memory h3, LedgerTask memory t3) = postAndRequest(2);
        proveBlock(h3, t3, 2, 1);
        proveBlock(h2, t2, 1, 0);
        _call(
            "finalizeTwoBlocks", address(this), address(rollup), abi.encodeCall(ILedgerRollup.finalize, (two(h2, h3)))
        );
    }

    function test_Gas_PruneOneBlock() public {
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        vm.warp(h2.proofDeadline + 1);
        _call(
            "pruneOneBlock", address(this), address(rollup), abi.encodeCall(ILedgerRollup.prune, (one(h2), tasks1(t2)))
        );
    }

    function test_Gas_PruneTwoBlocks() public {
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        (IRollup.BlockHeader memory h3, LedgerTask memory t3) = postAndRequest(2);
        vm.warp(h2.proofDeadline + 1);
        _call(
            "pruneTwoBlocks",
            address(this),
            address(rollup),
            abi.encodeCall(ILedgerRollup.prune, (two(h2, h3), tasks2(t2, t3)))
        );
    }

    /// @notice The prune whose expiry slashes a locker (root tasks under the ledger's ascending auction).
    function test_Gas_PruneOneBlock_SlashesLocker() public {
        useAscending();
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = postAndRequest(1);
        uint96 collateral = lascending.collateralOf(t2);
        vm.prank(fixtureProvers[1]);
        (uint96 price, uint64 lockDeadline) = lascending.lock(h2.taskId, t2);
        LedgerTask memory locked = withAssignment(t2, fixtureProvers[1], price, collateral, lockDeadline);
        vm.warp(h2.proofDeadline + 1);
        _call(
            "pruneOneBlock_slashesLocker",
            address(this),
            address(rollup),
            abi.encodeCall(ILedgerRollup.prune, (one(h2), tasks1(locked)))
        );
    }

    /// @notice A sequencer payout: the ledger deposit pays exactly the shortfall.
    function test_Gas_SequencerWithdraw() public {
        _call("sequencerWithdraw", sequencer, address(rollup), abi.encodeCall(ILedgerRollup.withdraw, ()));
    }

    /// @notice The request after a payout: nothing was left loose, so nothing is parked (unlike the stored Rollup).
    function test_Gas_PostAndRequestAfterPayout() public {
        vm.prank(sequencer);
        rollup.withdraw();
        _call("postBlockAndRequestProof_afterPayout", sequencer, address(rollup), _postAndRequestData(1));
    }

    /// @notice The whole L1 cost of one proven block: post and request, the root proof, finalisation.
    function test_Gas_OneProvenBlockEndToEnd() public {
        (uint256 post_, bytes memory ret) =
            _call("e2e_postAndRequest", sequencer, address(rollup), _postAndRequestData(1));
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = abi.decode(ret, (IRollup.BlockHeader, LedgerTask));
        (uint256 prove_,) = _call("e2e_submitRootProof", fixtureProvers[0], address(ledger), _submitData(h2, t2, 1, 0));
        (uint256 settle_,) =
            _call("e2e_finalize", address(this), address(rollup), abi.encodeCall(ILedgerRollup.finalize, (one(h2))));
        uint256 total = post_ + prove_ + settle_;
        vm.snapshotValue("e2e_oneProvenBlock_total", total);
        emit log_named_uint("one proven block, execution gas (calldata and tx bases aside)", total);
    }

    /// @notice The same, from block 65 on (the header slot is reused).
    function test_Gas_OneProvenBlockEndToEnd_RingWrapped() public {
        _wrapRing();
        (uint256 post_, bytes memory ret) =
            _call("e2e_ringWrapped_postAndRequest", sequencer, address(rollup), _postAndRequestData(1));
        (IRollup.BlockHeader memory h2, LedgerTask memory t2) = abi.decode(ret, (IRollup.BlockHeader, LedgerTask));
        (uint256 prove_,) =
            _call("e2e_ringWrapped_submitRootProof", fixtureProvers[0], address(ledger), _submitData(h2, t2, 1, 0));
        (uint256 settle_,) = _call(
            "e2e_ringWrapped_finalize",
            address(this),
            address(rollup),
            abi.encodeCall(ILedgerRollup.finalize, (one(h2)))
        );
        vm.snapshotValue("e2e_ringWrapped_oneProvenBlock_total", post_ + prove_ + settle_);
    }

    // ─── helpers ───────────────────────────────────────────────────────────────────────────────────

    function _wrapRing() internal {
        assertEq(vm.load(address(rollup), bytes32(HEADER_RING_SLOT + 1)), rollup.headerHashOf(1), "ring slot layout");
        vm.store(address(rollup), bytes32(HEADER_RING_SLOT + 2), keccak256("an earlier lap"));
        vm.store(address(rollup), bytes32(HEADER_RING_SLOT + 3), keccak256("an earlier lap"));
    }

    function _postData(uint256 i) internal view returns (bytes memory) {
        FixtureBlock storage b = chainBlocks[i];
        return
            abi.encodeCall(ILedgerRollup.postBlock, (b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs));
    }

    function _postAndRequestData(uint256 i) internal view returns (bytes memory) {
        FixtureBlock storage b = chainBlocks[i];
        return abi.encodeCall(
            ILedgerRollup.postBlockAndRequestProof, (b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs)
        );
    }

    function _verifyData(IRollup.BlockHeader memory h, uint256 i, uint256 p) internal view returns (bytes memory) {
        uint256[] memory statement = rollup.rootPublicInputs(h);
        uint256[] memory inputs = new uint256[](5);
        for (uint256 k; k < 4; ++k) {
            inputs[k] = statement[k];
        }
        inputs[4] = uint256(uint160(fixtureProvers[p]));
        return abi.encodeCall(IVerifierRegistry.verify, (ROOT_CIRCUIT, blockProofs[i][p], inputs));
    }

    function _submitData(IRollup.BlockHeader memory h, LedgerTask memory t, uint256 i, uint256 p)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodeCall(ITaskLedger.submitProof, (h.taskId, t, rollup.rootPublicInputs(h), blockProofs[i][p]));
    }
}
