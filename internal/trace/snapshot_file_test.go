package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
)

func writeAccount(t testing.TB, s *AccountSnapshot) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := s.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d bytes of %d, %v", n, buf.Len(), err)
	}
	return buf.Bytes()
}

func writeUTXO(t testing.TB, s *UTXOSnapshot) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := s.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d bytes of %d, %v", n, buf.Len(), err)
	}
	return buf.Bytes()
}

// damaged returns copies of a snapshot file each damaged in one way: cut
// at many points, one bit flipped at many points, a byte appended.
func damaged(file []byte) map[string][]byte {
	out := map[string][]byte{"empty": nil, "one byte more": append(bytes.Clone(file), 0)}
	step := max(1, len(file)/97)
	for at := 0; at < len(file); at += step {
		out[fmt.Sprintf("cut at %d", at)] = file[:at]
		flip := bytes.Clone(file)
		flip[at] ^= 1 << (at % 8)
		out[fmt.Sprintf("bit flipped at %d", at)] = flip
	}
	out["last byte cut"] = file[:len(file)-1]
	flip := bytes.Clone(file)
	flip[len(flip)-1] ^= 0x80
	out["checksum flipped"] = flip
	return out
}

// withVersion returns file with its format version set to v.
func withVersion(file []byte, v uint64) []byte {
	out := bytes.Clone(file)
	at := bytes.IndexByte(out, '\n') + 1
	binary.LittleEndian.PutUint64(out[at:], v)
	return out
}

