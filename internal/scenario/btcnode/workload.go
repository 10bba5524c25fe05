package btcnode

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// WorkloadConfig configures RunWorkload. Zero fields take the defaults.
type WorkloadConfig struct {
	Seed int64 // same seed, same sequence of transactions and amounts
	// Rounds of spending; each spends from every script type that holds
	// a coin and adds one parent-child pair mined in one block. Default 3.
	Rounds int
	// PerType is the number of scripts derived per spendable type;
	// default 2.
	PerType int
	// TxsPerBlock is the number of transactions between mined blocks;
	// default 4.
	TxsPerBlock int
}

// WorkloadResult lists what a workload touched. Expected balances are left
// out on purpose: the node is the ground truth, read with Node.Balances.
type WorkloadResult struct {
	// Scripts are every script the workload paid to, MiningScript first,
	// then in derivation order.
	Scripts []*Script
	// TxIDs of every transaction the workload sent, in sending order; all
	// are on the best chain when RunWorkload returns.
	TxIDs []chainhash.Hash
	// Paid counts outputs of the workload's transactions per script type,
	// change and OP_RETURN included; Spent counts their inputs per script
	// type of the output spent.
	Paid, Spent map[ScriptType]int
	// MultiInput and MultiOutput count transactions with more than one
	// input and more than one output.
	MultiInput, MultiOutput int
	// SameBlock lists (parent, child) pairs where the child spends an
	// output of the parent mined in the same block.
	SameBlock [][2]chainhash.Hash
	// Blocks is the number of blocks the workload mined; FromHeight and
	// ToHeight are the heights before and after.
	Blocks               int
	FromHeight, ToHeight int64
}

// Addresses are the addresses of Scripts, leaving out the types without
// one (P2PK, bare multisig).
func (r *WorkloadResult) Addresses() []string {
	var out []string
	for _, s := range r.Scripts {
		if s.Address != "" {
			out = append(out, s.Address)
		}
	}
	return out
}

// Amounts the workload moves, in satoshis.
const (
	fundMin   = 2_000_000 // per funding output
	fundMax   = 5_000_000
	minPayout = 20_000 // smallest output the workload creates
)

// RunWorkload plays a deterministic mix of transactions on n: it activates
// segwit and taproot if needed, mines until a coinbase is mature, derives
// PerType scripts of every spendable type, funds them all from a coinbase
// in one transaction (with an OP_RETURN), then spends from every type to
// random types, with change, several inputs and outputs, more OP_RETURN
// outputs and parent-child pairs inside one block, mining every
// TxsPerBlock transactions. It fails unless every transaction ends up on
// the best chain and every type was both paid to and spent from.
//
// The sequence of actions and every amount follow from Seed alone; txids
// and block hashes differ between runs because btcd's miner puts a random
// extra nonce into each coinbase.
func RunWorkload(ctx context.Context, n *Node, cfg WorkloadConfig) (*WorkloadResult, error) {
	if cfg.Rounds <= 0 {
		cfg.Rounds = 3
	}
	if cfg.PerType <= 0 {
		cfg.PerType = 2
	}
	if cfg.TxsPerBlock <= 0 {
		cfg.TxsPerBlock = 4
	}
	w := &workload{
		ctx: ctx,
		n:   n,
		cfg: cfg,
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6274636e6f6465)), // "btcnode"
		res: &WorkloadResult{
			Scripts: []*Script{n.MiningScript()},
			Paid:    map[ScriptType]int{},
			Spent:   map[ScriptType]int{},
		},
	}
	if err := w.run(); err != nil {
		return nil, fmt.Errorf("btcnode: workload seed %d: %w", cfg.Seed, err)
	}
	return w.res, nil
}

// workload is the state of one RunWorkload. It keeps its own pool of coins
// in creation order, rather than asking the wallet, so that which coin it
// picks depends on the seed and not on txids.
type workload struct {
	ctx     context.Context
	n       *Node
	cfg     WorkloadConfig
	rng     *rand.Rand
	res     *WorkloadResult
	scripts []*Script // derived by the workload, spendable
	coins   []UTXO    // unspent outputs of workload scripts, creation order
	pending int       // transactions since the last block
	seq     int       // transactions sent, for OP_RETURN payloads
}

func (w *workload) run() (err error) {
	if w.res.FromHeight, err = w.n.Height(w.ctx); err != nil {
		return err
	}
	if err := w.n.ActivateSoftForks(w.ctx); err != nil {
		return err
	}
	funding, err := w.matureCoinbase()
	if err != nil {
		return err
	}
	if err := w.deriveScripts(); err != nil {
		return err
	}
	if err := w.fund(funding); err != nil {
		return fmt.Errorf("fund: %w", err)
	}
	for r := range w.cfg.Rounds {
		if err := w.round(r); err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
	}
	if w.pending > 0 {
		if err := w.mine(); err != nil {
			return err
		}
	}
	if w.res.ToHeight, err = w.n.Height(w.ctx); err != nil {
		return err
	}
	return w.verify()
}

