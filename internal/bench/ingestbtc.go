package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

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
	// CPUProfile, when set, receives a CPU profile of the end-to-end
	// ingest only (not of generating the blocks or timing wire).
	CPUProfile io.Writer
}

// IngestBTCResult holds the measured figures.
type IngestBTCResult struct {
	Machine         string
	GOMAXPROCS      int
	Blocks, Txs     int
	Bytes           int64
	WireSeconds     float64 // bare wire.MsgBlock deserialisation, fastest of wirePasses
	WireCPUSeconds  float64 // its thread's CPU time, fastest of wirePasses
	IndexSeconds    float64 // indexing the blocks/ directory (headers and proof of work)
	EndToEndSeconds float64 // read, decode, classify, resolve, derive, store
	// EndToEndCPUSeconds is the process's user and system CPU time over the
	// end-to-end run: on a machine shared with other work it moves less
	// than the wall time.
	EndToEndCPUSeconds float64
	Transfers          int
	Store              store.WriteStats // after the run
	PeakRSSBytes       int64
}

// Ratio is end-to-end throughput over bare wire throughput.
func (r IngestBTCResult) Ratio() float64 { return r.WireSeconds / r.EndToEndSeconds }

// CPURatio is the ratio of wire's CPU time to the end-to-end run's (all
// its threads): how the work compares, whatever else the machine runs.
func (r IngestBTCResult) CPURatio() float64 { return r.WireCPUSeconds / r.EndToEndCPUSeconds }

// String formats the result as a short report.
func (r IngestBTCResult) String() string {
	mb := float64(r.Bytes) / 1e6
	return fmt.Sprintf(`machine            %s, GOMAXPROCS=%d
blocks             %d (%.1f MB, %d transactions) in blk files
wire decode only   %.1f MB/s, %.0f transactions/s (%.2f s, %.2f s of CPU; fastest of %d passes)
index blocks dir   %.2f s
end to end         %.1f MB/s, %.0f transactions/s, %.0f transfers/s (%.1f s, %.1f s of CPU)
end-to-end/wire    %.3f (CPU time: %.3f)
store writes       WAL %.0f MB, flushed %.0f MB, compacted %.0f MB, ingested %.0f MB; holds %.0f MB
peak RSS           %.0f MiB`,
		r.Machine, r.GOMAXPROCS, r.Blocks, mb, r.Txs,
		mb/r.WireSeconds, float64(r.Txs)/r.WireSeconds, r.WireSeconds, r.WireCPUSeconds, wirePasses, r.IndexSeconds,
		mb/r.EndToEndSeconds, float64(r.Txs)/r.EndToEndSeconds, float64(r.Transfers)/r.EndToEndSeconds, r.EndToEndSeconds, r.EndToEndCPUSeconds,
		r.Ratio(), r.CPURatio(),
		float64(r.Store.WALBytes)/1e6, float64(r.Store.FlushedBytes)/1e6, float64(r.Store.CompactedBytes)/1e6, float64(r.Store.IngestedBytes)/1e6, float64(r.Store.LiveBytes)/1e6,
		float64(r.PeakRSSBytes)/(1<<20))
}

// IngestBTC writes a synthetic chain of mainnet-shaped blocks to a
// temporary blocks/ directory in Bitcoin Core's blk*.dat framing, times bare
// btcd wire deserialisation of every block (file bytes already in memory,
// one file at a time), then ingests the directory through the same path as
// `ingest btc --blocks-dir` into a fresh store. Blocks are read from disk
// on demand, so peak RSS is the pipeline's, not the test data's.
func IngestBTC(ctx context.Context, cfg IngestBTCConfig) (IngestBTCResult, error) {
	if cfg.Blocks <= 0 {
		cfg.Blocks = 200
	}
	res := IngestBTCResult{Machine: Machine(), GOMAXPROCS: runtime.GOMAXPROCS(0), Blocks: cfg.Blocks + 1}
	tmp, err := os.MkdirTemp("", "chainhound-bench-btc-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	net, err := btc.ParseNetwork("regtest")
	if err != nil {
		return res, err
	}
	blocksDir := filepath.Join(tmp, "blocks")
	files, err := writeSynthBlocks(blocksDir, net, cfg)
	if err != nil {
		return res, err
	}
	if err := timeWire(files, &res); err != nil {
		return res, err
	}
	dir := cfg.Dir
	if dir == "" {
		dir = filepath.Join(tmp, "store")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return res, err
	}
	defer st.Close()
	start := time.Now()
	d, err := btc.OpenBlocksDir(blocksDir, net)
	if err != nil {
		return res, err
	}
	res.IndexSeconds = time.Since(start).Seconds()
	src := btc.NewSource(net, btc.DirBlocks{Dir: d}, st, nil)
	ing, err := ingest.New(src, st, ingest.Config{HasTo: true, To: uint64(cfg.Blocks), Workers: cfg.Workers})
	if err != nil {
		return res, err
	}
	if cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(cfg.CPUProfile); err != nil {
			return res, err
		}
	}
	start, cpu := time.Now(), cpuTime()
	sum, err := ing.Run(ctx)
	res.EndToEndSeconds = time.Since(start).Seconds()
	res.EndToEndCPUSeconds = (cpuTime() - cpu).Seconds()
	if cfg.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return res, err
	}
	res.Transfers = sum.Transfers
	res.Store = st.WriteStats()
	res.PeakRSSBytes = PeakRSS()
	return res, nil
}

