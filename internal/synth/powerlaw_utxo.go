package synth

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"

	"github.com/chainhound/chainhound/internal/chain"
)

// UTXOGraph generates a Bitcoin-like chain of resolved transactions whose
// inputs spend earlier outputs, with output addresses drawn from the same
// power-law as AccountGraph (by Zipf rank). Block 0 is a
// genesis coinbase of 2,000 outputs to the hubs; every later block has a
// coinbase paying a hub, then up to PerBlock-1 transactions, each spending
// outputs drawn uniformly from the unspent set:
//
//   - 92%: one to three inputs (60/25/15%), a payment and change;
//   - 4%: a consolidation, 10 to 50 inputs into one output to a hub;
//   - 4%: a batch payout, one or two inputs into 10 to 100 outputs.
//
// The fee is half a percent of the inputs, at most 2,000 satoshis. The
// blocks carry their address-level transfers (chain.UTXOTransfers) as an
// ingest would store them. Deterministic from Seed; not safe for concurrent
// use.
type UTXOGraph struct {
	cfg    GraphConfig
	rng    *rand.Rand
	pick   picker
	height uint64
	hash   chain.Hash
	txn    uint32 // transactions made, numbering their txids
	made   int    // non-coinbase transactions made
	pool   []coin
	block  chain.Block
	alerts reservoir[coin]
}

// coin is an unspent output: its transaction's number, index, address rank
// and value.
type coin struct {
	txn   uint32
	vout  uint32
	addr  int32
	value int64
}

// UTXOAlert is an output drawn uniformly from all the chain's non-zero
// outputs, as an investigator's alert: a tracer seeds all of it.
type UTXOAlert struct {
	Tx    chain.Hash
	Vout  uint32
	Value int64
}

// NewUTXOGraph returns a generator; cfg.Transfers counts non-coinbase
// transactions (default 1,000,000), Addresses to as many, PerBlock to
// 2,500. alerts is
// the size of the uniform sample of outputs kept as alerts.
func NewUTXOGraph(cfg GraphConfig, alerts int) *UTXOGraph {
	cfg.defaults(2500, 1)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7770))
	g := &UTXOGraph{cfg: cfg, rng: rng, pick: newPicker(rng, cfg)}
	g.alerts = reservoir[coin]{rng: rand.New(rand.NewPCG(cfg.Seed, 0xa1e8)), k: alerts}
	return g
}

// Config returns the configuration with defaults filled in.
func (g *UTXOGraph) Config() GraphConfig { return g.cfg }

// UTXOAddress is the synthetic address of rank i.
func UTXOAddress(i int) chain.Address {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:], mix64(uint64(i)^0xb7c))
	binary.BigEndian.PutUint32(b[8:], uint32(i))
	return chain.Address{Chain: chain.Bitcoin, Raw: "bc1q" + hex.EncodeToString(b[:])}
}

func txid(n uint32) chain.Hash { return synthHash(0x7c, uint64(n)) }

// Next returns the next block (genesis first), or nil once cfg.Transfers
// transactions are made. The block and its slices are reused by the
// following call.
func (g *UTXOGraph) Next() *chain.Block {
	if g.height > 0 && g.made >= g.cfg.Transfers {
		return nil
	}
	h := g.height
	g.height++
	b := &g.block
	parent := g.hash
	g.hash = synthHash(0xb70c, h)
	*b = chain.Block{Chain: chain.Bitcoin, Height: h, Hash: g.hash, Parent: parent, Time: 1_600_000_000 + int64(h)*600,
		Txs: b.Txs[:0], Transfers: b.Transfers[:0]}
	outs := 1
	if h == 0 {
		outs = 2000
	}
	cb := g.newTx(b, true)
	var fresh []coin
	for range outs {
		fresh = append(fresh, g.output(cb, g.pick.ranked()%Hubs, 50e8, false))
	}
	for i := 1; i < g.cfg.PerBlock && g.made < g.cfg.Transfers && len(g.pool) > 0; i++ {
		fresh = g.spend(b, fresh)
	}
	// Outputs become spendable from the next block on, so every input
	// spends an output of an earlier block.
	g.pool = append(g.pool, fresh...)
	_ = chain.UTXOTransfers(b) // cannot fail: inputs are resolved and cover the outputs
	return b
}

func (g *UTXOGraph) newTx(b *chain.Block, coinbase bool) *chain.Tx {
	g.txn++
	b.Txs = append(b.Txs, chain.Tx{Hash: txid(g.txn), Index: uint32(len(b.Txs)), Success: true, Coinbase: coinbase})
	return &b.Txs[len(b.Txs)-1]
}

// output appends an output to tx (the last transaction made) and returns
// it as a coin; sample offers it to the alerts.
func (g *UTXOGraph) output(tx *chain.Tx, addr int, value int64, sample bool) coin {
	c := coin{txn: g.txn, vout: uint32(len(tx.Outputs)), addr: int32(addr), value: value}
	tx.Outputs = append(tx.Outputs, chain.Output{Address: UTXOAddress(addr), Value: value})
	if sample && value > 0 {
		if j := g.alerts.offer(); j >= 0 {
			g.alerts.items[j] = c
		}
	}
	return c
}

func (g *UTXOGraph) take() coin {
	k := g.rng.IntN(len(g.pool))
	c := g.pool[k]
	g.pool[k] = g.pool[len(g.pool)-1]
	g.pool = g.pool[:len(g.pool)-1]
	return c
}

// spend makes one transaction from the pool and returns fresh with its
// outputs added.
func (g *UTXOGraph) spend(b *chain.Block, fresh []coin) []coin {
	nin, nout, hub := 1, 2, false
	switch r := g.rng.IntN(100); {
	case r < 4:
		nin, nout, hub = 10+g.rng.IntN(41), 1, true
	case r < 8:
		nin, nout = 1+g.rng.IntN(2), 10+g.rng.IntN(91)
	case r < 8+55:
		nin = 1
	case r < 8+78:
		nin = 2
	default:
		nin = 3
	}
	tx := g.newTx(b, false)
	g.made++
	var in int64
	for k := 0; k < nin && len(g.pool) > 0; k++ {
		c := g.take()
		tx.Inputs = append(tx.Inputs, chain.Input{PrevTx: txid(c.txn), PrevIndex: c.vout, Address: UTXOAddress(int(c.addr)), Value: c.value, Resolved: true})
		in += c.value
	}
	total := in - min(in/200, 2000)
	switch {
	case hub:
		fresh = append(fresh, g.output(tx, g.pick.ranked()%Hubs, total, true))
	case nout == 2:
		pay := int64(float64(total) * (0.05 + 0.9*g.rng.Float64()))
		fresh = append(fresh, g.output(tx, g.pick.ranked(), pay, true))
		fresh = append(fresh, g.output(tx, g.pick.ranked(), total-pay, true))
	default:
		left := total
		for j := range nout {
			v := left / int64(nout-j)
			if j < nout-1 {
				v = int64(float64(v) * (0.5 + g.rng.Float64()))
			}
			fresh = append(fresh, g.output(tx, g.pick.ranked(), v, true))
			left -= v
		}
	}
	return fresh
}

// Alerts returns the sampled outputs in sample order (a random order).
// Call it after the last block.
func (g *UTXOGraph) Alerts() []UTXOAlert {
	out := make([]UTXOAlert, 0, len(g.alerts.items))
	for _, c := range g.alerts.items {
		out = append(out, UTXOAlert{Tx: txid(c.txn), Vout: c.vout, Value: c.value})
	}
	return out
}
