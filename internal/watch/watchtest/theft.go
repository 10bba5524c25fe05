// Package watchtest holds a scripted theft, played block by block on the
// in-process node (internal/scenario), for the watcher's live tests and
// its latency benchmark. It stands in for the scenario library's bybit
// scenario: a test drives a Script, so another theft with the same shape
// (setup, labels, case seeds, steps with the alerts each must raise) can
// take its place.
package watchtest

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

// Expect is an alert a step must raise in the block it is committed in.
type Expect struct {
	Rule     string // watch rule name
	Category string // exit category, for exit alerts ("" for others)
	Address  string // lower-case 0x address the alert must name
	Tx       string // the transaction, when the alert has one ("" for fan-outs)
}

// Step is one block of the theft: Run queues its transactions, then the
// driver commits one block.
type Step struct {
	Name   string
	Run    func(ctx context.Context) error
	Expect []Expect
}

// Label is an attribution the scenario needs in the intel store.
type Label struct {
	Address  common.Address
	Label    string
	Category string
}

// Theft is a Bybit-like theft: a thief takes ether, a liquid-staking-like
// token (WETH stands in) and a freezable stablecoin from a cold wallet,
// splits the ether to a mule, fans it out to fresh wallets in near-equal
// round amounts over two blocks, unwraps the staking token into ether
// (out of its issuer's reach), sends stablecoins to an exchange, deposits
// ether into a THORChain-style router with a Bitcoin memo, and the fresh
// wallets pay a mixer and exchange deposit addresses.
type Theft struct {
	N *scenario.Node

	// Prefunded keys of the node.
	Victim, Thief, Mule, Deployer int
	Benign                        []int
	Hot                           int // a benign exchange hot wallet

	WETH, USDT, Router common.Address
	Vault, Mixer       common.Address
	Deposits           []common.Address // exchange deposit addresses
	// Wallets are the fan-out's fresh wallets (keys not funded at genesis).
	Wallets []*ecdsa.PrivateKey
	// BTCDest is the memo's Bitcoin destination (mainnet bech32).
	BTCDest string
	// TheftBlock is the block of the theft, the case's start.
	TheftBlock uint64
	// Txs records the hash of each scripted transaction by name.
	Txs map[string]common.Hash

	rnd     *rand.Rand
	nonce   map[common.Address]uint64
	signer  types.Signer
	abi     abi.ABI
	benignN int
}

// Accounts is the number of prefunded keys NewTheft needs on the node.
const Accounts = 12

// Alloc leaves the thief and the mule empty at genesis, so that
// everything they move is stolen.
func Alloc() types.GenesisAlloc {
	keys := scenario.DeterministicKeys(Accounts)
	alloc := types.GenesisAlloc{}
	for _, i := range []int{1, 2} {
		alloc[crypto.PubkeyToAddress(keys[i].PublicKey)] = types.Account{Balance: new(big.Int)}
	}
	return alloc
}

// Ether returns x ether in wei.
func Ether(x int64) *big.Int { return new(big.Int).Mul(big.NewInt(x), big.NewInt(params.Ether)) }

// Milli returns x thousandths of an ether in wei.
func Milli(x int64) *big.Int { return new(big.Int).Mul(big.NewInt(x), big.NewInt(params.Ether/1000)) }

