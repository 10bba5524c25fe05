// Package coinjoin recognises Bitcoin transactions built by CoinJoin
// coordinators and markets, whose inputs belong to several owners and so
// must not be merged by the co-spend heuristic.
//
// Every rule follows a published detector; docs/cluster.md names the
// source of each and the few places where chainhound departs from it:
//
//   - Wasabi 1.x and Wasabi 2 (WabiSabi), Whirlpool mixes: Dumplings, the
//     CoinJoin scanner of Wasabi's authors, as extended by CRoCS MUNI
//     (crocs-muni/Dumplings, Scanner.cs) and ported to BlockSci
//     (tx_identification.cpp isWasabi2CoinJoin, isWhirlpoolCoinJoin);
//   - JoinMarket-style equal-output CoinJoins: BlockSci's isCoinjoin, the
//     rule GraphSense applies when it sets a transaction's coinjoin flag
//     (graphsense-lib ingest/utxo.py is_coinjoin);
//   - Whirlpool tx0: the transaction that feeds a Whirlpool pool. It is
//     single-owner (co-spend holds), but it is recognised so that change
//     detection and reports can tell premix outputs apart.
package coinjoin

import (
	"slices"
	"strings"

	"github.com/chainhound/chainhound/internal/chain"
)

// Kind is what a detector recognised a transaction as.
type Kind uint8

// Kinds, in the order detectors are tried.
const (
	None         Kind = iota
	WabiSabi          // Wasabi 2 coordinator round
	Wasabi1           // Wasabi 1.x (ZeroLink) coordinator round
	WhirlpoolMix      // Samourai Whirlpool 5-in/5-out (up to 10) mix
	JoinMarket        // equal-output CoinJoin in JoinMarket's shape (BlockSci's rule)
	WhirlpoolTx0      // Whirlpool tx0: one owner's entry into a pool
)

