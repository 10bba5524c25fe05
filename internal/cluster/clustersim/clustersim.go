// Package clustersim simulates Bitcoin wallet behaviour with a known owner
// for every address, so that clustering heuristics can be scored: wallets
// that reuse addresses or make fresh ones, pay round or odd amounts, join
// CoinJoins, and exchanges that give customers deposit addresses, sweep
// them into a hot wallet and pay withdrawals from it. Each wallet runs a
// wallet program whose nVersion and nLockTime habits every transaction it
// builds carries (Software), so the change detector's fingerprint term has
// ground truth too.
package clustersim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
)

// Config shapes a simulation. Fractions are of all wallets.
type Config struct {
	Seed      uint64
	Wallets   int     // ordinary wallets
	Exchanges int     // exchanges (each a hot wallet and deposit addresses)
	Blocks    int     // blocks after the funding block
	TxsPerBlk int     // payments per block (CoinJoins and sweeps come on top)
	Reusers   float64 // wallets that receive on one address and take change back to it
	Round     float64 // share of payments of a round amount (a multiple of 0.001 BTC)
	CoinJoin  float64 // chance per block of a JoinMarket-style CoinJoin
	Deposit   float64 // share of payments that deposit to an exchange; as many withdraw
	Batch     float64 // share of payments that pay a second payee in the same transaction
	Height    uint64  // height of the first block (CoinJoin rules are gated by height)
	// Fingerprints gives transactions the nVersion and nLockTime of
	// their wallet's program (Software); without it they carry none
	// (HasFingerprint false), as a store written before the fields were
	// kept returns them.
	Fingerprints bool
	// Drift is the chance that a transaction departs from its wallet's
	// habit: built with another program's (the same seed on another
	// device, an upgrade) or, for an anti-fee-sniping program, with
	// locktime 0 (Bitcoin Core does so when its tip is not current).
	Drift float64
	// Forks make the simulation another branch of the chain: at each
	// fork's block (an index into Sim.Blocks; 0 is the funding block, and
	// a fork there shares no block), the random source is reseeded with
	// the fork's seed, and block, transaction and address names are
	// salted with it. The blocks before the first fork are those of the
	// run without forks; a run with forks F and one with F plus a later
	// fork share the blocks before that fork, which are a chain's common
	// ancestry, and differ after it: the wallets spend the same coins
	// otherwise, as after a reorg. In order of At; a Seed of 0 is no
	// fork.
	Forks []Fork
}

// Fork is a branch point of the simulated chain: the blocks from index
// At on are drawn from Seed.
type Fork struct {
	At   int
	Seed uint64
}

// Software is a wallet program's fingerprint habit.
type Software struct {
	Name      string
	Version   int32
	AntiSnipe bool    // nLockTime: the tip's height (one time in ten up to 99 below it); else 0
	Share     float64 // of ordinary wallets
}

// Softwares are the programs ordinary wallets run. The shares are this
// simulation's assumption, not a measurement: most transactions are
// version 2, a large part anti-fee-sniping (Bitcoin Core, Electrum,
// Sparrow), the rest with locktime 0, a tail of version 1.
var Softwares = []Software{
	{"core-like: v2, anti-fee-sniping", 2, true, 0.40},
	{"v2, locktime 0", 2, false, 0.35},
	{"v1, locktime 0", 1, false, 0.20},
	{"v1, anti-fee-sniping", 1, true, 0.05},
}

// Programs of exchanges (chosen among the locktime-0 ones) and of
// JoinMarket's CoinJoins.
var (
	exchangeSoftwares = []int{1, 2}
	joinMarket        = Software{Name: "JoinMarket", Version: 2, AntiSnipe: true}
)

// DefaultConfig is the configuration the tests and docs report on.
var DefaultConfig = Config{Seed: 1, Wallets: 2000, Exchanges: 3, Blocks: 400, TxsPerBlk: 40,
	Reusers: 0.3, Round: 0.5, CoinJoin: 0.3, Deposit: 0.15, Height: 800_000,
	Fingerprints: true, Drift: 0.02}

// Truth is what the simulation knows and a clustering should find.
type Truth struct {
	Owner map[string]int // address -> owner (wallet index; exchanges after the wallets; -1 miners)
	// Change maps each payment transaction whose change went to an
	// address other than an input's to that output's index.
	Change map[chain.Hash]int
}

// Sim is a simulation's output: blocks in order and the truth.
type Sim struct {
	Blocks []*chain.Block
	Truth  Truth
}

type coin struct {
	tx    chain.Hash
	i     uint32
	addr  string
	value int64
}

