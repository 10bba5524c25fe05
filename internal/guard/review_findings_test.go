package guard

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http/httptest"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
	"github.com/chainhound/chainhound/internal/intel"
)

func criticals(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Severity == Critical {
			out = append(out, f.Code+": "+f.Message)
		}
	}
	return out
}

// Official mainnet MultiSend / CreateCall libraries that pre-date
// safe-deployments' current assets (Etherscan labels "Safe: Multi Send 1.1.0"
// etc.; the Safe web UI of 2019-2020 and the Contract Proxy Kit batch through
// 0xB522...): an ordinary batch through them must not be critical.
func TestReviewLegacyOfficialLibraries(t *testing.T) {
	libs := map[string]string{
		"MultiSend 1.1.0 (safe-react/CPK default)": "0xB522a9f781924eD250A11C54105E51840B138AdD",
		"MultiSend 1.0.0":                          "0xD4B7B161E4779629C2717385114Bf78D612aEa72",
		"MultiSend 0.1.0":                          "0xe74d6af1670fb6560dd61ee29eb57c7bc027ce4e",
		"CreateCall 1.1.0":                         "0x293ebbb6983cf50bdc3e0e4c363ab3e8bfc0f2d3",
	}
	packed := calldata.MultiSend(calldata.Packed{Op: safe.Call, To: usdt, Data: calldata.Transfer(receiver, big.NewInt(7))})
	// The reviewer sent the packed encoding to MultiSend 1.0.0 too; that
	// library takes abi.encode(operation, to, value, data) per entry (its
	// assembly reads 32-byte words; a packed batch makes it revert), so
	// the pre-1.1.0 ones get the encoding they execute.
	tuple := tupleBatch(t, safe.Call, usdt, calldata.Transfer(receiver, big.NewInt(7)))
	for name, a := range libs {
		batch := packed
		if calldata.TupleMultiSend[common.HexToAddress(a)] {
			batch = tuple
		}
		c := &Checker{Known: deployments.Official()}
		tx := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: common.HexToAddress(a), Value: new(big.Int), Data: batch, Operation: safe.DelegateCall, Nonce: big.NewInt(3)}}
		r, err := c.Check(context.Background(), tx, mainnet, VersionChoice{v111, "flag"})
		if err != nil {
			t.Fatal(err)
		}
		if cs := criticals(r); len(cs) > 0 {
			t.Errorf("%s %s: %v", name, a, cs)
		}
	}
}

// A Safe upgraded from 1.1.1 to 1.3.0 (the Safe UI offered it to every old
// Safe): its Transaction Service history holds safeTxHashes of both
// versions. Each claimed hash is reproduced by a known version, yet the
// older transactions are reported critical hash mismatches.
func TestReviewUpgradedSafeHistory(t *testing.T) {
	v130 := safe.Version{Major: 1, Minor: 3, Patch: 0}
	newer := stsJSON(t, v130, receiver, 1, nil, 0, 10, true) // after the upgrade (listing is newest first)
	older := stsJSON(t, v111, receiver, 2, nil, 0, 9, true)  // before it
	b, _ := json.Marshal(map[string]any{"count": 2, "results": []any{newer, older}})
	txs, err := ParseSTS(b)
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Known: deployments.Official()}
	res, err := svc.CheckSafe(context.Background(), SafeRequest{Txs: txs, ChainID: mainnet})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Reports {
		t.Logf("nonce %s: version %s (%s), max %s", r.Nonce, r.Version, r.VersionSource, r.MaxSeverity)
		if cs := criticals(r); len(cs) > 0 {
			t.Errorf("nonce %s: %v", r.Nonce, cs)
		}
	}
}

// Tag severity looks for "hack" etc. anywhere in category, label and the
// import's origin name: a victim's signer imported from a file named after
// the incident, or a security firm's label, becomes critical.
func TestReviewTagSeverityVictims(t *testing.T) {
	for _, tg := range []intel.IndexedTag{
		{Label: "Bybit Cold Wallet signer 1", Category: "victim", Origin: "labels:csv:bybit_hack_addresses.csv"},
		{Label: "Hacken: Deployer", Category: "security"},
		{Label: "ETHGlobal Hackathon prize wallet", Category: "donation"},
		{Label: "Exploit victim: Ronin Bridge", Category: "victim"},
	} {
		if s := tagSeverity(tg); s == Critical {
			t.Errorf("%+v -> %s", tg, s)
		}
	}
}

