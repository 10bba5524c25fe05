package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/guard/safetest"
	"github.com/chainhound/chainhound/internal/scenario"
)

// The Bybit transaction as the signers' devices received it: Safe 1.1.1,
// nonce 71, DELEGATECALL to the implant with transfer(address,uint256).
var bybitFlags = []string{"guard", "safe", "--safe", "0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4", "--version", "1.1.1", "--nonce", "71",
	"--to", "0x96221423681A6d52E184D440a8eFCEbB105C7242", "--operation", "1",
	"--data", "0xa9059cbb000000000000000000000000bdd077f651ebe7f7b3ce16fe5f2b025be29695160000000000000000000000000000000000000000000000000000000000000000"}

func TestGuardSafeFlags(t *testing.T) {
	store := []string{"--intel-data", t.TempDir()}
	out, errs, code := cli(t, append(append(bybitFlags, store...), "--fail-on", "critical")...)
	if code != exitPolicy || !strings.Contains(out, "CRITICAL") || !strings.Contains(out, "delegatecall-unknown") || !strings.Contains(errs, "--fail-on critical") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
	out, _, code = cli(t, append(append(bybitFlags, store...), "--output", "json")...)
	var res struct {
		Reports []struct {
			SafeTxHash string `json:"safe_tx_hash"`
			Findings   []struct{ Severity, Code string }
		}
		MaxSeverity string `json:"max_severity"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.MaxSeverity != "critical" || len(res.Reports) != 1 || len(res.Reports[0].SafeTxHash) != 66 {
		t.Errorf("json: exit %d %s", code, out)
	}
	// A plain transfer from the same Safe passes a --fail-on high gate.
	plain := []string{"guard", "safe", "--safe", "0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4", "--version", "1.1.1", "--nonce", "70",
		"--to", "0x00000000000000000000000000000000000000b0", "--value", "1000000000000000000", "--fail-on", "high"}
	if out, errs, code := cli(t, append(plain, store...)...); code != 0 || !strings.Contains(out, "send 1 ETH") {
		t.Errorf("plain transfer: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestGuardSafeBadInput(t *testing.T) {
	store := []string{"--intel-data", t.TempDir()}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"safe":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","to":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","value":"0","operation":"x","nonce":1}`), 0o644)
	list := filepath.Join(dir, "list.json")
	os.WriteFile(list, []byte(`[{"safe":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","to":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","value":"0","operation":0,"nonce":1},{"safe":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","to":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","value":"0","operation":0,"nonce":1,"data":"0x123"}]`), 0o644)
	with := func(flag, val string) []string {
		args := append([]string{}, bybitFlags...)
		for i := range args {
			if args[i] == flag {
				args[i+1] = val
				return append(args, store...)
			}
		}
		return append(append(args, flag, val), store...)
	}
	for name, c := range map[string]struct {
		args []string
		code int
		msg  string
	}{
		"odd hex":           {with("--data", "0xabc"), exitUsage, "odd number of digits"},
		"bad hex":           {with("--data", "0xzz"), exitUsage, "--data"},
		"operation 2":       {with("--operation", "2"), exitUsage, "want 0 (call) or 1"},
		"unknown version":   {with("--version", "1.6.0"), exitUsage, "unknown Safe version"},
		"short address":     {with("--to", "0x1234"), exitUsage, "--to"},
		"negative value":    {with("--value", "-5"), exitUsage, "--value"},
		"bad fail-on":       {with("--fail-on", "info"), exitUsage, "--fail-on"},
		"no version":        {append([]string{"guard", "safe", "--safe", "0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4", "--to", "0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4", "--nonce", "1"}, store...), exitError, "--version"},
		"tx and flags":      {with("--tx", bad), exitUsage, "not both"},
		"wrong json type":   {append([]string{"guard", "safe", "--tx", bad, "--version", "1.1.1"}, store...), exitError, "field operation"},
		"second tx bad":     {append([]string{"guard", "safe", "--tx", list, "--version", "1.1.1"}, store...), exitError, "transaction 1: field data"},
		"missing file":      {append([]string{"guard", "safe", "--tx", filepath.Join(dir, "nope.json"), "--version", "1.1.1"}, store...), exitError, "no such file"},
		"audit without rpc": {append([]string{"guard", "audit", "--safe", "0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4"}, store...), exitUsage, "--rpc"},
	} {
		_, errs, code := cli(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%s: exit %d (want %d), stderr %q (want %q)", name, code, c.code, errs, c.msg)
		}
	}
}

