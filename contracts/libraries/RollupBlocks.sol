// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../interfaces/IRollup.sol";

/// @title RollupBlocks
/// @notice The block rules both rollups share (the stored-task `Rollup` and the one-word `LedgerRollup`,
///         docs/rollup.md): the header's hash, the root task's statement, the field check on roots and commitments,
///         the sequencer's share of a block reward and the bitmap of proven root tasks.
library RollupBlocks {
    /// @notice The root circuit's verifier-registry id.
    bytes32 internal constant ROOT_CIRCUIT_ID = keccak256("proofmarket.circuit.root.v1");
    /// @notice The BN254 scalar field modulus: roots and commitments are public inputs and must be below it.
    uint256 internal constant FIELD_MODULUS =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;
    uint256 internal constant BPS = 10_000;
    /// @notice Written into every header-ring slot at deployment (never a keccak256 output a header could hash to).
    bytes32 internal constant UNUSED_RING_SLOT = bytes32(uint256(1));

    /// @notice keccak256(abi.encode(header)): what the chain stores per block.
    function hash(IRollup.BlockHeader memory header) internal pure returns (bytes32) {
        return keccak256(abi.encode(header));
    }

    /// @notice The root task's input commitment: keccak256 of [prev_state_root, new_state_root, txs_commitment,
    ///         block_number] packed (the task core appends the prover).
    function rootInputCommitment(IRollup.BlockHeader memory header) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                uint256(header.prevStateRoot),
                uint256(header.newStateRoot),
                uint256(header.txsCommitment),
                uint256(header.number)
            )
        );
    }

    /// @notice The root circuit's public inputs for the block, prover excluded.
    function rootPublicInputs(IRollup.BlockHeader memory header) internal pure returns (uint256[] memory inputs) {
        inputs = new uint256[](4);
        inputs[0] = uint256(header.prevStateRoot);
        inputs[1] = uint256(header.newStateRoot);
        inputs[2] = uint256(header.txsCommitment);
        inputs[3] = header.number;
    }

    /// @notice Whether `value` is a canonical BN254 scalar (a root or commitment a valid proof can carry).
    function isFieldElement(bytes32 value) internal pure returns (bool) {
        return uint256(value) < FIELD_MODULUS;
    }

    /// @notice Splits a block reward: the sequencer's share ⌊reward · bps / 10⁴⌋ and the provers' rest.
    /// @dev bps < BPS (checked by the config), so the share is below the reward and fits uint96.
    function split(uint96 reward, uint16 sequencerShareBps)
        internal
        pure
        returns (uint96 sequencerReward, uint96 provingBudget)
    {
        // casting to 'uint96' is safe because sequencerShareBps < BPS, so the share is below the uint96 reward
        // forge-lint: disable-next-line(unsafe-typecast)
        sequencerReward = uint96(uint256(reward) * sequencerShareBps / BPS);
        provingBudget = reward - sequencerReward;
    }

    /// @notice Whether `taskId`'s bit is set in a bitmap of task ids (bit taskId % 256 of word taskId / 256).
    function isSet(mapping(uint256 => uint256) storage bits, uint256 taskId) internal view returns (bool) {
        // forge-lint: disable-next-line(incorrect-shift)
        return bits[taskId >> 8] & (1 << (taskId & 0xff)) != 0;
    }

    /// @notice Sets `taskId`'s bit.
    function set(mapping(uint256 => uint256) storage bits, uint256 taskId) internal {
        // forge-lint: disable-next-line(incorrect-shift)
        bits[taskId >> 8] |= 1 << (taskId & 0xff);
    }
}
