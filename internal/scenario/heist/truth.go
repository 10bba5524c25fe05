package heist

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
)

// Amount is an exact amount in base units, written in JSON as a decimal
// string (JavaScript numbers cannot hold wei).
type Amount struct{ big.Int }

// NewAmount copies v.
func NewAmount(v *big.Int) Amount {
	var a Amount
	if v != nil {
		a.Set(v)
	}
	return a
}

// MarshalJSON writes the decimal string.
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON reads a decimal string.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if _, ok := a.SetString(s, 10); !ok {
		return fmt.Errorf("amount %q: not a decimal integer", s)
	}
	return nil
}

// Truth is a scenario's answer key: who the thief is, where the stolen
// value went, block by block, and where every unit of it rests at the end.
type Truth struct {
	Scenario string `json:"scenario"`
	Seed     int64  `json:"seed"`
	ChainID  uint64 `json:"chain_id"`
	CAIP2    string `json:"chain"`
	// Blocks played: the setup ends at SetupBlock; the plan runs after it.
	SetupBlock uint64  `json:"setup_block"`
	LastBlock  uint64  `json:"last_block"`
	Assets     []Asset `json:"assets"`
	// Thieves are the attacker's addresses, each with its role.
	Thieves []Thief `json:"thieves"`
	// SafeTx is the malicious Safe transaction the signers approved
	// (bybit only).
	SafeTx *SafeTx `json:"safe_tx,omitempty"`
	// Seeds are the theft transactions, where a trace starts.
	Seeds []string `json:"seeds"`
	// Stolen is what the theft took, per asset.
	Stolen []AssetAmount `json:"stolen"`
	// Movements are the thief's transfers in order: drain, fan-out, gas,
	// swap, exit, peel.
	Movements []Movement `json:"movements"`
	// Exits are the arrivals of stolen value at a service, in order.
	Exits []ExitEvent `json:"exits"`
	// DepositAccounts are the exchange deposit addresses the thief paid,
	// each with the thief's addresses that paid it, in order of first
	// payment: to the exchange one customer account each, and what
	// deposit-address reuse should link.
	DepositAccounts []DepositAccount `json:"deposit_accounts"`
	// Locations say where every unit of stolen value rests at the end, as a
	// trace that stops at services sees it: at an exit, still held by a
	// thief's address, or spent on gas. Per asset, Stolen plus what swaps
	// bought equals Locations plus what swaps sold (Conserved checks it).
	Locations []Location `json:"locations"`
	// Swapped are the swaps, per asset sold and bought.
	SwappedOut []AssetAmount `json:"swapped_out"`
	SwappedIn  []AssetAmount `json:"swapped_in"`
	// IllicitValue and BenignValue are the volumes moved by the thief and
	// by everyone else, in wei at the scenario's prices (Asset.WeiPerUnit).
	IllicitValue Amount `json:"illicit_value_wei"`
	BenignValue  Amount `json:"benign_value_wei"`
}

// Asset is an asset of the scenario.
type Asset struct {
	Symbol   string `json:"symbol"`
	Contract string `json:"contract,omitempty"` // empty for ether
	CAIP19   string `json:"caip19"`             // "native" for ether, as chainhound writes it
	Decimals int    `json:"decimals"`
	// WeiPerUnit prices one whole unit in wei, for adding up value across
	// assets (the pool sets stETHx near 1 ether; USDx is fixed).
	WeiPerUnit Amount `json:"wei_per_unit"`
	// FreezableBy names the issuer that can freeze it ("" if nobody).
	FreezableBy string `json:"freezable_by,omitempty"`
}

// Thief is one of the attacker's addresses.
type Thief struct {
	Address string `json:"address"`
	Role    string `json:"role"` // attacker, theft, wallet, peel
	// Tainted: every wei it holds is stolen (the attacker's own gas money
	// is not).
	Tainted bool `json:"tainted"`
}

// SafeTx is a Safe transaction as its signers saw it.
type SafeTx struct {
	Safe       string `json:"safe"`
	To         string `json:"to"`
	Value      Amount `json:"value"`
	Data       string `json:"data"`
	Operation  uint8  `json:"operation"` // 1: DELEGATECALL
	Nonce      uint64 `json:"nonce"`
	SafeTxHash string `json:"safe_tx_hash"`
	Block      uint64 `json:"block"` // where it was executed
	Tx         string `json:"tx"`
	// Singleton is the implementation before, Backdoor after.
	Singleton string `json:"singleton"`
	Backdoor  string `json:"backdoor"`
}

