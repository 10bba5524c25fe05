package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// payoutsIn returns what stored transaction (c, block, index) paid: on a
// UTXO chain its outputs, on an account chain its native, internal and
// token transfers. With dest set only what paid dest; otherwise everything
// except change (outputs back to an address that funded the transaction),
// data outputs and value that an address passed on within the transaction
// (a router forwarding a vault's payout). skip, when not none, drops payouts to that address
// (the vault paying itself).
func payoutsIn(r Reader, c chain.Chain, hash chain.Hash, dest string, skip chain.Address) ([]Payout, error) {
	info, ok, err := r.Tx(c, hash)
	if err != nil || !ok {
		return nil, err
	}
	memo := ""
	if ms, _, err := r.Memos(c, hash); err != nil {
		return nil, err
	} else if len(ms) > 0 {
		memo = ms[0].Text
	}
	var out []Payout
	tx, utxo, err := r.IO(c, info.Block, info.Index)
	if err != nil {
		return nil, err
	}
	if utxo {
		funders := map[chain.Address]bool{}
		for _, in := range tx.Inputs {
			funders[in.Address] = true
		}
		for i, o := range tx.Outputs {
			if o.Address.None() || o.Address == skip || (dest != "" && o.Address.Raw != dest) || (dest == "" && funders[o.Address]) {
				continue
			}
			out = append(out, Payout{Chain: c, Tx: hash, Block: info.Block, Time: info.Time, Index: uint32(i),
				Address: o.Address, Asset: chain.NativeAsset, Amount: *uint256.NewInt(uint64(o.Value)), Memo: memo})
		}
		return out, nil
	}
	senders := map[chain.Address]bool{} // a contract passing value on is not where it ends
	for _, t := range info.Transfers {
		senders[t.From] = true
	}
	for _, t := range info.Transfers {
		if dest == "" && senders[t.To] {
			continue
		}
		switch t.Kind {
		case chain.KindNative, chain.KindInternal, chain.KindToken:
		default:
			continue
		}
		if t.To.None() || t.To == skip || (dest != "" && t.To.String() != dest) {
			continue
		}
		out = append(out, Payout{Chain: c, Tx: hash, Block: info.Block, Time: info.Time, Index: t.Seq,
			Address: t.To, Asset: t.Asset, Amount: t.Amount, Memo: memo})
	}
	return out, nil
}

// WindowMatcher is the generic matcher for bridges that leave no link
// between deposit and payout but the payout itself: a payout to the
// deposit's destination address on its destination chain, no earlier than
// Skew before the deposit and no later than the window after it, of at
// least the deposit's MinOut less FeeToleranceBps. Candidates come in time
// order; the first gets BaseConfidence (plus AmountBonus when MinOut was
// known and met), each later one half of the one before. A payout whose
// transaction carries a memo naming another transaction (OUT:/REFUND:) is
// that transaction's payout and is never a candidate.
type WindowMatcher struct {
	Window          time.Duration // default 6 h
	Skew            time.Duration // default 2 h (negative: none): Bitcoin block times may lag real time that much
	FeeToleranceBps uint64        // default 300 (3 %)
	BaseConfidence  float64       // default 0.5
	AmountBonus     float64       // default 0.2
	MaxCandidates   int           // default 5
}

func (m WindowMatcher) withDefaults() WindowMatcher {
	if m.Window <= 0 {
		m.Window = 6 * time.Hour
	}
	if m.Skew < 0 {
		m.Skew = 0
	} else if m.Skew == 0 {
		m.Skew = 2 * time.Hour
	}
	if m.FeeToleranceBps == 0 {
		m.FeeToleranceBps = 300
	}
	if m.BaseConfidence <= 0 {
		m.BaseConfidence = 0.5
	}
	if m.AmountBonus <= 0 {
		m.AmountBonus = 0.2
	}
	if m.MaxCandidates <= 0 {
		m.MaxCandidates = 5
	}
	return m
}

