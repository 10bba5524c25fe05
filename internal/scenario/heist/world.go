package heist

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/scenario/contracts"
)

// Key indexes of the actors (scenario.DeterministicKeys). The thief's keys
// start with nothing, so every wei they move is stolen and the ground
// truth is exact; everyone else is prefunded.
const (
	keyOperator = 0 // deploys and runs the venues: pool, router vault, exchange, OTC desk
	keyIssuer   = 1 // the stablecoin's issuer
	keyRelayer  = 2 // sends mixer withdrawals for their owners
	keyAttacker = 3 // deploys the trojan and backdoor, drains the hijacked Safe
	keySigner0  = 4 // the Safe's three owners: 4, 5, 6
	keyTreasury = 7 // the victim: funds the Safe (bybit), is robbed (peel-chain)
	keyThief    = 8 // the theft address: receives the drain (unfunded)
	keyWallet0  = 9 // the thief's wallets (unfunded)
	maxWallets  = 64
	keyUser0    = keyWallet0 + maxWallets // ordinary users
	maxUsers    = 40
	numKeys     = keyUser0 + maxUsers
)

// Safe setup of the bybit scenario.
const (
	safeOwners    = 3
	safeThreshold = 2
)

// World is the deployed contracts and the actors of a scenario's chain.
type World struct {
	node    *scenario.Node
	chainID uint64
	names   map[string]common.Address // actor and contract names
	keys    map[string]int            // actors that sign
	// Deposit addresses by customer name ("user/3", "thief/0").
	deposits map[string]common.Address
	// DEX pool state is read from the node; the pool is the only price.
}

// Address returns a named actor or contract: "operator", "issuer",
// "relayer", "attacker", "signer/N", "treasury", "thief", "wallet/N",
// "user/N", "fresh/N" (an address no key controls: mixer withdrawals go
// there), "deposit/CUSTOMER", "safe", "stETHx", "USDx", "pool", "mixer",
// "router", "vault", "exchange", "otc", "trojan", "backdoor".
func (w *World) Address(name string) (common.Address, error) {
	if a, ok := w.names[name]; ok {
		return a, nil
	}
	if k, ok := w.key(name); ok {
		return w.node.Address(k), nil
	}
	if rest, ok := strings.CutPrefix(name, "deposit/"); ok {
		if a, ok := w.deposits[rest]; ok {
			return a, nil
		}
	}
	if rest, ok := strings.CutPrefix(name, "fresh/"); ok {
		return freshAddress(rest), nil
	}
	return common.Address{}, fmt.Errorf("heist: no actor %q", name)
}

func (w *World) mustAddress(name string) common.Address {
	a, err := w.Address(name)
	if err != nil {
		panic(err)
	}
	return a
}

// key returns the key index of an actor that signs.
func (w *World) key(name string) (int, bool) {
	if k, ok := w.keys[name]; ok {
		return k, true
	}
	prefix, n, ok := strings.Cut(name, "/")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 {
		return 0, false
	}
	switch {
	case prefix == "wallet" && i < maxWallets:
		return keyWallet0 + i, true
	case prefix == "user" && i < maxUsers:
		return keyUser0 + i, true
	case prefix == "signer" && i < safeOwners:
		return keySigner0 + i, true
	}
	return 0, false
}

// freshAddress is an address nobody in the scenario holds a key to,
// derived from its name.
func freshAddress(name string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte("chainhound/heist/fresh/" + name))[12:])
}

// alloc leaves the thief's keys unfunded.
func alloc(keys int) types.GenesisAlloc {
	ks := scenario.DeterministicKeys(keys)
	a := types.GenesisAlloc{}
	for i := keyThief; i < keyWallet0+maxWallets; i++ {
		a[crypto.PubkeyToAddress(ks[i].PublicKey)] = types.Account{Balance: new(big.Int)}
	}
	return a
}

