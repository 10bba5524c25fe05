package guard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/chainhound/chainhound/internal/guard/safe"
)

// Tx is a Safe transaction to check: the signed fields, the Safe it
// belongs to, and what the transaction service (or whoever supplied it)
// claims about it.
type Tx struct {
	Safe common.Address
	safe.Tx
	// ClaimedSafeTxHash is the safeTxHash the supplier gave, zero if none.
	ClaimedSafeTxHash common.Hash
	// Confirmations are the owners that have signed, per the supplier,
	// and Signatures their signatures (same index; nil when the JSON has
	// none). The policy counts only those that verify.
	Confirmations []common.Address
	Signatures    [][]byte
	// Executed is the service's isExecuted (nil when absent).
	Executed *bool
	// ChainID and Version, when the JSON carries them (non-standard fields
	// "chainId" and "version"); flags and RPC override them.
	ChainID *big.Int
	Version string
}

// stsTx mirrors the Safe Transaction Service's multisig transaction JSON.
// Every field is kept raw and typed by hand, so a wrong type is reported
// with the field's name rather than as a generic unmarshal error.
type stsTx map[string]json.RawMessage

// ParseSTS reads Safe Transaction Service JSON: one transaction object, a
// bare array of them, or the service's paginated {"count":…,"results":[…]}
// page. Errors name the transaction (by index) and the field. Entries of
// the all-transactions listing that are not multisig transactions
// (txType ETHEREUM_TRANSACTION, MODULE_TRANSACTION) are skipped.
func ParseSTS(b []byte) ([]Tx, error) {
	txs, _, err := ParseSTSCounted(b)
	return txs, err
}

// ParseSTSCounted is ParseSTS that also says how many entries it skipped
// for not being multisig transactions.
func ParseSTSCounted(b []byte) ([]Tx, int, error) {
	txs, skipped, err := parseSTS(b)
	if err == nil && len(txs) == 0 {
		err = fmt.Errorf("no multisig transactions in the input (%d other entries skipped)", skipped)
	}
	return txs, skipped, err
}

func parseSTS(b []byte) ([]Tx, int, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, 0, fmt.Errorf("empty input: want a transaction object, an array or a {\"results\":[…]} page")
	}
	var raws []stsTx
	switch b[0] {
	case '[':
		if err := json.Unmarshal(b, &raws); err != nil {
			return nil, 0, fmt.Errorf("transaction list: %w", err)
		}
	case '{':
		var obj stsTx
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, 0, fmt.Errorf("transaction JSON: %w", err)
		}
		if res, ok := obj["results"]; ok {
			if err := json.Unmarshal(res, &raws); err != nil {
				return nil, 0, fmt.Errorf("paginated page: field results: want an array of transactions: %w", err)
			}
		} else {
			raws = []stsTx{obj}
		}
	default:
		return nil, 0, fmt.Errorf("transaction JSON starts with %q: want an object or an array", b[0])
	}
	if len(raws) == 0 {
		return nil, 0, fmt.Errorf("no transactions in the input")
	}
	var out []Tx
	skipped := 0
	for i, r := range raws {
		if raw, ok := r["txType"]; ok {
			var typ string
			if err := json.Unmarshal(raw, &typ); err != nil {
				return nil, 0, fmt.Errorf("transaction %d: field txType: want a string: %s", i, short(raw))
			}
			if typ != "MULTISIG_TRANSACTION" {
				skipped++
				continue
			}
		}
		t, err := r.decode()
		if err != nil {
			if len(raws) > 1 {
				return nil, 0, fmt.Errorf("transaction %d: %w", i, err)
			}
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, skipped, nil
}

func (r stsTx) decode() (Tx, error) {
	var t Tx
	var err error
	if r == nil {
		return t, fmt.Errorf("null transaction")
	}
	if t.Safe, err = r.addr("safe", true); err != nil {
		return t, err
	}
	if t.To, err = r.addr("to", true); err != nil {
		return t, err
	}
	if t.GasToken, err = r.addr("gasToken", false); err != nil {
		return t, err
	}
	if t.RefundReceiver, err = r.addr("refundReceiver", false); err != nil {
		return t, err
	}
	for _, f := range []struct {
		name string
		dst  **big.Int
		req  bool
	}{{"value", &t.Value, true}, {"safeTxGas", &t.SafeTxGas, false}, {"baseGas", &t.BaseGas, false}, {"gasPrice", &t.GasPrice, false}, {"nonce", &t.Nonce, true}} {
		if *f.dst, err = r.uint(f.name, f.req); err != nil {
			return t, err
		}
	}
	if t.BaseGas.Sign() == 0 { // services for pre-1.0.0 Safes call it dataGas
		if t.BaseGas, err = r.uint("dataGas", false); err != nil {
			return t, err
		}
	}
	op, err := r.uint("operation", true)
	if err != nil {
		return t, err
	}
	if !op.IsUint64() || op.Uint64() > 1 {
		return t, fmt.Errorf("field operation: %s is neither 0 (call) nor 1 (delegatecall)", op)
	}
	t.Operation = safe.Operation(op.Uint64())
	if t.Data, err = r.hex("data"); err != nil {
		return t, err
	}
	if raw, ok := r["safeTxHash"]; ok && string(raw) != "null" {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return t, fmt.Errorf("field safeTxHash: want a 0x-prefixed string: %s", short(raw))
		}
		h, err := hexutil.Decode(s)
		if err != nil || len(h) != 32 {
			return t, fmt.Errorf("field safeTxHash %q: want 32 bytes of 0x-prefixed hex", s)
		}
		t.ClaimedSafeTxHash = common.BytesToHash(h)
	}
	if raw, ok := r["confirmations"]; ok && string(raw) != "null" {
		var cs []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &cs); err != nil {
			return t, fmt.Errorf("field confirmations: want an array of objects: %w", err)
		}
		for j, c := range cs {
			a, err := stsTx(c).addr("owner", true)
			if err != nil {
				return t, fmt.Errorf("confirmations[%d]: %w", j, err)
			}
			var sig []byte
			if raw, ok := c["signature"]; ok && string(raw) != "null" {
				var str string
				if err := json.Unmarshal(raw, &str); err != nil {
					return t, fmt.Errorf("confirmations[%d]: field signature: want a hex string: %s", j, short(raw))
				}
				if sig, err = ParseHex(str); err != nil {
					return t, fmt.Errorf("confirmations[%d]: field signature: %w", j, err)
				}
			}
			t.Confirmations = append(t.Confirmations, a)
			t.Signatures = append(t.Signatures, sig)
		}
	}
	if raw, ok := r["isExecuted"]; ok && string(raw) != "null" {
		var e bool
		if err := json.Unmarshal(raw, &e); err != nil {
			return t, fmt.Errorf("field isExecuted: want true or false: %s", short(raw))
		}
		t.Executed = &e
	}
	if t.ChainID, err = r.uint("chainId", false); err != nil {
		return t, err
	}
	if t.ChainID.Sign() == 0 {
		t.ChainID = nil
	}
	if raw, ok := r["version"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &t.Version); err != nil {
			return t, fmt.Errorf("field version: want a string such as \"1.3.0\": %s", short(raw))
		}
	}
	return t, nil
}

