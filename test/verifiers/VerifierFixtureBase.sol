// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Shared checks of a generated Groth16 verifier behind its `IProofVerifier` adapter, driven by
///         the real proofs `pm-circuits export-fixtures` writes to test/fixtures/<circuit>.json.
abstract contract VerifierFixtureBase is Test {
    uint256 internal constant SCALAR_MODULUS =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;
    uint256 internal constant FIXTURE_PROVERS = 3;

    IProofVerifier internal verifier;
    string internal json;
    uint256[] internal statement;

    /// @dev The fixture file name under test/fixtures/.
    function _fixtureName() internal pure virtual returns (string memory);

    /// @dev Deploys the adapter under test.
    function _deployVerifier() internal virtual returns (IProofVerifier);

    /// @dev The circuit id the adapter declares.
    function _adapterCircuitId() internal view virtual returns (bytes32);

    function setUp() public {
        verifier = _deployVerifier();
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/fixtures/", _fixtureName()));
        statement = vm.parseJsonUintArray(json, ".publicInputs");
    }

    function _prover(uint256 i) internal view returns (address) {
        return vm.parseJsonAddress(json, string.concat(".proofs[", vm.toString(i), "].prover"));
    }

    function _proof(uint256 i) internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, string.concat(".proofs[", vm.toString(i), "].proofBytes"));
    }

    function _proofWords(uint256 i) internal view returns (uint256[] memory) {
        return vm.parseJsonUintArray(json, string.concat(".proofs[", vm.toString(i), "].proof"));
    }

    /// @dev The statement with `prover` appended, as the TaskRegistry builds it.
    function _inputs(address prover) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](statement.length + 1);
        for (uint256 i = 0; i < statement.length; ++i) {
            inputs[i] = statement[i];
        }
        inputs[statement.length] = uint256(uint160(prover));
    }

    function test_FixtureMatchesAdapter() public view {
        assertEq(vm.parseJsonBytes32(json, ".circuitId"), _adapterCircuitId());
        assertEq(verifier.publicInputCount(), statement.length + 1);
    }

    function test_VerifiesEveryFixtureProof() public view {
        for (uint256 i = 0; i < FIXTURE_PROVERS; ++i) {
            verifier.verifyProof(_proof(i), _inputs(_prover(i)));
        }
    }

    function test_ProofBytesAreTheEvmWords() public view {
        for (uint256 i = 0; i < FIXTURE_PROVERS; ++i) {
            uint256[] memory words = _proofWords(i);
            assertEq(words.length, 8);
            uint256[8] memory asArray;
            for (uint256 w = 0; w < 8; ++w) {
                asArray[w] = words[w];
            }
            assertEq(abi.encode(asArray), _proof(i));
        }
    }

    function test_RevertWhen_ProofMadeForAnotherProver() public {
        for (uint256 i = 0; i < FIXTURE_PROVERS; ++i) {
            uint256[] memory inputs = _inputs(_prover((i + 1) % FIXTURE_PROVERS));
            vm.expectRevert(IProofVerifier.InvalidProof.selector);
            verifier.verifyProof(_proof(i), inputs);
        }
    }

    function testFuzz_RevertWhen_SubmitterIsNotTheProver(address submitter) public {
        vm.assume(submitter != _prover(0));
        uint256[] memory inputs = _inputs(submitter);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        verifier.verifyProof(_proof(0), inputs);
    }

    function testFuzz_RevertWhen_ProofWordTampered(uint256 wordIndex, uint256 delta) public {
        wordIndex = bound(wordIndex, 0, 7);
        delta = bound(delta, 1, type(uint128).max);
        uint256[] memory words = _proofWords(0);
        uint256[8] memory tampered;
        for (uint256 w = 0; w < 8; ++w) {
            tampered[w] = words[w];
        }
        unchecked {
            tampered[wordIndex] += delta;
        }
        uint256[] memory inputs = _inputs(_prover(0));
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        verifier.verifyProof(abi.encode(tampered), inputs);
    }

    function testFuzz_RevertWhen_PublicInputTampered(uint256 inputIndex, uint256 delta) public {
        inputIndex = bound(inputIndex, 0, statement.length - 1);
        uint256[] memory inputs = _inputs(_prover(0));
        delta = bound(delta, 1, SCALAR_MODULUS - 1);
        inputs[inputIndex] = addmod(inputs[inputIndex], delta, SCALAR_MODULUS);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        verifier.verifyProof(_proof(0), inputs);
    }

    function test_RevertWhen_PublicInputNotInField() public {
        // input + r is the same field element: without the range check it would verify.
        for (uint256 i = 0; i < statement.length; ++i) {
            uint256[] memory inputs = _inputs(_prover(0));
            inputs[i] += SCALAR_MODULUS;
            vm.expectRevert(abi.encodeWithSelector(IProofVerifier.PublicInputNotInField.selector, i));
            verifier.verifyProof(_proof(0), inputs);
        }
    }

    function test_RevertWhen_PublicInputCountWrong() public {
        uint256[] memory inputs = _inputs(_prover(0));
        uint256[] memory short = new uint256[](inputs.length - 1);
        for (uint256 i = 0; i < short.length; ++i) {
            short[i] = inputs[i];
        }
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.PublicInputCount.selector, inputs.length, short.length));
        verifier.verifyProof(_proof(0), short);
    }

    function test_RevertWhen_ProofMalformed() public {
        bytes memory proof = _proof(0);
        bytes memory truncated = new bytes(proof.length - 1);
        for (uint256 i = 0; i < truncated.length; ++i) {
            truncated[i] = proof[i];
        }
        uint256[] memory inputs = _inputs(_prover(0));
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.MalformedProof.selector, truncated.length));
        verifier.verifyProof(truncated, inputs);
    }
}