// The off-chain message vector of the shared Safe vectors, from a file.
func TestGuardMessage(t *testing.T) {
	p := filepath.Join("..", "..", "..", "shared", "data", "safe-tx-hash-vectors", "safe_tx_hashes_util_readme_vectors.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("shared data absent (%s): %v", p, err)
	}
	var f struct {
		Messages []struct {
			Safe, Message   string
			ChainID         int64 `json:"chainId"`
			SafeMessageHash string
		}
	}
	if err := json.Unmarshal(b, &f); err != nil || len(f.Messages) == 0 {
		t.Fatalf("%s: %v", p, err)
	}
	m := f.Messages[0]
	file := filepath.Join(t.TempDir(), "msg.txt")
	os.WriteFile(file, []byte(m.Message), 0o644)
	out := mustCLI(t, "guard", "message", "--safe", m.Safe, "--version", "1.3.0", "--chain-id", fmt.Sprint(m.ChainID), "--file", file, "--output", "json")
	var got struct {
		SafeMessage string `json:"safe_message_hash"`
	}
	if json.Unmarshal([]byte(out), &got) != nil || !strings.EqualFold(got.SafeMessage, m.SafeMessageHash) {
		t.Errorf("safe message hash %s, want %s", got.SafeMessage, m.SafeMessageHash)
	}
	if _, errs, code := cli(t, "guard", "message", "--safe", m.Safe, "--version", "1.3.0", "--text", "x"); code != exitUsage || !strings.Contains(errs, "chain id") {
		t.Errorf("1.3.0 without chain id: exit %d %s", code, errs)
	}
}

// Screening through the real attribution store: OFAC's per-asset lists
// imported by the intel command, then a Safe transaction approving a
// Lazarus Group address as spender of USDT.
func TestGuardScreensWithIntel(t *testing.T) {
	lists := sharedPath(t, "ofac-brave/snapshot-2025-03-04")
	dir := t.TempDir()
	mustCLI(t, "intel", "import", "sdn-lists", lists, "--date", "2025-03-04", "--data", dir)
	approve := "0x095ea7b3000000000000000000000000098b716b8aaf21512996dc57eb0615e2383e2f9600000000000000000000000000000000000000000000000000000000000f4240"
	out, errs, code := cli(t, "guard", "safe", "--safe", "0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4", "--version", "1.1.1", "--nonce", "5",
		"--to", "0xdAC17F958D2ee523a2206206994597C13D831ec7", "--data", approve, "--intel-data", dir, "--fail-on", "critical", "--output", "json")
	var res struct {
		Reports []struct {
			Findings []struct{ Severity, Code, Source, Message string }
		}
	}
	if code != exitPolicy || json.Unmarshal([]byte(out), &res) != nil || len(res.Reports) != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	f := res.Reports[0].Findings[0]
	if f.Severity != "critical" || f.Code != "screening" || f.Source == "" || !strings.Contains(f.Message, "spender") {
		t.Errorf("first finding %+v", f)
	}
}

