// Package watch follows open cases and the chain heads block by block:
// after ingestion commits a block (internal/ingest's OnBlock hook), the
// watcher continues every case's taint trace over it (internal/trace's
// ResumeAccount and ResumeUTXO), evaluates the rules on the block and the
// case's new flows, and writes the alerts, the case states and its cursor
// in one synced batch of its own store (DATA/watch). Sinks deliver the
// queued alerts from there, each on its own goroutine, so a slow or dead
// sink never holds ingestion up and an alert is never lost.
package watch

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"sync"

	"github.com/chainhound/chainhound/internal/bridge"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

// Source is what the watcher reads of the chain store; *store.DB
// implements it.
type Source interface {
	bridge.Reader
	trace.UTXOSource
	BlockHash(c chain.Chain, h uint64) (chain.Hash, bool, error)
	BlockTime(c chain.Chain, h uint64) (int64, bool, error)
	FirstBlock(c chain.Chain) (uint64, bool, error)
	Transfers(q store.Query) iter.Seq2[store.Row, error]
}

// Watcher evaluates the rules on each new block.
type Watcher struct {
	src     Source
	ix      *intel.Index
	cfg     *Config
	db      *DB
	policy  trace.Policy
	log     *slog.Logger
	large   map[thKey]*uint256.Int
	chunk   map[thKey]*uint256.Int
	first   map[chain.Address]firstSeen     // fan_out's cache of first transfers
	senders map[chain.Address]*senderWindow // fan_out's and chunking's cache of senders
	// Notify, when set, is called after a block raised new alerts (the
	// dispatcher wakes its sinks).
	Notify func()
	// mu serialises blocks of both chains: a bridge deposit on one chain
	// writes the case's state on the other.
	mu sync.Mutex
}

// Options are the watcher's dependencies besides the stores.
type Options struct {
	// Policy is the trace policy: exit categories, freezing venues,
	// freezable tokens (default trace.DefaultPolicy).
	Policy *trace.Policy
	Log    *slog.Logger
}

// New returns a watcher over the chain store src, the attribution index
// ix (services and sanctioned addresses) and the watch store db.
func New(src Source, ix *intel.Index, cfg *Config, db *DB, o Options) *Watcher {
	if ix == nil {
		ix = intel.NewIndex()
	}
	w := &Watcher{src: src, ix: ix, cfg: cfg, db: db, policy: trace.DefaultPolicy(), log: o.Log,
		large: thresholds(cfg.Rules.LargeTransfer.Thresholds), chunk: thresholds(cfg.Rules.Chunking.Thresholds),
		first: map[chain.Address]firstSeen{}, senders: map[chain.Address]*senderWindow{}}
	if o.Policy != nil {
		w.policy = *o.Policy
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w
}

func (w *Watcher) caip2(c chain.Chain) (string, error) {
	n, ok, err := w.src.Network(c)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("the store holds no %s chain", c)
	}
	return n.CAIP2, nil
}

// OnBlock is the ingester's hook: it evaluates every block of b's chain
// the watcher has not seen, up to b. A block at or below the watcher's
// cursor, or one whose parent is not the cursor's block, means the store
// was rolled back (a reorganisation): the watcher goes back to the fork
// point, the cases on that chain are traced again from their start, and
// alerts found again keep their ids.
func (w *Watcher) OnBlock(b *chain.Block) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur, ok, err := w.db.Cursor(b.Chain)
	if err != nil {
		return err
	}
	if ok && (b.Height <= cur.Height || b.Height == cur.Height+1 && b.Parent != (chain.Hash{}) && b.Parent.String() != cur.Hash) {
		if err := w.resync(b.Chain, cur, b.Height); err != nil {
			return err
		}
	}
	return w.catchUp(context.Background(), b.Chain, b.Height)
}

// CatchUp evaluates the blocks of chain c the store holds beyond the
// watcher's cursor (after a restart, the blocks ingested while the
// watcher was down or that a crash left between the two commits). If
// the store reorganised meanwhile, the watcher first goes back to the
// fork point.
func (w *Watcher) CatchUp(ctx context.Context, c chain.Chain) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur, ok, err := w.src.Cursor(c)
	if err != nil || !ok {
		return err
	}
	wc, wok, err := w.db.Cursor(c)
	if err != nil {
		return err
	}
	if wok {
		if err := w.resync(c, wc, cur.Height); err != nil {
			return err
		}
	}
	return w.catchUp(ctx, c, cur.Height)
}

// resync moves the watcher's cursor wc on chain c back to the fork point
// with the store, whose last block is top: the highest block at or below
// both that the watcher evaluated and the store still holds (same hash).
// Below the store's first block, the cursor is dropped and the chain
// evaluated again from its first block. Nothing happens when the
// cursor's block is the store's.
func (w *Watcher) resync(c chain.Chain, wc Cursor, top uint64) error {
	first, ok, err := w.src.FirstBlock(c)
	if err != nil {
		return err
	}
	for x := min(wc.Height, top); ok && x >= first; x-- {
		want, known := wc.Hash, true
		if x != wc.Height {
			if want, known, err = w.db.evaluated(c, x); err != nil {
				return err
			}
		}
		if !known {
			// Evaluated too long ago, or by a watcher that kept no
			// hashes: taken as the fork point.
			w.log.Warn("chain reorganisation: no hash kept of the block below: taken as the fork point", "chain", c, "block", x)
			return w.rewindTo(c, wc, x)
		}
		got, has, err := w.src.BlockHash(c, x)
		if err != nil {
			return err
		}
		if has && got.String() == want {
			return w.rewindTo(c, wc, x)
		}
		if x == 0 {
			break
		}
	}
	if err := w.rewind(c, 0); err != nil {
		return err
	}
	return w.db.dropCursor(c)
}

