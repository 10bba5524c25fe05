package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
)

// TraceGraphConfig shapes the synthetic graphs of the tracing benchmark.
type TraceGraphConfig struct {
	AccountTransfers int     // account graph transfers (0: no account graph)
	UTXOTxs          int     // UTXO graph transactions (0: no UTXO graph)
	Addresses        int     // per graph (0: a tenth of its transfers or transactions)
	Exponent         float64 // Zipf exponent (0: 1.1)
	Seed             uint64
	// Airdrop funds every account address rank once after the graph (one
	// wei from the busiest hub each), so all Addresses are stored: for the
	// serving benchmark, which screens addresses, not for tracing.
	Airdrop bool `json:",omitempty"`
}

// Networks the synthetic graphs are bound to: ids no real chain uses, so a
// synthetic store is never mistaken for a real one.
var (
	synthEthereum = chain.Network{CAIP2: "eip155:990099", Genesis: "synthetic power-law graph"}
	synthBitcoin  = chain.Network{CAIP2: "bip122:5b7e7a1c00000000000000000000000", Genesis: "synthetic power-law graph"}
)

// graphMeta is written beside the store once a graph is complete: the
// parameters it was made with, what it holds and the alerts sampled from
// it. Its absence marks an unfinished generation.
type graphMeta struct {
	Version          int                  `json:"version"`
	Config           TraceGraphConfig     `json:"config"`
	AccountBlocks    uint64               `json:"account_blocks"`
	AccountTransfers int                  `json:"account_transfers"` // stored, genesis included
	UTXOBlocks       uint64               `json:"utxo_blocks"`
	UTXOTxs          int                  `json:"utxo_txs"` // stored, coinbases included
	UTXOOutputs      int                  `json:"utxo_outputs"`
	UTXOTransfers    int                  `json:"utxo_transfers"`
	GenerateSeconds  float64              `json:"generate_seconds"`
	AccountAlerts    []synth.AccountAlert `json:"-"`
	UTXOAlerts       []synth.UTXOAlert    `json:"-"`
}

const (
	metaFile       = "graph.json"
	alertsFile     = "alerts.json"
	storeDir       = "store"
	graphVersion   = 1
	alertsPerGraph = 40_000
	// internCache sizes the store's address caches above the largest
	// graph's population (5 million at 50 million transfers), so resolving
	// ids to addresses does not thrash the default 1M-entry cache and send
	// every lookup to Pebble.
	internCache = 1 << 23
)

// TraceGraph is the generated graphs opened for tracing, each in a store
// of its own (DIR/account, DIR/utxo), so either can be made or reused
// alone.
type TraceGraph struct {
	Account, UTXO *store.DB // nil when not configured
	Meta          graphMeta
	Dir           string
}