type wallet struct {
	id     int
	script int // 0 p2pkh, 1 p2sh, 2 p2wpkh, 3 p2tr
	soft   int // index in Softwares
	reuse  bool
	home   string // the reuser's one address; an exchange's hot wallet
	coins  []coin
	// exchange customers' deposit addresses, by customer wallet
	deposit map[int]string
}

type sim struct {
	cfg     Config
	r       *rand.Rand
	wallets []*wallet // ordinary, then exchanges
	next    int
	out     *Sim
	block   *chain.Block
	ntx     int
	salt    uint64 // the fork the current block is on (0: none)
}

// Run simulates cfg.
func Run(cfg Config) *Sim {
	s := &sim{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		out: &Sim{Truth: Truth{Owner: map[string]int{}, Change: map[chain.Hash]int{}}}}
	for i := range cfg.Wallets + cfg.Exchanges {
		w := &wallet{id: i, script: s.r.IntN(4)}
		if cfg.Fingerprints { // drawn only then: without, the simulation is what it was before programs existed
			w.soft = s.software()
		}
		if i >= cfg.Wallets {
			w.script, w.deposit = 2, map[int]string{}
			if cfg.Fingerprints {
				w.soft = exchangeSoftwares[s.r.IntN(len(exchangeSoftwares))]
			}
			w.home = s.newAddr(w)
		} else if s.r.Float64() < cfg.Reusers {
			w.reuse = true
			w.home = s.newAddr(w)
		}
		s.wallets = append(s.wallets, w)
	}
	s.fork()
	s.fund()
	for range cfg.Blocks {
		s.fork()
		s.newBlock()
		for range cfg.TxsPerBlk {
			s.payment()
		}
		if s.r.Float64() < cfg.CoinJoin {
			s.coinjoin()
		}
		if len(s.out.Blocks)%10 == 0 {
			for _, x := range s.wallets[cfg.Wallets:] {
				s.sweep(x)
			}
		}
	}
	return s.out
}

// fork switches to the branch of a fork at the next block, if any.
func (s *sim) fork() {
	for _, f := range s.cfg.Forks {
		if f.At == len(s.out.Blocks) && f.Seed != 0 {
			s.r, s.salt = rand.New(rand.NewPCG(f.Seed, f.Seed^0x5851f42d4c957f2d)), f.Seed
		}
	}
}

// addrText makes an address of a script type whose text the script-type
// rules read as such.
func addrText(script, n int) string {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(n)))
	const b58 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	const b32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	pick := func(alpha string, k int) []byte {
		out := make([]byte, k)
		for i := range out {
			out[i] = alpha[int(h[i%32]^byte(i*7))%len(alpha)]
		}
		return out
	}
	switch script {
	case 0:
		return "1" + string(pick(b58, 33))
	case 1:
		return "3" + string(pick(b58, 33))
	case 2:
		return "bc1q" + string(pick(b32, 38))
	}
	return "bc1p" + string(pick(b32, 58))
}

// software draws a wallet's program by the shares of Softwares.
func (s *sim) software() int {
	x := s.r.Float64()
	for i, sw := range Softwares {
		if x -= sw.Share; x < 0 {
			return i
		}
	}
	return len(Softwares) - 1
}

// stamp gives tx, confirmed in the current block, the nVersion and
// nLockTime program sw would (or, Drift of the time, another's).
func (s *sim) stamp(tx *chain.Tx, sw Software) {
	if !s.cfg.Fingerprints {
		return
	}
	anti := sw.AntiSnipe
	if s.r.Float64() < s.cfg.Drift {
		if anti && s.r.IntN(2) == 0 {
			anti = false
		} else {
			sw = Softwares[s.r.IntN(len(Softwares))]
			anti = sw.AntiSnipe
		}
	}
	tx.HasFingerprint, tx.Version, tx.LockTime = true, sw.Version, 0
	if anti {
		// Bitcoin Core: the tip's height (the block before the one that
		// confirms it), and one time in ten a random height up to 99 below.
		lt := s.block.Height - 1
		if s.r.IntN(10) == 0 {
			lt -= uint64(s.r.IntN(100))
		}
		tx.LockTime = uint32(lt)
	}
}

func (s *sim) newAddr(w *wallet) string {
	s.next++
	a := addrText(w.script, s.next+int(s.salt<<32))
	s.out.Truth.Owner[a] = w.id
	return a
}

