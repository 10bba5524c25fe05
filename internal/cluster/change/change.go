// Package change finds the change output of a Bitcoin transaction: the
// output that pays back to the payer. It scores each output over the
// published heuristics (optimal change, fresh address, round amount,
// script type, locktime/version fingerprint, peel-chain shape) and names
// a change output only when the evidence clears a threshold; outputs the
// evidence calls payments with confidence are reported too, so that the
// caller can keep their owners apart (cannot-link pairs).
package change

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/internal/chain"
)

// Weights are the score each heuristic adds for an output it calls
// change (and subtracts for an output it calls a payment).
type Weights struct {
	OptimalChange float64 `yaml:"optimal_change" json:"optimal_change"`
	FreshAddress  float64 `yaml:"fresh_address" json:"fresh_address"`
	RoundAmount   float64 `yaml:"round_amount" json:"round_amount"`
	ScriptType    float64 `yaml:"script_type" json:"script_type"`
	Fingerprint   float64 `yaml:"fingerprint" json:"fingerprint"`
	PeelChain     float64 `yaml:"peel_chain" json:"peel_chain"`
}

// Config is change detection's policy; the documented defaults are in
// internal/cluster/config.yaml.
type Config struct {
	Enabled     bool    `yaml:"enabled" json:"enabled"`
	Threshold   float64 `yaml:"threshold" json:"threshold"`
	Margin      float64 `yaml:"margin" json:"margin"`
	NonChange   float64 `yaml:"non_change" json:"non_change"`
	Weights     Weights `yaml:"weights" json:"weights"`
	RoundDigits int     `yaml:"round_digits" json:"round_digits"`
	PeelRatio   float64 `yaml:"peel_ratio" json:"peel_ratio"`
	// MaxOutputs: transactions with more outputs than this are not
	// scored (0: no limit). The heuristics presume one payment and its
	// change; in a batch of payments, a payment of an odd amount to a
	// fresh address looks as much like change as the change does.
	MaxOutputs int `yaml:"max_outputs" json:"max_outputs,omitempty"`
	// FingerprintBlocks is how long a transaction whose change only the
	// fingerprint could name waits for one of its outputs to be spent:
	// it is decided in the first block, at most this many after its own,
	// that spends one of them, with the spender's fingerprint; after
	// that it stays undecided. 0 leaves the fingerprint term out.
	FingerprintBlocks int `yaml:"fingerprint_blocks" json:"fingerprint_blocks,omitempty"`
	// AntiSnipeBlocks: a height locktime at most this many blocks below
	// the transaction's own height is anti-fee-sniping (see PrintOf).
	AntiSnipeBlocks int `yaml:"anti_snipe_blocks" json:"anti_snipe_blocks,omitempty"`
	// PostMix: a transaction that spends an output of a multi-owner
	// CoinJoin (Features.PostMix) gets no script-type evidence. A
	// CoinJoin's outputs are of the type its protocol sets (P2WPKH, P2TR),
	// not of the type the payer's wallet pays its change to, so "the
	// output of the inputs' type is the change" has no footing there.
	// Off in databases built before it existed (their pinned policy lacks
	// it), which keep their behaviour.
	PostMix bool `yaml:"post_mix" json:"post_mix,omitempty"`
}

