package thorchain

import (
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

// The examples are THORChain's own, from docs/concepts/memos.md and
// memo-length-reduction.md in the thornode repository, except where noted.
func TestParseDocumentedExamples(t *testing.T) {
	btc := Asset{"BTC", "BTC", Layer1}
	eth := Asset{"ETH", "ETH", Layer1}
	big := func(s string) *big.Int { v, _ := new(big.Int).SetString(s, 10); return v }
	for _, c := range []struct {
		memo string
		want Memo
	}{
		{"SWAP:ETH.ETH:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0",
			Memo{Action: Swap, Asset: eth, Dest: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", DestKind: AddressDest, Checked: true}},
		{"SWAP:ETH.ETH:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0:10000000/3/0:t:10",
			Memo{Action: Swap, Asset: eth, Dest: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", DestKind: AddressDest, Checked: true,
				Limit: big("10000000"), Interval: 3, Streaming: true, Affiliates: []string{"t"}, AffiliateBps: []uint64{10}}},
		{"s:ETH.ETH:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0:1e6/3/0:t:10",
			Memo{Action: Swap, Asset: eth, Dest: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", DestKind: AddressDest, Checked: true,
				Limit: big("1000000"), Interval: 3, Streaming: true, Affiliates: []string{"t"}, AffiliateBps: []uint64{10}}},
		{"=:BTC.BTC:bc1q6527vxxqjpq80la2l0sw7hay3lj6dz07zs6gzl/0x7a093cebfa77403672d68e1c22d0681400a36682",
			Memo{Action: Swap, Asset: btc, Dest: "bc1q6527vxxqjpq80la2l0sw7hay3lj6dz07zs6gzl", DestKind: AddressDest, Checked: true,
				Refund: "0x7a093cebfa77403672d68e1c22d0681400a36682"}},
		// The shape of the quotes THORChain returned for the Bybit swaps:
		// shortened asset, bech32 destination, limit, streaming (BIP-173 test vector as address).
		{"=:b:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4:1e6/1/0",
			Memo{Action: Swap, Asset: btc, Dest: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", DestKind: AddressDest, Checked: true,
				Limit: big("1000000"), Interval: 1, Streaming: true}},
		{"=:r:thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym:19779138111",
			Memo{Action: Swap, Asset: Asset{"THOR", "RUNE", Layer1}, Dest: "thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym", DestKind: AddressDest,
				Limit: big("19779138111")}},
		{"=:BSC.BNB:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0:544e6/2/6",
			Memo{Action: Swap, Asset: Asset{"BSC", "BNB", Layer1}, Dest: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", DestKind: AddressDest, Checked: true,
				Limit: big("544000000"), Interval: 2, Quantity: 6, Streaming: true}},
		{"=:BTC~BTC:thor1g6pnmnyeg48yc3lg796plt0uw50qpp7humfggz:1e6/1/0:dx:10",
			Memo{Action: Swap, Asset: Asset{"BTC", "BTC", Trade}, Dest: "thor1g6pnmnyeg48yc3lg796plt0uw50qpp7humfggz", DestKind: AddressDest,
				Limit: big("1000000"), Interval: 1, Streaming: true, Affiliates: []string{"dx"}, AffiliateBps: []uint64{10}}},
		{"=:BTC-BTC:thor1g6pnmnyeg48yc3lg796plt0uw50qpp7humfggz:1e6/1/0:dx:10",
			Memo{Action: Swap, Asset: Asset{"BTC", "BTC", Secured}, Dest: "thor1g6pnmnyeg48yc3lg796plt0uw50qpp7humfggz", DestKind: AddressDest,
				Limit: big("1000000"), Interval: 1, Streaming: true, Affiliates: []string{"dx"}, AffiliateBps: []uint64{10}}},
		{"=:ETH.ETH:0x3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430::t1/dx/ss:10/20/30",
			Memo{Action: Swap, Asset: eth, Dest: "0x3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430", DestKind: AddressDest, Checked: true,
				Affiliates: []string{"t1", "dx", "ss"}, AffiliateBps: []uint64{10, 20, 30}}},
		{"=:e:dx:161e6:t:10", // memo-length-reduction: THORName destination
			Memo{Action: Swap, Asset: eth, Dest: "dx", DestKind: NameDest, Limit: big("161000000"), Affiliates: []string{"t"}, AffiliateBps: []uint64{10}}},
		{"=:ETH.USDT:dx:100e7:t:10",
			Memo{Action: Swap, Asset: Asset{"ETH", "USDT", Layer1}, Dest: "dx", DestKind: NameDest, Limit: big("1000000000"), Affiliates: []string{"t"}, AffiliateBps: []uint64{10}}},
		{"=<:ETH.ETH:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0:1e8/43200/0",
			Memo{Action: LimitSwap, Asset: eth, Dest: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", DestKind: AddressDest, Checked: true,
				Limit: big("100000000"), Interval: 43200, Streaming: true}},
		{"SWAP:ETH.USDT-0xdac17f958d2ee523a2206206994597c13d831ec7:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0:10012345678:thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym:10",
			Memo{Action: Swap, Asset: Asset{"ETH", "USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7", Layer1}, Dest: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", DestKind: AddressDest, Checked: true,
				Limit: big("10012345678"), Affiliates: []string{"thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym"}, AffiliateBps: []uint64{10}}},
		{"ADD:BTC.BTC", Memo{Action: AddLiquidity, Asset: btc}},
		{"+:BTC/BTC::t:10", Memo{Action: AddLiquidity, Asset: Asset{"BTC", "BTC", Synth}, Affiliates: []string{"t"}, AffiliateBps: []uint64{10}}},
		{"WITHDRAW:BTC.BTC:10000", Memo{Action: WithdrawLiquid, Asset: btc, BasisPoints: 10000}},
		{"wd:BTC.BTC:5000:BTC.BTC", Memo{Action: WithdrawLiquid, Asset: btc, BasisPoints: 5000}},
		{"-:ETH/ETH:5000", Memo{Action: WithdrawLiquid, Asset: Asset{"ETH", "ETH", Synth}, BasisPoints: 5000}},
		{"DONATE:ETH.ETH", Memo{Action: Donate, Asset: eth}},
		{"TRADE+:thor1x2whgc2nt665y0kc44uywhynazvp0l8tp0vtu6", Memo{Action: TradeDeposit, Dest: "thor1x2whgc2nt665y0kc44uywhynazvp0l8tp0vtu6", DestKind: AddressDest}},
		{"SECURE-:bc1qp8278yutn09r2wu3jrc8xg2a7hgdgwv2gvsdyw", Memo{Action: SecureWithdraw, Dest: "bc1qp8278yutn09r2wu3jrc8xg2a7hgdgwv2gvsdyw", DestKind: AddressDest}},
		{"POOL-:10000:dx:10", Memo{Action: RunePoolWithdraw, BasisPoints: 10000}},
		{"TCY-:5000", Memo{Action: TCYUnstake, BasisPoints: 5000}},
		{"MIGRATE:3494355", Memo{Action: Migrate, Height: 3494355}},
		{"REFERENCE:BTC.BTC:=:ETH.ETH:0x1c7b17362c84287bd1184447e6dfeaf920c31bbe", Memo{Action: ReferenceWrite, Asset: btc}},
		{"R:20002", Memo{Action: ReferenceRead}},
		{"BOND:thor19m4kqulyqvya339jfja84h6qp8tkjgxuxa4n4a", Memo{Action: Bond, Dest: "thor19m4kqulyqvya339jfja84h6qp8tkjgxuxa4n4a", DestKind: AddressDest}},
		{"NOOP:NOVAULT", Memo{Action: NoOp}},
		{"LOAN+:BTC.BTC:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Memo{Action: LoanOpen, Asset: btc, Dest: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", DestKind: AddressDest, Checked: true}},
		{"OUT:9D2F3C5F0D2C4B7A1E6F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D", Memo{Action: Outbound, TxID: "9D2F3C5F0D2C4B7A1E6F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D"}},
		{"refund:0x9d2f3c5f0d2c4b7a1e6f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d", Memo{Action: Refund, TxID: "9D2F3C5F0D2C4B7A1E6F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D"}},
	} {
		got, err := Parse(c.memo)
		if err != nil {
			t.Errorf("%s: %v", c.memo, err)
			continue
		}
		c.want.Raw, c.want.Verb = c.memo, strings.SplitN(c.memo, ":", 2)[0]
		c.want.Params = strings.Split(c.memo, ":")[1:]
		if got.Action == Swap || got.Action == LimitSwap {
			if p := c.want.Params; len(p) > 5 {
				c.want.Aggregator = p[5:]
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.memo, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		memo string
		want error
		says string
	}{
		{"", ErrEmpty, "empty"},
		{"FROB:BTC.BTC", ErrVerb, `"FROB"`},
		{"=:" + strings.Repeat("x", 300), ErrTooLong, "302 bytes"},
		{"=", ErrField, "asset"},
		{"=:BTCBTC:bc1q", ErrAsset, "BTCBTC"},
		{"=:b:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", ErrDestination, "chain BTC"}, // checksum broken
		{"=:e:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade", ErrDestination, "chain ETH"},  // 39 digits
		{"=:b:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4:12x", ErrAmount, "field 3"},
		{"=:b:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4:1/2/x", ErrAmount, "streaming"},
		{"=:b:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4::a/b:1/2/3", ErrField, "3 fees for 2 affiliates"},
		{"=:b:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4::t:20000", ErrAmount, "basis points"},
		{"OUT:ABC", ErrField, "64 hex"},
		{"WITHDRAW:BTC.BTC:10001", ErrAmount, "0-10000"},
		{"MIGRATE:x", ErrField, "height"},
	} {
		_, err := Parse(c.memo)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: err = %v, want %v saying %q", c.memo, err, c.want, c.says)
		}
	}
}

// TestParseWithCheck: a custom check (regtest addresses here) replaces the
// mainnet one, and an address it rejects is an error naming it.
func TestParseWithCheck(t *testing.T) {
	check := func(c, a string) (string, bool, error) {
		if c == "BTC" && strings.HasPrefix(strings.ToLower(a), "bcrt1") {
			return strings.ToLower(a), true, nil
		}
		return "", false, errors.New("not a regtest address")
	}
	m, err := ParseWith("=:b:BCRT1QXYZ:5", Options{Check: check})
	if err != nil || m.Dest != "bcrt1qxyz" || !m.Checked || m.DestKind != AddressDest || m.Limit.Int64() != 5 {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := ParseWith("=:b:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Options{Check: check}); !errors.Is(err, ErrDestination) {
		t.Fatalf("mainnet address on a regtest check: %v", err)
	}
}

func TestParseAmountScientific(t *testing.T) {
	for in, want := range map[string]string{"1e8": "100000000", "51e7": "510000000", "161e6": "161000000", "1.5e2": "150", "1.25e1": "12", "0": "0", "007": "7", "1.9": "1", "2.": "2"} {
		got, err := parseAmount(in)
		if err != nil || got.String() != want {
			t.Errorf("%s: %v %v, want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"e5", "1e", "1e-3", "-5", "1e99", "0x10", "1.e", "+1e2", "1.2.3", ".", "1 e2"} {
		if v, err := parseAmount(in); err == nil {
			t.Errorf("%s: accepted as %v", in, v)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"=:b:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4:1e6/1/0:t:10",
		"SWAP:ETH.USDT-0xdac17f958d2ee523a2206206994597c13d831ec7:dx:100e7:t/dx:10/20",
		"OUT:9D2F3C5F0D2C4B7A1E6F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A7B8C9D",
		"~:name:BTC:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "m=<:1BTC.BTC:2ETH.ETH:1.5e3", "+:BTC/BTC::t:10",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			if m.Raw != s {
				t.Fatalf("Raw not kept on error")
			}
			return
		}
		if len(s) > MaxLen || m.Action == "" {
			t.Fatalf("accepted %q as %+v", s, m)
		}
		if m.Limit != nil && m.Limit.Sign() <= 0 {
			t.Fatalf("non-positive limit %v", m.Limit)
		}
		if m.Checked && m.DestKind != AddressDest {
			t.Fatalf("checked destination of kind %d", m.DestKind)
		}
		if m.Action == Outbound && len(m.TxID) != 64 {
			t.Fatalf("OUT without hash: %+v", m)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	memo := "=:BTC.BTC:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4:5e6/1/0:t:10"
	for b.Loop() {
		if _, err := Parse(memo); err != nil {
			b.Fatal(err)
		}
	}
}