// The Transaction Service's all-transactions listing, as it serves it.
func TestReviewRealSTSShape(t *testing.T) {
	rej := stsJSON(t, v111, bybitSafe, 0, nil, 0, 70, true)
	rej["safeTxGas"] = 45746
	rej["baseGas"] = 0
	rej["dataDecoded"] = nil
	rej["origin"] = "{\"url\":\"https://app.safe.global\",\"name\":\"Safe{Wallet}\"}"
	rej["executionDate"] = "2025-02-21T14:13:35Z"
	rej["txType"] = "MULTISIG_TRANSACTION"
	rej["ethGasPrice"] = "1234"
	rej["fee"] = "100"
	rej["signatures"] = "0x00"
	rej["confirmations"] = []map[string]any{{"owner": ownerA.Hex(), "submissionDate": "2025-02-21T14:13:35Z", "transactionHash": nil, "signature": "0x00", "signatureType": "EOA"}}
	// recompute hash with safeTxGas 45746
	tx := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: bybitSafe, Value: new(big.Int), SafeTxGas: big.NewInt(45746), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: big.NewInt(70)}}
	h, _ := safe.TxHashes(v111, mainnet, bybitSafe, &tx.Tx)
	rej["safeTxHash"] = h.Safe.Hex()
	eth := map[string]any{"txType": "ETHEREUM_TRANSACTION", "executionDate": "2025-02-21T14:13:35Z", "to": bybitSafe.Hex(), "data": nil, "txHash": "0x" + "11", "blockNumber": 1, "transfers": []any{}, "from": ownerA.Hex()}
	mod := map[string]any{"txType": "MODULE_TRANSACTION", "safe": bybitSafe.Hex(), "module": receiver.Hex(), "to": receiver.Hex(), "value": "1", "data": nil, "operation": 0}
	b, _ := json.Marshal(map[string]any{"count": 3, "next": nil, "previous": nil, "results": []any{eth, rej, mod}})
	txs, err := ParseSTS(b)
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Known: deployments.Official()}
	res, err := svc.CheckSafe(context.Background(), SafeRequest{Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Reports[0]
	t.Logf("version %s (%s), hash matches %v, max %s, desc %v", r.Version, r.VersionSource, *r.HashMatches, r.MaxSeverity, r.Description)
	if r.MaxSeverity != "none" {
		t.Errorf("rejection: %+v", r.Findings)
	}
}

func TestReviewParseUintLoose(t *testing.T) {
	for _, s := range []string{"1_000", "+5", "0x_1"} {
		if x, err := ParseUint(s); err == nil {
			t.Errorf("ParseUint(%q) accepted as %s", s, x)
		}
	}
}

// The large-transaction policy counts the JSON's confirmations[].owner
// without checking a signature or that the address is an owner: whoever
// serves the JSON (the compromised front end / service of the threat model)
// can satisfy it by listing addresses.
func TestReviewPolicyTrustsUnsignedConfirmations(t *testing.T) {
	p, err := ParsePolicy([]byte("large_transactions:\n  - asset: native\n    threshold: \"1\"\n    approvals: 4\n    severity: critical\n"), "p")
	if err != nil {
		t.Fatal(err)
	}
	m := stsJSON(t, v111, receiver, 1e18, nil, 0, 5, false)
	m["confirmations"] = []map[string]any{{"owner": "0x0000000000000000000000000000000000000001", "signature": nil}, {"owner": "0x0000000000000000000000000000000000000002", "signature": nil},
		{"owner": "0x0000000000000000000000000000000000000003", "signature": nil}, {"owner": "0x0000000000000000000000000000000000000004", "signature": nil}}
	b, _ := json.Marshal(m)
	txs, err := ParseSTS(b)
	if err != nil {
		t.Fatal(err)
	}
	c := &Checker{Known: deployments.Official(), Policy: p}
	r, err := c.Check(context.Background(), &txs[0], mainnet, VersionChoice{v111, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		t.Logf("%s %s: %s", f.Severity, f.Code, f.Message)
	}
	if r.MaxSeverity != "critical" {
		t.Errorf("4 unsigned, made-up confirmations satisfied the policy (max %s)", r.MaxSeverity)
	}
}

func TestReviewHTTPBadVersionIs400(t *testing.T) {
	srv := httptest.NewServer(Handler(&Service{Known: deployments.Official()}))
	defer srv.Close()
	one, _ := json.Marshal(stsJSON(t, v111, receiver, 1, nil, 0, 1, false))
	resp, body := post(t, srv, "/v1/guard/safe?version=9.9.9", string(one))
	if resp.StatusCode != 400 {
		t.Errorf("unknown version query parameter: status %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, srv, "/v1/guard/safe?version=1.1.1&simulate=false&chain_id=0x", string(one))
	t.Logf("chain_id=0x: %d %s", resp.StatusCode, body)
}

// A DELEGATECALL buried below MaxDepth nested MultiSend batches (each a
// DELEGATECALL to the official MultiSend 1.1.1) is not unpacked: the
// finding is "undecodable" HIGH, not critical, though MultiSend runs it.
func TestReviewDeepNestingHidesDelegatecall(t *testing.T) {
	inner := calldata.MultiSend(calldata.Packed{Op: safe.DelegateCall, To: implant, Data: calldata.Transfer(receiver, big.NewInt(0))})
	for i := 0; i < calldata.MaxDepth; i++ {
		inner = calldata.MultiSend(calldata.Packed{Op: safe.DelegateCall, To: multiSend, Data: inner})
	}
	c := &Checker{Known: deployments.Official()}
	tx := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: multiSend, Value: new(big.Int), Data: inner, Operation: safe.DelegateCall, Nonce: big.NewInt(71)}}
	r, err := c.Check(context.Background(), tx, mainnet, VersionChoice{v111, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Severity >= High {
			t.Logf("%s %s %s", f.Severity, f.Code, f.Where)
		}
	}
	if r.MaxSeverity != "critical" {
		t.Errorf("max %s", r.MaxSeverity)
	}
}

// With a given version (--version, or VERSION() via --rpc) of 1.3.0, a
// transaction signed while the Safe was 1.1.1 is hashed as 1.1.1 (info
// for an executed one, warning for a pending one), and the inferred
// version names the range of versions that hash alike.
func TestUpgradedSafeWithGivenVersion(t *testing.T) {
	v130 := safe.Version{Major: 1, Minor: 3, Patch: 0}
	old := stsJSON(t, v111, receiver, 2, nil, 0, 9, true)
	pending := stsJSON(t, v111, receiver, 2, nil, 0, 11, false)
	b, _ := json.Marshal([]any{old, pending})
	txs, err := ParseSTS(b)
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Known: deployments.Official()}
	res, err := svc.CheckSafe(context.Background(), SafeRequest{Txs: txs, ChainID: mainnet, Version: v130.String()})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Severity{Info, Warning} {
		r := res.Reports[i]
		if cs := criticals(r); len(cs) > 0 || !hasCode(r.Findings, want, "hash-version") || !*r.HashMatches || r.VersionRange != "1.0.0–1.2.0" || r.VersionSource != "hash" {
			t.Errorf("tx %d: version %s (%s, %s): %+v", i, r.Version, r.VersionSource, r.VersionRange, r.Findings)
		}
	}
	res, err = svc.CheckSafe(context.Background(), SafeRequest{Txs: txs[:1], ChainID: mainnet})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Reports[0]; r.Version != "1.0.0" || r.VersionRange != "1.0.0–1.2.0" {
		t.Errorf("inferred: %s %s", r.Version, r.VersionRange)
	}
}

func TestTagSeverityByCategory(t *testing.T) {
	for _, c := range []struct {
		tg   intel.IndexedTag
		want Severity
	}{
		{intel.IndexedTag{Label: "Lazarus Group", Category: "sanction"}, Critical},
		{intel.IndexedTag{Label: "Bybit exploiter 12", Category: "perpetrator"}, Critical},
		{intel.IndexedTag{Label: "xToken Exploiter", Category: "service_hack"}, Critical},
		{intel.IndexedTag{Label: "Tornado Cash: Router", Category: "mixing_service"}, High},
		{intel.IndexedTag{Label: "Fake_Phishing123", Category: "phishing"}, High},
		{intel.IndexedTag{Label: "Exploit: drained", Category: "exchange", Origin: "hack.csv"}, Info},
		{intel.IndexedTag{Label: "x", Category: "Stolen funds"}, Critical},
	} {
		if s := tagSeverity(c.tg); s != c.want {
			t.Errorf("%+v -> %s, want %s", c.tg, s, c.want)
		}
	}
}

// A node that does not answer is the gateway's failure: 502, not 422.
func TestHTTPNodeFailureIs502(t *testing.T) {
	n, err := Dial(context.Background(), "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	srv := httptest.NewServer(Handler(&Service{Known: deployments.Official(), Node: n}))
	defer srv.Close()
	one, _ := json.Marshal(stsJSON(t, v111, receiver, 1, nil, 0, 1, false))
	resp, body := post(t, srv, "/v1/guard/safe?simulate=false", string(one))
	if resp.StatusCode != 502 {
		t.Errorf("unreachable node: status %d %s", resp.StatusCode, body)
	}
}

// tupleBatch encodes multiSend(bytes) for MultiSend 0.1.0/1.0.0: per entry
// abi.encode(uint8 operation, address to, uint256 value, bytes data).
func tupleBatch(t *testing.T, op safe.Operation, to common.Address, data []byte) []byte {
	var b []byte
	b = append(b, common.LeftPadBytes([]byte{byte(op)}, 32)...)
	b = append(b, common.LeftPadBytes(to[:], 32)...)
	b = append(b, make([]byte, 32)...)
	b = append(b, common.LeftPadBytes([]byte{0x80}, 32)...)
	b = append(b, common.LeftPadBytes(big.NewInt(int64(len(data))).Bytes(), 32)...)
	b = append(b, data...)
	b = append(b, make([]byte, (32-len(data)%32)%32)...)
	out, err := calldata.Pack("multiSend(bytes)", b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A DELEGATECALL to an unknown target inside a legacy (tuple-encoded)
// batch is still critical; the legacy Safe 1.1.0 singleton is official.
func TestLegacyBatchDelegatecallCritical(t *testing.T) {
	ms100 := common.HexToAddress("0xD4B7B161E4779629C2717385114Bf78D612aEa72")
	c := &Checker{Known: deployments.Official()}
	tx := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: ms100, Value: new(big.Int), Data: tupleBatch(t, safe.DelegateCall, implant, calldata.Transfer(receiver, big.NewInt(0))), Operation: safe.DelegateCall, Nonce: big.NewInt(3)}}
	r, err := c.Check(context.Background(), tx, mainnet, VersionChoice{v111, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	if !hasCode(r.Findings, Critical, "delegatecall-unknown") || r.Calls.Inner == nil || r.Calls.Inner[0].To != implant {
		t.Errorf("%+v", r.Findings)
	}
	// The packed encoding sent to MultiSend 1.0.0 makes it revert (the
	// first word is no operation 0 or 1): nothing runs, not critical.
	tx.Data = calldata.MultiSend(calldata.Packed{Op: safe.Call, To: usdt, Data: calldata.Transfer(receiver, big.NewInt(7))})
	r, err = c.Check(context.Background(), tx, mainnet, VersionChoice{v111, "flag"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Calls.Reverts || r.MaxSeverity != "medium" {
		t.Errorf("packed batch to MultiSend 1.0.0: reverts %v, %+v", r.Calls.Reverts, r.Findings)
	}
	if d, ok := deployments.Official().ByAddress(common.HexToAddress("0xaE32496491b53841efb51829d6f886387708F99B")); !ok || d.Role() != deployments.RoleSingleton {
		t.Errorf("Safe 1.1.0 singleton: %+v %v", d, ok)
	}
}
