// SPDX-License-Identifier: MIT
// Tokens of the demo scenarios: a plain ERC-20, a USDT-like stablecoin
// whose issuer can blacklist (freeze) holders, and a liquid-staking token
// minted 1:1 for ether staked.
pragma solidity 0.8.28;

contract ERC20 {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 a = allowance[from][msg.sender];
        if (a != type(uint256).max) {
            require(a >= value, "ERC20: allowance");
            allowance[from][msg.sender] = a - value;
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) internal virtual {
        require(balanceOf[from] >= value, "ERC20: balance");
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function _mint(address to, uint256 value) internal {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }
}

// PlainToken mints its whole supply to the deployer.
contract PlainToken is ERC20 {
    constructor(string memory name_, string memory symbol_, uint256 supply) ERC20(name_, symbol_, 18) {
        _mint(msg.sender, supply);
    }
}

// StableToken is USDT-like: 6 decimals, the issuer mints and can add any
// holder to a blacklist, which freezes what it holds (it can neither send
// nor receive) and lets the issuer destroy the frozen funds.
contract StableToken is ERC20 {
    address public immutable issuer;
    mapping(address => bool) public isBlackListed;

    event AddedBlackList(address indexed user);
    event RemovedBlackList(address indexed user);
    event DestroyedBlackFunds(address indexed user, uint256 balance);

    constructor(uint256 supply) ERC20("Tether-like USD", "USDx", 6) {
        issuer = msg.sender;
        _mint(msg.sender, supply);
    }

    modifier onlyIssuer() {
        require(msg.sender == issuer, "StableToken: not issuer");
        _;
    }

    function addBlackList(address user) external onlyIssuer {
        isBlackListed[user] = true;
        emit AddedBlackList(user);
    }

    function removeBlackList(address user) external onlyIssuer {
        isBlackListed[user] = false;
        emit RemovedBlackList(user);
    }

    function destroyBlackFunds(address user) external onlyIssuer {
        require(isBlackListed[user], "StableToken: not blacklisted");
        uint256 b = balanceOf[user];
        balanceOf[user] = 0;
        totalSupply -= b;
        emit Transfer(user, address(0), b);
        emit DestroyedBlackFunds(user, b);
    }

    function _transfer(address from, address to, uint256 value) internal override {
        require(!isBlackListed[from] && !isBlackListed[to], "StableToken: blacklisted");
        super._transfer(from, to, value);
    }
}

// StakedEther is a liquid-staking token: submit() mints one token per wei
// staked. (Withdrawals are out of scope: holders exit through a DEX, as
// they mostly do.)
contract StakedEther is ERC20 {
    event Submitted(address indexed sender, uint256 amount);

    constructor() ERC20("Staked Ether (demo)", "stETHx", 18) {}

    function submit() external payable returns (uint256) {
        _mint(msg.sender, msg.value);
        emit Submitted(msg.sender, msg.value);
        return msg.value;
    }
}