var kindNames = [...]string{"none", "wabisabi", "wasabi1", "whirlpool", "joinmarket", "whirlpool-tx0"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// MultiOwner reports whether transactions of kind k combine inputs of
// several owners, so that co-spend must not link their inputs.
func (k Kind) MultiOwner() bool {
	switch k {
	case WabiSabi, Wasabi1, WhirlpoolMix, JoinMarket:
		return true
	}
	return false
}

// Heights from which each coordinator existed on mainnet (Dumplings'
// Constants.cs): detectors do not fire before them, which removes old
// look-alikes.
const (
	FirstWasabiBlock               = 530500
	FirstSamouraiBlock             = 570000
	FirstWasabiNoCoordAddressBlock = 610000
	FirstWasabi2Block              = 741213
)

// Wasabi 1.x coordinator addresses used before FirstWasabiNoCoordAddressBlock.
var wasabiCoordAddresses = []string{
	"bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew",
	"bc1qa24tsgchvuxsaccp8vrnkfd85hrcpafg20kmjw",
}

// Whirlpool pool denominations in satoshis: 0.001, 0.01, 0.05 and 0.5 BTC.
var whirlpoolPools = []int64{100_000, 1_000_000, 5_000_000, 50_000_000}

const (
	wasabiBaseDenomination = 10_000_000 // 0.1 BTC
	wasabiDenominationTol  = 2_000_000  // ±0.02 BTC
	whirlpoolInputTol      = 110_000    // inputs at most 0.0011 BTC above the pool
)

// Options are the tunable parameters of the detectors.
type Options struct {
	// WabiSabiMinInputs is the smallest input count of a WabiSabi round:
	// Dumplings uses 20 (Wasabi 2 started at 50; BlockSci keeps 50).
	WabiSabiMinInputs int
	// Mainnet gates detectors by the heights above; off for test networks.
	Mainnet bool
}

// DefaultOptions are Dumplings' parameters on mainnet.
var DefaultOptions = Options{WabiSabiMinInputs: 20, Mainnet: true}

// Detect classifies tx, confirmed at height, whose inputs are resolved.
func Detect(tx *chain.Tx, height uint64, o Options) Kind {
	if tx.Coinbase || len(tx.Inputs) == 0 || len(tx.Outputs) == 0 {
		return None
	}
	s := summarize(tx)
	after := func(h uint64) bool { return !o.Mainnet || height >= h }
	if s.topCount >= 2 {
		if after(FirstWasabi2Block) && isWabiSabi(tx, s, o) {
			return WabiSabi
		}
		if after(FirstWasabiBlock) && isWasabi1(tx, s, height, o) {
			return Wasabi1
		}
		if after(FirstSamouraiBlock) && isWhirlpoolMix(tx, s) {
			return WhirlpoolMix
		}
	}
	if isJoinMarket(tx, s) {
		return JoinMarket
	}
	if after(FirstSamouraiBlock) && isWhirlpoolTx0(tx) {
		return WhirlpoolTx0
	}
	return None
}

// summary holds the output-value statistics several rules share.
type summary struct {
	counts   map[int64]int
	topValue int64 // most frequent output value; ties: the smallest
	topCount int
	groups   int // values that occur more than once
}

func summarize(tx *chain.Tx) summary {
	s := summary{counts: make(map[int64]int, len(tx.Outputs))}
	for _, out := range tx.Outputs {
		s.counts[out.Value]++
	}
	for v, c := range s.counts {
		if c > 1 {
			s.groups++
		}
		if c > s.topCount || c == s.topCount && v < s.topValue {
			s.topValue, s.topCount = v, c
		}
	}
	return s
}

// P2WPKH and P2TR addresses on any network, by their text: bech32 witness
// version 0 with a 20-byte program is 42 characters after a 2-letter hrp
// (bc1q…), version 1 starts with the hrp and "1p".
func isP2WPKH(a chain.Address) bool {
	r := strings.ToLower(a.Raw)
	i := strings.LastIndexByte(r, '1')
	return i > 0 && len(r)-i-1 == 39 && r[i+1] == 'q'
}

func isP2TR(a chain.Address) bool {
	r := strings.ToLower(a.Raw)
	i := strings.LastIndexByte(r, '1')
	return i > 0 && len(r)-i-1 == 59 && r[i+1] == 'p'
}

func nativeSegwitOnly(tx *chain.Tx) bool {
	for _, in := range tx.Inputs {
		if !isP2WPKH(in.Address) {
			return false
		}
	}
	for _, out := range tx.Outputs {
		if !isP2WPKH(out.Address) {
			return false
		}
	}
	return true
}

// isWabiSabi: Dumplings' Wasabi 2 rule. Inputs P2WPKH or P2TR, at least
// WabiSabiMinInputs of them, inputs and outputs ordered by value
// descending, and more than 80% of the outputs at a standard denomination.
func isWabiSabi(tx *chain.Tx, s summary, o Options) bool {
	if len(tx.Inputs) < o.WabiSabiMinInputs {
		return false
	}
	for i, in := range tx.Inputs {
		if !isP2WPKH(in.Address) && !isP2TR(in.Address) {
			return false
		}
		if i > 0 && in.Value > tx.Inputs[i-1].Value {
			return false
		}
	}
	denoms := 0
	for i, out := range tx.Outputs {
		if i > 0 && out.Value > tx.Outputs[i-1].Value {
			return false
		}
		if IsWabiSabiDenomination(out.Value) {
			denoms++
		}
	}
	return float64(denoms) > float64(len(tx.Outputs))*0.8
}

// isWasabi1: before FirstWasabiNoCoordAddressBlock a Wasabi round pays a
// known coordinator address and has a value that occurs more than twice;
// afterwards it is native SegWit only, with at least 10 equal outputs near
// 0.1 BTC, at least as many inputs, and at least two unique-valued outputs
// (a change and the coordinator fee).
func isWasabi1(tx *chain.Tx, s summary, height uint64, o Options) bool {
	if o.Mainnet && height < FirstWasabiNoCoordAddressBlock {
		if s.topCount <= 2 {
			return false
		}
		for _, out := range tx.Outputs {
			if slices.Contains(wasabiCoordAddresses, out.Address.Raw) {
				return true
			}
		}
		return false
	}
	unique := 0
	for _, c := range s.counts {
		if c == 1 {
			unique++
		}
	}
	// Dumplings takes the most frequent value; several values tied for
	// most frequent are rare in rounds of 10+ equal outputs.
	d := s.topValue - wasabiBaseDenomination
	return nativeSegwitOnly(tx) && s.topCount >= 10 && len(tx.Inputs) >= s.topCount &&
		d >= -wasabiDenominationTol && d <= wasabiDenominationTol && unique >= 2
}

// isWhirlpoolMix: Dumplings' rule (after "Pinpointing and Measuring Wasabi
// and Samourai CoinJoins in the Bitcoin Ecosystem"): native SegWit only,
// 5 to 10 inputs and as many outputs, every output of one pool's
// denomination, at least one input of exactly that value and every other
// input at most 0.0011 BTC above it.
func isWhirlpoolMix(tx *chain.Tx, s summary) bool {
	n := len(tx.Inputs)
	if n < 5 || n > 10 || len(tx.Outputs) != n || len(s.counts) != 1 {
		return false
	}
	pool := tx.Outputs[0].Value
	if !slices.Contains(whirlpoolPools, pool) || !nativeSegwitOnly(tx) {
		return false
	}
	exact := 0
	for _, in := range tx.Inputs {
		switch d := in.Value - pool; {
		case d == 0:
			exact++
		case d < 0 || d > whirlpoolInputTol:
			return false
		}
	}
	return exact >= 1
}

// isJoinMarket is BlockSci's isCoinjoin: at least 2 inputs and 3 outputs;
// with p = (outputs+1)/2 participants (each pays one equal output and takes
// one change), at least p inputs and p distinct input addresses, and the
// most frequent output value (ties: the smallest) occurring exactly p
// times and not a dust value (546 or 2730 satoshis).
func isJoinMarket(tx *chain.Tx, s summary) bool {
	if len(tx.Inputs) < 2 || len(tx.Outputs) < 3 {
		return false
	}
	p := (len(tx.Outputs) + 1) / 2
	if p > len(tx.Inputs) {
		return false
	}
	addrs := make(map[chain.Address]struct{}, len(tx.Inputs))
	for _, in := range tx.Inputs {
		addrs[in.Address] = struct{}{}
	}
	if p > len(addrs) {
		return false
	}
	return s.topCount == p && s.topValue != 546 && s.topValue != 2730
}

// isWhirlpoolTx0 recognises the transaction that enters coins into a
// Whirlpool pool: an OP_RETURN output (the coordinator's fee payload, an
// output without address) and at least one "premix" output whose value is
// a pool denomination plus at most 0.0011 BTC of mix fees, paid to a
// native SegWit address; all premix outputs have one value.
func isWhirlpoolTx0(tx *chain.Tx) bool {
	opReturn := false
	var premix int64
	n := 0
	for _, out := range tx.Outputs {
		if out.Address.None() {
			opReturn = true
			continue
		}
		if !isP2WPKH(out.Address) || !premixValue(out.Value) {
			continue
		}
		if n > 0 && out.Value != premix {
			continue
		}
		premix = out.Value
		n++
	}
	return opReturn && n >= 1
}

func premixValue(v int64) bool {
	for _, p := range whirlpoolPools {
		if v > p && v-p <= whirlpoolInputTol {
			return true
		}
	}
	return false
}
