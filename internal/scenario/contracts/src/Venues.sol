// SPDX-License-Identifier: MIT
// Venues the demo's launderers and ordinary users meet: a constant-product
// DEX, a fixed-denomination mixer, a THORChain-like router, an exchange with
// per-customer deposit addresses and an OTC desk.
pragma solidity 0.8.28;

interface IERC20 {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
    function balanceOf(address who) external view returns (uint256);
}

// Pool is a constant-product (x·y = k) market of ether against one token,
// with a 0.3% fee on the input, in the manner of Uniswap v1/v2.
contract Pool {
    IERC20 public immutable token;
    address public immutable owner;
    uint256 public reserveETH;
    uint256 public reserveToken;

    event Swap(address indexed trader, uint256 ethIn, uint256 tokenIn, uint256 ethOut, uint256 tokenOut);
    event Liquidity(uint256 eth, uint256 tokens);

    constructor(IERC20 token_) {
        token = token_;
        owner = msg.sender;
    }

    // addLiquidity takes msg.value ether and tokens (approved first).
    function addLiquidity(uint256 tokens) external payable {
        require(msg.sender == owner, "Pool: not owner");
        require(token.transferFrom(msg.sender, address(this), tokens), "Pool: transferFrom");
        reserveETH += msg.value;
        reserveToken += tokens;
        emit Liquidity(msg.value, tokens);
    }

    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) public pure returns (uint256) {
        uint256 inWithFee = amountIn * 997;
        return (inWithFee * reserveOut) / (reserveIn * 1000 + inWithFee);
    }

    // swapTokensForETH sells tokens (approved first) for at least minOut wei.
    function swapTokensForETH(uint256 tokensIn, uint256 minOut) external returns (uint256 out) {
        out = getAmountOut(tokensIn, reserveToken, reserveETH);
        require(out >= minOut, "Pool: slippage");
        require(token.transferFrom(msg.sender, address(this), tokensIn), "Pool: transferFrom");
        reserveToken += tokensIn;
        reserveETH -= out;
        (bool ok,) = msg.sender.call{value: out}("");
        require(ok, "Pool: pay ether");
        emit Swap(msg.sender, 0, tokensIn, out, 0);
    }

    // swapETHForTokens buys at least minOut tokens with msg.value.
    function swapETHForTokens(uint256 minOut) external payable returns (uint256 out) {
        out = getAmountOut(msg.value, reserveETH, reserveToken);
        require(out >= minOut, "Pool: slippage");
        reserveETH += msg.value;
        reserveToken -= out;
        require(token.transfer(msg.sender, out), "Pool: transfer");
        emit Swap(msg.sender, msg.value, 0, 0, out);
    }
}

// Mixer is a fixed-denomination pool in the style of Tornado Cash, without
// the zero-knowledge proof: a deposit records a commitment,
// keccak256(secret); a withdrawal reveals the secret and pays one
// denomination to any address, usually a fresh one, sent by a relayer so
// that the fresh address needs no gas. Revealing the secret links the two
// on chain, which a real mixer's proof avoids; for tracing that does not
// matter, since chainhound stops at the mixer as an exit.
contract Mixer {
    uint256 public immutable denomination;
    mapping(bytes32 => bool) public commitments;
    mapping(bytes32 => bool) public spent;

    event Deposit(bytes32 indexed commitment, uint32 leafIndex, uint256 timestamp);
    event Withdrawal(address to, bytes32 nullifierHash, address indexed relayer, uint256 fee);

    uint32 public nextIndex;

    constructor(uint256 denomination_) {
        denomination = denomination_;
    }

    function deposit(bytes32 commitment) external payable {
        require(msg.value == denomination, "Mixer: wrong denomination");
        require(!commitments[commitment], "Mixer: commitment used");
        commitments[commitment] = true;
        emit Deposit(commitment, nextIndex++, block.timestamp);
    }

    function withdraw(bytes32 secret, address payable to) external {
        bytes32 c = keccak256(abi.encodePacked(secret));
        require(commitments[c], "Mixer: unknown commitment");
        bytes32 nullifier = keccak256(abi.encodePacked(c));
        require(!spent[nullifier], "Mixer: already withdrawn");
        spent[nullifier] = true;
        (bool ok,) = to.call{value: denomination}("");
        require(ok, "Mixer: pay");
        emit Withdrawal(to, nullifier, msg.sender, 0);
    }
}