// NewTheft deploys the contracts (WETH, a stablecoin, the router) and
// funds the victim's tokens, committing the blocks it needs. The node
// must have Accounts keys and Alloc's genesis.
func NewTheft(ctx context.Context, n *scenario.Node, wallets int) (*Theft, error) {
	t := &Theft{N: n, Victim: 0, Thief: 1, Mule: 2, Deployer: 3, Benign: []int{4, 5, 6, 7, 8, 9, 10}, Hot: 11,
		Txs: map[string]common.Hash{}, rnd: rand.New(rand.NewPCG(7, 9)), nonce: map[common.Address]uint64{},
		signer: types.LatestSignerForChainID(n.ChainID())}
	var err error
	if t.abi, err = abi.JSON(strings.NewReader(scenario.RouterABI)); err != nil {
		return nil, err
	}
	named := func(s string) common.Address {
		return common.BytesToAddress(crypto.Keccak256([]byte("chainhound/watchtest/" + s)))
	}
	t.Vault, t.Mixer = named("vault"), named("mixer")
	for i := range 3 {
		t.Deposits = append(t.Deposits, named(fmt.Sprintf("deposit/%d", i)))
	}
	for i := range wallets {
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("chainhound/watchtest/wallet/%d", i))))
		if err != nil {
			return nil, err
		}
		t.Wallets = append(t.Wallets, k)
	}
	h := crypto.Keccak256([]byte("chainhound/watchtest/btc-dest"))[:20]
	a, err := address.NewAddressWitnessPubKeyHash(h, &chaincfg.MainNetParams)
	if err != nil {
		return nil, err
	}
	t.BTCDest = a.EncodeAddress()
	deploy := func(code []byte) (common.Address, error) {
		addr, _, err := n.Deploy(ctx, t.Deployer, code, nil, 1_000_000)
		return addr, err
	}
	if t.WETH, err = deploy(scenario.WETHCode()); err != nil {
		return nil, err
	}
	if t.USDT, err = deploy(scenario.ERC20Code(Ether(1_000_000_000))); err != nil {
		return nil, err
	}
	if t.Router, err = deploy(scenario.RouterDeployCode()); err != nil {
		return nil, err
	}
	if _, err := n.Commit(); err != nil {
		return nil, err
	}
	// The cold wallet holds the staking token and the stablecoin; the
	// benign users and the hot wallet hold stablecoins too.
	if _, err := n.Send(ctx, t.Victim, &t.WETH, Ether(60), scenario.DepositCalldata(), 100_000); err != nil {
		return nil, err
	}
	for _, to := range append([]int{t.Victim, t.Hot}, t.Benign...) {
		if _, err := n.Send(ctx, t.Deployer, &t.USDT, nil, scenario.TransferCalldata(n.Address(to), Ether(1_000_000)), 100_000); err != nil {
			return nil, err
		}
	}
	if _, err := n.Commit(); err != nil {
		return nil, err
	}
	t.TheftBlock = n.Head().Number.Uint64() + 1
	return t, nil
}

// Labels are the attributions the watcher needs: exchange deposit
// addresses, the mixer, the bridge vault, the hot wallet.
func (t *Theft) Labels() []Label {
	ls := []Label{
		{t.Mixer, "Tornado-like mixer", "mixing_service"},
		{t.Vault, "THORChain vault", "defi_bridge"},
		{t.N.Address(t.Hot), "Exchange H hot wallet", "exchange"},
	}
	for i, d := range t.Deposits {
		ls = append(ls, Label{d, fmt.Sprintf("Exchange %c deposit", 'A'+i), "exchange"})
	}
	return ls
}

// Seed is the case's seed: the thief.
func (t *Theft) Seed() common.Address { return t.N.Address(t.Thief) }

// WalletAddress is fan-out wallet i.
func (t *Theft) WalletAddress(i int) common.Address {
	return crypto.PubkeyToAddress(t.Wallets[i].PublicKey)
}

func (t *Theft) send(ctx context.Context, name string, from int, to common.Address, value *big.Int, data []byte, gas uint64) error {
	h, err := t.N.Send(ctx, from, &to, value, data, gas)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if name != "" {
		t.Txs[name] = h
	}
	return nil
}

// sendFrom sends from a key the node does not hold (a fan-out wallet).
func (t *Theft) sendFrom(ctx context.Context, name string, k *ecdsa.PrivateKey, to common.Address, value *big.Int) error {
	from := crypto.PubkeyToAddress(k.PublicKey)
	tx, err := types.SignNewTx(k, t.signer, &types.DynamicFeeTx{
		ChainID: t.signer.ChainID(), Nonce: t.nonce[from], GasTipCap: big.NewInt(scenario.GasTipCap), GasFeeCap: big.NewInt(scenario.GasFeeCap),
		Gas: 21_000, To: &to, Value: value,
	})
	if err != nil {
		return err
	}
	if err := t.N.SendTx(ctx, tx); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	t.nonce[from]++
	t.Txs[name] = tx.Hash()
	return nil
}

func lower(a common.Address) string { return strings.ToLower(a.Hex()) }

