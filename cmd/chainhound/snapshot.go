package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/progress"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
)

// Trace snapshots: a chain's transfers (or UTXO transactions) in memory,
// laid out for tracing, built by `snapshot build` into DATA/snapshots and
// read by `trace` and `serve` while they hold the store's current head
// (docs/trace.md, "Snapshots").

// snapshotDir is where snapshot build writes and trace looks.
func snapshotDir(data string) string { return filepath.Join(data, "snapshots") }

// snapshotPath is the snapshot file of chain caip2.
func snapshotPath(data, caip2 string) string {
	return filepath.Join(snapshotDir(data), strings.ReplaceAll(caip2, ":", "_")+".snap")
}

// loadedSnapshot is a snapshot file read into memory: one of acct and
// utxo, as the chain's model.
type loadedSnapshot struct {
	path string
	info trace.SnapshotInfo
	acct *trace.AccountSnapshot
	utxo *trace.UTXOSnapshot
}

// source names the snapshot as the trace's source, for logs.
func (s *loadedSnapshot) source() string {
	return fmt.Sprintf("snapshot %s (head %d)", s.path, s.info.Head.Height)
}

// readSnapshotHeader reads only the header of a snapshot file.
func readSnapshotHeader(path string) (trace.SnapshotInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return trace.SnapshotInfo{}, err
	}
	defer f.Close()
	return trace.ReadSnapshotInfo(f)
}

// verifySnapshot checks a snapshot file's header and checksum.
func verifySnapshot(path string) (trace.SnapshotInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return trace.SnapshotInfo{}, err
	}
	defer f.Close()
	return trace.VerifySnapshotFile(f)
}

