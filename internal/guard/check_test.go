package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
	"github.com/chainhound/chainhound/internal/intel"
)

var (
	bybitSafe  = common.HexToAddress("0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4")
	implant    = common.HexToAddress("0x96221423681A6d52E184D440a8eFCEbB105C7242")
	multiSend  = common.HexToAddress("0x8D29bE29923b68abfDD21e541b9374737B49cdAD") // MultiSend 1.1.1
	usdt       = common.HexToAddress("0xdAC17F958D2ee523a2206206994597C13D831ec7")
	receiver   = common.HexToAddress("0x00000000000000000000000000000000000000b0")
	v111       = safe.Version{Major: 1, Minor: 1, Patch: 1}
	mainnet    = big.NewInt(1)
	ownerA     = common.HexToAddress("0x00000000000000000000000000000000000000a1")
	ownerB     = common.HexToAddress("0x00000000000000000000000000000000000000a2")
	ownerNew   = common.HexToAddress("0x00000000000000000000000000000000000000a3")
	sanctioned = common.HexToAddress("0x098B716B8Aaf21512996dC57EB0615e2383E2f96")
)

func pack(t testing.TB, sig string, args ...[]byte) []byte {
	b, err := calldata.Pack(sig, args...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func w(a common.Address) []byte { return common.LeftPadBytes(a[:], 32) }
func n(x int64) []byte          { return common.LeftPadBytes(big.NewInt(x).Bytes(), 32) }

// stsJSON renders a transaction as the Transaction Service does, with the
// safeTxHash computed for version v (so inference and matching are
// exercised on the real path).
func stsJSON(t testing.TB, v safe.Version, to common.Address, value int64, data []byte, op int, nonce int64, executed bool) map[string]any {
	tx := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: to, Value: big.NewInt(value), Data: data, Operation: safe.Operation(op),
		SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: big.NewInt(nonce)}}
	h, err := safe.TxHashes(v, mainnet, bybitSafe, &tx.Tx)
	if err != nil {
		t.Fatal(err)
	}
	var d any
	if len(data) > 0 {
		d = fmt.Sprintf("0x%x", data)
	}
	return map[string]any{"safe": bybitSafe.Hex(), "to": to.Hex(), "value": fmt.Sprint(value), "data": d, "operation": op,
		"gasToken": "0x0000000000000000000000000000000000000000", "safeTxGas": 0, "baseGas": 0, "gasPrice": "0",
		"refundReceiver": "0x0000000000000000000000000000000000000000", "nonce": nonce, "safeTxHash": h.Safe.Hex(),
		"isExecuted": executed, "confirmations": []map[string]any{{"owner": ownerA.Hex()}, {"owner": ownerB.Hex()}}}
}

// A history shaped like a treasury Safe's: plain ETH and ERC-20 transfers,
// old MultiSend batches by DELEGATECALL to the official MultiSend 1.1.1,
// an owner change, a rejected duplicate, and one Bybit-class transaction.
// Only that one may be critical.
func TestHistoryOnlyAttackIsCritical(t *testing.T) {
	var list []map[string]any
	nonce := int64(0)
	for i := 0; i < 12; i++ {
		list = append(list, stsJSON(t, v111, receiver, 1e18+int64(i), nil, 0, nonce, true))
		nonce++
		list = append(list, stsJSON(t, v111, usdt, 0, calldata.Transfer(receiver, big.NewInt(5_000_000+int64(i))), 0, nonce, true))
		nonce++
		batch := calldata.MultiSend(
			calldata.Packed{Op: safe.Call, To: usdt, Data: calldata.Transfer(receiver, big.NewInt(7))},
			calldata.Packed{Op: safe.Call, To: receiver, Value: big.NewInt(3)},
			calldata.Packed{Op: safe.Call, To: usdt, Data: pack(t, "approve(address,uint256)", w(receiver), n(1))},
		)
		list = append(list, stsJSON(t, v111, multiSend, 0, batch, 1, nonce, true))
		nonce++
	}
	list = append(list, stsJSON(t, v111, bybitSafe, 0, pack(t, "swapOwner(address,address,address)", w(Sentinel), w(ownerA), w(ownerNew)), 0, nonce, true))
	list = append(list, stsJSON(t, v111, bybitSafe, 0, nil, 0, nonce, false)) // rejection for the same nonce
	nonce++
	attack := stsJSON(t, v111, implant, 0, calldata.Transfer(common.HexToAddress("0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516"), big.NewInt(0)), 1, nonce, true)
	list = append(list, attack)
	page, _ := json.Marshal(map[string]any{"count": len(list), "next": nil, "previous": nil, "results": list})
	txs, err := ParseSTS(page)
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Known: deployments.Official()}
	res, err := svc.CheckSafe(context.Background(), SafeRequest{Txs: txs}) // no version: inferred from each safeTxHash
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Reports {
		// 1.0.0 to 1.2.0 hash alike, so inference names one of them.
		v, _ := safe.ParseVersion(r.Version)
		if v.HasChainID() || v.UsesDataGas() || r.VersionSource != "inferred" || r.HashMatches == nil || !*r.HashMatches {
			t.Fatalf("tx %d: version %s (%s), hash matches %v", i, r.Version, r.VersionSource, r.HashMatches)
		}
		m, _ := Max(r.Findings)
		isAttack := i == len(res.Reports)-1
		if (m == Critical) != isAttack {
			t.Errorf("tx %d (nonce %s): max severity %s, findings %+v", i, r.Nonce, m, r.Findings)
		}
		if i == len(res.Reports)-3 && (m != High || !hasCode(r.Findings, High, "owner-change")) {
			t.Errorf("owner change: %+v", r.Findings)
		}
	}
	if !hasCode(res.Reports[len(res.Reports)-2].Findings, Warning, "nonce-duplicate") {
		t.Error("second transaction for one nonce not flagged")
	}
	if res.MaxSeverity != "critical" {
		t.Errorf("max %s", res.MaxSeverity)
	}
}

