// Package bench measures chainhound's throughput on synthetic data of real
// shape, so numbers are repeatable and no node is the bottleneck.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/ingest/eth"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/synth"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// IngestEthConfig shapes the ingest benchmark.
type IngestEthConfig struct {
	Blocks      int    // blocks to ingest (default 2000)
	Distinct    int    // distinct blocks generated and replayed in a ring (default 256)
	TxsPerBlock int    // default 150
	Workers     int    // fetch/decode workers (default 4)
	Dir         string // store directory; empty: a temporary one, removed after
}

// IngestEthResult holds the measured figures.
type IngestEthResult struct {
	Machine         string
	GOMAXPROCS      int
	Blocks          int
	Transfers       int
	JSONBytes       int64 // per pass over all blocks
	DecodeSeconds   float64
	EndToEndSeconds float64
	PeakRSSBytes    int64
}

// DecodeBlocksPerSec is the throughput of decoding the JSON alone.
func (r IngestEthResult) DecodeBlocksPerSec() float64 { return float64(r.Blocks) / r.DecodeSeconds }

// BlocksPerSec is the end-to-end throughput: decode, extract, store.
func (r IngestEthResult) BlocksPerSec() float64 { return float64(r.Blocks) / r.EndToEndSeconds }

// TransfersPerSec is the end-to-end transfer throughput.
func (r IngestEthResult) TransfersPerSec() float64 { return float64(r.Transfers) / r.EndToEndSeconds }

// Ratio is end-to-end throughput over decode-only throughput.
func (r IngestEthResult) Ratio() float64 { return r.DecodeSeconds / r.EndToEndSeconds }

// String formats the result as a short report.
func (r IngestEthResult) String() string {
	return fmt.Sprintf(`machine            %s, GOMAXPROCS=%d
blocks             %d (%.1f MB of JSON-RPC responses)
decode only        %.0f blocks/s, %.1f MB/s
end to end         %.0f blocks/s, %.0f transfers/s (%d transfers)
end-to-end/decode  %.2f
peak RSS           %.0f MiB`,
		r.Machine, r.GOMAXPROCS, r.Blocks, float64(r.JSONBytes)/1e6,
		r.DecodeBlocksPerSec(), float64(r.JSONBytes)/1e6/r.DecodeSeconds,
		r.BlocksPerSec(), r.TransfersPerSec(), r.Transfers, r.Ratio(), float64(r.PeakRSSBytes)/(1<<20))
}

// IngestEth runs the benchmark: first decoding every block's JSON alone, then
// the real ingest pipeline (decode, extract, one atomic store write per
// block) over the same JSON replayed from memory.
func IngestEth(ctx context.Context, cfg IngestEthConfig) (IngestEthResult, error) {
	if cfg.Blocks <= 0 {
		cfg.Blocks = 2000
	}
	if cfg.Distinct <= 0 {
		cfg.Distinct = 256
	}
	cfg.Distinct = min(cfg.Distinct, cfg.Blocks)
	src := newReplay(cfg)
	res := IngestEthResult{Machine: Machine(), GOMAXPROCS: runtime.GOMAXPROCS(0), Blocks: cfg.Blocks}
	start := time.Now()
	for n := 0; n < cfg.Blocks; n++ {
		b := &src.ring[n%len(src.ring)]
		res.JSONBytes += int64(len(b.Block) + len(b.Receipts) + len(b.Traces))
		if _, err := eth.DecodeBlockData(b.Block, b.Receipts, b.Traces, "debug"); err != nil {
			return res, fmt.Errorf("decode block %d: %w", n, err)
		}
	}
	res.DecodeSeconds = time.Since(start).Seconds()

	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "chainhound-bench-")
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
	ing, err := eth.NewIngester(src, st, eth.Config{HasTo: true, To: uint64(cfg.Blocks - 1), Workers: cfg.Workers})
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

// replay is an eth.Source serving a ring of generated blocks renumbered into
// one long consistent chain.
type replay struct {
	ring  []synth.EthBlock
	total int
}

func newReplay(cfg IngestEthConfig) *replay {
	g := synth.NewEthGen(synth.EthConfig{TxsPerBlock: cfg.TxsPerBlock, Seed: 1})
	r := &replay{total: cfg.Blocks}
	for n := 0; n < cfg.Distinct; n++ {
		r.ring = append(r.ring, g.Block(uint64(n)))
	}
	return r
}

func (r *replay) ChainID(context.Context) (uint64, error) { return 1, nil }

func (r *replay) Head(context.Context) (uint64, error) { return uint64(r.total - 1), nil }

func (r *replay) BlockHash(_ context.Context, n uint64) (common.Hash, common.Hash, error) {
	return common.HexToHash(synth.BlockHash(n)), common.HexToHash(synth.BlockHash(n - 1)), nil
}

func (r *replay) FetchBlock(_ context.Context, n uint64) (*eth.BlockData, error) {
	b := &r.ring[int(n)%len(r.ring)]
	d, err := eth.DecodeBlockData(b.Block, b.Receipts, b.Traces, "debug")
	if err != nil {
		return nil, err
	}
	d.Block.Number = hexutil.Uint64(n)
	d.Block.Hash = common.HexToHash(synth.BlockHash(n))
	if n > 0 {
		d.Block.ParentHash = common.HexToHash(synth.BlockHash(n - 1))
	}
	return d, nil
}

// PeakRSS returns the process's peak resident set size (VmHWM), or 0 where
// /proc is not available.
func PeakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Machine describes the CPU this runs on, for reports.
func Machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s, %s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