func (r stsTx) addr(name string, required bool) (common.Address, error) {
	raw, ok := r[name]
	if !ok || string(raw) == "null" {
		if required {
			return common.Address{}, fmt.Errorf("field %s: missing", name)
		}
		return common.Address{}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return common.Address{}, fmt.Errorf("field %s: want an address string, got %s", name, short(raw))
	}
	a, err := ParseAddress(s)
	if err != nil {
		return common.Address{}, fmt.Errorf("field %s: %w", name, err)
	}
	return a, nil
}

// uint reads a non-negative integer given as a decimal string (the
// service's form) or a JSON number; absent means 0 unless required.
func (r stsTx) uint(name string, required bool) (*big.Int, error) {
	raw, ok := r[name]
	if !ok || string(raw) == "null" {
		if required {
			return nil, fmt.Errorf("field %s: missing", name)
		}
		return new(big.Int), nil
	}
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
	}
	x, err := ParseUint(s)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", name, err)
	}
	return x, nil
}

func (r stsTx) hex(name string) ([]byte, error) {
	raw, ok := r[name]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("field %s: want a 0x-prefixed hex string, got %s", name, short(raw))
	}
	b, err := ParseHex(s)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", name, err)
	}
	return b, nil
}

// ParseAddress reads a 0x-prefixed 20-byte hex address.
func ParseAddress(s string) (common.Address, error) {
	b, err := ParseHex(s)
	if err != nil {
		return common.Address{}, err
	}
	if len(b) != 20 {
		return common.Address{}, fmt.Errorf("address %q: %d bytes, want 20", s, len(b))
	}
	return common.BytesToAddress(b), nil
}

// ParseHex reads 0x-prefixed hex with an even number of digits; "" and
// "0x" are empty.
func ParseHex(s string) ([]byte, error) {
	if s == "" || s == "0x" || s == "0X" {
		return nil, nil
	}
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return nil, fmt.Errorf("hex %q: missing 0x prefix", short([]byte(s)))
	}
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("hex %q: odd number of digits (%d)", short([]byte(s)), len(s)-2)
	}
	b, err := hexutil.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("hex %q: %w", short([]byte(s)), err)
	}
	return b, nil
}

// ParseUint reads a non-negative integer below 2^256: decimal digits, or
// 0x-prefixed hex digits. Nothing else: no sign, no underscores, no octal
// or binary prefixes (big.Int's base-0 parsing accepts "+5" and "0x_1").
func ParseUint(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	digits, base := s, 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		digits, base = s[2:], 16
	}
	ok := digits != ""
	for _, r := range digits {
		if !(r >= '0' && r <= '9' || base == 16 && (r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F')) {
			ok = false
			break
		}
	}
	var x *big.Int
	if ok {
		x, ok = new(big.Int).SetString(digits, base)
	}
	if !ok {
		return nil, fmt.Errorf("%q is not an integer (decimal, or 0x-prefixed hex)", s)
	}
	if x.BitLen() > 256 {
		return nil, fmt.Errorf("%s is not a uint256", s)
	}
	return x, nil
}

func short(b []byte) string {
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