// Check refuses a configuration that could not mean what it says.
func (c *Config) Check() error {
	w := c.Weights
	for name, v := range map[string]float64{"optimal_change": w.OptimalChange, "fresh_address": w.FreshAddress,
		"round_amount": w.RoundAmount, "script_type": w.ScriptType, "fingerprint": w.Fingerprint, "peel_chain": w.PeelChain} {
		if !(v >= 0 && v <= 100) { // NaN fails both
			return fmt.Errorf("change.weights.%s %v: want 0 to 100", name, v)
		}
	}
	// NaN passes every comparison below and cannot be pinned in the
	// database (JSON has no NaN or infinity): a finite number is wanted.
	for name, v := range map[string]float64{"threshold": c.Threshold, "margin": c.Margin, "non_change": c.NonChange, "peel_ratio": c.PeelRatio} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("change.%s %v: want a finite number", name, v)
		}
	}
	switch {
	case c.Threshold <= 0:
		return fmt.Errorf("change.threshold %v: want a positive score (0 would merge on no evidence)", c.Threshold)
	case c.Margin < 0:
		return fmt.Errorf("change.margin %v: must not be negative", c.Margin)
	case c.NonChange >= 0:
		return fmt.Errorf("change.non_change %v: want a negative score", c.NonChange)
	case c.RoundDigits < 1 || c.RoundDigits > 15:
		return fmt.Errorf("change.round_digits %d: want 1 to 15", c.RoundDigits)
	case c.PeelRatio < 1:
		return fmt.Errorf("change.peel_ratio %v: want at least 1", c.PeelRatio)
	case c.MaxOutputs < 0 || c.MaxOutputs == 1:
		return fmt.Errorf("change.max_outputs %d: want 0 (no limit) or at least 2", c.MaxOutputs)
	case c.FingerprintBlocks < 0 || c.FingerprintBlocks > 100_000:
		return fmt.Errorf("change.fingerprint_blocks %d: want 0 (off) to 100000", c.FingerprintBlocks)
	case c.AntiSnipeBlocks < 0 || c.AntiSnipeBlocks > 10_000:
		return fmt.Errorf("change.anti_snipe_blocks %d: want 0 to 10000", c.AntiSnipeBlocks)
	}
	return nil
}

// Features is what is known about a transaction's outputs beyond the
// transaction itself. Slices are per output, nil when unknown.
type Features struct {
	// Fresh marks outputs whose address appears for the first time.
	Fresh []bool
	// Fingerprint: +1 the output's spender shares the transaction's
	// locktime/version fingerprint (Print), -1 it does not, 0 unknown
	// (unspent, or the spender's fingerprint unknown). It counts only
	// when it has both a +1 and a -1.
	Fingerprint []int8
	// PostMix: an input spends an output of a multi-owner CoinJoin; with
	// Config.PostMix, the script type then says nothing.
	PostMix bool
}

// Verdict is the decision on one transaction.
type Verdict struct {
	Change    int       // index of the change output, -1 for none
	Self      bool      // an output pays an input's address: the change, with no merge needed
	NonChange []int     // outputs confidently called payments
	Scores    []float64 // per output
}

