package trace

import (
	"cmp"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Bounds limit a forward trace. Every traversal ends anyway (the chain is
// finite and each transaction or transfer is visited once); the bounds keep
// it to what an investigator asked for.
type Bounds struct {
	// MaxHops stops the trace after this many hops (0: no limit). On UTXO
	// chains a hop is one transaction; on account chains one transfer from
	// a tainted address to a newly tainted one.
	MaxHops int
	// Until, when HasUntil, is the last block the trace follows.
	Until    uint64
	HasUntil bool
	// MinAmount: taint below it is not followed further, but is counted
	// in Result.Stopped.
	MinAmount uint256.Int
	// Exits, when set, records taint reaching attributed services and
	// stops it there as its policy says.
	Exits *Exits
}

// Stop says why taint at a holding was not followed further.
type Stop uint8

// Reasons a bound stopped taint.
const (
	StopHops      Stop = 1 // following it would take more than Bounds.MaxHops
	StopUntil     Stop = 2 // it moved after Bounds.Until
	StopMinAmount Stop = 3 // it was below Bounds.MinAmount
)

var stopNames = [...]string{StopHops: "max-hops", StopUntil: "until", StopMinAmount: "min-amount"}

// String names the bound.
func (s Stop) String() string {
	if int(s) < len(stopNames) && stopNames[s] != "" {
		return stopNames[s]
	}
	return "none"
}

// Flow is one movement of taint the trace followed. On account chains it
// is one transfer, Seq its sequence in the transaction. On UTXO chains it
// is one output (Seq is its index; the fee has index len(outputs)), and
// From is the address of the transaction's tainted input with the fewest
// hops (the first of those), one hop nearer the seeds: a transaction mixes
// its inputs, so the models give taint per output, not per input and
// output.
type Flow struct {
	From, To chain.Address // To is none for burns and UTXO fees; an account chain's fee names the block producer
	Asset    chain.Asset
	Kind     chain.Kind // native or token; fee or burn where taint was absorbed
	Amount   uint256.Int
	Block    uint64
	TxIndex  uint32
	Tx       chain.Hash
	Seq      uint32
	Hop      int
	Swap     bool // the payment of a swap: its taint went to the bought asset, not to To
}

// Holding is taint sitting at one address in one asset at the end of a
// trace: in the frontier, or stopped by a bound (Stop set).
type Holding struct {
	Address chain.Address
	Asset   chain.Asset
	Amount  uint256.Int
	Hop     int // the fewest hops taint took to reach the address (or the bound that stopped it)
	Stop    Stop
}

// AssetAmount is a total in one asset.
type AssetAmount struct {
	Asset  chain.Asset
	Amount uint256.Int
}

// Result is what a forward trace found. Under FIFO and haircut (and TIHO
// on UTXO chains), for every asset: Seeded == Frontier + Stopped + Fees +
// Burns, exactly. Poison over-approximates and conserves nothing.
type Result struct {
	Seeded   []AssetAmount // taint put in by the seeds
	Flows    []Flow        // in chain order
	Frontier []Holding     // taint at rest at the end, per address and asset
	Stopped  []Holding     // taint a bound kept from being followed, per address, asset and bound
	Fees     []AssetAmount // taint paid as fees
	Burns    []AssetAmount // taint sent to no address (OP_RETURN, burns)
	Reach    []int         // Reach[h]: tainted addresses whose fewest hops from a seed is h (seeds at 0)
	Exits    []Exit        // taint reaching attributed services, per address and asset
	Minted   []AssetAmount // backward traces: value that goes back to its minting (coinbase, block reward, token mint)
	Swaps    []Swap        // swaps the taint went through (account chains)
	// SwappedOut and SwappedIn are the taint swaps took out of an asset
	// and put into another: per asset, Seeded + SwappedIn == Frontier +
	// Stopped + Fees + Burns + what stopped at exits (each exit's Amount -
	// Followed) + SwappedOut.
	SwappedOut, SwappedIn []AssetAmount
}

// Swap is a tainted payment converted into another asset in the same
// transaction.
type Swap struct {
	Address      chain.Address // who swapped
	Venue        chain.Address // whom it paid
	Tx           chain.Hash
	Block        uint64
	Sold         chain.Asset
	SoldAmount   uint256.Int
	SoldTaint    uint256.Int
	Bought       chain.Asset
	BoughtAmount uint256.Int
}

// tally collects a Result's per-key totals while a trace runs.
type tally struct {
	res        Result
	seeded     map[chain.Asset]*uint256.Int
	fees       map[chain.Asset]*uint256.Int
	burns      map[chain.Asset]*uint256.Int
	frontier   map[holdingKey]*Holding
	stopped    map[holdingKey]*Holding
	hopOf      map[chain.Address]int // first hop at which each address was tainted
	exits      map[exitKey]*Exit
	minted     map[chain.Asset]*uint256.Int
	swappedOut map[chain.Asset]*uint256.Int
	swappedIn  map[chain.Asset]*uint256.Int
}

type holdingKey struct {
	addr  chain.Address
	asset chain.Asset
	stop  Stop
}

func newTally() *tally {
	return &tally{
		seeded: map[chain.Asset]*uint256.Int{}, fees: map[chain.Asset]*uint256.Int{}, burns: map[chain.Asset]*uint256.Int{},
		frontier: map[holdingKey]*Holding{}, stopped: map[holdingKey]*Holding{}, hopOf: map[chain.Address]int{},
		minted: map[chain.Asset]*uint256.Int{}, swappedOut: map[chain.Asset]*uint256.Int{}, swappedIn: map[chain.Asset]*uint256.Int{},
	}
}

func addTo(m map[chain.Asset]*uint256.Int, a chain.Asset, v *uint256.Int) {
	if m[a] == nil {
		m[a] = new(uint256.Int)
	}
	m[a].Add(m[a], v)
}

// reach records addr as tainted at hop h. An address keeps the lowest hop
// at which taint reached it: its later sends are counted from there.
func (t *tally) reach(addr chain.Address, h int) {
	if first, ok := t.hopOf[addr]; ok && first <= h {
		return
	}
	t.hopOf[addr] = h
}

// hold adds taint at an address: to the frontier when stop is zero, to
// Stopped otherwise. hop is the address's hop unless taint reached it in
// fewer (a bound may stop taint at an address the trace never followed).
func (t *tally) hold(addr chain.Address, asset chain.Asset, v *uint256.Int, stop Stop, hop int) {
	if v.IsZero() {
		return
	}
	m := t.frontier
	if stop != 0 {
		m = t.stopped
	}
	k := holdingKey{addr, asset, stop}
	h := m[k]
	if h == nil {
		h = &Holding{Address: addr, Asset: asset, Hop: hop, Stop: stop}
		m[k] = h
	}
	h.Amount.Add(&h.Amount, v)
}

// sink records taint absorbed by a fee or a burn.
func (t *tally) sink(kind chain.Kind, asset chain.Asset, v *uint256.Int) {
	if kind == chain.KindFee {
		addTo(t.fees, asset, v)
	} else {
		addTo(t.burns, asset, v)
	}
}

// result sorts the totals into the Result, so that equal traces compare
// equal.
func (t *tally) result() *Result {
	r := &t.res
	r.Seeded, r.Fees, r.Burns, r.Minted = amounts(t.seeded), amounts(t.fees), amounts(t.burns), amounts(t.minted)
	r.SwappedOut, r.SwappedIn = amounts(t.swappedOut), amounts(t.swappedIn)
	for _, m := range []map[holdingKey]*Holding{t.frontier, t.stopped} {
		for k, h := range m {
			if hop, ok := t.hopOf[k.addr]; ok {
				h.Hop = min(h.Hop, hop)
			}
		}
	}
	r.Frontier, r.Stopped = holdings(t.frontier), holdings(t.stopped)
	r.Exits = exitList(t.exits)
	for _, h := range t.hopOf {
		for len(r.Reach) <= h {
			r.Reach = append(r.Reach, 0)
		}
		r.Reach[h]++
	}
	return r
}

func amounts(m map[chain.Asset]*uint256.Int) []AssetAmount {
	var out []AssetAmount
	for a, v := range m {
		if !v.IsZero() {
			out = append(out, AssetAmount{a, *v})
		}
	}
	slices.SortFunc(out, func(x, y AssetAmount) int { return compareAsset(x.Asset, y.Asset) })
	return out
}

func holdings(m map[holdingKey]*Holding) []Holding {
	var out []Holding
	for _, h := range m {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(x, y Holding) int {
		return cmp.Or(cmp.Compare(x.Address.Raw, y.Address.Raw), compareAsset(x.Asset, y.Asset), cmp.Compare(x.Stop, y.Stop))
	})
	return out
}

func compareAsset(x, y chain.Asset) int {
	return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Contract.Raw, y.Contract.Raw))
}
