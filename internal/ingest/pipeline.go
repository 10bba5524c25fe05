// Package ingest moves blocks from a chain's Source into the store, in order,
// one atomic write per block: several workers fetch and decode ahead, one
// committer applies; it follows the head, waits for confirmations, walks
// back and rolls back on reorganisations, and stops at block boundaries.
// Chain packages (ingest/eth, ingest/btc) provide the Source.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/progress"
	"github.com/chainhound/chainhound/internal/store"
)

// Store is what ingestion needs of the store.
type Store interface {
	store.Reader
	store.Writer
	// Sync makes applied blocks durable against a machine crash.
	Sync() error
}

// Source is where a chain's blocks come from, already decoded and reduced to
// the value-flow model; Block runs on several workers at once.
type Source interface {
	// Chain is the chain the blocks belong to.
	Chain() chain.Chain
	// Network asks the node which network it serves.
	Network(ctx context.Context) (chain.Network, error)
	// Head is the node's best height.
	Head(ctx context.Context) (uint64, error)
	// BlockHash is the node's canonical hash at height n; an error wrapping
	// ErrNotFound when the node has no block there.
	BlockHash(ctx context.Context, n uint64) (chain.Hash, error)
	// Block fetches and reduces block n; an error wrapping ErrNotFound when
	// the node does not (yet) serve it.
	Block(ctx context.Context, n uint64) (*Fetched, error)
}

// Preparer is implemented by sources whose blocks need the store's state
// before they can be applied (a UTXO chain resolves inputs to the outputs
// they spend). Prepare runs in commit order, just before ApplyBlock.
type Preparer interface {
	Prepare(b *chain.Block) error
}

// Fetched is one block ready to apply, with what its reduction noticed.
type Fetched struct {
	Block *chain.Block
	// Counters add up over a run into Summary.Counters (malformed logs...).
	Counters map[string]int
	// Warnings are logged once each when the block is applied.
	Warnings []string
}

// ErrNotFound marks a block the node does not have.
var ErrNotFound = errors.New("not found")

// Config says what to ingest.
type Config struct {
	From, To      uint64 // To is used when HasTo
	HasFrom       bool
	HasTo         bool
	Follow        bool          // keep following the head after catching up
	Confirmations uint64        // commit only blocks this deep below the head
	Workers       int           // concurrent block fetchers (default 4)
	PollInterval  time.Duration // head polling when following (default 2s)
	MaxReorgDepth uint64        // deepest fork searched before giving up (default 10000)
	SyncEvery     time.Duration // fsync interval (default 5s)
	Log           *slog.Logger
	Progress      progress.Reporter
	// Network, when known (see NetworkOf), spares Run asking the node again.
	Network *chain.Network
	// NoReorg, when set, says why the source cannot reorganise the store
	// (files without headers or proof of work): a block that disagrees
	// with a stored one is then an error saying so, not a rollback.
	NoReorg string
	// OnBlock, when set, runs after each block is committed, in chain
	// order, before the next is applied: the watcher evaluates its rules
	// there (internal/watch). Its error stops the run at that block
	// boundary; the block stays applied.
	OnBlock func(b *chain.Block) error
}

// Summary says what a run did.
type Summary struct {
	Blocks, Transfers int
	Reorgs            int
	RolledBack        int
	Last              uint64
	HasLast           bool
	Counters          map[string]int
}

// Ingester moves blocks from a Source into a Store, in order, one atomic
// write per block, following reorganisations.
type Ingester struct {
	src Source
	st  Store
	cfg Config
	sum Summary
}