// Classify scores tx's outputs. It looks only at transactions a change
// could be told apart in: not a coinbase, at least one input, two or
// more outputs that pay an address (and at most MaxOutputs). An output
// paying one of the inputs' own addresses is the change outright (no
// merge is needed for it) and leaves the others to the score.
func Classify(tx *chain.Tx, f Features, c *Config) Verdict {
	v := Verdict{Change: -1}
	if !c.Enabled || tx.Coinbase || len(tx.Inputs) == 0 || len(tx.Outputs) < 2 || c.MaxOutputs > 0 && len(tx.Outputs) > c.MaxOutputs {
		return v
	}
	for _, o := range tx.Outputs {
		if o.Address.None() || o.Value <= 0 {
			return v
		}
	}
	n := len(tx.Outputs)
	s := make([]float64, n)
	w := &c.Weights
	// Self-change: paid back to an input's address.
	self := -1
	for i, o := range tx.Outputs {
		for _, in := range tx.Inputs {
			if in.Address == o.Address {
				self = i
			}
		}
	}
	minIn := tx.Inputs[0].Value
	for _, in := range tx.Inputs {
		minIn = min(minIn, in.Value)
	}
	// optimal change: exactly one output below every input
	if below := indexes(n, func(i int) bool { return tx.Outputs[i].Value < minIn }); len(below) == 1 {
		for i := range s {
			s[i] += sign(i == below[0]) * w.OptimalChange
		}
	}
	if len(f.Fresh) == n {
		if fresh := indexes(n, func(i int) bool { return f.Fresh[i] }); len(fresh) > 0 && len(fresh) < n {
			for i := range s {
				s[i] += sign(f.Fresh[i]) * w.FreshAddress
			}
		}
	}
	unit := int64(1)
	for range c.RoundDigits {
		unit *= 10
	}
	if round := indexes(n, func(i int) bool { return tx.Outputs[i].Value%unit == 0 }); len(round) > 0 && len(round) < n {
		for i, o := range tx.Outputs {
			s[i] += sign(o.Value%unit != 0) * w.RoundAmount
		}
	}
	if t := inputScript(tx); t != "" && !(c.PostMix && f.PostMix) {
		if same := indexes(n, func(i int) bool { return ScriptType(tx.Outputs[i].Address) == t }); len(same) > 0 && len(same) < n {
			for i, o := range tx.Outputs {
				s[i] += sign(ScriptType(o.Address) == t) * w.ScriptType
			}
		}
	}
	if len(tx.Inputs) == 1 && n == 2 {
		a, b := tx.Outputs[0].Value, tx.Outputs[1].Value
		if float64(a) >= c.PeelRatio*float64(b) {
			s[0], s[1] = s[0]+w.PeelChain, s[1]-w.PeelChain
		} else if float64(b) >= c.PeelRatio*float64(a) {
			s[0], s[1] = s[0]-w.PeelChain, s[1]+w.PeelChain
		}
	}
	if self >= 0 {
		addFingerprint(s, f.Fingerprint, w.Fingerprint)
		v.Scores, v.Self = s, true
		// The change is known; every other output is a payment, but only
		// the confident ones are recorded as such.
		for i := range s {
			if i != self && s[i] <= c.NonChange {
				v.NonChange = append(v.NonChange, i)
			}
		}
		return v
	}
	return Decide(s, f.Fingerprint, c)
}

// Decide is the verdict on a transaction without self-change whose
// scores on every heuristic but the fingerprint are base (as the Scores
// of Classify's verdict without a fingerprint), given its outputs'
// spenders' evidence fp (see Features.Fingerprint; nil for none): the
// fingerprint's term is added last. The output with the highest score is
// the change when it reaches the threshold and beats every other by the
// margin; then the others at or below non_change are confident payments.
func Decide(base []float64, fp []int8, c *Config) Verdict {
	s := slices.Clone(base)
	addFingerprint(s, fp, c.Weights.Fingerprint)
	v := Verdict{Change: -1, Scores: s}
	best, second := -1, -1
	for i := range s {
		switch {
		case best < 0 || s[i] > s[best]:
			best, second = i, best
		case second < 0 || s[i] > s[second]:
			second = i
		}
	}
	if best < 0 || second < 0 {
		return v
	}
	if s[best] >= c.Threshold && s[best]-s[second] >= c.Margin {
		v.Change = best
	}
	if v.Change < 0 {
		return v // without a change the payer is unclear: no payment is confident
	}
	for i := range s {
		if i != v.Change && s[i] <= c.NonChange {
			v.NonChange = append(v.NonChange, i)
		}
	}
	return v
}

// addFingerprint adds the fingerprint's term to the scores. Like every
// heuristic, the fingerprint speaks only when it tells outputs apart:
// one output's spender shares the transaction's fingerprint and
// another's does not (BlockSci's locktime heuristic likewise wants
// exactly one output to match). Spenders all of one habit, or one
// spender alone, say nothing.
func addFingerprint(s []float64, fp []int8, w float64) {
	if len(fp) != len(s) || !slices.Contains(fp, 1) || !slices.Contains(fp, -1) {
		return
	}
	for i, x := range fp {
		s[i] += float64(max(-1, min(1, x))) * w
	}
}

func sign(b bool) float64 {
	if b {
		return 1
	}
	return -1
}

func indexes(n int, f func(int) bool) []int {
	var out []int
	for i := range n {
		if f(i) {
			out = append(out, i)
		}
	}
	return out
}

// inputScript is the one script type of all inputs, "" when they differ
// or one is unknown.
func inputScript(tx *chain.Tx) string {
	t := ScriptType(tx.Inputs[0].Address)
	for _, in := range tx.Inputs[1:] {
		if ScriptType(in.Address) != t {
			return ""
		}
	}
	return t
}