// setup deploys the contracts, funds the venues and the Safe, and opens
// deposit addresses for the customers, in a few blocks before the plan.
func setup(ctx context.Context, n *scenario.Node, customers []string) (*World, error) {
	w := &World{node: n, chainID: n.ChainID().Uint64(), names: map[string]common.Address{}, deposits: map[string]common.Address{},
		keys: map[string]int{"operator": keyOperator, "issuer": keyIssuer, "relayer": keyRelayer, "attacker": keyAttacker,
			"treasury": keyTreasury, "thief": keyThief}}
	s := &sender{n: n, ctx: ctx}
	// Block 1: the contracts.
	s.deploy(w, "stETHx", keyOperator, contracts.StakedEther)
	s.deploy(w, "pool", keyOperator, contracts.Pool, w.names["stETHx"])
	s.deploy(w, "mixer", keyOperator, contracts.Mixer, eth(MixerDenominationETH))
	s.deploy(w, "router", keyOperator, contracts.Router)
	s.deploy(w, "vault", keyOperator, contracts.Vault)
	s.deploy(w, "exchange", keyOperator, contracts.Exchange)
	s.deploy(w, "otc", keyOperator, contracts.OTCDesk)
	s.deploy(w, "USDx", keyIssuer, contracts.StableToken, mul(usdx, 1_000_000_000))
	s.deploy(w, "trojan", keyAttacker, contracts.Trojan)
	s.deploy(w, "backdoor", keyAttacker, contracts.Backdoor)
	s.deploy(w, "safe-singleton", keyTreasury, contracts.Safe)
	s.deploy(w, "safe-factory", keyTreasury, contracts.SafeProxyFactory)
	if err := s.commit(); err != nil {
		return nil, fmt.Errorf("heist: deploy: %w", err)
	}

	// Block 2: liquidity, the Safe, deposit addresses, balances.
	st, pool, ex := contracts.Must(contracts.StakedEther), contracts.Must(contracts.Pool), contracts.Must(contracts.Exchange)
	s.call(keyOperator, w.names["stETHx"], eth(PoolLiquidityETH), st.MustCall("submit"), 200_000)
	s.call(keyOperator, w.names["stETHx"], nil, st.MustCall("approve", w.names["pool"], maxUint()), 100_000)
	s.call(keyOperator, w.names["pool"], eth(PoolLiquidityETH), pool.MustCall("addLiquidity", eth(PoolLiquidityETH)), 200_000)
	s.call(keyOperator, w.names["exchange"], eth(ExchangeFloatETH), nil, 100_000)
	s.call(keyOperator, w.names["vault"], nil, nil, 100_000) // a touch, so the vault's account exists before any deposit
	initCodeHash := crypto.Keccak256(contracts.Must(contracts.DepositAddress).Bytecode)
	for i, c := range customers {
		salt := common.BigToHash(big.NewInt(int64(i + 1)))
		s.call(keyOperator, w.names["exchange"], nil, ex.MustCall("newDepositAddress", big.NewInt(int64(i+1))), 300_000)
		w.deposits[c] = crypto.CreateAddress2(w.names["exchange"], salt, initCodeHash)
	}
	safeAddr, err := s.createSafe(w)
	if err != nil {
		return nil, err
	}
	w.names["safe"] = safeAddr
	if err := s.commit(); err != nil {
		return nil, fmt.Errorf("heist: set up venues: %w", err)
	}
	return w, nil
}

// createSafe creates a Safe 1.4.1 proxy of the three signers with
// threshold two through the real proxy factory.
func (s *sender) createSafe(w *World) (common.Address, error) {
	safe, factory := contracts.Must(contracts.Safe), contracts.Must(contracts.SafeProxyFactory)
	var owners []common.Address
	for i := range safeOwners {
		owners = append(owners, w.node.Address(keySigner0+i))
	}
	init := safe.MustCall("setup", owners, big.NewInt(safeThreshold), common.Address{}, []byte{}, common.Address{}, common.Address{}, new(big.Int), common.Address{})
	create := factory.MustCall("createProxyWithNonce", w.names["safe-singleton"], init, new(big.Int))
	fa := w.names["safe-factory"]
	out, err := w.node.Client().CallContract(s.ctx, ethereum.CallMsg{From: w.node.Address(keyTreasury), To: &fa, Data: create}, nil)
	if err != nil || len(out) < 32 {
		return common.Address{}, fmt.Errorf("heist: createProxyWithNonce (call): %v", err)
	}
	s.call(keyTreasury, fa, nil, create, 1_000_000)
	return common.BytesToAddress(out[12:32]), nil
}

// sender queues the setup's transactions and checks they all succeed.
type sender struct {
	n      *scenario.Node
	ctx    context.Context
	err    error
	queued []common.Hash
}

func (s *sender) deploy(w *World, name string, key int, contract string, args ...any) {
	if s.err != nil {
		return
	}
	code, err := contracts.Must(contract).Deploy(args...)
	if err != nil {
		s.err = err
		return
	}
	a, h, err := s.n.Deploy(s.ctx, key, code, nil, 8_000_000)
	if err != nil {
		s.err = fmt.Errorf("deploy %s: %w", name, err)
		return
	}
	w.names[name] = a
	s.queued = append(s.queued, h)
}

func (s *sender) call(key int, to common.Address, value *big.Int, data []byte, gas uint64) {
	if s.err != nil {
		return
	}
	h, err := s.n.Send(s.ctx, key, &to, value, data, gas)
	if err != nil {
		s.err = err
		return
	}
	s.queued = append(s.queued, h)
}

// commit seals blocks until the queue is empty and fails on any reverted
// transaction.
func (s *sender) commit() error {
	if s.err != nil {
		return s.err
	}
	for {
		if _, err := s.n.Commit(); err != nil {
			return err
		}
		if s.n.Pending() == 0 {
			break
		}
	}
	for _, h := range s.queued {
		r, err := s.n.Receipt(s.ctx, h)
		if err != nil {
			return err
		}
		if r.Status != types.ReceiptStatusSuccessful {
			return fmt.Errorf("transaction %s reverted", h)
		}
	}
	s.queued = nil
	return nil
}

func maxUint() *big.Int { return new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)) }

// sortedNames lists a map's keys in order, for deterministic iteration.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
