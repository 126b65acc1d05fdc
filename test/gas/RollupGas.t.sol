// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {RollupTestBase} from "../rollup/RollupTestBase.sol";

/// @title RollupGas
/// @notice Gas of every step of a block's life with the real root verifier and real proofs, written to
///         snapshots/RollupGas.json. The suite runs isolated (every top-level call is its own transaction, so
///         storage is cold as on chain). Each step is recorded twice: `tx_<step>` is the whole transaction as
///         vm.snapshotGasLastCall reports it (21,000 base and calldata included) and `<step>` is execution
///         only (tx minus 21,000 minus the calldata's 4/16 gas per zero/non-zero byte) — the number the
///         budgets are stated in ("calldata aside").
///         Steady state: setUp runs block 1 through its whole life first (circuit interned, balances and
///         the sequencer's credit non-zero, as on a running chain); the tests measure block 2. `*_ringWrapped`
///         variants measure the same with block 2's header slot holding an earlier lap's hash (from block 65
///         on). The Rollup pre-fills its header ring at deployment, so both rewrite a non-zero slot and are
///         equal; the pair is kept to show it (before the pre-fill the first lap paid a fresh slot, +17.1k).
/// forge-config: default.isolate = true
contract RollupGas is RollupTestBase {
    IRollup.BlockHeader internal h1;

    function setUp() public override {
        super.setUp();
        h1 = postAndRequest(0);
        proveBlock(h1, 0, 0);
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
        _call("requestProof", address(this), address(rollup), abi.encodeCall(IRollup.requestProof, (h2)));
    }

    function test_Gas_PostBlockAndRequestProof() public {
        _call("postBlockAndRequestProof", sequencer, address(rollup), _postAndRequestData(1));
    }

    function test_Gas_RootVerification() public {
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        uint256[] memory statement = rollup.rootPublicInputs(h2);
        uint256[] memory inputs = new uint256[](5);
        for (uint256 i; i < 4; ++i) {
            inputs[i] = statement[i];
        }
        inputs[4] = uint256(uint160(fixtureProvers[0]));
        bytes memory data =
            abi.encodeCall(IVerifierRegistry.verify, (rollup.ROOT_CIRCUIT_ID(), blockProofs[1][0], inputs));
        (uint256 gas,) = _call("rootVerification", address(this), address(verifierRegistry), data);
        assertLe(gas, 230_000, "root verification within 230k");
    }

    function test_Gas_SubmitRootProof() public {
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        _call("submitRootProof", fixtureProvers[0], address(taskRegistry), _submitData(h2, 1, 0));
    }

    function test_Gas_FinalizeOneBlock() public {
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        proveBlock(h2, 1, 0);
        _call("finalizeOneBlock", address(this), address(rollup), abi.encodeCall(IRollup.finalize, (one(h2))));
    }

    function test_Gas_FinalizeTwoBlocks() public {
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        IRollup.BlockHeader memory h3 = postAndRequest(2);
        proveBlock(h3, 2, 1);
        proveBlock(h2, 1, 0);
        _call("finalizeTwoBlocks", address(this), address(rollup), abi.encodeCall(IRollup.finalize, (two(h2, h3))));
    }

    function test_Gas_PruneOneBlock() public {
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        vm.warp(h2.proofDeadline + 1);
        _call("pruneOneBlock", address(this), address(rollup), abi.encodeCall(IRollup.prune, (one(h2))));
    }

    function test_Gas_PruneTwoBlocks() public {
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        IRollup.BlockHeader memory h3 = postAndRequest(2);
        vm.warp(h2.proofDeadline + 1);
        _call("pruneTwoBlocks", address(this), address(rollup), abi.encodeCall(IRollup.prune, (two(h2, h3))));
    }

    /// @notice A sequencer payout when the Rollup holds no loose tokens: the registry balance is withdrawn first.
    function test_Gas_SequencerWithdraw() public {
        _call("sequencerWithdraw", sequencer, address(rollup), abi.encodeCall(IRollup.withdraw, ()));
    }

    /// @notice The request after such a payout parks the loose tokens back in the registry (once).
    function test_Gas_PostAndRequestAfterPayout() public {
        vm.prank(sequencer);
        rollup.withdraw();
        _call("postBlockAndRequestProof_afterPayout", sequencer, address(rollup), _postAndRequestData(1));
    }

    /// @notice The whole L1 cost of one proven block as a sequencer and a prover run it: post and request
    ///         in one transaction, the root proof (verification, race payment, callback), finalisation.
    function test_Gas_OneProvenBlockEndToEnd() public {
        (uint256 post_, bytes memory ret) =
            _call("e2e_postAndRequest", sequencer, address(rollup), _postAndRequestData(1));
        IRollup.BlockHeader memory h2 = abi.decode(ret, (IRollup.BlockHeader));
        (uint256 prove_,) =
            _call("e2e_submitRootProof", fixtureProvers[0], address(taskRegistry), _submitData(h2, 1, 0));
        (uint256 settle_,) =
            _call("e2e_finalize", address(this), address(rollup), abi.encodeCall(IRollup.finalize, (one(h2))));
        uint256 total = post_ + prove_ + settle_;
        vm.snapshotValue("e2e_oneProvenBlock_total", total);
        emit log_named_uint("one proven block, execution gas (calldata and tx bases aside)", total);
    }

    /// @notice The same, from block 65 on (the header slot is reused).
    function test_Gas_OneProvenBlockEndToEnd_RingWrapped() public {
        _wrapRing();
        (uint256 post_, bytes memory ret) =
            _call("e2e_ringWrapped_postAndRequest", sequencer, address(rollup), _postAndRequestData(1));
        IRollup.BlockHeader memory h2 = abi.decode(ret, (IRollup.BlockHeader));
        (uint256 prove_,) =
            _call("e2e_ringWrapped_submitRootProof", fixtureProvers[0], address(taskRegistry), _submitData(h2, 1, 0));
        (uint256 settle_,) = _call(
            "e2e_ringWrapped_finalize", address(this), address(rollup), abi.encodeCall(IRollup.finalize, (one(h2)))
        );
        vm.snapshotValue("e2e_ringWrapped_oneProvenBlock_total", post_ + prove_ + settle_);
    }

    // ─── helpers ───────────────────────────────────────────────────────────────────────────────────

    /// @dev Calls `target` with `data` as `from` (its own transaction under isolation) and records both
    ///      the transaction gas and the execution gas under `name`.
    function _call(string memory name, address from, address target, bytes memory data)
        internal
        returns (uint256 execution, bytes memory ret)
    {
        bool ok;
        vm.prank(from);
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        uint256 txGas = vm.snapshotGasLastCall(string.concat("tx_", name));
        execution = txGas - 21_000 - _calldataGas(data);
        vm.snapshotValue(name, execution);
    }

    /// @dev Storage slot of `_headerRing[0]` in Rollup (forge inspect Rollup storageLayout), checked against
    ///      block 1's stored hash before use.
    uint256 internal constant HEADER_RING_SLOT = 9;

    /// @dev Marks the ring slots of blocks 2 and 3 as used by blocks 66 and 67 of an earlier lap.
    function _wrapRing() internal {
        assertEq(vm.load(address(rollup), bytes32(HEADER_RING_SLOT + 1)), rollup.headerHashOf(1), "ring slot layout");
        vm.store(address(rollup), bytes32(HEADER_RING_SLOT + 2), keccak256("an earlier lap"));
        vm.store(address(rollup), bytes32(HEADER_RING_SLOT + 3), keccak256("an earlier lap"));
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    function _postData(uint256 i) internal view returns (bytes memory) {
        FixtureBlock storage b = chainBlocks[i];
        return abi.encodeCall(IRollup.postBlock, (b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs));
    }

    function _postAndRequestData(uint256 i) internal view returns (bytes memory) {
        FixtureBlock storage b = chainBlocks[i];
        return abi.encodeCall(
            IRollup.postBlockAndRequestProof, (b.number, b.prevStateRoot, b.newStateRoot, b.txsCommitment, b.txs)
        );
    }

    function _submitData(IRollup.BlockHeader memory h, uint256 i, uint256 p) internal view returns (bytes memory) {
        return abi.encodeCall(ITaskRegistry.submitProof, (h.taskId, rollup.rootPublicInputs(h), blockProofs[i][p]));
    }
}