// Close closes the stores.
func (g *TraceGraph) Close() error {
	var errs []error
	for _, st := range []*store.DB{g.Account, g.UTXO} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// OpenTraceGraph opens the graphs in dir, generating each first unless dir
// already holds it made with the same configuration. cacheBytes sizes the
// stores' block caches (0: the store's default).
func OpenTraceGraph(ctx context.Context, dir string, cfg TraceGraphConfig, cacheBytes int64, progress io.Writer) (*TraceGraph, error) {
	g := &TraceGraph{Dir: dir, Meta: graphMeta{Version: graphVersion, Config: cfg}}
	if cfg.AccountTransfers > 0 {
		sub := cfg
		sub.UTXOTxs = 0
		st, m, err := openGraph(ctx, filepath.Join(dir, "account"), sub, cacheBytes, progress)
		if err != nil {
			return nil, err
		}
		g.Account = st
		g.Meta.AccountBlocks, g.Meta.AccountTransfers, g.Meta.AccountAlerts = m.AccountBlocks, m.AccountTransfers, m.AccountAlerts
		g.Meta.GenerateSeconds += m.GenerateSeconds
	}
	if cfg.UTXOTxs > 0 {
		sub := cfg
		sub.AccountTransfers, sub.Airdrop = 0, false
		st, m, err := openGraph(ctx, filepath.Join(dir, "utxo"), sub, cacheBytes, progress)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.UTXO = st
		g.Meta.UTXOBlocks, g.Meta.UTXOTxs, g.Meta.UTXOOutputs, g.Meta.UTXOTransfers, g.Meta.UTXOAlerts = m.UTXOBlocks, m.UTXOTxs, m.UTXOOutputs, m.UTXOTransfers, m.UTXOAlerts
		g.Meta.GenerateSeconds += m.GenerateSeconds
	}
	return g, nil
}

// openGraph opens or generates the one graph cfg configures in dir. A dir
// holding another graph, or an unfinished generation, is an error:
// generation writes a fresh store only.
func openGraph(ctx context.Context, dir string, cfg TraceGraphConfig, cacheBytes int64, progress io.Writer) (*store.DB, *graphMeta, error) {
	meta, err := readMeta(dir)
	switch {
	case err == nil:
		if meta.Config != cfg || meta.Version != graphVersion {
			return nil, nil, fmt.Errorf("%s holds a graph made with %+v (version %d), not %+v: use another --data directory or remove it", dir, meta.Config, meta.Version, cfg)
		}
		st, err := store.Open(filepath.Join(dir, storeDir), store.Options{ReadOnly: true, CacheBytes: cacheBytes, InternCache: internCache})
		if err != nil {
			return nil, nil, err
		}
		return st, meta, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, nil, err
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, nil, fmt.Errorf("%s is not empty but holds no finished graph (%s missing): remove it or use another --data directory", dir, metaFile)
	}
	st, err := store.Open(filepath.Join(dir, storeDir), store.Options{CacheBytes: cacheBytes, InternCache: internCache})
	if err != nil {
		return nil, nil, err
	}
	m, err := generate(ctx, st, cfg, progress)
	if err == nil {
		err = st.Sync()
	}
	if err == nil {
		err = writeMeta(dir, m)
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, m, nil
}

func readMeta(dir string) (*graphMeta, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, err
	}
	var m graphMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, metaFile), err)
	}
	a, err := os.ReadFile(filepath.Join(dir, alertsFile))
	if err != nil {
		return nil, err
	}
	var al alertsJSON
	if err := json.Unmarshal(a, &al); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, alertsFile), err)
	}
	if m.AccountAlerts, m.UTXOAlerts, err = al.decode(); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, alertsFile), err)
	}
	return &m, nil
}

// alertsJSON is the alerts file: addresses, hashes and amounts as text.
type alertsJSON struct {
	Account [][4]string `json:"account"` // address, block, asset ("native" or the token contract), amount
	UTXO    [][3]string `json:"utxo"`    // txid, vout, value
}

func encodeAlerts(acct []synth.AccountAlert, utxo []synth.UTXOAlert) alertsJSON {
	var al alertsJSON
	for _, a := range acct {
		asset := "native"
		if a.Asset.Kind != chain.Native {
			asset = a.Asset.Contract.String()
		}
		al.Account = append(al.Account, [4]string{a.Address.String(), strconv.FormatUint(a.Block, 10), asset, a.Amount.Dec()})
	}
	for _, u := range utxo {
		al.UTXO = append(al.UTXO, [3]string{u.Tx.String(), strconv.FormatUint(uint64(u.Vout), 10), strconv.FormatInt(u.Value, 10)})
	}
	return al
}

func (al alertsJSON) decode() ([]synth.AccountAlert, []synth.UTXOAlert, error) {
	var acct []synth.AccountAlert
	var utxo []synth.UTXOAlert
	for i, a := range al.Account {
		var x synth.AccountAlert
		var err error
		if x.Address, err = chain.ParseEVMAddress(a[0]); err != nil {
			return nil, nil, fmt.Errorf("account alert %d: %w", i, err)
		}
		if x.Block, err = strconv.ParseUint(a[1], 10, 64); err != nil {
			return nil, nil, fmt.Errorf("account alert %d: block: %w", i, err)
		}
		x.Asset = chain.NativeAsset
		if a[2] != "native" {
			c, err := chain.ParseEVMAddress(a[2])
			if err != nil {
				return nil, nil, fmt.Errorf("account alert %d: asset: %w", i, err)
			}
			x.Asset = chain.Asset{Kind: chain.ERC20, Contract: c}
		}
		if err := x.Amount.SetFromDecimal(a[3]); err != nil {
			return nil, nil, fmt.Errorf("account alert %d: amount: %w", i, err)
		}
		acct = append(acct, x)
	}
	for i, u := range al.UTXO {
		var x synth.UTXOAlert
		var err error
		if x.Tx, err = chain.ParseHash(u[0]); err != nil {
			return nil, nil, fmt.Errorf("utxo alert %d: %w", i, err)
		}
		v, err := strconv.ParseUint(u[1], 10, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("utxo alert %d: vout: %w", i, err)
		}
		x.Vout = uint32(v)
		if x.Value, err = strconv.ParseInt(u[2], 10, 64); err != nil {
			return nil, nil, fmt.Errorf("utxo alert %d: value: %w", i, err)
		}
		utxo = append(utxo, x)
	}
	return acct, utxo, nil
}