// matureCoinbase mines until the wallet holds a spendable coinbase large
// enough to fund every script and returns the oldest.
func (w *workload) matureCoinbase() (UTXO, error) {
	need := int64(len(SpendableTypes())*w.cfg.PerType)*fundMax + 1_000_000 // and the fee
	for range 2 {
		us, err := w.n.UTXOs(w.ctx)
		if err != nil {
			return UTXO{}, err
		}
		for _, u := range us {
			if u.Coinbase && u.Script == w.n.MiningScript() && u.Value >= need {
				return u, nil
			}
		}
		if _, err := w.n.Generate(w.ctx, int(w.n.Params().CoinbaseMaturity)+1); err != nil {
			return UTXO{}, err
		}
		w.res.Blocks += int(w.n.Params().CoinbaseMaturity) + 1
	}
	return UTXO{}, fmt.Errorf("no mature coinbase of at least %d sat after mining %d blocks", need, w.res.Blocks)
}

// deriveScripts makes PerType scripts of every spendable type over keys
// the seed picks; multisig scripts get 2 or 3 keys and 1 to all of them
// required.
func (w *workload) deriveScripts() error {
	nkeys := len(w.n.Keys())
	for _, t := range SpendableTypes() {
		for range w.cfg.PerType {
			var s *Script
			var err error
			switch t {
			case P2SHMultisig, P2WSHMultisig, BareMultisig:
				total := 2 + w.rng.IntN(2)
				m := 1 + w.rng.IntN(total)
				s, err = w.n.Multisig(t, m, w.rng.Perm(nkeys)[:total]...)
			default:
				s, err = w.n.Script(t, w.rng.IntN(nkeys))
			}
			if err != nil {
				return err
			}
			if !slices.Contains(w.scripts, s) {
				w.scripts = append(w.scripts, s)
				w.res.Scripts = append(w.res.Scripts, s)
			}
		}
	}
	return nil
}

// fund pays every derived script from coin in one many-output transaction
// with an OP_RETURN, then mines it.
func (w *workload) fund(coin UTXO) error {
	var to []Output
	for _, s := range w.scripts {
		to = append(to, s.Pay(fundMin+w.rng.Int64N(fundMax-fundMin)))
	}
	memo, err := NullDataOutput(fmt.Appendf(nil, "chainhound/btcnode seed %d fund", w.cfg.Seed))
	if err != nil {
		return err
	}
	to = append(to, memo)
	if _, err := w.send([]UTXO{coin}, to, w.n.MiningScript()); err != nil {
		return err
	}
	return w.mine()
}

// round spends one coin of every type, in an order the seed picks, then
// makes a parent-child pair and mines.
func (w *workload) round(r int) error {
	types := SpendableTypes()
	for _, i := range w.rng.Perm(len(types)) {
		if err := w.spendFrom(types[i]); err != nil {
			return fmt.Errorf("spend %s: %w", types[i], err)
		}
	}
	if err := w.sameBlockPair(); err != nil {
		return fmt.Errorf("parent-child pair: %w", err)
	}
	return w.mine()
}

// spendFrom spends a coin of type t, with a second coin one time in three
// or when t's coin is too small, to one to three random scripts, with
// change to a random script and, one time in four, an OP_RETURN.
func (w *workload) spendFrom(t ScriptType) error {
	first := w.pick(func(u UTXO) bool { return u.Script.Type == t })
	if first < 0 {
		return nil // none left of this type; round 0 always has one
	}
	from := []UTXO{w.coins[first]}
	if w.rng.IntN(3) == 0 || from[0].Value < 4*minPayout {
		if i := w.pick(func(u UTXO) bool { return u.Script.Type != t }); i >= 0 {
			from = append(from, w.coins[i])
		}
	}
	budget := w.budget(from)
	var to []Output
	for range 1 + w.rng.IntN(3) {
		v := max(minPayout, budget*(5+w.rng.Int64N(21))/100)
		if v > budget {
			break
		}
		budget -= v
		to = append(to, w.scripts[w.rng.IntN(len(w.scripts))].Pay(v))
	}
	if w.rng.IntN(4) == 0 {
		memo, err := NullDataOutput(fmt.Appendf(nil, "chainhound/btcnode seed %d tx %d", w.cfg.Seed, w.seq))
		if err != nil {
			return err
		}
		to = append(to, memo)
	}
	_, err := w.send(from, to, w.scripts[w.rng.IntN(len(w.scripts))])
	return err
}

