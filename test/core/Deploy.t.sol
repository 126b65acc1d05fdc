// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CoreDeployment, Deploy} from "../../script/Deploy.s.sol";
import {stdJson} from "forge-std/StdJson.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The deploy script deploys and wires the core and writes its addresses as JSON.
contract DeployTest is Test {
    using stdJson for string;

    function test_DeployWiresTheCore() public {
        string memory out = "snapshots/.deploy-test.json";
        vm.setEnv("DEPLOY_OUT", out);
        vm.setEnv("INITIAL_MINT", "5000000000000000000000");
        CoreDeployment.Core memory c = new Deploy().run();

        (, address deployer,) = vm.readCallers();
        assertTrue(c.provers.hasRole(c.provers.TASK_REGISTRY_ROLE(), address(c.tasks)), "task registry may slash");
        assertTrue(c.tasks.isMechanism(address(c.race)), "race allow-listed");
        assertTrue(c.tasks.hasRole(c.tasks.MECHANISM_ADMIN_ROLE(), deployer));
        assertTrue(c.verifiers.hasRole(c.verifiers.VERIFIER_ADMIN_ROLE(), deployer));
        assertEq(address(c.tasks.token()), address(c.token));
        assertEq(address(c.race.registry()), address(c.tasks));
        assertEq(c.token.balanceOf(deployer), 5000e18);
        (address treasury, uint16 treasuryBps, uint16 coverBps) = c.tasks.slashSplit();
        assertEq(treasury, deployer);
        assertEq(treasuryBps, 2000);
        assertEq(coverBps, 5000);

        string memory json = vm.readFile(out);
        assertEq(json.readAddress(".TaskRegistry"), address(c.tasks));
        assertEq(json.readAddress(".ProverRegistry"), address(c.provers));
        assertEq(json.readAddress(".ProofRace"), address(c.race));
        vm.removeFile(out);
        vm.setEnv("DEPLOY_OUT", ""); // leave the process environment as other tests expect it
        vm.setEnv("INITIAL_MINT", "1000000000000000000000000");
    }
}