// receiveAddr is where w is paid: a reuser's one address, an exchange
// customer's deposit address, else a fresh one.
func (s *sim) receiveAddr(w *wallet) string {
	if w.home != "" {
		return w.home
	}
	return s.newAddr(w)
}

func (s *sim) newBlock() {
	h := s.cfg.Height + uint64(len(s.out.Blocks))
	b := &chain.Block{Chain: chain.Bitcoin, Height: h, Time: int64(1_700_000_000 + 600*len(s.out.Blocks))}
	b.Hash = s.sum("block", h)
	if n := len(s.out.Blocks); n > 0 {
		b.Parent = s.out.Blocks[n-1].Hash
	}
	s.out.Blocks = append(s.out.Blocks, b)
	s.block = b
	// a coinbase to a miner outside the wallets keeps the block well formed
	cb := chain.Tx{Hash: s.sum("coinbase", h), Coinbase: true, Success: true,
		Outputs: []chain.Output{{Address: chain.Address{Chain: chain.Bitcoin, Raw: addrText(0, -int(h)-1)}, Value: 312_500_000}}}
	s.out.Truth.Owner[cb.Outputs[0].Address.Raw] = -1
	b.Txs = append(b.Txs, cb)
}

func sum(kind string, n uint64) chain.Hash {
	return chain.Hash(sha256.Sum256(binary.BigEndian.AppendUint64([]byte(kind), n)))
}

// sum names a block or transaction on the current fork.
func (s *sim) sum(kind string, n uint64) chain.Hash {
	if s.salt != 0 {
		kind = fmt.Sprintf("%s@%d", kind, s.salt)
	}
	return sum(kind, n)
}

// fund gives every wallet a few coins from outside (a funding block whose
// one "transaction" per wallet spends nothing the simulation tracks).
func (s *sim) fund() {
	s.newBlock()
	for _, w := range s.wallets {
		for k := 0; k < 2+s.r.IntN(3); k++ {
			v := int64(1_000_000 + s.r.Int64N(50_000_000))
			if w.deposit != nil {
				v *= 20
			}
			tx := s.tx(nil, []chain.Output{{Address: s.btc(s.receiveAddr(w)), Value: v}})
			tx.Coinbase = true // minted: its value comes from nowhere
			s.credit(tx)
		}
	}
}

func (s *sim) btc(a string) chain.Address { return chain.Address{Chain: chain.Bitcoin, Raw: a} }

func (s *sim) tx(ins []coin, outs []chain.Output) *chain.Tx {
	s.ntx++
	tx := chain.Tx{Hash: s.sum("tx", uint64(s.ntx)), Index: uint32(len(s.block.Txs)), Success: true, Outputs: outs}
	for _, c := range ins {
		tx.Inputs = append(tx.Inputs, chain.Input{PrevTx: c.tx, PrevIndex: c.i, Address: s.btc(c.addr), Value: c.value, Resolved: true})
	}
	s.block.Txs = append(s.block.Txs, tx)
	return &s.block.Txs[len(s.block.Txs)-1]
}

// credit hands each output of tx to its owner as a coin.
func (s *sim) credit(tx *chain.Tx) {
	for i, o := range tx.Outputs {
		if w := s.out.Truth.Owner[o.Address.Raw]; w >= 0 {
			s.wallets[w].coins = append(s.wallets[w].coins, coin{tx.Hash, uint32(i), o.Address.Raw, o.Value})
		}
	}
}

const fee = 1_000

// selectCoins takes w's coins in random order until they cover amount
// plus the fee (so, like real wallets, sometimes more than needed).
func (s *sim) selectCoins(w *wallet, amount int64) ([]coin, int64, bool) {
	s.r.Shuffle(len(w.coins), func(i, j int) { w.coins[i], w.coins[j] = w.coins[j], w.coins[i] })
	var total int64
	for k, c := range w.coins {
		total += c.value
		if total >= amount+fee {
			ins := slices.Clone(w.coins[:k+1])
			w.coins = slices.Delete(w.coins, 0, k+1)
			return ins, total, true
		}
	}
	return nil, 0, false
}

func (s *sim) balance(w *wallet) int64 {
	var t int64
	for _, c := range w.coins {
		t += c.value
	}
	return t
}

