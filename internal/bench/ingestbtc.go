package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
)

// IngestBTCConfig shapes the Bitcoin ingest benchmark.
type IngestBTCConfig struct {
	Blocks      int    // synthetic blocks after genesis (default 200)
	TxsPerBlock int    // default 2,500
	Workers     int    // decode workers (default 4)
	Dir         string // store directory; empty: a temporary one, removed after
}

// IngestBTCResult holds the measured figures.
type IngestBTCResult struct {
	Machine         string
	GOMAXPROCS      int
	Blocks, Txs     int
	Bytes           int64
	WireSeconds     float64 // bare wire.MsgBlock deserialisation
	EndToEndSeconds float64 // decode, classify, resolve, derive, store
	Transfers       int
	PeakRSSBytes    int64
}

// Ratio is end-to-end throughput over bare wire throughput.
func (r IngestBTCResult) Ratio() float64 { return r.WireSeconds / r.EndToEndSeconds }

// String formats the result as a short report.
func (r IngestBTCResult) String() string {
	mb := float64(r.Bytes) / 1e6
	return fmt.Sprintf(`machine            %s, GOMAXPROCS=%d
blocks             %d (%.1f MB, %d transactions)
wire decode only   %.1f MB/s, %.0f transactions/s
end to end         %.1f MB/s, %.0f transactions/s, %.0f transfers/s
end-to-end/wire    %.2f
peak RSS           %.0f MiB`,
		r.Machine, r.GOMAXPROCS, r.Blocks, mb, r.Txs,
		mb/r.WireSeconds, float64(r.Txs)/r.WireSeconds,
		mb/r.EndToEndSeconds, float64(r.Txs)/r.EndToEndSeconds, float64(r.Transfers)/r.EndToEndSeconds,
		r.Ratio(), float64(r.PeakRSSBytes)/(1<<20))
}

// IngestBTC generates a synthetic chain of mainnet-shaped blocks in memory,
// times bare btcd wire deserialisation of all of it, then the whole ingest
// pipeline over the same bytes into a fresh store.
func IngestBTC(ctx context.Context, cfg IngestBTCConfig) (IngestBTCResult, error) {
	if cfg.Blocks <= 0 {
		cfg.Blocks = 200
	}
	res := IngestBTCResult{Machine: Machine(), GOMAXPROCS: runtime.GOMAXPROCS(0), Blocks: cfg.Blocks + 1}
	gen := synth.NewBTCGen(synth.BTCConfig{TxsPerBlock: cfg.TxsPerBlock, Seed: 1})
	raws := [][]byte{gen.Genesis()}
	for range cfg.Blocks {
		raws = append(raws, gen.Next())
	}
	hashes := make([]chainhash.Hash, len(raws))
	start := time.Now()
	for i, raw := range raws {
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(raw)); err != nil {
			return res, fmt.Errorf("block %d: %w", i, err)
		}
		res.Bytes += int64(len(raw))
		res.Txs += len(mb.Transactions)
		hashes[i] = mb.BlockHash()
	}
	res.WireSeconds = time.Since(start).Seconds()

	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "chainhound-bench-btc-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return res, err
	}
	defer st.Close()
	net, err := btc.ParseNetwork("regtest")
	if err != nil {
		return res, err
	}
	src := btc.NewSource(net, memBlocks{raws: raws, hashes: hashes, net: net}, st, nil)
	ing, err := ingest.New(src, st, ingest.Config{HasTo: true, To: uint64(cfg.Blocks), Workers: cfg.Workers})
	if err != nil {
		return res, err
	}
	start = time.Now()
	sum, err := ing.Run(ctx)
	if err != nil {
		return res, err
	}
	res.EndToEndSeconds = time.Since(start).Seconds()
	res.Transfers = sum.Transfers
	res.PeakRSSBytes = PeakRSS()
	return res, nil
}

// memBlocks serves serialised blocks from memory.
type memBlocks struct {
	raws   [][]byte
	hashes []chainhash.Hash
	net    btc.Network
}

func (m memBlocks) Tip(context.Context) (int64, error) { return int64(len(m.raws) - 1), nil }

func (m memBlocks) HashAt(_ context.Context, h int64) (chainhash.Hash, error) {
	if h < 0 || h >= int64(len(m.hashes)) {
		return chainhash.Hash{}, fmt.Errorf("block %d: %w", h, ingest.ErrNotFound)
	}
	return m.hashes[h], nil
}

func (m memBlocks) BlockAt(_ context.Context, h int64) (*btc.Block, error) {
	return btc.DecodeBlock(m.raws[h], m.net)
}
