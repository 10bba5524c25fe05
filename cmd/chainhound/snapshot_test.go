package main

import (
	"bytes"
	binenc "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

// reSeconds matches the one field of a trace report that differs from run
// to run: how long it took.
var reSeconds = regexp.MustCompile(`"seconds": ?[0-9.e+-]+`)

func untimed(s string) string { return reSeconds.ReplaceAllString(s, `"seconds": 0`) }

// traceBoth runs one trace with --snapshot auto and --snapshot off and
// fails unless the JSON is the same bytes (the time taken aside) and the
// auto run's stderr names its source: the snapshot file when snap is
// true, else the store. It returns the JSON and the auto run's stderr.
func traceBoth(t *testing.T, dir string, snap bool, args ...string) (string, string) {
	t.Helper()
	args = append([]string{"trace", "--output", "json", "--data", dir}, args...)
	out, errs, code := cli(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, errs)
	}
	ref, refErrs, code := cli(t, append(args, "--snapshot", "off")...)
	if code != 0 {
		t.Fatalf("%v --snapshot off: exit %d\n%s", args, code, refErrs)
	}
	if untimed(out) != untimed(ref) {
		t.Fatalf("%v: the output over the snapshot differs from the output over the store\nsnapshot:\n%s\nstore:\n%s", args, out, ref)
	}
	if !strings.Contains(out, `"flows"`) {
		t.Fatalf("%v: not a report:\n%s", args, out)
	}
	if !strings.Contains(refErrs, `source=store`) {
		t.Errorf("%v --snapshot off: stderr does not say the store traced:\n%s", args, refErrs)
	}
	if want := `source="snapshot `; snap != strings.Contains(errs, want) || (!snap && !strings.Contains(errs, "source=store")) {
		t.Errorf("%v: stderr does not say the %s traced:\n%s", args, map[bool]string{true: "snapshot", false: "store"}[snap], errs)
	}
	return out, errs
}