// Router is THORChain-router-like: depositWithExpiry forwards ether to a
// vault and emits the router's Deposit(to, asset, amount, memo) event with
// the swap instruction, for example "=:BTC.BTC:bc1q…", which THORChain's
// nodes act on. transferOut is a vault's payout.
contract Router {
    event Deposit(address indexed to, address indexed asset, uint256 amount, string memo);
    event TransferOut(address indexed vault, address indexed to, address asset, uint256 amount, string memo);

    function depositWithExpiry(address payable vault, address asset, uint256 amount, string calldata memo, uint256 expiration)
        external
        payable
    {
        require(block.timestamp < expiration, "Router: expired");
        require(asset == address(0) && amount == msg.value, "Router: ether only");
        (bool ok,) = vault.call{value: msg.value}("");
        require(ok, "Router: vault");
        emit Deposit(vault, asset, msg.value, memo);
    }

    function transferOut(address payable to, address asset, uint256 amount, string calldata memo) external payable {
        require(asset == address(0) && amount == msg.value, "Router: ether only");
        (bool ok,) = to.call{value: msg.value}("");
        require(ok, "Router: pay");
        emit TransferOut(msg.sender, to, asset, msg.value, memo);
    }
}

// Vault is a THORChain vault's address on this chain: it holds what the
// router forwards and pays out only to its operator.
contract Vault {
    address public immutable operator;

    constructor() {
        operator = msg.sender;
    }

    receive() external payable {}

    function pay(address payable to, uint256 amount) external {
        require(msg.sender == operator, "Vault: not operator");
        (bool ok,) = to.call{value: amount}("");
        require(ok, "Vault: pay");
    }
}

// DepositAddress is one customer's deposit address at an exchange: it
// accepts ether and tokens and only the exchange can sweep them to its hot
// wallet.
contract DepositAddress {
    address payable public immutable exchange;

    constructor() {
        exchange = payable(msg.sender);
    }

    receive() external payable {}

    function sweep(IERC20 token) external {
        require(msg.sender == exchange, "DepositAddress: not exchange");
        if (address(token) == address(0)) {
            (bool ok,) = exchange.call{value: address(this).balance}("");
            require(ok, "DepositAddress: sweep");
        } else {
            require(token.transfer(exchange, token.balanceOf(address(this))), "DepositAddress: sweep token");
        }
    }
}

// Exchange is a custodial exchange's hot wallet: it creates a deposit
// address per customer (CREATE2, salt = customer id), sweeps deposits in,
// and pays withdrawals out.
contract Exchange {
    address public immutable operator;
    mapping(uint256 => address) public depositAddress;

    event NewDepositAddress(uint256 indexed customer, address deposit);
    event Withdraw(address indexed to, address token, uint256 amount);

    constructor() {
        operator = msg.sender;
    }

    modifier onlyOperator() {
        require(msg.sender == operator, "Exchange: not operator");
        _;
    }

    receive() external payable {}

    function newDepositAddress(uint256 customer) external onlyOperator returns (address d) {
        require(depositAddress[customer] == address(0), "Exchange: customer exists");
        d = address(new DepositAddress{salt: bytes32(customer)}());
        depositAddress[customer] = d;
        emit NewDepositAddress(customer, d);
    }

    function sweep(address[] calldata deposits, IERC20 token) external onlyOperator {
        for (uint256 i = 0; i < deposits.length; i++) {
            DepositAddress(payable(deposits[i])).sweep(token);
        }
    }

    function withdraw(address payable to, IERC20 token, uint256 amount) external onlyOperator {
        if (address(token) == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            require(ok, "Exchange: withdraw");
        } else {
            require(token.transfer(to, amount), "Exchange: withdraw token");
        }
        emit Withdraw(to, address(token), amount);
    }
}

// OTCDesk takes ether against an order reference and settles off chain
// (bank wire, another chain); its operator moves the ether on.
contract OTCDesk {
    address public immutable operator;

    event Order(address indexed client, bytes32 indexed ref, uint256 amount);

    constructor() {
        operator = msg.sender;
    }

    function order(bytes32 ref) external payable {
        require(msg.value > 0, "OTCDesk: empty order");
        emit Order(msg.sender, ref, msg.value);
    }

    function release(address payable to, uint256 amount) external {
        require(msg.sender == operator, "OTCDesk: not operator");
        (bool ok,) = to.call{value: amount}("");
        require(ok, "OTCDesk: release");
    }
}