// Steps are the theft, one block each. Expectations name transactions by
// the hashes recorded when the step runs, so read them after Run.
func (t *Theft) Steps() []Step {
	thief, mule := t.N.Address(t.Thief), t.N.Address(t.Mule)
	fan := func(from, to int) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			for i := from; i < to; i++ {
				if err := t.send(ctx, fmt.Sprintf("fan/%d", i), t.Mule, t.WalletAddress(i), Ether(10), nil, 21_000); err != nil {
					return err
				}
			}
			return nil
		}
	}
	half := len(t.Wallets) * 3 / 5
	steps := []Step{
		{Name: "theft", Run: func(ctx context.Context) error {
			if err := t.send(ctx, "theft/eth", t.Victim, thief, Ether(400), nil, 21_000); err != nil {
				return err
			}
			if err := t.send(ctx, "theft/staking", t.Victim, t.WETH, nil, scenario.TransferCalldata(thief, Ether(50)), 100_000); err != nil {
				return err
			}
			return t.send(ctx, "theft/usdt", t.Victim, t.USDT, nil, scenario.TransferCalldata(thief, Ether(200_000)), 100_000)
		}},
		{Name: "split", Run: func(ctx context.Context) error {
			return t.send(ctx, "split", t.Thief, mule, Ether(300), nil, 21_000)
		}, Expect: []Expect{{Rule: "taint_movement", Address: lower(mule), Tx: "split"}}},
		{Name: "fan-out part 1", Run: fan(0, half)},
		{Name: "fan-out part 2", Run: fan(half, len(t.Wallets)), Expect: []Expect{{Rule: "fan_out", Address: lower(mule)}}},
		{Name: "unwrap staking token", Run: func(ctx context.Context) error {
			return t.send(ctx, "swap", t.Thief, t.WETH, nil, scenario.WithdrawCalldata(Ether(50)), 100_000)
		}, Expect: []Expect{{Rule: "token_swap", Address: lower(thief), Tx: "swap"}}},
		{Name: "stablecoins to an exchange", Run: func(ctx context.Context) error {
			return t.send(ctx, "usdt-exchange", t.Thief, t.USDT, nil, scenario.TransferCalldata(t.Deposits[2], Ether(200_000)), 100_000)
		}, Expect: []Expect{{Rule: "exit", Category: "exchange", Address: lower(t.Deposits[2]), Tx: "usdt-exchange"}}},
		{Name: "router deposit with a bitcoin memo", Run: func(ctx context.Context) error {
			data, err := t.abi.Pack("depositWithExpiry", t.Vault, common.Address{}, Ether(40), "=:b:"+t.BTCDest, big.NewInt(1<<40))
			if err != nil {
				return err
			}
			return t.send(ctx, "router", t.Thief, t.Router, Ether(40), data, 200_000)
		}, Expect: []Expect{
			{Rule: "router_memo", Category: "defi_bridge", Address: lower(t.Vault), Tx: "router"},
			{Rule: "exit", Category: "defi_bridge", Address: lower(t.Vault), Tx: "router"},
		}},
		{Name: "mixer deposits", Run: func(ctx context.Context) error {
			for i := range 4 {
				if err := t.sendFrom(ctx, fmt.Sprintf("mixer/%d", i), t.Wallets[i], t.Mixer, Ether(9)); err != nil {
					return err
				}
			}
			return nil
		}, Expect: []Expect{{Rule: "exit", Category: "mixing_service", Address: lower(t.Mixer), Tx: "mixer/0"}}},
		{Name: "exchange deposits", Run: func(ctx context.Context) error {
			for i := 4; i < 10; i++ {
				if err := t.sendFrom(ctx, fmt.Sprintf("exchange/%d", i), t.Wallets[i], t.Deposits[i%2], Milli(9_990)); err != nil {
					return err
				}
			}
			return nil
		}, Expect: []Expect{
			{Rule: "exit", Category: "exchange", Address: lower(t.Deposits[0]), Tx: "exchange/4"},
			{Rule: "exit", Category: "exchange", Address: lower(t.Deposits[1]), Tx: "exchange/5"},
		}},
	}
	return steps
}

// Background queues benign traffic for the next block: users paying each
// other random amounts, paying the exchange hot wallet, the hot wallet
// paying withdrawals (some to new addresses), stablecoin payments, and a
// small payroll of equal amounts to known addresses.
func (t *Theft) Background(ctx context.Context, txs int) error {
	for range txs {
		t.benignN++
		from := t.Benign[t.rnd.IntN(len(t.Benign))]
		var err error
		switch k := t.rnd.IntN(6); k {
		case 0, 1:
			to := t.Benign[t.rnd.IntN(len(t.Benign))]
			err = t.send(ctx, "", from, t.N.Address(to), Milli(int64(1+t.rnd.IntN(3000))), nil, 21_000)
		case 2:
			err = t.send(ctx, "", from, t.N.Address(t.Hot), Milli(int64(1+t.rnd.IntN(5000))), nil, 21_000)
		case 3:
			fresh := common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprintf("chainhound/watchtest/benign/%d", t.benignN))))
			err = t.send(ctx, "", t.Hot, fresh, Milli(int64(1+t.rnd.IntN(2000))), nil, 21_000)
		case 4:
			to := t.Benign[t.rnd.IntN(len(t.Benign))]
			err = t.send(ctx, "", from, t.USDT, nil, scenario.TransferCalldata(t.N.Address(to), Ether(int64(1+t.rnd.IntN(900)))), 100_000)
		case 5:
			for _, to := range t.Benign[:4] {
				if err = t.send(ctx, "", t.Hot, t.N.Address(to), Ether(1), nil, 21_000); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