// snapshotList runs snapshot list --output json.
func snapshotList(t *testing.T, dir string) []snapshotEntry {
	t.Helper()
	var list []snapshotEntry
	if err := json.Unmarshal([]byte(mustCLI(t, "snapshot", "list", "--output", "json", "--data", dir)), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// applyBlocks opens the store at dir for writing, binds chain c to net and
// applies the blocks next returns until it returns nil or n are applied.
func applyBlocks(t *testing.T, dir string, c chain.Chain, net chain.Network, next func() *chain.Block, n int) {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Bind(c, net); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		b := next()
		if b == nil {
			break
		}
		if err := st.ApplyBlock(b); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTraceSnapshotAccount: on two account stores, the exit case (an edge
// list with an attributed exchange) and a power-law graph without
// attribution, `snapshot build` writes DATA/snapshots/eip155_1.snap,
// snapshot list calls it current, and forward traces under FIFO, haircut
// and poison, with and without bounds, give byte-identical JSON over the
// snapshot (--snapshot auto, which stderr names) and over the store
// (--snapshot off). CSV output is the same too. Backward traces stay on
// the store. (Over the snapshot, Snapshot.Trace runs the fast path, exit
// services included, where it applies, else the general tracer over the
// snapshot; these comparisons hold whichever runs.)
func TestTraceSnapshotAccount(t *testing.T) {
	exits := exitCase(t, "native")
	out := mustCLI(t, "snapshot", "build", "--data", exits)
	file := filepath.Join(exits, "snapshots", "eip155_1.snap")
	if !containsAll(out, "eip155:1: account snapshot of 6 transfers, 6 addresses at block 4 hash 0x", file, "bytes") {
		t.Errorf("snapshot build:\n%s", out)
	}
	if l := snapshotList(t, exits); len(l) != 1 || l[0].Chain != "eip155:1" || l[0].File != file || !l[0].Current || l[0].Status != "current" ||
		l[0].HeadBlock == nil || *l[0].HeadBlock != 4 || l[0].Model != "account" || l[0].Bytes == 0 || l[0].HeadHash == "" || l[0].BuiltAt == "" {
		t.Errorf("snapshot list: %+v", l)
	}
	for _, m := range []string{"fifo", "haircut", "poison"} {
		rep, errs := traceBoth(t, exits, true, "--seed", a20(1), "--model", m)
		if !strings.Contains(errs, `source="snapshot `+file+` (head 4)"`) || !strings.Contains(rep, `"amount": "110"`) {
			t.Errorf("%s: stderr or report:\n%s\n%s", m, errs, rep)
		}
		traceBoth(t, exits, true, "--seed", a20(2), "--model", m, "--from", "2", "--amount", "40", "--stop-at", "none")
	}
	args := []string{"trace", "--seed", a20(1), "--output", "csv", "--data", exits}
	if a, b := mustCLI(t, args...), mustCLI(t, append(args, "--snapshot", "off")...); a != b {
		t.Errorf("csv over the snapshot:\n%s\nover the store:\n%s", a, b)
	}
	_, errs, code := cli(t, "trace", "--direction", "backward", "--seed", a20(0xe), "--data", exits)
	if code != 0 || !strings.Contains(errs, "source=store") {
		t.Errorf("backward: exit %d\n%s", code, errs)
	}
	if _, errs, code := cli(t, "trace", "--direction", "backward", "--seed", a20(0xe), "--snapshot", file, "--data", exits); code != 2 || !strings.Contains(errs, "forward") {
		t.Errorf("backward with a snapshot file: exit %d\n%s", code, errs)
	}

	// A power-law graph, no attribution.
	dir := t.TempDir()
	g := synth.NewAccountGraph(synth.GraphConfig{Transfers: 4000, Addresses: 400, PerBlock: 50, Seed: 3}, 40)
	applyBlocks(t, dir, chain.Ethereum, chain.Network{CAIP2: "eip155:1", Genesis: "synthetic"}, g.Next, 1<<30)
	mustCLI(t, "snapshot", "build", "--data", dir)
	alerts := g.Alerts()
	flows := 0
	for i, m := range []string{"fifo", "haircut", "poison"} {
		a := alerts[i]
		rep, _ := traceBoth(t, dir, true, "--seed", a.Address.String(), "--model", m, "--from", fmt.Sprint(a.Block+1), "--amount", a.Amount.Dec(), "--asset", a.Asset.CAIP19("eip155:1"))
		flows += strings.Count(rep, `"hop":`)
		var seeds []string
		for _, x := range alerts[3+i*4 : 7+i*4] {
			if !slices.Contains(seeds, x.Address.String()) {
				seeds = append(seeds, "--seed", x.Address.String())
			}
		}
		rep, _ = traceBoth(t, dir, true, append(seeds, "--model", m, "--max-hops", "3", "--until", fmt.Sprint(g.Blocks()-10), "--min-amount", "1000")...)
		flows += strings.Count(rep, `"hop":`)
	}
	if flows < 50 {
		t.Errorf("the traces found %d flows: the test compares little", flows)
	}
}

// TestTraceSnapshotUTXO: a power-law UTXO store: snapshot build writes the
// UTXO snapshot and traces of every model (outputs, an address, several
// seeds, bounds) are the same over it and over the store. Then the store
// moves on (more blocks): auto says the snapshot is stale, naming both
// heads, and traces over the store, still the same answer as --snapshot
// off; --snapshot FILE fails with exit 2 naming both heads; snapshot list
// says stale; building again makes it current.
func TestTraceSnapshotUTXO(t *testing.T) {
	dir := t.TempDir()
	net := chain.Network{CAIP2: btcMainnet, Genesis: "synthetic"}
	g := synth.NewUTXOGraph(synth.GraphConfig{Transfers: 3000, Addresses: 400, PerBlock: 60, Seed: 2}, 30)
	applyBlocks(t, dir, chain.Bitcoin, net, g.Next, 40)
	out := mustCLI(t, "snapshot", "build", "--data", dir)
	file := filepath.Join(dir, "snapshots", "bip122_000000000019d6689c085ae165831e93.snap")
	if !containsAll(out, btcMainnet+": UTXO snapshot of", "transactions", "outputs", "at block 39 hash ", file) {
		t.Errorf("snapshot build:\n%s", out)
	}
	// Seeds: outputs of the first blocks (the alert sample comes after
	// the last block, which this store does not have yet).
	st, err := store.Open(dir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	var addr string
	for h := uint64(2); h < 30; h += 3 {
		tx, ok, err := st.IO(chain.Bitcoin, h, 1)
		if err != nil || !ok {
			t.Fatalf("block %d tx 1: %v %v", h, ok, err)
		}
		outs = append(outs, chain.Bitcoin.FormatHash(tx.Hash)+":0")
		addr = tx.Outputs[0].Address.Raw
	}
	st.Close()
	flows := 0
	for _, m := range []string{"fifo", "haircut", "tiho", "poison"} {
		for _, args := range [][]string{
			{"--seed", outs[0]},
			{"--seed", outs[1], "--seed", outs[2], "--seed", outs[3], "--max-hops", "4"},
			{"--seed", outs[4], "--until", "30", "--min-amount", "100000"},
			{"--seed", addr, "--max-hops", "3"},
		} {
			rep, errs := traceBoth(t, dir, true, append(args, "--model", m)...)
			if !strings.Contains(errs, `source="snapshot `+file+` (head 39)"`) {
				t.Errorf("%s %v: stderr:\n%s", m, args, errs)
			}
			flows += strings.Count(rep, `"hop":`)
		}
	}
	if flows < 100 {
		t.Errorf("the traces found %d flows: the test compares little", flows)
	}

	// The store moves on.
	applyBlocks(t, dir, chain.Bitcoin, net, g.Next, 10)
	_, errs := traceBoth(t, dir, false, "--seed", outs[5], "--model", "haircut")
	if !containsAll(errs, "is stale: built at block 39 hash ", "the store is at block 49 hash ", "rebuild with chainhound snapshot build") {
		t.Errorf("stale snapshot, auto: stderr\n%s", errs)
	}
	_, errs, code := cli(t, "trace", "--seed", outs[5], "--snapshot", file, "--data", dir)
	if code != 2 || !containsAll(errs, file, "is not current: built at block 39 hash ", "the store is at block 49 hash ") {
		t.Errorf("stale snapshot, FILE: exit %d\n%s", code, errs)
	}
	if l := snapshotList(t, dir); len(l) != 1 || l[0].Current || !strings.Contains(l[0].Status, "stale: built at block 39") {
		t.Errorf("snapshot list: %+v", l)
	}
	mustCLI(t, "snapshot", "build", "--data", dir, "--chain", btcMainnet)
	_, errs = traceBoth(t, dir, true, "--seed", outs[5], "--model", "haircut")
	if !strings.Contains(errs, "(head 49)") {
		t.Errorf("rebuilt snapshot: stderr\n%s", errs)
	}
	mustCLI(t, "trace", "--seed", outs[5], "--snapshot", file, "--data", dir)
}

// TestSnapshotRefused: a damaged snapshot file (a flipped byte, a cut)
// and one of the old format version are refused with a clear message:
// auto says why and traces over the store (the same answer as --snapshot
// off), --snapshot FILE fails naming the fault and how to rebuild, snapshot
// list says refused, and snapshot build replaces the file. The store is
// untouched throughout. Also: the account edge-list store after more edges
// (auto falls back, FILE exit 2 naming both heads), a file of another
// chain, and bad --chain values.
func TestSnapshotRefused(t *testing.T) {
	dir := exitCase(t, "native")
	mustCLI(t, "snapshot", "build", "--data", dir)
	file := filepath.Join(dir, "snapshots", "eip155_1.snap")
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	before := export(t, dir)
	oldVersion := bytes.Clone(good)
	binenc.LittleEndian.PutUint64(oldVersion[bytes.IndexByte(oldVersion, '\n')+1:], 1)
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	for _, tc := range []struct {
		name string
		file []byte
		want string // in the reader's refusal
		list string // in snapshot list's, which checks the checksum without reading the arrays
	}{
		{"old version", oldVersion, "version 1, this build reads version 2", "version 1, this build reads version 2"},
		{"flipped byte", flipped, "checksum mismatch: the file is damaged", "checksum mismatch: the file is damaged"},
		{"cut", good[:len(good)-100], "account snapshot file: unexpected EOF", "the file is damaged"},
		{"empty", nil, "not a snapshot file", "not a snapshot file"},
	} {
		if err := os.WriteFile(file, tc.file, 0o644); err != nil {
			t.Fatal(err)
		}
		_, errs := traceBoth(t, dir, false, "--seed", a20(1), "--model", "fifo")
		if !containsAll(errs, "refused", tc.want, "rebuild with chainhound snapshot build --data "+dir+" --chain eip155:1") {
			t.Errorf("%s, auto: stderr\n%s", tc.name, errs)
		}
		_, errs, code := cli(t, "trace", "--seed", a20(1), "--snapshot", file, "--data", dir)
		if code != 1 || !containsAll(errs, file, "refused", tc.want, "rebuild") {
			t.Errorf("%s, FILE: exit %d\n%s", tc.name, code, errs)
		}
		if l := snapshotList(t, dir); len(l) != 1 || l[0].Current || !containsAll(l[0].Status, "refused", tc.list) {
			t.Errorf("%s: snapshot list %+v", tc.name, l)
		}
		out := mustCLI(t, "snapshot", "build", "--data", dir)
		if !strings.Contains(out, "account snapshot of 6 transfers") {
			t.Errorf("%s: snapshot build kept the file:\n%s", tc.name, out)
		}
		if l := snapshotList(t, dir); len(l) != 1 || !l[0].Current {
			t.Errorf("%s: rebuilt: snapshot list %+v", tc.name, l)
		}
		if after := export(t, dir); after != before {
			t.Fatalf("%s: the store changed", tc.name)
		}
	}
	if out := mustCLI(t, "snapshot", "build", "--data", dir); !strings.Contains(out, "is current (head 4 hash 0x") {
		t.Errorf("a current snapshot built again:\n%s", out)
	}
	if out := mustCLI(t, "snapshot", "build", "--data", dir, "--force"); !strings.Contains(out, "account snapshot of 6 transfers") {
		t.Errorf("--force:\n%s", out)
	}
	if _, errs, code := cli(t, "snapshot", "build", "--data", dir, "--chain", "eip155:5"); code != 1 || !containsAll(errs, "holds no chain eip155:5", "eip155:1") {
		t.Errorf("--chain eip155:5: exit %d\n%s", code, errs)
	}
	if _, errs, code := cli(t, "snapshot", "build", "--data", dir, "--chain", "ethereum"); code != 2 || !strings.Contains(errs, "CAIP-2") {
		t.Errorf("--chain ethereum: exit %d\n%s", code, errs)
	}
	if _, errs, code := cli(t, "trace", "--seed", a20(1), "--snapshot", filepath.Join(dir, "none.snap"), "--data", dir); code != 1 || !strings.Contains(errs, "none.snap") {
		t.Errorf("a missing file: exit %d\n%s", code, errs)
	}

	// A snapshot of another chain given as FILE.
	other := t.TempDir()
	g := synth.NewUTXOGraph(synth.GraphConfig{Transfers: 100, Addresses: 50, PerBlock: 20, Seed: 1}, 1)
	applyBlocks(t, other, chain.Bitcoin, chain.Network{CAIP2: btcMainnet, Genesis: "synthetic"}, g.Next, 1<<30)
	mustCLI(t, "snapshot", "build", "--data", other)
	btcFile := filepath.Join(other, "snapshots", "bip122_000000000019d6689c085ae165831e93.snap")
	if _, errs, code := cli(t, "trace", "--seed", a20(1), "--snapshot", btcFile, "--data", dir); code != 2 || !containsAll(errs, "holds a snapshot of "+btcMainnet, "the trace is on eip155:1") {
		t.Errorf("another chain's snapshot: exit %d\n%s", code, errs)
	}

	// The edge-list store moves on: D pays 5 to a new address.
	edges := writeFile(t, t.TempDir(), "more.csv", "source,target,amount,time\n"+a20(5)+","+a20(6)+",5,5000\n")
	mustCLI(t, "ingest", "edges", edges, "--chain", "eip155:1", "--data", dir)
	rep, errs := traceBoth(t, dir, false, "--seed", a20(1), "--model", "fifo")
	if !containsAll(errs, "is stale: built at block 4 hash 0x", "the store is at block 5 hash 0x") || !strings.Contains(rep, a20(6)) {
		t.Errorf("after more edges, auto: stderr\n%s", errs)
	}
	if _, errs, code := cli(t, "trace", "--seed", a20(1), "--snapshot", file, "--data", dir); code != 2 || !containsAll(errs, "built at block 4 hash 0x", "the store is at block 5 hash 0x") {
		t.Errorf("after more edges, FILE: exit %d\n%s", code, errs)
	}
}

// postTrace posts a trace request and returns the status and body.
func postTrace(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serveTraceBodies are trace requests whose answers must not depend on
// the snapshot. The backward one reads the store either way; its flows
// are compared as a set, as the backward tracer lists flows of equal
// hop and block in no fixed order (on main too).
var serveTraceBodies = []string{
	`{"seeds":["` + a20(1) + `"],"model":"fifo"}`,
	`{"seeds":["eip155:1:` + a20(1) + `"],"model":"haircut","stop_at":[],"max_hops":3}`,
	`{"seeds":["` + a20(1) + `"],"model":"poison"}`,
	`{"seeds":["` + a20(2) + `"],"model":"haircut","from":"2","amount":"40"}`,
	`{"seeds":["` + a20(0xe) + `"],"direction":"backward"}`,
	`{"seeds":["` + a20(0x77) + `"]}`,
}

// canonAnswer is an answer to compare: the time taken zeroed and, for a
// backward trace, the flows sorted.
func canonAnswer(t *testing.T, body string) string {
	t.Helper()
	body = untimed(body)
	if !strings.Contains(body, `"direction":"backward"`) {
		return body
	}
	var rep trace.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(rep.Flows, func(a, b trace.ReportFlow) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	b, _ := json.Marshal(rep)
	return string(b)
}

// TestServeTraceSnapshot runs serve without and with --trace-snapshot on
// the exit case: every POST /v1/trace answer (forward traces of three
// models, bounds, a backward trace, an unknown seed) is the same, and with
// the flag the log says the snapshot was loaded and traced.
func TestServeTraceSnapshot(t *testing.T) {
	dir := exitCase(t, "native")
	mustCLI(t, "snapshot", "build", "--data", dir)
	answers := func(args ...string) ([]string, string) {
		base, stop, stderr := startServe(t, append([]string{"--data", dir, "--no-auth"}, args...)...)
		var out []string
		for _, body := range serveTraceBodies {
			status, b := postTrace(t, base+"/v1/trace", body)
			out = append(out, fmt.Sprint(status, " ", canonAnswer(t, b)))
		}
		if c := stop(); c != 0 {
			t.Fatalf("serve exited %d", c)
		}
		return out, stderr.String()
	}
	want, plainLog := answers()
	got, log := answers("--trace-snapshot")
	for i := range want {
		if !strings.HasPrefix(want[i], "200 ") && i < 5 {
			t.Errorf("%s: %s", serveTraceBodies[i], want[i])
		}
		if got[i] != want[i] {
			t.Errorf("%s: with --trace-snapshot\n%s\nwithout\n%s", serveTraceBodies[i], got[i], want[i])
		}
	}
	file := filepath.Join(dir, "snapshots", "eip155_1.snap")
	if strings.Contains(plainLog, "snapshot") || !containsAll(log, "trace snapshot loaded", `source="snapshot `+file+` (head 4)"`) || strings.Count(log, "source=store") != 1 {
		t.Errorf("log without the flag:\n%s\nwith it:\n%s", plainLog, log)
	}
}

// TestServeTraceSnapshotStoreMoves: the serving code over a store that
// moves while it serves (written in the same process: today another
// process cannot write a store serve holds): POST /v1/trace answers over
// the snapshot while the store's head is the snapshot's, and once a block
// is added, over the store, with the new block's flow, logging the drop
// once.
func TestServeTraceSnapshotStoreMoves(t *testing.T) {
	dir := exitCase(t, "native")
	mustCLI(t, "snapshot", "build", "--data", dir)
	logs := &syncBuffer{}
	e := &env{stdout: io.Discard, stderr: logs, log: newLogger(logs)}
	ix, err := loadIntelIndex(e, dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	chains, err := storeChains(st)
	if err != nil {
		t.Fatal(err)
	}
	newLookups := func(snaps *serveSnapshots) *lookups {
		return &lookups{e: e, data: dir, st: st, chains: chains, ix: ix, policy: trace.DefaultPolicy(), snaps: snaps,
			traceTimeout: time.Minute, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	}
	snaps, err := loadServeSnapshots(e, dir, st, chains)
	if err != nil {
		t.Fatal(err)
	}
	withSnap := httptest.NewServer(http.HandlerFunc(newLookups(snaps).serveTrace))
	defer withSnap.Close()
	plain := httptest.NewServer(http.HandlerFunc(newLookups(nil).serveTrace))
	defer plain.Close()
	compare := func(when string) []string {
		var out []string
		for _, body := range serveTraceBodies {
			ws, wb := postTrace(t, plain.URL, body)
			gs, gb := postTrace(t, withSnap.URL, body)
			if ws != gs || canonAnswer(t, wb) != canonAnswer(t, gb) {
				t.Errorf("%s, %s: with the snapshot %d %s\nwithout %d %s", when, body, gs, gb, ws, wb)
			}
			out = append(out, gb)
		}
		return out
	}
	compare("before")
	if n := strings.Count(logs.String(), `source="snapshot `); n != 4 {
		t.Errorf("before: %d traces over the snapshot, want the 4 forward ones:\n%s", n, logs)
	}
	// D (a20(5)) pays 5 of its tainted 10 to a new address.
	cur, _, _ := st.Cursor(chain.Ethereum)
	net, _, _ := st.Network(chain.Ethereum)
	if err := st.Bind(chain.Ethereum, net); err != nil {
		t.Fatal(err)
	}
	var d, f [20]byte
	d[19], f[19] = 5, 6
	tx := chain.Hash{0xaa}
	tr := chain.Transfer{Block: cur.Height + 1, TxHash: tx, Kind: chain.KindNative, From: chain.EVMAddress(d), To: chain.EVMAddress(f), Asset: chain.NativeAsset, Amount: *uint256.NewInt(5)}
	if err := st.ApplyBlock(&chain.Block{Chain: chain.Ethereum, Height: cur.Height + 1, Hash: chain.Hash{0xbb}, Parent: cur.Hash, Time: 5000,
		Txs: []chain.Tx{{Hash: tx, Success: true}}, Transfers: []chain.Transfer{tr}}); err != nil {
		t.Fatal(err)
	}
	mark := len(logs.String())
	after := compare("after")
	if !strings.Contains(after[0], a20(6)) {
		t.Errorf("after the new block, the trace does not reach its recipient:\n%s", after[0])
	}
	compare("again")
	if l := logs.String()[mark:]; strings.Contains(l, `source="snapshot `) || strings.Count(l, "trace snapshot no longer current") != 1 ||
		!containsAll(l, "built at block 4 hash 0x", "the store is at block 5 hash 0x") {
		t.Errorf("after the store moved, the log:\n%s", l)
	}
}