// blkFileSize is where a new blk file starts, as Bitcoin Core's 128 MiB.
const blkFileSize = 128 << 20

// writeSynthBlocks writes genesis and cfg.Blocks synthetic blocks as
// blk*.dat files and returns their paths.
func writeSynthBlocks(dir string, net btc.Network, cfg IngestBTCConfig) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	gen := synth.NewBTCGen(synth.BTCConfig{TxsPerBlock: cfg.TxsPerBlock, Seed: 1})
	var files []string
	var f *bufio.Writer
	var cur *os.File
	var size int
	closeFile := func() error {
		if cur == nil {
			return nil
		}
		if err := f.Flush(); err != nil {
			return err
		}
		return cur.Close()
	}
	for i := 0; i <= cfg.Blocks; i++ {
		raw := gen.Genesis()
		if i > 0 {
			raw = gen.Next()
		}
		if cur == nil || size+8+len(raw) > blkFileSize {
			if err := closeFile(); err != nil {
				return nil, err
			}
			path := filepath.Join(dir, fmt.Sprintf("blk%05d.dat", len(files)))
			var err error
			if cur, err = os.Create(path); err != nil {
				return nil, err
			}
			f, size = bufio.NewWriterSize(cur, 1<<20), 0
			files = append(files, path)
		}
		var hdr [8]byte
		binary.LittleEndian.PutUint32(hdr[:], net.Magic)
		binary.LittleEndian.PutUint32(hdr[4:], uint32(len(raw)))
		f.Write(hdr[:])
		if _, err := f.Write(raw); err != nil {
			return nil, err
		}
		size += 8 + len(raw)
	}
	return files, closeFile()
}

// wirePasses is how many times timeWire deserialises the blocks; the
// fastest pass counts, so that a pause of a shared machine does not.
const wirePasses = 3

// timeWire deserialises every block of the files with btcd's wire package,
// timing only the deserialisation (wall and the thread's CPU time), and
// keeps the fastest of wirePasses passes.
func timeWire(files []string, res *IngestBTCResult) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for pass := range wirePasses {
		var took, cpu time.Duration
		var bytes int64
		var txs int
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			start, c := time.Now(), threadCPUTime()
			for off := 0; off+8 <= len(data); {
				n := int(binary.LittleEndian.Uint32(data[off+4:]))
				var mb wire.MsgBlock
				if err := mb.Deserialize(newReader(data[off+8 : off+8+n])); err != nil {
					return fmt.Errorf("%s offset %d: %w", path, off, err)
				}
				bytes += int64(n)
				txs += len(mb.Transactions)
				off += 8 + n
			}
			took += time.Since(start)
			cpu += threadCPUTime() - c
		}
		res.Bytes, res.Txs = bytes, txs
		if pass == 0 || took.Seconds() < res.WireSeconds {
			res.WireSeconds = took.Seconds()
		}
		if pass == 0 || cpu.Seconds() < res.WireCPUSeconds {
			res.WireCPUSeconds = cpu.Seconds()
		}
	}
	return nil
}

func newReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// threadCPUTime is the calling thread's CPU time (the caller locks its
// goroutine to the thread).
func threadCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
