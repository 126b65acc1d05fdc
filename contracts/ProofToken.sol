// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ProofToken
/// @notice The one ERC-20 of a proofmarket deployment on devnet and in tests: prover stake, assignment
///         collateral, task escrow and payouts are all denominated in it. A plain token with a minter role;
///         a production deployment names an existing token instead.
contract ProofToken is ERC20, AccessControl {
    /// @notice May mint new tokens.
    bytes32 public constant MINTER_ROLE = keccak256("proofmarket.role.minter");

    /// @param admin Receives DEFAULT_ADMIN_ROLE and MINTER_ROLE.
    constructor(address admin) ERC20("proofmarket test token", "PROOF") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Mints `amount` to `to` (MINTER_ROLE only).
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
