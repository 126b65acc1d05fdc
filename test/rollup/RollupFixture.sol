// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RootProofVerifier} from "../../contracts/verifiers/RootProofVerifier.sol";
import {stdJson} from "forge-std/StdJson.sol";
import {Test} from "forge-std/Test.sol";

/// @title RollupFixture
/// @notice Loads test/fixtures/rollup_blocks.json, written by the Rust circuits (`pm-circuits
///         export-fixtures`): the devnet genesis state root, a chain of blocks (roots, transactions
///         commitment, calldata) with a real Groth16 root proof per fixture prover (anvil accounts #1–#3),
///         and a block claiming a parent that is not in the chain, with its own real proofs.
abstract contract RollupFixture is Test {
    using stdJson for string;

    /// @notice A block as the fixture describes it.
    struct FixtureBlock {
        uint64 number;
        bytes32 prevStateRoot;
        bytes32 newStateRoot;
        bytes32 txsCommitment;
        bytes txs;
    }

    string internal constant ROLLUP_FIXTURE = "/test/fixtures/rollup_blocks.json";

    bytes32 internal genesisStateRoot;
    bytes32 internal fixtureRootCircuitId;
    FixtureBlock[] internal chainBlocks;
    FixtureBlock internal wrongParentBlock;
    address[] internal fixtureProvers;
    /// @dev blockProofs[block index][prover index]: abi.encode(uint256[8]) in EVM word order.
    bytes[][] internal blockProofs;
    bytes[] internal wrongParentProofs;
    /// @dev Transactions per fixture block (the calldata is 88 bytes per transfer).
    uint256[] internal fixtureTxCounts;

    function _loadRollupFixture() internal {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), ROLLUP_FIXTURE));
        genesisStateRoot = json.readBytes32(".genesis_state_root");
        fixtureRootCircuitId = json.readBytes32(".root_circuit_id");
        address[] memory provers = json.readAddressArray(".provers");
        for (uint256 p; p < provers.length; ++p) {
            fixtureProvers.push(provers[p]);
        }
        for (uint256 i; vm.keyExistsJson(json, string.concat(".blocks[", vm.toString(i), "]")); ++i) {
            string memory key = string.concat(".blocks[", vm.toString(i), "]");
            chainBlocks.push(_readBlock(json, key));
            fixtureTxCounts.push(json.readUint(string.concat(key, ".tx_count")));
            bytes[] memory proofs = _readProofs(json, key);
            blockProofs.push();
            for (uint256 p; p < proofs.length; ++p) {
                blockProofs[i].push(proofs[p]);
            }
        }
        wrongParentBlock = _readBlock(json, ".wrong_parent");
        bytes[] memory wrong = _readProofs(json, ".wrong_parent");
        for (uint256 p; p < wrong.length; ++p) {
            wrongParentProofs.push(wrong[p]);
        }
    }

    /// @dev The real root-circuit verifier adapter (it deploys the generated Groth16 verifier).
    function _deployRootVerifier() internal returns (address) {
        return address(new RootProofVerifier());
    }

    function _readBlock(string memory json, string memory key) internal pure returns (FixtureBlock memory b) {
        b.number = uint64(json.readUint(string.concat(key, ".number")));
        b.prevStateRoot = json.readBytes32(string.concat(key, ".prev_state_root"));
        b.newStateRoot = json.readBytes32(string.concat(key, ".new_state_root"));
        b.txsCommitment = json.readBytes32(string.concat(key, ".txs_commitment"));
        b.txs = json.readBytes(string.concat(key, ".txs"));
    }

    /// @dev One proof per fixture prover, in the order of `fixtureProvers` (checked by address).
    function _readProofs(string memory json, string memory key) internal view returns (bytes[] memory proofs) {
        proofs = new bytes[](fixtureProvers.length);
        for (uint256 p; p < fixtureProvers.length; ++p) {
            string memory proofKey = string.concat(key, ".proofs[", vm.toString(p), "]");
            address prover = json.readAddress(string.concat(proofKey, ".prover"));
            assertEq(prover, fixtureProvers[p], "fixture proofs in prover order");
            proofs[p] = json.readBytes(string.concat(proofKey, ".proof"));
        }
    }
}