// payment: a random wallet pays another, deposits to an exchange, or an
// exchange pays a withdrawal.
func (s *sim) payment() {
	ex := s.wallets[s.cfg.Wallets:]
	payer := s.wallets[s.r.IntN(s.cfg.Wallets)]
	payee := s.wallets[s.r.IntN(s.cfg.Wallets)]
	to := ""
	switch x := s.r.Float64(); {
	case len(ex) > 0 && x < s.cfg.Deposit:
		e := ex[s.r.IntN(len(ex))]
		to = e.deposit[payer.id]
		if to == "" {
			to = s.newAddr(e)
			e.deposit[payer.id] = to
		}
		payee = e
	case len(ex) > 0 && x < 2*s.cfg.Deposit:
		payer, payee = ex[s.r.IntN(len(ex))], payer
	}
	if payee == payer {
		return
	}
	if to == "" {
		to = s.receiveAddr(payee)
	}
	bal := s.balance(payer)
	if bal < 100_000 {
		return
	}
	amount := 10_000 + s.r.Int64N(bal/2)
	if s.r.Float64() < s.cfg.Round {
		amount = max(100_000, amount/100_000*100_000)
	}
	outs := []chain.Output{{Address: s.btc(to), Value: amount}}
	if s.cfg.Batch > 0 && s.r.Float64() < s.cfg.Batch {
		// a batch: a second ordinary payee, paid as much again or less
		if other := s.wallets[s.r.IntN(s.cfg.Wallets)]; other != payer && other != payee {
			more := 10_000 + s.r.Int64N(amount)
			if s.r.Float64() < s.cfg.Round {
				more = max(100_000, more/100_000*100_000)
			}
			outs = append(outs, chain.Output{Address: s.btc(s.receiveAddr(other)), Value: more})
			amount += more
		}
	}
	ins, total, ok := s.selectCoins(payer, amount)
	if !ok {
		return
	}
	rest := total - amount - fee
	changeAt := -1
	if rest > 0 {
		ch := payer.home
		if ch == "" {
			ch = s.newAddr(payer)
		}
		changeAt = s.r.IntN(len(outs) + 1) // wallets place change at random
		outs = slices.Insert(outs, changeAt, chain.Output{Address: s.btc(ch), Value: rest})
	}
	tx := s.tx(ins, outs)
	s.stamp(tx, Softwares[payer.soft])
	if changeAt >= 0 && payer.home == "" {
		s.out.Truth.Change[tx.Hash] = changeAt
	}
	s.credit(tx)
}

// coinjoin: 3-6 wallets each put in one or two coins, take one output of
// an equal value and their change (JoinMarket's shape).
func (s *sim) coinjoin() {
	n := 3 + s.r.IntN(4)
	const denom = 2_000_000
	var ins []coin
	var outs []chain.Output
	used := map[int]bool{}
	for len(used) < n {
		w := s.wallets[s.r.IntN(s.cfg.Wallets)]
		if used[w.id] || s.balance(w) < denom+2*fee {
			if len(used) == 0 && s.r.IntN(100) == 0 {
				return
			}
			continue
		}
		c, total, ok := s.selectCoins(w, denom+fee)
		if !ok {
			continue
		}
		used[w.id] = true
		ins = append(ins, c...)
		outs = append(outs, chain.Output{Address: s.btc(s.newAddrFresh(w)), Value: denom})
		if rest := total - denom - fee; rest > 0 {
			outs = append(outs, chain.Output{Address: s.btc(s.newAddrFresh(w)), Value: rest})
		}
	}
	s.r.Shuffle(len(outs), func(i, j int) { outs[i], outs[j] = outs[j], outs[i] })
	tx := s.tx(ins, outs)
	s.stamp(tx, joinMarket)
	s.credit(tx)
}

// newAddrFresh is a fresh address even for a reuser (mixing wallets do so).
func (s *sim) newAddrFresh(w *wallet) string {
	if w.script < 2 {
		w.script = 2 // CoinJoins are P2WPKH
	}
	return s.newAddr(w)
}

// sweep moves an exchange's deposit coins into its hot wallet, one
// co-spend transaction.
func (s *sim) sweep(e *wallet) {
	var ins, keep []coin
	var total int64
	for _, c := range e.coins {
		if c.addr != e.home && len(ins) < 50 {
			ins, total = append(ins, c), total+c.value
		} else {
			keep = append(keep, c)
		}
	}
	if len(ins) < 2 {
		return
	}
	e.coins = keep
	tx := s.tx(ins, []chain.Output{{Address: s.btc(e.home), Value: total - fee}})
	s.stamp(tx, Softwares[e.soft])
	s.credit(tx)
}

// String describes a simulation's size.
func (x *Sim) String() string {
	txs := 0
	for _, b := range x.Blocks {
		txs += len(b.Txs)
	}
	return fmt.Sprintf("%d blocks, %d transactions, %d addresses", len(x.Blocks), txs, len(x.Truth.Owner))
}