// AssetAmount is an amount of one asset.
type AssetAmount struct {
	Asset  string `json:"asset"` // symbol
	Amount Amount `json:"amount"`
}

// Movement is one transfer by the thief.
type Movement struct {
	Step   string `json:"step"`
	Block  uint64 `json:"block"`
	Tx     string `json:"tx"`
	From   string `json:"from"`
	To     string `json:"to"`
	Asset  string `json:"asset"`
	Amount Amount `json:"amount"`
}

// ExitEvent is stolen value arriving at a service.
type ExitEvent struct {
	Block    uint64 `json:"block"`
	Tx       string `json:"tx"`
	From     string `json:"from"`
	Service  string `json:"service"`  // its label
	Category string `json:"category"` // as labelled: exchange (the OTC desk too), mixing_service, defi_bridge
	// Address is the service's labelled address, where a trace that
	// stops at services records the exit: for an exchange its hot wallet,
	// which the deposit address Via sweeps into at SweptBlock.
	Address    string `json:"address"`
	Via        string `json:"via,omitempty"`
	SweptBlock uint64 `json:"swept_block,omitempty"`
	Asset      string `json:"asset"`
	Amount     Amount `json:"amount"`
	Memo       string `json:"memo,omitempty"`   // bridge: the THORChain memo
	Beyond     string `json:"beyond,omitempty"` // mixer: the fresh address the note was withdrawn to
	CanFreeze  bool   `json:"can_freeze"`       // the venue can freeze what arrived
}

// DepositAccount is one exchange deposit address the thief paid.
type DepositAccount struct {
	Deposit  string   `json:"deposit"`
	Customer string   `json:"customer"` // the exchange's name for the account
	Payers   []string `json:"payers"`
}

// Location is where stolen value rests at the end.
type Location struct {
	Kind      string `json:"kind"`    // exit, holding, fees
	Address   string `json:"address"` // the service (exit) or the holder; empty for fees
	Service   string `json:"service,omitempty"`
	Category  string `json:"category,omitempty"`
	Asset     string `json:"asset"`
	Amount    Amount `json:"amount"`
	Freezable bool   `json:"freezable"` // by the venue or the asset's issuer
}

// WriteJSON writes the truth, indented.
func (t *Truth) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

// Asset returns the asset of a symbol.
func (t *Truth) Asset(symbol string) (Asset, bool) {
	for _, a := range t.Assets {
		if a.Symbol == symbol {
			return a, true
		}
	}
	return Asset{}, false
}

// AssetByCAIP returns the asset of a CAIP-19 id as chainhound writes it.
func (t *Truth) AssetByCAIP(id string) (Asset, bool) {
	for _, a := range t.Assets {
		if a.CAIP19 == id {
			return a, true
		}
	}
	return Asset{}, false
}

// Value prices amount of the asset symbol in wei (rounded down).
func (t *Truth) Value(symbol string, amount *big.Int) *big.Int {
	a, ok := t.Asset(symbol)
	if !ok {
		return new(big.Int)
	}
	v := new(big.Int).Mul(amount, &a.WeiPerUnit.Int)
	return v.Quo(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(a.Decimals)), nil))
}

// Conserved checks, per asset, that the stolen value plus what swaps
// bought equals the locations plus what swaps sold.
func (t *Truth) Conserved() error {
	in, out := map[string]*big.Int{}, map[string]*big.Int{}
	add := func(m map[string]*big.Int, asset string, v *big.Int) {
		if m[asset] == nil {
			m[asset] = new(big.Int)
		}
		m[asset].Add(m[asset], v)
	}
	for _, a := range t.Stolen {
		add(in, a.Asset, &a.Amount.Int)
	}
	for _, a := range t.SwappedIn {
		add(in, a.Asset, &a.Amount.Int)
	}
	for _, l := range t.Locations {
		add(out, l.Asset, &l.Amount.Int)
	}
	for _, a := range t.SwappedOut {
		add(out, a.Asset, &a.Amount.Int)
	}
	for _, k := range sortedNames(in) {
		o := out[k]
		if o == nil {
			o = new(big.Int)
		}
		if in[k].Cmp(o) != 0 {
			return fmt.Errorf("heist: %s: stolen plus bought %s, located plus sold %s", k, in[k], o)
		}
	}
	for _, k := range sortedNames(out) {
		if in[k] == nil && out[k].Sign() != 0 {
			return fmt.Errorf("heist: %s located but never stolen", k)
		}
	}
	return nil
}