// The CLI against the real Safe 1.4.1 contracts on the in-process node:
// audit, and guard safe with version, chain id, nonce and simulation read
// from the node.
func TestGuardOnNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node")
	}
	n := newNode(t, scenario.NodeConfig{})
	d := safetest.DeploySafe141(t, n, []int{1, 2, 3}, 2)
	implant := safetest.Deploy(t, n, safetest.ImplantCode())
	store := []string{"--intel-data", t.TempDir(), "--rpc", n.URL()}

	out, errs, code := cli(t, append([]string{"guard", "audit", "--safe", d.Safe.Hex(), "--fail-on", "high"}, store...)...)
	if code != 0 || !strings.Contains(out, "(Safe 1.4.1)") || !strings.Contains(out, "2 of 3 owners") {
		t.Errorf("audit: exit %d\n%s\n%s", code, out, errs)
	}

	// Two Safes sharing owners, and a queued transaction that skips nonces.
	d2 := safetest.DeploySafe141(t, n, []int{1, 2, 4}, 2)
	queued := filepath.Join(t.TempDir(), "queued.json")
	os.WriteFile(queued, []byte(`{"count":1,"results":[{"safe":"`+d.Safe.Hex()+`","to":"`+n.Address(6).Hex()+`","value":"1","data":null,"operation":0,"safeTxGas":0,"baseGas":0,"gasPrice":"0","nonce":3,"isExecuted":false}]}`), 0o644)
	out, errs, code = cli(t, append([]string{"guard", "audit", "--safe", d.Safe.Hex(), "--safe", d2.Safe.Hex(), "--tx", queued, "--output", "json", "--fail-on", "warning"}, store...)...)
	var audit struct {
		Safes []struct {
			Findings []struct{ Severity, Code string }
			Queued   []json.RawMessage
		}
	}
	if code != exitPolicy || json.Unmarshal([]byte(out), &audit) != nil || len(audit.Safes) != 2 {
		t.Fatalf("audit of two Safes: exit %d\n%s\n%s", code, out, errs)
	}
	got := map[string]int{}
	for i, s := range audit.Safes {
		for _, f := range s.Findings {
			got[fmt.Sprint(i, f.Code)]++
		}
	}
	if got["0owner-reused"] != 2 || got["1owner-reused"] != 2 || got["0queued-nonce-gap"] != 1 || len(audit.Safes[0].Queued) != 1 {
		t.Errorf("audit findings %v", got)
	}

	transfer := "0xa9059cbb" + strings.Repeat("0", 24) + strings.ToLower(implant.Hex()[2:]) + strings.Repeat("0", 64)
	out, errs, code = cli(t, append([]string{"guard", "safe", "--safe", d.Safe.Hex(), "--to", implant.Hex(), "--operation", "1", "--data", transfer, "--nonce", "0", "--output", "json", "--fail-on", "critical"}, store...)...)
	var res struct {
		Reports []struct {
			VersionSource string `json:"version_source"`
			ChainID       int64  `json:"chain_id"`
			Simulation    struct {
				Writes []struct{ Meaning string } `json:"storage_writes"`
			}
			Findings []struct{ Severity, Code string }
		}
	}
	if code != exitPolicy || json.Unmarshal([]byte(out), &res) != nil || len(res.Reports) != 1 {
		t.Fatalf("attack: exit %d\n%s\n%s", code, out, errs)
	}
	r := res.Reports[0]
	codes := map[string]bool{}
	for _, f := range r.Findings {
		if f.Severity == "critical" {
			codes[f.Code] = true
		}
	}
	if r.VersionSource != "rpc" || r.ChainID != scenario.DefaultChainID || !codes["delegatecall-unknown"] || !codes["sim-implementation-write"] {
		t.Errorf("attack report: %+v", r)
	}

	// A batch through MultiSend, known only from --known-deployments.
	known := filepath.Join(t.TempDir(), "known.json")
	os.WriteFile(known, []byte(`[{"contract":"MultiSend","asset":"multi_send","version":"1.4.1","address":"`+d.MultiSend.Hex()+`"}]`), 0o644)
	batch := fmt.Sprintf("0x8d80ff0a%064x%064x00%s%064x%064x", 32, 85, strings.ToLower(n.Address(5).Hex()[2:]), 1000, 0)
	batch += strings.Repeat("0", 64-(85*2)%64)
	args := append([]string{"guard", "safe", "--safe", d.Safe.Hex(), "--to", d.MultiSend.Hex(), "--operation", "1", "--data", batch, "--nonce", "0", "--fail-on", "high"}, store...)
	if out, errs, code := cli(t, append(args, "--known-deployments", known)...); code != 0 || !strings.Contains(out, "Simulation: executes") {
		t.Errorf("MultiSend batch with --known-deployments: exit %d\n%s\n%s", code, out, errs)
	}
	if _, _, code := cli(t, args...); code != exitPolicy {
		t.Errorf("MultiSend batch without --known-deployments: exit %d, want %d (unknown delegatecall target)", code, exitPolicy)
	}
}