// sameBlockPair sends a transaction and, before any block, a second one
// spending its first output; the next block holds both.
func (w *workload) sameBlockPair() error {
	i := w.pick(func(u UTXO) bool { return u.Value >= 4*minPayout })
	if i < 0 {
		return fmt.Errorf("no coin of at least %d sat", 4*minPayout)
	}
	from := []UTXO{w.coins[i]}
	s := w.scripts[w.rng.IntN(len(w.scripts))]
	parent, err := w.send(from, []Output{s.Pay(w.budget(from) / 2)}, w.scripts[w.rng.IntN(len(w.scripts))])
	if err != nil {
		return err
	}
	child, err := w.send([]UTXO{w.coinAt(parent.TxHash(), 0)}, nil, w.scripts[w.rng.IntN(len(w.scripts))])
	if err != nil {
		return err
	}
	w.res.SameBlock = append(w.res.SameBlock, [2]chainhash.Hash{parent.TxHash(), child.TxHash()})
	return nil
}

// pick returns the index of a random coin satisfying ok, or -1.
func (w *workload) pick(ok func(UTXO) bool) int {
	var idx []int
	for i, u := range w.coins {
		if ok(u) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1
	}
	return idx[w.rng.IntN(len(idx))]
}

func (w *workload) coinAt(txid chainhash.Hash, vout uint32) UTXO {
	for _, u := range w.coins {
		if u.OutPoint == (wire.OutPoint{Hash: txid, Index: vout}) {
			return u
		}
	}
	return UTXO{}
}

// budget is what from can pay out after a generous fee allowance and a
// change output.
func (w *workload) budget(from []UTXO) int64 {
	var in int64
	for _, u := range from {
		in += u.Value
	}
	allowance := w.n.feeRate * int64(100+300*len(from)+4*60)
	return max(0, in-allowance-ChangeDust)
}

// send broadcasts, then moves the spent coins out of the pool and the new
// outputs to workload scripts into it, and mines every TxsPerBlock.
func (w *workload) send(from []UTXO, to []Output, change *Script) (*wire.MsgTx, error) {
	tx, err := w.n.Send(w.ctx, from, to, change)
	if err != nil {
		return nil, err
	}
	w.seq++
	txid := tx.TxHash()
	w.res.TxIDs = append(w.res.TxIDs, txid)
	if len(tx.TxIn) > 1 {
		w.res.MultiInput++
	}
	if len(tx.TxOut) > 1 {
		w.res.MultiOutput++
	}
	for _, u := range from {
		w.res.Spent[u.Script.Type]++
		w.coins = slices.DeleteFunc(w.coins, func(c UTXO) bool { return c.OutPoint == u.OutPoint })
	}
	for i, o := range tx.TxOut {
		s := w.scriptOf(o.PkScript)
		switch {
		case s != nil:
			w.res.Paid[s.Type]++
			if s != w.n.MiningScript() {
				w.coins = append(w.coins, UTXO{OutPoint: wire.OutPoint{Hash: txid, Index: uint32(i)}, Value: o.Value, Script: s, Height: -1})
			}
		case o.Value == 0:
			w.res.Paid[NullData]++
		}
	}
	w.pending++
	if w.pending >= w.cfg.TxsPerBlock {
		return tx, w.mine()
	}
	return tx, nil
}

func (w *workload) scriptOf(pkScript []byte) *Script {
	for _, s := range w.res.Scripts {
		if string(s.PkScript) == string(pkScript) {
			return s
		}
	}
	return nil
}

func (w *workload) mine() error {
	if _, err := w.n.Generate(w.ctx, 1); err != nil {
		return err
	}
	w.res.Blocks++
	w.pending = 0
	return nil
}

// verify checks that the node mined every transaction, each pair in one
// block, and that every type was paid to and spent from.
func (w *workload) verify() error {
	heights := map[chainhash.Hash]int64{}
	for _, txid := range w.res.TxIDs {
		h, ok, err := w.n.TxHeight(w.ctx, txid)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("tx %s is not on the best chain", txid)
		}
		heights[txid] = h
	}
	for _, p := range w.res.SameBlock {
		if heights[p[0]] != heights[p[1]] {
			return fmt.Errorf("parent %s at height %d, child %s at %d: want one block", p[0], heights[p[0]], p[1], heights[p[1]])
		}
	}
	for _, t := range SpendableTypes() {
		if w.res.Paid[t] == 0 || w.res.Spent[t] == 0 {
			return fmt.Errorf("%s paid to %d times, spent from %d times: want both", t, w.res.Paid[t], w.res.Spent[t])
		}
	}
	if w.res.Paid[NullData] == 0 {
		return fmt.Errorf("no OP_RETURN output")
	}
	return nil
}