// TestSnapshotFileHeader checks what a snapshot file records of its
// origin (model, chain, network, the store's head height and hash, the
// build time), that ReadSnapshotInfo reads it alone, and that Current
// holds against the store until its head moves.
func TestSnapshotFileHeader(t *testing.T) {
	s := openStore(t)
	net := chain.Network{CAIP2: "eip155:1", Genesis: "edge-list"}
	if err := s.Bind(chain.Ethereum, net); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	randomMixedChain(t, r, s, 20)
	before := time.Now().UTC().Truncate(time.Second)
	snap, err := NewAccountSnapshot(s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	cur, ok, err := s.Cursor(chain.Ethereum)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	info := snap.Info()
	if info.Model != ModelAccount || info.Chain != chain.Ethereum || info.Network != net || !info.HasHead || info.Head != cur ||
		info.Built.Before(before) || info.Built.After(time.Now()) {
		t.Fatalf("info %+v, store head %+v", info, cur)
	}
	file := writeAccount(t, snap)
	got, err := ReadSnapshotInfo(bytes.NewReader(file))
	if err != nil || got != info {
		t.Fatalf("ReadSnapshotInfo: %+v %v, want %+v", got, err, info)
	}
	if back, err := ReadAccountSnapshot(bytes.NewReader(file)); err != nil || back.Info() != info {
		t.Fatalf("read back: %v %+v", err, back)
	}
	if !info.Current(cur, true) || info.Current(cur, false) || info.Current(store.Cursor{Height: cur.Height, Hash: chain.Hash{1}}, true) {
		t.Fatal("Current does not compare height and hash")
	}
	next := &chain.Block{Chain: chain.Ethereum, Height: cur.Height + 1, Hash: txHashN("next", 0), Parent: cur.Hash, Time: 5000,
		Txs:       []chain.Tx{{Hash: txHashN("next-tx", 0), Success: true}},
		Transfers: []chain.Transfer{{Block: cur.Height + 1, TxHash: txHashN("next-tx", 0), Kind: chain.KindNative, From: chainAddr(2000), To: chainAddr(2001), Asset: chain.NativeAsset}}}
	if err := s.ApplyBlock(next); err != nil {
		t.Fatal(err)
	}
	now, _, _ := s.Cursor(chain.Ethereum)
	if now == cur || info.Current(now, true) {
		t.Fatalf("the store moved from %+v to %+v, the snapshot still reads as current", cur, now)
	}

	// A chain the store holds nothing of: no head.
	empty, err := NewUTXOSnapshot(s, chain.Bitcoin)
	if err != nil {
		t.Fatal(err)
	}
	if i := empty.Info(); i.HasHead || i.Model != ModelUTXO || !i.Current(store.Cursor{}, false) || i.Current(cur, true) {
		t.Fatalf("empty chain: %+v", i)
	}
	back, err := ReadUTXOSnapshot(bytes.NewReader(writeUTXO(t, empty)))
	if err != nil || back.Info() != empty.Info() {
		t.Fatalf("empty UTXO snapshot read back: %v", err)
	}
}

// TestSnapshotFileRefused: files of another format version (the old
// version 1 among them) are refused with ErrSnapshotVersion naming both
// versions, a file of the other model is refused, and any damage (a cut,
// one flipped bit, a byte more) is refused by both readers, never read
// as a snapshot.
func TestSnapshotFileRefused(t *testing.T) {
	s := openStore(t)
	randomMixedChain(t, rand.New(rand.NewPCG(4, 4)), s, 12)
	acct, err := NewAccountSnapshot(s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := randomUTXOChain(t, rand.New(rand.NewPCG(4, 5)))
	utxo, err := NewUTXOSnapshot(c.s, chain.Bitcoin)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"account": writeAccount(t, acct), "utxo": writeUTXO(t, utxo)}
	// Each file is read from memory and from a file on disk, where the
	// reader knows how many bytes are left and sizes its arrays by the
	// lengths the file gives: both must refuse the same damage alike.
	dir := t.TempDir()
	both := func(rd func(io.Reader) error) func([]byte) error {
		return func(b []byte) error {
			err := rd(bytes.NewReader(b))
			name := filepath.Join(dir, "f.snap")
			if werr := os.WriteFile(name, b, 0o644); werr != nil {
				t.Fatal(werr)
			}
			f, oerr := os.Open(name)
			if oerr != nil {
				t.Fatal(oerr)
			}
			defer f.Close()
			if ferr := rd(f); fmt.Sprint(ferr) != fmt.Sprint(err) {
				t.Fatalf("read from memory: %v; from a file: %v", err, ferr)
			}
			return err
		}
	}
	read := map[string]func([]byte) error{
		"account": both(func(r io.Reader) error { _, err := ReadAccountSnapshot(r); return err }),
		"utxo":    both(func(r io.Reader) error { _, err := ReadUTXOSnapshot(r); return err }),
	}
	for model, file := range files {
		if err := read[model](file); err != nil {
			t.Fatalf("%s: the intact file: %v", model, err)
		}
		for _, v := range []uint64{1, 3} {
			old := withVersion(file, v)
			for _, rd := range []func([]byte) error{read[model], func(b []byte) error { _, err := ReadSnapshotInfo(bytes.NewReader(b)); return err }} {
				err := rd(old)
				if !errors.Is(err, ErrSnapshotVersion) || !strings.Contains(err.Error(), fmt.Sprintf("version %d, this build reads version %d", v, snapVersion)) {
					t.Errorf("%s, version %d: %v", model, v, err)
				}
			}
		}
		other := "utxo"
		if model == "utxo" {
			other = "account"
		}
		if err := read[other](file); err == nil || !strings.Contains(err.Error(), "not a"+map[string]string{"account": "n account", "utxo": " UTXO"}[other]) {
			t.Errorf("a %s file read as %s: %v", model, other, err)
		}
		if info, err := VerifySnapshotFile(bytes.NewReader(file)); err != nil || info.Model != model {
			t.Fatalf("%s: VerifySnapshotFile of the intact file: %+v %v", model, info, err)
		}
		for what, bad := range damaged(file) {
			for name, rd := range read {
				if err := rd(bad); err == nil {
					t.Fatalf("%s file, %s: read as a %s snapshot", model, what, name)
				}
			}
			if _, err := VerifySnapshotFile(bytes.NewReader(bad)); err == nil {
				t.Fatalf("%s file, %s: VerifySnapshotFile passes it", model, what)
			}
		}
		if err := read[model]([]byte("chainhound trace snapshot\n")); err == nil || !strings.Contains(err.Error(), "not a snapshot file") {
			t.Errorf("another magic: %v", err)
		}
	}
}

// TestUTXOSnapshotFile writes UTXO snapshots of random chains (power-law
// graphs, and a chain whose inputs spend outputs the store never held) to
// a file and checks that the copy answers every IO and Spender as the
// original, traces as the store does under every model (fast path and
// general tracer), records the same origin, and writes back the same
// bytes.
func TestUTXOSnapshotFile(t *testing.T) {
	type utxoCase struct {
		s     *store.DB
		seeds []Outpoint
	}
	var cases []utxoCase
	for seed := range uint64(2) {
		s := openStore(t)
		g := synth.NewUTXOGraph(synth.GraphConfig{Transfers: 2000, Addresses: 300, PerBlock: 50, Seed: seed}, 100)
		for b := g.Next(); b != nil; b = g.Next() {
			if err := s.ApplyBlock(b); err != nil {
				t.Fatal(err)
			}
		}
		var seeds []Outpoint
		for _, a := range g.Alerts() {
			seeds = append(seeds, Outpoint{a.Tx, a.Vout})
		}
		cases = append(cases, utxoCase{s, seeds})
	}
	// Inputs spending outputs the store never held (ingest started later):
	// resolved by the source, kept in the snapshot's side table.
	c, outs := randomUTXOChain(t, rand.New(rand.NewPCG(9, 9)))
	c.block("cb-old", []chain.Output{pay("miner", 1)}, chain.Tx{Hash: txHash("spends-old"), Outputs: []chain.Output{pay("a1", 400), pay("a2", 99)},
		Inputs: []chain.Input{{PrevTx: txHash("before-ingest"), PrevIndex: 3, Address: btc("old"), Value: 500, Resolved: true}}})
	var seeds []Outpoint
	for _, o := range outs {
		seeds = append(seeds, o.op)
	}
	cases = append(cases, utxoCase{c.s, append(seeds, outpt("spends-old", 0))})

	for i, tc := range cases {
		snap, err := NewUTXOSnapshot(tc.s, chain.Bitcoin)
		if err != nil {
			t.Fatal(err)
		}
		file := writeUTXO(t, snap)
		back, err := ReadUTXOSnapshot(bytes.NewReader(file))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if back.Info() != snap.Info() || !bytes.Equal(writeUTXO(t, back), file) {
			t.Fatalf("case %d: read back, the snapshot records %+v (was %+v) or writes other bytes", i, back.Info(), snap.Info())
		}
		if i == len(cases)-1 && len(back.prevs) != 1 {
			t.Fatalf("case %d: %d inputs of outputs the snapshot lacks, want 1", i, len(back.prevs))
		}
		cur, _, _ := tc.s.Cursor(chain.Bitcoin)
		txs := 0
		for h := uint64(0); h <= cur.Height+1; h++ {
			for txi := uint32(0); ; txi++ {
				want, wok, _ := snap.IO(chain.Bitcoin, h, txi)
				got, gok, _ := back.IO(chain.Bitcoin, h, txi)
				if wok != gok || !reflect.DeepEqual(want, got) {
					t.Fatalf("case %d IO(%d, %d): the copy differs", i, h, txi)
				}
				if !wok {
					break
				}
				txs++
				for vout := range uint32(len(want.Outputs) + 1) {
					ws, wok, _ := snap.Spender(chain.Bitcoin, want.Hash, vout)
					gs, gok, _ := back.Spender(chain.Bitcoin, want.Hash, vout)
					if wok != gok || ws != gs {
						t.Fatalf("case %d Spender(%s:%d): the copy gives %+v, the original %+v", i, want.Hash, vout, gs, ws)
					}
				}
			}
		}
		if n, _ := snap.Len(); txs != n || n == 0 {
			t.Fatalf("case %d: compared %d transactions of %d", i, txs, n)
		}
		r := rand.New(rand.NewPCG(uint64(i), 7))
		for _, m := range []Model{FIFO, Haircut, TIHO, Poison} {
			for k := range 4 {
				var seeds []UTXOSeed
				for _, j := range r.Perm(len(tc.seeds))[:min(len(tc.seeds), 1+k*4)] {
					seeds = append(seeds, UTXOSeed{Outpoint: tc.seeds[j]})
				}
				b := Bounds{MaxHops: r.IntN(6)}
				want, werr := TraceUTXO(tc.s, chain.Bitcoin, m, b, seeds)
				checkFastUTXO(t, back, m, b, seeds, want, werr)
			}
		}
	}
}

// TestAccountSnapshotFileBytes: writing a snapshot twice, or its copy read
// back, gives the same bytes (amounts past 128 bits and token ids, kept in
// maps, are written in row order).
func TestAccountSnapshotFileBytes(t *testing.T) {
	s := openStore(t)
	randomMixedChain(t, rand.New(rand.NewPCG(5, 5)), s, 40)
	snap, err := NewAccountSnapshot(s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.big) == 0 || len(snap.tokens) == 0 {
		t.Fatalf("%d large amounts, %d token ids: the test compares nothing", len(snap.big), len(snap.tokens))
	}
	file := writeAccount(t, snap)
	back, err := ReadAccountSnapshot(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if !bytes.Equal(writeAccount(t, snap), file) || !bytes.Equal(writeAccount(t, back), file) {
			t.Fatal("the same snapshot written twice gives other bytes")
		}
	}
}

// FuzzSnapshotFile feeds arbitrary snapshot file bodies, with a correct
// checksum appended (so that the reader gets past it to the arrays), to
// both readers: they must refuse or read without panicking, and a file
// read must write back as the same bytes.
func FuzzSnapshotFile(f *testing.F) {
	st, err := store.Open(f.TempDir(), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	g := synth.NewUTXOGraph(synth.GraphConfig{Transfers: 30, Addresses: 10, PerBlock: 10, Seed: 1}, 1)
	for b := g.Next(); b != nil; b = g.Next() {
		if err := st.ApplyBlock(b); err != nil {
			f.Fatal(err)
		}
	}
	ag := synth.NewAccountGraph(synth.GraphConfig{Transfers: 60, Addresses: 200, PerBlock: 10, Seed: 1}, 1)
	for b := ag.Next(); b != nil; b = ag.Next() {
		if err := st.ApplyBlock(b); err != nil {
			f.Fatal(err)
		}
	}
	acct, err := NewAccountSnapshot(st, chain.Ethereum)
	if err != nil {
		f.Fatal(err)
	}
	utxo, err := NewUTXOSnapshot(st, chain.Bitcoin)
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range [][]byte{writeAccount(f, acct), writeUTXO(f, utxo)} {
		f.Add(file[:len(file)-8])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		file := binary.LittleEndian.AppendUint64(bytes.Clone(body), uint64(crc32.Checksum(body, castagnoli)))
		if a, err := ReadAccountSnapshot(bytes.NewReader(file)); err == nil {
			if !bytes.Equal(writeAccount(t, a), file) {
				t.Fatal("an account snapshot read writes back other bytes")
			}
		}
		if u, err := ReadUTXOSnapshot(bytes.NewReader(file)); err == nil {
			if !bytes.Equal(writeUTXO(t, u), file) {
				t.Fatal("a UTXO snapshot read writes back other bytes")
			}
		}
	})
}