// Match implements Matcher.
func (m WindowMatcher) Match(ctx context.Context, r Reader, d Deposit) ([]Link, error) {
	m = m.withDefaults()
	if d.DestChain == 0 {
		return []Link{{Deposit: d, Why: fmt.Sprintf("destination chain %s is not indexed", d.DestChainName)}}, nil
	}
	if d.DestAddress == "" {
		why := "the deposit names no destination address"
		if d.DestName != "" {
			why = fmt.Sprintf("the destination is the name %q, which only the bridge's state resolves", d.DestName)
		}
		return []Link{{Deposit: d, Why: why}}, nil
	}
	window := m.Window
	if d.Window > 0 {
		window = d.Window
	}
	from, to := d.Time-int64(m.Skew/time.Second), d.Time+int64(window/time.Second)
	dest := chain.Address{Chain: d.DestChain, Raw: d.DestAddress}
	if d.DestChain == chain.Ethereum {
		a, err := chain.ParseEVMAddress(d.DestAddress)
		if err != nil {
			return nil, fmt.Errorf("destination %q: %w", d.DestAddress, err)
		}
		dest = a
	}
	var links []Link
	seen := map[chain.Hash]bool{d.Tx: true}
	for row, err := range r.Transfers(store.Query{Chain: d.DestChain, Address: &dest}) {
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if row.Time > to+int64(m.Skew/time.Second) {
			break // chain order: later blocks only get later, give or take the skew
		}
		if row.To != dest || seen[row.TxHash] || row.Time < from || row.Time > to {
			continue
		}
		seen[row.TxHash] = true
		other, err := namesOther(r, d.DestChain, row.TxHash, d.Tx)
		if err != nil {
			return nil, err
		}
		if other {
			continue
		}
		ps, err := payoutsIn(r, d.DestChain, row.TxHash, dest.String(), chain.Address{})
		if err != nil {
			return nil, err
		}
		for i := range ps {
			p := ps[i]
			conf, ok := m.score(d, &p, len(links))
			if !ok {
				continue
			}
			why := fmt.Sprintf("payout to the destination %s after %s", d.DestAddress, time.Duration(p.Time-d.Time)*time.Second)
			if d.MinOut != nil {
				why += fmt.Sprintf(", at least the deposit's minimum %s less %d bps", d.MinOut, m.FeeToleranceBps)
			}
			links = append(links, Link{Deposit: d, Payout: &p, Confidence: conf, Why: why})
		}
		if len(links) >= m.MaxCandidates {
			break
		}
	}
	if len(links) == 0 {
		return []Link{{Deposit: d, Why: fmt.Sprintf("no payout to %s on %s within %s of the deposit", d.DestAddress, d.DestChain, window)}}, nil
	}
	return links, nil
}

// score returns the confidence of the k-th accepted candidate, and false
// when its amount rules it out.
func (m WindowMatcher) score(d Deposit, p *Payout, k int) (float64, bool) {
	conf := m.BaseConfidence
	if d.MinOut != nil {
		least := new(uint256.Int)
		if least.SetFromBig(d.MinOut) {
			return 0, false // a minimum beyond 256 bits: nothing can meet it
		}
		cut := new(uint256.Int).Mul(least, uint256.NewInt(m.FeeToleranceBps))
		cut.Div(cut, uint256.NewInt(10000))
		least.Sub(least, cut)
		if p.Amount.Lt(least) {
			return 0, false
		}
		conf += m.AmountBonus
	}
	for ; k > 0; k-- {
		conf /= 2
	}
	return min(conf, 0.99), true
}

// namesOther reports whether transaction hash of chain c carries a memo
// naming a transaction other than inbound.
func namesOther(r Reader, c chain.Chain, hash, inbound chain.Hash) (bool, error) {
	ms, _, err := r.Memos(c, hash)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if ref, ok := chain.MemoRef(m.Text); ok && ref != inbound {
			return true, nil
		}
	}
	return false, nil
}