// writeMeta writes the alerts, then the meta file that marks the graphs
// complete.
func writeMeta(dir string, m *graphMeta) error {
	a, err := json.Marshal(encodeAlerts(m.AccountAlerts, m.UTXOAlerts))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, alertsFile), a, 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, metaFile), append(b, '\n'), 0o644)
}

// generate writes the configured graphs block by block through the
// store's ordinary ApplyBlock path, the one ingestion uses.
func generate(ctx context.Context, st *store.DB, cfg TraceGraphConfig, progress io.Writer) (*graphMeta, error) {
	m := &graphMeta{Version: graphVersion, Config: cfg}
	start := time.Now()
	if cfg.AccountTransfers > 0 {
		g := synth.NewAccountGraph(synth.GraphConfig{Transfers: cfg.AccountTransfers, Addresses: cfg.Addresses, Exponent: cfg.Exponent, Seed: cfg.Seed}, alertsPerGraph)
		if err := st.Bind(chain.Ethereum, synthEthereum); err != nil {
			return nil, err
		}
		p := newProgress(progress, "account graph", cfg.AccountTransfers)
		var last chain.Hash
		for b := g.Next(); b != nil; b = g.Next() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := st.ApplyBlock(b); err != nil {
				return nil, fmt.Errorf("account graph block %d: %w", b.Height, err)
			}
			m.AccountBlocks = b.Height
			m.AccountTransfers += len(b.Transfers)
			last = b.Hash
			p.add(len(b.Transfers))
		}
		p.finish()
		m.AccountAlerts = g.Alerts()
		if cfg.Airdrop {
			h, n, err := airdrop(ctx, st, g.Config().Addresses, m.AccountBlocks, last, progress)
			if err != nil {
				return nil, err
			}
			m.AccountBlocks = h
			m.AccountTransfers += n
		}
	}
	if cfg.UTXOTxs > 0 {
		g := synth.NewUTXOGraph(synth.GraphConfig{Transfers: cfg.UTXOTxs, Addresses: cfg.Addresses, Exponent: cfg.Exponent, Seed: cfg.Seed}, alertsPerGraph)
		if err := st.Bind(chain.Bitcoin, synthBitcoin); err != nil {
			return nil, err
		}
		p := newProgress(progress, "UTXO graph", cfg.UTXOTxs)
		for b := g.Next(); b != nil; b = g.Next() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := st.ApplyBlock(b); err != nil {
				return nil, fmt.Errorf("UTXO graph block %d: %w", b.Height, err)
			}
			m.UTXOBlocks = b.Height
			m.UTXOTxs += len(b.Txs)
			m.UTXOTransfers += len(b.Transfers)
			for i := range b.Txs {
				m.UTXOOutputs += len(b.Txs[i].Outputs)
			}
			p.add(len(b.Txs) - 1)
		}
		p.finish()
		m.UTXOAlerts = g.Alerts()
	}
	m.GenerateSeconds = time.Since(start).Seconds()
	return m, nil
}

// progress logs a line every few seconds while a long step runs.
type progress struct {
	w           io.Writer
	what        string
	total, n    int
	start, last time.Time
}

func newProgress(w io.Writer, what string, total int) *progress {
	now := time.Now()
	return &progress{w: w, what: what, total: total, start: now, last: now}
}

func (p *progress) add(n int) {
	p.n += n
	if p.w == nil || time.Since(p.last) < 10*time.Second {
		return
	}
	p.last = time.Now()
	el := time.Since(p.start).Seconds()
	rate := float64(p.n) / el
	eta := time.Duration(float64(p.total-p.n)/rate) * time.Second
	fmt.Fprintf(p.w, "%s: %d/%d (%.0f/s, eta %s)\n", p.what, p.n, p.total, rate, eta.Round(time.Second))
}

func (p *progress) finish() {
	if p.w != nil {
		el := time.Since(p.start).Seconds()
		fmt.Fprintf(p.w, "%s: %d in %.1f s (%.0f/s)\n", p.what, p.n, el, float64(p.n)/el)
	}
}