// rewindTo rewinds to fork h unless the cursor is there already.
func (w *Watcher) rewindTo(c chain.Chain, wc Cursor, h uint64) error {
	if h >= wc.Height {
		return nil
	}
	return w.rewind(c, h)
}

// StartAt makes a watcher without a cursor on chain c begin after block
// h (so that one started on an existing store looks forward).
func (w *Watcher) StartAt(c chain.Chain, h uint64) error {
	if _, ok, err := w.db.Cursor(c); err != nil || ok {
		return err
	}
	hash, _, err := w.src.BlockHash(c, h)
	if err != nil {
		return err
	}
	return w.db.dropStates(c, nil, Cursor{Height: h, Hash: hash.String()})
}

func (w *Watcher) catchUp(ctx context.Context, c chain.Chain, to uint64) error {
	cur, ok, err := w.db.Cursor(c)
	if err != nil {
		return err
	}
	next := cur.Height + 1
	if !ok {
		if next, ok, err = w.src.FirstBlock(c); err != nil || !ok {
			return err
		}
	}
	for h := next; h <= to; h++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.evaluate(ctx, c, h); err != nil {
			return fmt.Errorf("watch %s block %d: %w", c, h, err)
		}
	}
	return nil
}

// rewind moves the cursor of chain c back to h and resets the trace
// states of its cases (joins are kept; what the rules remember of the
// blocks above h is forgotten). The alerts raised in the blocks above h
// stay, marked orphaned: those the new branch raises again lose the mark.
func (w *Watcher) rewind(c chain.Chain, h uint64) error {
	w.log.Warn("chain reorganisation: cases are traced again from their start", "chain", c, "to", h)
	clear(w.first)
	clear(w.senders)
	hash, _, err := w.src.BlockHash(c, h)
	if err != nil {
		return err
	}
	forkTime, _, err := w.src.BlockTime(c, h)
	if err != nil {
		return err
	}
	states := map[stateRef]*caseState{}
	for i := range w.cfg.Cases {
		name := w.cfg.Cases[i].Name.Value
		st, err := w.db.caseStateOf(name, c)
		if err != nil {
			return err
		}
		if st == nil {
			continue
		}
		st.Account, st.UTXO = nil, nil
		for j := range st.Joins {
			st.Joins[j].Applied = false
		}
		// The trace from the start finds the first freezable flow again
		// (on the new branch, if it moved); taint that reached an address
		// only above the fork is not the case's any more.
		st.Freezable = nil
		for a, t := range st.Since {
			if t > forkTime {
				delete(st.Since, a)
			}
		}
		states[stateRef{name, c}] = st
	}
	caip2, err := w.caip2(c)
	if err != nil {
		return err
	}
	bc := &blockCommit{chain: c, cursor: Cursor{Height: h, Hash: hash.String()}, states: states, rewound: true, caip2: caip2}
	if _, err := w.db.commit(bc); err != nil {
		return err
	}
	if bc.orphanedN > 0 {
		w.log.Warn("alerts of abandoned blocks marked orphaned", "chain", c, "above", h, "alerts", bc.orphanedN)
	}
	return nil
}

// evaluate runs the cases and the rules on block h of chain c and
// commits the result.
func (w *Watcher) evaluate(ctx context.Context, c chain.Chain, h uint64) error {
	caip2, err := w.caip2(c)
	if err != nil {
		return err
	}
	hash, _, err := w.src.BlockHash(c, h)
	if err != nil {
		return err
	}
	at, _, err := w.src.BlockTime(c, h)
	if err != nil {
		return err
	}
	v := &blockView{c: c, caip2: caip2, h: h, time: at}
	for r, err := range w.src.Transfers(store.Query{Chain: c, FromBlock: h, ToBlock: h, HasToBlock: true}) {
		if err != nil {
			return err
		}
		v.rows = append(v.rows, r)
	}
	bc := &blockCommit{chain: c, cursor: Cursor{Height: h, Hash: hash.String()}, states: map[stateRef]*caseState{}, sinks: w.cfg.Sinks, evaluated: true}
	tainted := map[chain.Address]string{}
	for i := range w.cfg.Cases {
		k := &w.cfg.Cases[i]
		alerts, err := w.evaluateCase(ctx, k, v, bc, tainted)
		if err != nil {
			return fmt.Errorf("case %s: %w", k.Name.Value, err)
		}
		bc.alerts = append(bc.alerts, alerts...)
	}
	blockAlerts, err := w.blockRules(v, tainted)
	if err != nil {
		return err
	}
	bc.alerts = append(bc.alerts, blockAlerts...)
	fresh, err := w.db.commit(bc)
	if err != nil {
		return err
	}
	for _, a := range fresh {
		w.log.Info("alert", "id", a.ID, "rule", a.Rule, "severity", a.Severity, "chain", a.Chain, "block", a.Block, "case", a.Case, "tx", a.Tx)
	}
	if len(fresh) > 0 && w.Notify != nil {
		w.Notify()
	}
	return nil
}

// stateRef names a case's state on one chain.
type stateRef struct {
	name string
	c    chain.Chain
}

// state returns the case state the block's commit will write, reading it
// from the store the first time.
func (w *Watcher) state(bc *blockCommit, name string, c chain.Chain) (*caseState, error) {
	if st := bc.states[stateRef{name, c}]; st != nil {
		return st, nil
	}
	st, err := w.db.caseStateOf(name, c)
	if err != nil {
		return nil, err
	}
	if st == nil {
		st = &caseState{}
	}
	bc.states[stateRef{name, c}] = st
	return st, nil
}

// blockView is one block as the rules read it.
type blockView struct {
	c     chain.Chain
	caip2 string
	h     uint64
	time  int64
	rows  []store.Row
}