func TestHashMismatchIsCritical(t *testing.T) {
	j := stsJSON(t, v111, receiver, 1, nil, 0, 3, false)
	j["value"] = "2" // the service shows one thing, the hash commits to another
	b, _ := json.Marshal(j)
	txs, err := ParseSTS(b)
	if err != nil {
		t.Fatal(err)
	}
	c := &Checker{Known: deployments.Official()}
	r, err := c.Check(context.Background(), &txs[0], mainnet, VersionChoice{v111, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	if !hasCode(r.Findings, Critical, "hash-mismatch") || *r.HashMatches {
		t.Errorf("%+v", r.Findings)
	}
	// Without a version the mismatch cannot be resolved to any version.
	if _, err := c.Check(context.Background(), &txs[0], mainnet, VersionChoice{}); err == nil || !strings.Contains(err.Error(), "no known version reproduces") {
		t.Errorf("inference with a lying hash: %v", err)
	}
}

// In a list without --version, a transaction whose safeTxHash no version
// reproduces is reported as a mismatch (critical), with the version the
// rest of the Safe's transactions agree on, instead of failing the list.
func TestListMismatchWithInferredVersion(t *testing.T) {
	good := stsJSON(t, v111, receiver, 1, nil, 0, 3, true)
	bad := stsJSON(t, v111, receiver, 1, nil, 0, 4, false)
	bad["value"] = "1000000000000000000000" // shown; the hash commits to 1 wei
	noHash := stsJSON(t, v111, receiver, 1, nil, 0, 5, false)
	delete(noHash, "safeTxHash")
	b, _ := json.Marshal([]any{good, bad, noHash})
	txs, err := ParseSTS(b)
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&Service{Known: deployments.Official()}).CheckSafe(context.Background(), SafeRequest{Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if !hasCode(res.Reports[1].Findings, Critical, "hash-mismatch") || hasCode(res.Reports[0].Findings, Critical, "hash-mismatch") {
		t.Errorf("%+v / %+v", res.Reports[0].Findings, res.Reports[1].Findings)
	}
	if res.Reports[2].VersionSource != "inferred" || res.Reports[2].HashMatches != nil {
		t.Errorf("transaction without a hash: %+v", res.Reports[2])
	}
}

func TestParseSTSErrors(t *testing.T) {
	good := stsJSON(t, v111, receiver, 1, nil, 0, 3, false)
	mutate := func(k string, v any) string {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for name, c := range map[string]struct{ in, want string }{
		"empty":             {"", "empty input"},
		"not json":          {"hello", "starts with"},
		"value wrong type":  {mutate("value", true), "field value"},
		"value negative":    {mutate("value", "-1"), "field value"},
		"operation 2":       {mutate("operation", 2), "neither 0 (call) nor 1"},
		"odd hex":           {mutate("data", "0xabc"), "odd number of digits"},
		"bad hex":           {mutate("data", "0xzz"), "field data"},
		"no prefix":         {mutate("data", "abcd"), "missing 0x"},
		"short address":     {mutate("to", "0x1234"), "field to"},
		"address number":    {mutate("to", 5), "field to"},
		"missing nonce":     {mutate("nonce", nil), "field nonce: missing"},
		"bad safeTxHash":    {mutate("safeTxHash", "0x12"), "field safeTxHash"},
		"confirmations":     {mutate("confirmations", "x"), "field confirmations"},
		"results not array": {`{"count":1,"results":{}}`, "results"},
		"empty list":        {`[]`, "no transactions"},
		"second bad":        {"[" + mutate("value", "1") + "," + mutate("operation", "x") + "]", "transaction 1: field operation"},
	} {
		_, err := ParseSTS([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, c.want)
		}
	}
	mixed := `[{"txType":"ETHEREUM_TRANSACTION","from":"0x1","transfers":[]},` + mutate("txType", "MULTISIG_TRANSACTION") + `,{"txType":"MODULE_TRANSACTION","module":"0x2"}]`
	if txs, skipped, err := ParseSTSCounted([]byte(mixed)); err != nil || len(txs) != 1 || skipped != 2 {
		t.Errorf("all-transactions listing: %d txs, %d skipped, %v", len(txs), skipped, err)
	}
	if _, err := ParseSTS([]byte(`[{"txType":"ETHEREUM_TRANSACTION"}]`)); err == nil || !strings.Contains(err.Error(), "no multisig transactions") {
		t.Errorf("only incoming transfers: %v", err)
	}
	for name, in := range map[string]string{"object": mutate("value", "1"), "array": "[" + mutate("value", "1") + "]", "page": `{"count":1,"results":[` + mutate("value", "1") + `]}`} {
		txs, err := ParseSTS([]byte(in))
		if err != nil || len(txs) != 1 || txs[0].Value.Int64() != 1 || len(txs[0].Confirmations) != 2 {
			t.Errorf("%s: %v %+v", name, err, txs)
		}
	}
}

func TestPolicyLargeTransaction(t *testing.T) {
	p, err := ParsePolicy([]byte("large_transactions:\n  - asset: native\n    threshold: \"10000000000000000000\"\n    approvals: 3\n  - asset: \""+usdt.Hex()+"\"\n    threshold: \"1000\"\n    approvals: 2\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	c := &Checker{Known: deployments.Official(), Policy: p}
	large := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: receiver, Value: new(big.Int).Mul(big.NewInt(11), big.NewInt(1e18)), Nonce: big.NewInt(1)}}
	h, err := safe.TxHashes(v111, mainnet, bybitSafe, &large.Tx)
	if err != nil {
		t.Fatal(err)
	}
	// Confirmations as the Transaction Service gives them: an ECDSA
	// signature over the safeTxHash (v 27/28) and an eth_sign one (v+4
	// over the EIP-191 hash of it).
	sign := func(ethSign bool) {
		k, _ := crypto.GenerateKey()
		digest := h.Safe[:]
		if ethSign {
			digest = crypto.Keccak256(append([]byte("\x19Ethereum Signed Message:\n32"), h.Safe[:]...))
		}
		sig, err := crypto.Sign(digest, k)
		if err != nil {
			t.Fatal(err)
		}
		sig[64] += 27
		if ethSign {
			sig[64] += 4
		}
		large.Confirmations = append(large.Confirmations, crypto.PubkeyToAddress(k.PublicKey))
		large.Signatures = append(large.Signatures, sig)
	}
	sign(false)
	sign(true)
	r, err := c.Check(context.Background(), large, mainnet, VersionChoice{v111, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	if !hasCode(r.Findings, High, "policy-large-approvals") {
		t.Errorf("11 ETH with 2 of 3 required approvals: %+v", r.Findings)
	}
	// A signature by one key listed under another owner does not count.
	large.Confirmations = append(large.Confirmations, ownerNew)
	large.Signatures = append(large.Signatures, large.Signatures[0])
	r, _ = c.Check(context.Background(), large, mainnet, VersionChoice{v111, "flag"})
	if !hasCode(r.Findings, High, "policy-large-approvals") {
		t.Errorf("a copied signature counted: %+v", r.Findings)
	}
	large.Confirmations, large.Signatures = large.Confirmations[:2], large.Signatures[:2]
	sign(false)
	r, _ = c.Check(context.Background(), large, mainnet, VersionChoice{v111, "flag"})
	if hasCode(r.Findings, High, "policy-large-approvals") || !hasCode(r.Findings, Info, "policy-large-approved") {
		t.Errorf("with 3 approvals: %+v", r.Findings)
	}
	tok := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: usdt, Value: new(big.Int), Nonce: big.NewInt(1), Data: calldata.Transfer(receiver, big.NewInt(1001))}}
	r, _ = c.Check(context.Background(), tok, mainnet, VersionChoice{v111, "flag"})
	if !hasCode(r.Findings, High, "policy-large-approvals") {
		t.Errorf("token above threshold: %+v", r.Findings)
	}
	for _, bad := range []string{"large_transactions:\n  - asset: gold\n    threshold: \"1\"\n    approvals: 1\n", "large_transactions:\n  - asset: native\n    threshold: \"-1\"\n    approvals: 1\n", "large_transactions:\n  - asset: native\n    threshold: \"1\"\n    approvals: 0\n", "unknown: 1\n"} {
		if _, err := ParsePolicy([]byte(bad), "bad"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestScreeningThroughIntel(t *testing.T) {
	ix := intel.NewIndex()
	ix.Add(&intel.Tag{Subject: intel.Account("eip155:1", strings.ToLower(sanctioned.Hex())), Label: "Lazarus Group", Category: "sanction", Source: "https://sanctionssearch.ofac.treas.gov/", Origin: "ofac-sdn"})
	c := &Checker{Known: deployments.Official(), Screener: IntelScreener{Index: ix}}
	tx := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: usdt, Value: new(big.Int), Nonce: big.NewInt(1), Data: pack(t, "approve(address,uint256)", w(sanctioned), n(5))}}
	r, err := c.Check(context.Background(), tx, mainnet, VersionChoice{v111, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || r.Findings[0].Severity != Critical || r.Findings[0].Code != "screening" || !strings.Contains(r.Findings[0].Source, "ofac") {
		t.Errorf("%+v", r.Findings)
	}
}

func TestNonceGapAgainstCurrent(t *testing.T) {
	mk := func(nonce int64) Tx {
		return Tx{Safe: bybitSafe, Tx: safe.Tx{To: receiver, Value: new(big.Int), Nonce: big.NewInt(nonce)}}
	}
	txs := []Tx{mk(5), mk(7), mk(3)}
	rs := make([]*Report, len(txs))
	for i := range rs {
		rs[i] = &Report{}
	}
	NonceFindings(rs, txs, big.NewInt(5))
	if len(rs[0].Findings) != 0 || !hasCode(rs[1].Findings, Warning, "nonce-gap") || !hasCode(rs[2].Findings, Warning, "nonce-used") {
		t.Errorf("%+v / %+v / %+v", rs[0].Findings, rs[1].Findings, rs[2].Findings)
	}
}

func TestUnknownVersionRefused(t *testing.T) {
	svc := &Service{Known: deployments.Official()}
	txs := []Tx{{Safe: bybitSafe, Tx: safe.Tx{To: receiver, Value: new(big.Int), Nonce: big.NewInt(1)}}}
	if _, err := svc.CheckSafe(context.Background(), SafeRequest{Txs: txs, Version: "1.6.0"}); err == nil || !strings.Contains(err.Error(), "unknown Safe version") {
		t.Errorf("1.6.0: %v", err)
	}
	if _, err := svc.CheckSafe(context.Background(), SafeRequest{Txs: txs}); err == nil || !strings.Contains(err.Error(), "--version") {
		t.Errorf("no version, no hash: %v", err)
	}
	if _, err := svc.CheckSafe(context.Background(), SafeRequest{Txs: txs, Version: "1.3.0"}); err == nil || !strings.Contains(err.Error(), "chain id") {
		t.Errorf("1.3.0 without chain id: %v", err)
	}
}

// BenchmarkCheck measures hashing plus decoding plus judging of one
// transaction: a MultiSend batch of three calls by DELEGATECALL.
func BenchmarkCheck(b *testing.B) {
	batch := calldata.MultiSend(
		calldata.Packed{Op: safe.Call, To: usdt, Data: calldata.Transfer(receiver, big.NewInt(7))},
		calldata.Packed{Op: safe.Call, To: receiver, Value: big.NewInt(3)},
		calldata.Packed{Op: safe.Call, To: bybitSafe, Data: pack(b, "changeThreshold(uint256)", n(2))},
	)
	tx := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: multiSend, Value: new(big.Int), Data: batch, Operation: safe.DelegateCall,
		SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: big.NewInt(71)}}
	c := &Checker{Known: deployments.Official()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Check(ctx, tx, mainnet, VersionChoice{v111, "flag"}); err != nil {
			b.Fatal(err)
		}
	}
}