// New checks cfg and fills its defaults.
func New(src Source, st Store, cfg Config) (*Ingester, error) {
	if cfg.HasTo && cfg.HasFrom && cfg.To < cfg.From {
		return nil, fmt.Errorf("--to %d is below --from %d", cfg.To, cfg.From)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.MaxReorgDepth == 0 {
		cfg.MaxReorgDepth = 10000
	}
	if cfg.SyncEvery <= 0 {
		cfg.SyncEvery = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Progress == nil {
		cfg.Progress = progress.Discard{}
	}
	return &Ingester{src: src, st: st, cfg: cfg}, nil
}

// Bind checks that the store belongs to the node's chain (chain id and
// genesis hash) and binds an empty store to it.
func (in *Ingester) Bind(ctx context.Context) error {
	if in.cfg.Network == nil {
		n, err := in.src.Network(ctx)
		if err != nil {
			return err
		}
		in.cfg.Network = &n
	}
	return in.st.Bind(in.src.Chain(), *in.cfg.Network)
}

// Run ingests until the range is done, or forever with Follow, or until ctx
// is cancelled; it stops only at a block boundary. The returned Summary is
// valid with an error too.
func (in *Ingester) Run(ctx context.Context) (Summary, error) {
	defer in.cfg.Progress.Done()
	defer func() {
		if err := in.st.Sync(); err != nil {
			in.cfg.Log.Error("sync store", "err", err)
		}
	}()
	if err := in.Bind(ctx); err != nil {
		return in.sum, err
	}
	next, err := in.start()
	if err != nil {
		return in.sum, err
	}
	for {
		head, err := in.src.Head(ctx)
		if err != nil {
			return in.sum, err
		}
		var safe uint64
		if head >= in.cfg.Confirmations {
			safe = head - in.cfg.Confirmations
		}
		if next, err = in.checkTip(ctx, next); err != nil {
			return in.sum, err
		}
		target := safe
		if in.cfg.HasTo && in.cfg.To < target {
			target = in.cfg.To
		}
		if !in.cfg.Follow {
			if in.cfg.HasTo && in.cfg.To > safe {
				return in.sum, fmt.Errorf("--to %d is beyond the node's head %d less %d confirmations: wait, or use --follow", in.cfg.To, head, in.cfg.Confirmations)
			}
			if in.cfg.HasFrom && next == in.cfg.From && (head < in.cfg.Confirmations || next > safe) {
				return in.sum, fmt.Errorf("--from %d is beyond the node's head %d less %d confirmations: nothing to ingest yet; wait, or use --follow", next, head, in.cfg.Confirmations)
			}
		}
		if head >= in.cfg.Confirmations && next <= target {
			next, err = in.runRange(ctx, next, target)
			if errors.Is(err, errNodeBehind) && in.cfg.Follow {
				in.cfg.Log.Warn("node answered without a block it reported; polling again", "err", err)
			} else if err != nil {
				return in.sum, err
			} else if next <= target {
				continue // a reorg moved us back: finish the range before deciding anything
			}
		}
		if in.cfg.HasTo && next > in.cfg.To {
			return in.sum, nil
		}
		if !in.cfg.Follow {
			return in.sum, nil
		}
		select {
		case <-ctx.Done():
			return in.sum, ctx.Err()
		case <-time.After(in.cfg.PollInterval):
		}
	}
}

// errNodeBehind marks a block the node reported as existing but then did not
// serve: a lagging backend behind a load balancer, or a node resyncing.
var errNodeBehind = errors.New("node does not have the block yet")

// start returns the first height to ingest: after the cursor, or --from.
func (in *Ingester) start() (uint64, error) {
	cur, ok, err := in.st.Cursor(in.src.Chain())
	if err != nil {
		return 0, err
	}
	if !ok {
		return in.cfg.From, nil
	}
	if in.cfg.HasFrom && in.cfg.From > cur.Height+1 {
		return 0, fmt.Errorf("--from %d would leave a gap: the store ends at block %d; resume from %d or use another --data directory", in.cfg.From, cur.Height, cur.Height+1)
	}
	if in.cfg.HasFrom && in.cfg.From <= cur.Height {
		in.cfg.Log.Info("resuming after the stored cursor", "cursor", cur.Height, "from", in.cfg.From)
	}
	return cur.Height + 1, nil
}

// checkTip compares the stored tip with the node's block at that height and
// rolls back to the fork point if the node has reorganised while idle.
func (in *Ingester) checkTip(ctx context.Context, next uint64) (uint64, error) {
	cur, ok, err := in.st.Cursor(in.src.Chain())
	if err != nil || !ok {
		return next, err
	}
	h, err := in.src.BlockHash(ctx, cur.Height)
	if errors.Is(err, ErrNotFound) {
		// The node is below our tip: lagging, resyncing, or reorganised onto
		// a shorter branch. Wait until it is past our tip again; a shorter
		// branch then shows as a hash mismatch and is rolled back.
		in.cfg.Log.Warn("the node does not have the stored tip yet", "tip", cur.Height)
		return next, nil
	}
	if err != nil {
		return next, err
	}
	if h == cur.Hash {
		return next, nil
	}
	return in.reorg(ctx, cur.Height)
}

// reorg walks back from height until the stored hash matches the node's,
// rolls the store back to that fork point and returns the next height.
func (in *Ingester) reorg(ctx context.Context, height uint64) (uint64, error) {
	if in.cfg.NoReorg != "" {
		stored, _, err := in.st.BlockHash(in.src.Chain(), height)
		if err != nil {
			return 0, err
		}
		got, err := in.src.BlockHash(ctx, height)
		if err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("block %d: the source has %s where the store holds %s: %s", height, got, stored, in.cfg.NoReorg)
	}
	in.sum.Reorgs++
	for h, depth := height, uint64(0); ; h, depth = h-1, depth+1 {
		if depth >= in.cfg.MaxReorgDepth {
			return 0, fmt.Errorf("reorg deeper than %d blocks below %d: refusing to roll back further", in.cfg.MaxReorgDepth, height)
		}
		stored, ok, err := in.st.BlockHash(in.src.Chain(), h)
		if err != nil {
			return 0, err
		}
		if !ok { // before the first stored block: roll everything back
			return in.rollback(h, height)
		}
		node, err := in.src.BlockHash(ctx, h)
		if errors.Is(err, ErrNotFound) {
			continue // the node's branch is shorter here: keep walking back
		}
		if err != nil {
			return 0, err
		}
		if node == stored {
			return in.rollback(h, height)
		}
		if h == 0 {
			return 0, fmt.Errorf("genesis block differs from the node's: this data directory belongs to another chain")
		}
	}
}

func (in *Ingester) rollback(fork, from uint64) (uint64, error) {
	in.cfg.Log.Warn("chain reorganisation: rolling back", "fork_point", fork, "from", from)
	if err := in.st.Rollback(in.src.Chain(), fork); err != nil {
		return 0, err
	}
	in.sum.RolledBack += int(from - fork)
	cur, ok, err := in.st.Cursor(in.src.Chain())
	if err != nil {
		return 0, err
	}
	if !ok {
		return fork + 1, nil // the fork is below the first stored block: start again there
	}
	return cur.Height + 1, nil
}

type fetched struct {
	*Fetched
	err error
}

// runRange fetches [from, to] with several workers and applies the blocks in
// order. It returns the next height to ingest.
func (in *Ingester) runRange(ctx context.Context, from, to uint64) (uint64, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		n   uint64
		out chan fetched
	}
	jobs := make(chan job)
	pending := make(chan chan fetched, in.cfg.Workers*4)
	go func() {
		defer close(jobs)
		defer close(pending)
		for n := from; n <= to; n++ {
			out := make(chan fetched, 1)
			select {
			case pending <- out:
			case <-wctx.Done():
				return
			}
			select {
			case jobs <- job{n, out}:
			case <-wctx.Done():
				return
			}
		}
	}()
	for range in.cfg.Workers {
		go func() {
			for j := range jobs {
				j.out <- in.fetch(wctx, j.n)
			}
		}()
	}
	lastSync := time.Now()
	next := from
	for out := range pending {
		var f fetched
		select {
		case f = <-out:
		case <-ctx.Done():
			return next, ctx.Err()
		}
		if ctx.Err() != nil {
			return next, ctx.Err()
		}
		if f.err != nil {
			return next, f.err
		}
		if err := in.prepare(f.Block); err != nil {
			return next, err
		}
		err := in.st.ApplyBlock(f.Block)
		if store.IsReorg(err) {
			cancel()
			in.cfg.Log.Warn("parent hash mismatch", "err", err)
			return in.reorg(ctx, f.Block.Height-1)
		}
		if err != nil {
			return next, fmt.Errorf("block %d: store: %w", f.Block.Height, err)
		}
		in.account(f)
		if in.cfg.OnBlock != nil {
			if err := in.cfg.OnBlock(f.Block); err != nil {
				return f.Block.Height + 1, fmt.Errorf("block %d: after commit: %w", f.Block.Height, err)
			}
		}
		in.cfg.Log.Debug("applied block", "height", f.Block.Height, "transfers", len(f.Block.Transfers))
		next = f.Block.Height + 1
		in.cfg.Progress.Update(f.Block.Height, to, 1, len(f.Block.Transfers))
		if time.Since(lastSync) > in.cfg.SyncEvery {
			if err := in.st.Sync(); err != nil {
				return next, err
			}
			lastSync = time.Now()
		}
	}
	return next, nil
}

func (in *Ingester) fetch(ctx context.Context, n uint64) fetched {
	f, err := in.src.Block(ctx, n)
	if errors.Is(err, ErrNotFound) {
		return fetched{err: fmt.Errorf("block %d: %w: %w", n, errNodeBehind, err)}
	}
	if err != nil {
		return fetched{err: err}
	}
	if f.Block.Height != n {
		return fetched{err: fmt.Errorf("block %d: node returned block %d", n, f.Block.Height)}
	}
	return fetched{Fetched: f}
}

// prepare lets a source that needs the store's state finish the block.
func (in *Ingester) prepare(b *chain.Block) error {
	if p, ok := in.src.(Preparer); ok {
		return p.Prepare(b) // its errors name the block already
	}
	return nil
}

func (in *Ingester) account(f fetched) {
	in.sum.Blocks++
	in.sum.Transfers += len(f.Block.Transfers)
	in.sum.Last, in.sum.HasLast = f.Block.Height, true
	for k, v := range f.Counters {
		if in.sum.Counters == nil {
			in.sum.Counters = map[string]int{}
		}
		in.sum.Counters[k] += v
	}
	for _, w := range f.Warnings {
		in.cfg.Log.Warn(w, "block", f.Block.Height)
	}
}
