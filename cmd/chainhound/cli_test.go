package main

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/scenario"
)

func TestHelpAndUsageErrors(t *testing.T) {
	for _, c := range commands() {
		args := append(strings.Fields(c.name), "--help")
		out, errs, code := cli(t, args...)
		if code != 0 || !strings.Contains(out, "Example:") || !strings.Contains(out, "chainhound "+c.name) || errs != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", c.name, code, out, errs)
		}
		out, errs, code = cli(t, append(strings.Fields(c.name), "--no-such-flag")...)
		if code != 2 || out != "" || !strings.Contains(errs, "no-such-flag") {
			t.Errorf("%s --no-such-flag: exit %d (want 2), stdout %q, stderr %q", c.name, code, out, errs)
		}
	}
	if _, errs, code := cli(t); code != 2 || !strings.Contains(errs, "Commands:") {
		t.Errorf("bare chainhound: exit %d, want 2 with the overview on stderr", code)
	}
	if _, _, code := cli(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// TestQueries checks export filters, address and tx against the full export
// of one ingested workload, which they must agree with.
func TestQueries(t *testing.T) {
	n := newNode(t, scenario.NodeConfig{})
	workload(t, n, 80, 12)
	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir)
	all := readCSV(t, export(t, dir))
	if len(all) < 100 {
		t.Fatalf("only %d transfers", len(all))
	}
	// --kind, --from-block, --to-block: the same rows as filtering the full export.
	got := readCSV(t, mustCLI(t, "export", "transfers", "--data", dir, "--kind", "fee,token", "--from-block", "2", "--to-block", "3"))
	var want [][]string
	for _, r := range all {
		b, _ := strconv.Atoi(r[1])
		if (r[4] == "fee" || r[4] == "token") && b >= 2 && b <= 3 {
			want = append(want, r)
		}
	}
	if !equalRows(got, want) || len(want) == 0 {
		t.Errorf("--kind fee,token --from-block 2 --to-block 3: %d rows, want %d", len(got), len(want))
	}
	// --to-block 0 is block 0, not "no limit".
	for _, r := range readCSV(t, mustCLI(t, "export", "transfers", "--data", dir, "--to-block", "0")) {
		if r[1] != "0" {
			t.Fatalf("--to-block 0 exported block %s", r[1])
		}
	}
	// --address: every row touching the address, in chain order.
	addr := strings.ToLower(n.Address(0).Hex())
	got = readCSV(t, mustCLI(t, "export", "transfers", "--data", dir, "--address", n.Address(0).Hex(), "--output", "csv"))
	want = nil
	for _, r := range all {
		if r[5] == addr || r[6] == addr {
			want = append(want, r)
		}
	}
	if !equalRows(got, want) {
		t.Errorf("--address: %d rows, want %d", len(got), len(want))
	}
	// tx: the transaction's transfers are exactly its rows in the export.
	hash := want[len(want)-1][2]
	var tx struct {
		Hash      string `json:"hash"`
		Success   bool   `json:"success"`
		Transfers []struct {
			Seq    int    `json:"seq"`
			Kind   string `json:"kind"`
			Amount string `json:"amount"`
		} `json:"transfers"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, "tx", hash, "--data", dir, "--output", "json")), &tx); err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, r := range all {
		if r[2] == hash {
			rows = append(rows, r)
		}
	}
	if tx.Hash != hash || len(tx.Transfers) != len(rows) {
		t.Fatalf("tx %s: %d transfers, export has %d", hash, len(tx.Transfers), len(rows))
	}
	for i, r := range rows {
		if strconv.Itoa(tx.Transfers[i].Seq) != r[3] || tx.Transfers[i].Kind != r[4] || tx.Transfers[i].Amount != r[8] {
			t.Errorf("tx transfer %d: %+v, export row %v", i, tx.Transfers[i], r)
		}
	}
	if out, _, code := cli(t, "tx", "0x"+strings.Repeat("00", 32), "--data", dir); code != 1 || out != "" {
		t.Errorf("unknown tx: exit %d, want 1", code)
	}
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "chain,block,tx_hash,seq,kind,from,to,asset,amount,time" {
		t.Fatalf("export header: %v", recs)
	}
	return recs[1:]
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], ",") != strings.Join(b[i], ",") {
			return false
		}
	}
	return true
}