// readSnapshot reads a whole snapshot file, of either model.
func readSnapshot(path string) (*loadedSnapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := trace.ReadSnapshotInfo(f)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	s := &loadedSnapshot{path: path, info: info}
	if info.Model == trace.ModelUTXO {
		s.utxo, err = trace.ReadUTXOSnapshot(f)
	} else {
		s.acct, err = trace.ReadAccountSnapshot(f)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// headText renders a store head: its height and block hash.
func headText(c chain.Chain, h store.Cursor, ok bool) string {
	if !ok {
		return "none (no blocks)"
	}
	return fmt.Sprintf("%d hash %s", h.Height, c.FormatHash(h.Hash))
}

// snapshotStale says why a snapshot does not hold the store's chain c as
// it stands (network net, head cur; ok false without one), or "" when it
// does: same chain and network, same head height and block hash.
func snapshotStale(info trace.SnapshotInfo, c chain.Chain, net chain.Network, cur store.Cursor, ok bool) string {
	switch {
	case net.CAIP2 == "":
		return fmt.Sprintf("it holds %s %s, of which the store holds nothing", info.Chain, info.Network.CAIP2)
	case info.Chain != c || info.Network != net:
		return fmt.Sprintf("it holds %s %s (genesis %s), the store's %s is %s (genesis %s)", info.Chain, info.Network.CAIP2, info.Network.Genesis, c, net.CAIP2, net.Genesis)
	case info.Current(cur, ok):
		return ""
	}
	return fmt.Sprintf("built at block %s, the store is at block %s", headText(c, info.Head, info.HasHead), headText(c, cur, ok))
}

// storeStale is snapshotStale against the store's chain c as it stands.
func storeStale(info trace.SnapshotInfo, st *store.DB, c chain.Chain) (string, error) {
	net, _, err := st.Network(c)
	if err != nil {
		return "", err
	}
	cur, ok, err := st.Cursor(c)
	if err != nil {
		return "", err
	}
	return snapshotStale(info, c, net, cur, ok), nil
}

func rebuildHint(data, caip2 string) string {
	return fmt.Sprintf("rebuild with chainhound snapshot build --data %s --chain %s", data, caip2)
}

// snapshotPicker chooses the snapshot a forward trace runs over.
type snapshotPicker interface {
	// pick returns the snapshot to trace t's chain over (t's store head
	// and network are read), or nil to trace over the store.
	pick(t *tracer) (*loadedSnapshot, error)
}

// cliSnapshots is trace --snapshot: auto (the chain's file in
// DATA/snapshots when current, else the store, saying why) or a file that
// must be current.
type cliSnapshots struct {
	e    *env
	data string
	file string // "" for auto
}

func (p *cliSnapshots) pick(t *tracer) (*loadedSnapshot, error) {
	path := p.file
	if path == "" {
		path = snapshotPath(p.data, t.caip2)
	}
	refuse := func(err error) (*loadedSnapshot, error) {
		if p.file != "" {
			return nil, err
		}
		p.e.log.Warn("tracing over the store: "+err.Error(), "snapshot", path)
		return nil, nil
	}
	info, err := readSnapshotHeader(path)
	switch {
	case err != nil && p.file == "" && errors.Is(err, fs.ErrNotExist):
		p.e.log.Info("tracing over the store: no snapshot of "+t.caip2+" (chainhound snapshot build makes one)", "snapshot", path)
		return nil, nil
	case err != nil && errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--snapshot %s: %w", path, err)
	case err != nil:
		return refuse(fmt.Errorf("snapshot %s refused: %v; %s", path, err, rebuildHint(p.data, t.caip2)))
	}
	if p.file != "" && (info.Chain != t.c || info.Network.CAIP2 != t.caip2) {
		return nil, usagef("--snapshot %s holds a snapshot of %s, the trace is on %s", path, info.Network.CAIP2, t.caip2)
	}
	if why := snapshotStale(info, t.c, t.net, t.head, t.hasHead); why != "" {
		if p.file != "" {
			return nil, usagef("--snapshot %s is not current: %s; %s, or trace with --snapshot off", path, why, rebuildHint(p.data, t.caip2))
		}
		return refuse(fmt.Errorf("snapshot %s is stale: %s; %s", path, why, rebuildHint(p.data, t.caip2)))
	}
	start := time.Now()
	snap, err := readSnapshot(path)
	if err != nil {
		return refuse(fmt.Errorf("snapshot %s refused: %v; %s", path, err, rebuildHint(p.data, t.caip2)))
	}
	p.e.log.Info("snapshot read", "file", path, "took", time.Since(start).Round(time.Millisecond))
	return snap, nil
}

// serveSnapshots are serve --trace-snapshot's snapshots, read at start,
// one per chain, each used while the store's head of its chain is the
// one it was built at, and dropped (once, logged) when the head moves.
type serveSnapshots struct {
	log *slog.Logger
	mu  sync.Mutex
	by  map[chain.Chain]*loadedSnapshot
}

// loadServeSnapshots reads the current snapshot file of each chain of
// chains (CAIP-2 id to chain); files missing, stale or refused are
// logged and skipped.
func loadServeSnapshots(e *env, data string, st *store.DB, chains map[string]chain.Chain) (*serveSnapshots, error) {
	s := &serveSnapshots{log: e.log, by: map[chain.Chain]*loadedSnapshot{}}
	for _, caip2 := range slices.Sorted(maps.Keys(chains)) {
		c, path := chains[caip2], snapshotPath(data, caip2)
		info, err := readSnapshotHeader(path)
		if errors.Is(err, fs.ErrNotExist) {
			e.log.Info("no trace snapshot: traces of this chain read the store (chainhound snapshot build makes one)", "chain", caip2, "snapshot", path)
			continue
		}
		if err != nil {
			e.log.Warn("trace snapshot refused: traces of this chain read the store", "chain", caip2, "snapshot", path, "err", err, "fix", rebuildHint(data, caip2))
			continue
		}
		why, err := storeStale(info, st, c)
		if err != nil {
			return nil, err
		}
		if why != "" {
			e.log.Warn("trace snapshot stale: traces of this chain read the store", "chain", caip2, "snapshot", path, "why", why, "fix", rebuildHint(data, caip2))
			continue
		}
		start := time.Now()
		snap, err := readSnapshot(path)
		if err != nil {
			e.log.Warn("trace snapshot refused: traces of this chain read the store", "chain", caip2, "snapshot", path, "err", err, "fix", rebuildHint(data, caip2))
			continue
		}
		s.by[c] = snap
		e.log.Info("trace snapshot loaded: forward traces of this chain run over it while the store's head stays", "chain", caip2, "snapshot", path,
			"head", info.Head.Height, "took", time.Since(start).Round(time.Millisecond))
	}
	return s, nil
}

func (s *serveSnapshots) pick(t *tracer) (*loadedSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.by[t.c]
	if snap == nil {
		return nil, nil
	}
	if why := snapshotStale(snap.info, t.c, t.net, t.head, t.hasHead); why != "" {
		delete(s.by, t.c)
		s.log.Warn("trace snapshot no longer current: traces of this chain read the store from now on", "chain", t.caip2, "snapshot", snap.path, "why", why)
		return nil, nil
	}
	return snap, nil
}

// storeChains lists the chains the store holds, by CAIP-2 id.
func storeChains(st *store.DB) (map[string]chain.Chain, error) {
	out := map[string]chain.Chain{}
	for _, c := range knownChains {
		net, ok, err := st.Network(c)
		if err != nil {
			return nil, err
		}
		if ok {
			out[net.CAIP2] = c
		}
	}
	return out, nil
}

func heldList(chains map[string]chain.Chain) string {
	var cs []string
	for c := range chains {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	if len(cs) == 0 {
		return "none"
	}
	return strings.Join(cs, ", ")
}

func snapshotBuildCommand() command {
	c := command{
		name:    "snapshot build",
		summary: "build each chain's in-memory trace snapshot and write it to DATA/snapshots, where trace and serve --trace-snapshot read it while the store has not moved",
		usage:   "[--data DIR] [--chain CAIP2 ...] [--force]",
		example: "chainhound snapshot build --data /srv/chainhound                 # every chain of the store\n" +
			"chainhound snapshot build --chain eip155:1                         # one chain: DATA/snapshots/eip155_1.snap\n" +
			"chainhound trace --seed 0x47666fab8bd0ac7003bce3f5c3585383f09486e2  # now forward traces run over the snapshot\n" +
			"chainhound snapshot list                                           # which snapshots are current",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		var only multiFlag
		fs.Var(&only, "chain", "CAIP-2 id of a chain to snapshot, e.g. eip155:1 (repeat for several; default: every chain of the store)")
		force := fs.Bool("force", false, "build a snapshot again even when its file is current")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		for _, id := range only {
			if _, err := parseCAIP2(id); err != nil {
				return usagef("--chain: %v", err)
			}
		}
		st, err := openReadStore(*data)
		if err != nil {
			return err
		}
		defer st.Close()
		held, err := storeChains(st)
		if err != nil {
			return err
		}
		todo := []string(only)
		if len(todo) == 0 {
			if len(held) == 0 {
				return fmt.Errorf("the store at %s holds no chain: ingest one first", *data)
			}
			for id := range held {
				todo = append(todo, id)
			}
			slices.Sort(todo)
		}
		for _, id := range todo {
			if _, ok := held[id]; !ok {
				return fmt.Errorf("the store at %s holds no chain %s (it holds: %s)", *data, id, heldList(held))
			}
		}
		if err := os.MkdirAll(snapshotDir(*data), 0o755); err != nil {
			return err
		}
		for _, id := range todo {
			if err := buildSnapshot(ctx, e, st, *data, id, held[id], *force); err != nil {
				return err
			}
		}
		return nil
	}
	return c
}

// buildSnapshot builds chain c's snapshot and writes it to its file
// (a temporary file, synced, then renamed over it), with a summary line.
func buildSnapshot(ctx context.Context, e *env, st *store.DB, data, caip2 string, c chain.Chain, force bool) error {
	path := snapshotPath(data, caip2)
	cur, ok, err := st.Cursor(c)
	if err != nil {
		return err
	}
	if info, err := verifySnapshot(path); err == nil && !force {
		if why, err := storeStale(info, st, c); err != nil {
			return err
		} else if why == "" {
			fmt.Fprintf(e.stdout, "%s: %s is current (head %s), kept (--force builds it again)\n", caip2, path, headText(c, cur, ok))
			return nil
		}
	}
	e.log.Info("building snapshot", "chain", caip2, "head", headText(c, cur, ok), "file", path)
	start := time.Now()
	var (
		w       io.WriterTo
		summary string
	)
	if c == chain.Bitcoin {
		p := progress.NewItems(e.stderr, e.log, "snapshot "+caip2, "transactions", 10*time.Second)
		snap, err := trace.NewUTXOSnapshot(&utxoProgress{DB: st, ctx: ctx, p: p, top: cur.Height}, c)
		p.Done()
		if err != nil {
			return err
		}
		txs, outs := snap.Len()
		w, summary = snap, fmt.Sprintf("UTXO snapshot of %d transactions, %d outputs, %d addresses", txs, outs, snap.Addresses())
	} else {
		p := progress.New(e.stderr, e.log, "snapshot "+caip2, 10*time.Second)
		snap, err := trace.NewAccountSnapshot(&accountProgress{DB: st, ctx: ctx, p: p, top: cur.Height}, c)
		p.Done()
		if err != nil {
			return err
		}
		n, addrs := snap.Len()
		w, summary = snap, fmt.Sprintf("account snapshot of %d transfers, %d addresses", n, addrs)
	}
	built := time.Since(start)
	n, err := writeFileAtomic(path, w)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(e.stdout, "%s: %s at block %s: %s, %d bytes, built in %.1f s, written in %.1f s\n",
		caip2, summary, headText(c, cur, ok), path, n, built.Seconds(), (time.Since(start) - built).Seconds())
	return nil
}

// writeFileAtomic writes w to path through a temporary file beside it,
// synced and renamed over path, so that path holds the old file or the
// whole new one, never a part.
func writeFileAtomic(path string, w io.WriterTo) (int64, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename, a no-op
	n, err := w.WriteTo(f)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDirectory(dir)
	}
	return n, err
}

// syncDirectory makes a rename in dir durable.
func syncDirectory(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// accountProgress reports a snapshot's reading of the store's transfers,
// block by block, and stops it when ctx ends.
type accountProgress struct {
	*store.DB
	ctx context.Context
	p   progress.Reporter
	top uint64
}

func (r *accountProgress) Transfers(q store.Query) iter.Seq2[store.Row, error] {
	return func(yield func(store.Row, error) bool) {
		var block uint64
		items := 0
		for row, err := range r.DB.Transfers(q) {
			if err == nil && row.Block != block {
				if items > 0 {
					r.p.Update(block, r.top, 1, items)
				}
				block, items = row.Block, 0
				if err := r.ctx.Err(); err != nil {
					yield(store.Row{}, err)
					return
				}
			}
			items++
			if !yield(row, err) {
				return
			}
		}
		if items > 0 {
			r.p.Update(block, r.top, 1, items)
		}
	}
}

// utxoProgress is accountProgress for UTXO snapshots, which read
// transactions by height and index.
type utxoProgress struct {
	*store.DB
	ctx context.Context
	p   progress.Reporter
	top uint64
}

func (r *utxoProgress) IO(c chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error) {
	if txi == 0 {
		if err := r.ctx.Err(); err != nil {
			return chain.Tx{}, false, err
		}
	}
	tx, ok, err := r.DB.IO(c, h, txi)
	if err == nil && !ok {
		r.p.Update(h, r.top, 1, int(txi))
	}
	return tx, ok, err
}

// snapshotEntry is one snapshot file as snapshot list shows it.
type snapshotEntry struct {
	Chain     string  `json:"chain"`
	Model     string  `json:"model,omitempty"`
	File      string  `json:"file"`
	HeadBlock *uint64 `json:"head_block"`
	HeadHash  string  `json:"head_hash,omitempty"`
	Bytes     int64   `json:"bytes"`
	BuiltAt   string  `json:"built_at,omitempty"`
	Current   bool    `json:"current"`
	Status    string  `json:"status"` // "current", or why not
}

func snapshotListCommand() command {
	c := command{
		name:    "snapshot list",
		summary: "list the trace snapshots in DATA/snapshots: chain, file, head block and hash, size, when built, and whether each is intact and current against the store",
		usage:   "[--data DIR] [--quick] [--output table|json]",
		example: "chainhound snapshot list\nchainhound snapshot list --data /srv/chainhound --output json\nchainhound snapshot list --quick   # headers only: a damaged file may show as current",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		output := fs.String("output", "table", "table or json")
		quick := fs.Bool("quick", false, "read only each file's header, not its checksum (fast on large files, but a damaged file then shows as current)")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		files, err := filepath.Glob(filepath.Join(snapshotDir(*data), "*.snap"))
		if err != nil {
			return err
		}
		var st *store.DB
		var stErr error
		if len(files) > 0 {
			if st, stErr = openReadStore(*data); stErr == nil {
				defer st.Close()
			}
		}
		out := []snapshotEntry{}
		for _, path := range files {
			ent := snapshotEntry{Chain: strings.Replace(strings.TrimSuffix(filepath.Base(path), ".snap"), "_", ":", 1), File: path}
			if fi, err := os.Stat(path); err == nil {
				ent.Bytes = fi.Size()
			}
			read := verifySnapshot
			if *quick {
				read = readSnapshotHeader
			}
			info, err := read(path)
			if err != nil {
				ent.Status = fmt.Sprintf("refused: %v; %s", err, rebuildHint(*data, ent.Chain))
				out = append(out, ent)
				continue
			}
			ent.Chain, ent.Model, ent.BuiltAt = info.Network.CAIP2, info.Model, info.Built.Format(time.RFC3339)
			if info.HasHead {
				h := info.Head.Height
				ent.HeadBlock, ent.HeadHash = &h, info.Chain.FormatHash(info.Head.Hash)
			}
			switch {
			case stErr != nil:
				ent.Status = "unknown: " + stErr.Error()
			default:
				why, err := storeStale(info, st, info.Chain)
				if err != nil {
					return err
				}
				ent.Current, ent.Status = why == "", "current"
				if why != "" {
					ent.Status = "stale: " + why
				}
			}
			out = append(out, ent)
		}
		if *output == "json" {
			return writeJSON(e, out)
		}
		if len(out) == 0 {
			fmt.Fprintf(e.stderr, "no snapshots in %s (chainhound snapshot build --data %s makes them)\n", snapshotDir(*data), *data)
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHAIN\tMODEL\tFILE\tHEAD BLOCK\tHEAD HASH\tBYTES\tBUILT\tCURRENT")
		for _, x := range out {
			head := "-"
			if x.HeadBlock != nil {
				head = fmt.Sprint(*x.HeadBlock)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", x.Chain, orDash(x.Model), x.File, head, orDash(x.HeadHash), x.Bytes, orDash(x.BuiltAt), x.Status)
		}
		return tw.Flush()
	}
	return c
}