// ScriptType names an address's script type from its text, on any
// network: "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", or "" when it is
// none of them.
func ScriptType(a chain.Address) string {
	r := a.Raw
	if r == "" {
		return ""
	}
	if i := strings.LastIndexByte(r, '1'); i > 0 && i+1 < len(r) && len(r) > 14 {
		hrp, data := strings.ToLower(r[:i]), strings.ToLower(r[i+1:])
		if hrp == "bc" || hrp == "tb" || hrp == "bcrt" {
			switch {
			case data[0] == 'q' && len(data) == 39:
				return "p2wpkh"
			case data[0] == 'q' && len(data) == 59:
				return "p2wsh"
			case data[0] == 'p' && len(data) == 59:
				return "p2tr"
			}
			return ""
		}
	}
	switch r[0] {
	case '1', 'm', 'n':
		return "p2pkh"
	case '3', '2':
		return "p2sh"
	}
	return ""
}

// LockKind classifies a transaction's nLockTime for the fingerprint.
type LockKind uint8

const (
	LockZero      LockKind = iota // nLockTime 0: most wallets before anti-fee-sniping
	LockAntiSnipe                 // a height close below the transaction's own: Bitcoin Core and Electrum's anti-fee-sniping
	LockHeight                    // another block height
	LockTimestamp                 // a Unix time (>= 500,000,000)
)

// Print is a transaction's wallet fingerprint: what the software that
// built it chose for fields the payer, not the payee, sets. Wallets keep
// their choices from one transaction to the next, so the transaction
// spending a change output tends to share the fingerprint of the one
// that made it, and the one spending a payment, built by the payee's
// software, tends not to (BlockSci's locktime change heuristic; Kappos
// et al., "How to Peel a Million", USENIX Security 2022, use nVersion
// and nLockTime among their wallet fingerprints).
type Print struct {
	Version int32
	Lock    LockKind
}

// PrintOf is tx's fingerprint at the height it was confirmed at; false
// when the source did not give its version and locktime. A height
// locktime counts as anti-fee-sniping when it is below the height by at
// most antiSnipe blocks (Bitcoin Core sets the tip's height, one below
// the block that confirms it soonest, and one time in ten a random
// height up to 99 below that; slow confirmation widens the gap).
func PrintOf(tx *chain.Tx, height uint64, antiSnipe int) (Print, bool) {
	if !tx.HasFingerprint {
		return Print{}, false
	}
	p := Print{Version: tx.Version}
	switch lt := uint64(tx.LockTime); {
	case lt == 0:
		p.Lock = LockZero
	case lt >= 500_000_000:
		p.Lock = LockTimestamp
	case lt < height && height-lt <= uint64(antiSnipe):
		p.Lock = LockAntiSnipe
	default:
		p.Lock = LockHeight
	}
	return p, true
}

// NeedsFingerprint reports whether a transaction whose verdict on the
// evidence without the fingerprint is v (Classify with no
// Features.Fingerprint) could be decided by the fingerprint: it names no
// change, has no self-change, and some output would be named if its
// spender shared the transaction's fingerprint and the other outputs'
// spenders did not. The caller then waits for the spenders (when the
// transaction's own fingerprint is known) rather than deciding now.
func NeedsFingerprint(v Verdict, c *Config) bool {
	w := c.Weights.Fingerprint
	if c.FingerprintBlocks == 0 || w == 0 || len(v.Scores) < 2 || v.Self || v.Change >= 0 {
		return false
	}
	var fp []int8
	for i, x := range v.Scores {
		if x+w < c.Threshold-1e-9 {
			continue // even a decisive fingerprint leaves it below the threshold
		}
		if fp == nil {
			fp = make([]int8, len(v.Scores))
		}
		for j := range fp {
			fp[j] = -1
		}
		fp[i] = 1
		if Decide(v.Scores, fp, c).Change == i {
			return true
		}
	}
	return false
}
