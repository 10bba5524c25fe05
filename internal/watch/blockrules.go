package watch

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

func (d Duration) seconds() float64 { return time.Duration(d).Seconds() }

// thKey is a threshold's asset on a chain.
type thKey struct {
	c chain.Chain
	a chain.Asset
}

// parse reads a threshold's chain and asset. A token's CAIP-2 part is not
// compared: a test network's token is matched by its contract all the same.
func (t Threshold) parse(d doc, rule string, i int) (thKey, error) {
	at := []any{"rules", rule, "thresholds", i}
	c, err := chain.ParseChain(t.Chain.Value)
	if err != nil {
		return thKey{}, d.errorf(append(at, "chain"), "threshold: %w", err)
	}
	a, err := chain.ParseAsset(t.Asset.Value)
	if err != nil {
		return thKey{}, d.errorf(append(at, "asset"), "threshold: %w", err)
	}
	if c == chain.Bitcoin && a != chain.NativeAsset {
		return thKey{}, d.errorf(append(at, "asset"), "threshold: Bitcoin has no tokens (asset %q)", t.Asset.Value)
	}
	if t.Amount.IsZero() {
		return thKey{}, d.errorf(append(at, "amount"), "threshold for %s %s: amount must be above zero", c, a)
	}
	return thKey{c, a}, nil
}

func thresholds(ts []Threshold) map[thKey]*uint256.Int {
	m := map[thKey]*uint256.Int{}
	for _, t := range ts {
		if k, err := t.parse(doc{}, "", 0); err == nil {
			m[k] = &t.Amount.Int
		}
	}
	return m
}

func parseToken(t Text) (chain.Asset, error) {
	a, err := chain.ParseAsset(t.Value)
	if err != nil || a.Kind != chain.ERC20 {
		return a, fmt.Errorf("line %d: token %q: want a CAIP-19 ERC-20 id such as eip155:1/erc20:0x…", t.Line, t.Value)
	}
	return a, nil
}

// isValue reports whether a transfer kind moves value between parties.
func isValue(k chain.Kind) bool {
	return k == chain.KindNative || k == chain.KindToken || k == chain.KindInternal
}

// blockRules runs the rules that look at every transfer of the block,
// whether or not a case follows it.
func (w *Watcher) blockRules(v *blockView, tainted map[chain.Address]string) ([]Alert, error) {
	r := &w.cfg.Rules
	var out []Alert
	w.observe(v)
	if r.Sanctioned.On() {
		out = append(out, w.sanctionedAlerts(v, tainted)...)
	}
	if r.LargeTransfer.On() {
		out = append(out, w.largeAlerts(v, tainted)...)
	}
	if r.FanOut.On() {
		as, err := w.fanOuts(v, tainted)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	if r.Chunking.On() {
		as, err := w.chunks(v, tainted)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	return out, nil
}

// sanctioned says whether an address is sanctioned, and by what tag.
func (w *Watcher) sanctioned(caip2 string, a chain.Address) (string, bool) {
	if a.None() {
		return "", false
	}
	for _, s := range w.cfg.Sanctioned {
		if s.Address == a {
			return "listed in the watch configuration", true
		}
	}
	for _, t := range w.ix.Tags(intel.Account(caip2, a.String())) {
		if t.Category == "sanction" {
			return t.Label + " (" + t.Source + ")", true
		}
	}
	return "", false
}

func (w *Watcher) sanctionedAlerts(v *blockView, tainted map[chain.Address]string) []Alert {
	var out []Alert
	for i := range v.rows {
		row := &v.rows[i]
		if !isValue(row.Kind) {
			continue
		}
		for _, s := range []chain.Address{row.From, row.To} {
			why, ok := w.sanctioned(v.caip2, s)
			if !ok {
				continue
			}
			other := row.To
			dir := "paid"
			if s == row.To {
				other, dir = row.From, "received from"
			}
			k := w.caseOf(tainted, row.From, row.To)
			a := newAlert(RuleSanctioned, severity(w.cfg.Rules.Sanctioned.Severity, k), v.caip2, v.c, v.h, v.time, row.TxHash, caseName(k), s.String(),
				v.c.FormatHash(row.TxHash), fmt.Sprint(row.Seq), s.String())
			a.Addresses = []string{row.From.String(), row.To.String()}
			a.Amounts = []Amt{amt(v, row.Asset, &row.Amount)}
			a.Explanation = fmt.Sprintf("sanctioned address %s (%s) %s %s: %s", s, why, dir, other, describe(a.Amounts))
			out = append(out, a)
		}
	}
	return out
}

// caseOf returns the case that taints one of the addresses, if any.
func (w *Watcher) caseOf(tainted map[chain.Address]string, as ...chain.Address) *Case {
	for _, a := range as {
		if n, ok := tainted[a]; ok {
			for i := range w.cfg.Cases {
				if w.cfg.Cases[i].Name.Value == n {
					return &w.cfg.Cases[i]
				}
			}
		}
	}
	return nil
}

func caseName(k *Case) string {
	if k == nil {
		return ""
	}
	return k.Name.Value
}

func (w *Watcher) largeAlerts(v *blockView, tainted map[chain.Address]string) []Alert {
	var out []Alert
	for i := range v.rows {
		row := &v.rows[i]
		if !isValue(row.Kind) || row.TokenID != nil {
			continue
		}
		th := w.large[thKey{v.c, row.Asset}]
		if th == nil || row.Amount.Lt(th) {
			continue
		}
		k := w.caseOf(tainted, row.From)
		a := newAlert(RuleLargeTransfer, severity(w.cfg.Rules.LargeTransfer.Severity, k), v.caip2, v.c, v.h, v.time, row.TxHash, caseName(k), row.From.String(),
			v.c.FormatHash(row.TxHash), fmt.Sprint(row.Seq))
		a.Addresses = []string{row.From.String(), row.To.String()}
		a.Amounts = []Amt{amt(v, row.Asset, &row.Amount)}
		a.Explanation = fmt.Sprintf("%s paid %s to %s, at or over the threshold of %s", row.From, describe(a.Amounts), row.To, th.Dec())
		out = append(out, a)
	}
	return out
}

// windowStart is the first block of chain c at or after time t (block
// times are taken as non-decreasing; a binary search).
func (w *Watcher) windowStart(c chain.Chain, h uint64, t int64) (uint64, error) {
	lo, ok, err := w.src.FirstBlock(c)
	if err != nil || !ok {
		return h, err
	}
	hi := h
	for lo < hi {
		mid := lo + (hi-lo)/2
		bt, _, err := w.src.BlockTime(c, mid)
		if err != nil {
			return h, err
		}
		if bt < t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// senderWindow is what the watcher keeps of a sender the fan-out or
// chunking rule looked at: its value transfers within the longer of the
// two windows, read from the store once and then extended from each
// block's transfers, so that a sender's history is not read again on
// every block. Busy senders (more transfers than the rule's limit) are
// remembered as such. The cache is memory only: after a restart it is
// read again from the store, with the same result.
type senderWindow struct {
	rows  []store.Row
	busy  bool
	since int64 // block time it was found busy
}

// maxSenders bounds the cache of sender windows; past it the cache
// starts again.
const maxSenders = 200_000

// senderRetention is the longest window of the rules that read senders.
func (w *Watcher) senderRetention() Duration {
	return max(w.cfg.Rules.FanOut.Window, w.cfg.Rules.Chunking.Window)
}

// observe extends the cached windows with the block's transfers and
// forgets what fell out of them. It runs on every block, before the rules
// (which read the senders they meet for the first time up to this block).
func (w *Watcher) observe(v *blockView) {
	if len(w.senders) == 0 {
		return
	}
	for i := range v.rows {
		r := &v.rows[i]
		if sw := w.senders[r.From]; sw != nil && !sw.busy && isValue(r.Kind) && r.TokenID == nil && !r.To.None() {
			sw.rows = append(sw.rows, *r)
		}
	}
	keep := int64(w.senderRetention().seconds())
	for a, sw := range w.senders {
		if sw.busy {
			if v.time-sw.since > keep { // look again: it may have gone quiet
				delete(w.senders, a)
			}
			continue
		}
		i := 0
		for i < len(sw.rows) && sw.rows[i].Time < v.time-keep {
			i++
		}
		if sw.rows = sw.rows[i:]; len(sw.rows) == 0 {
			delete(w.senders, a)
		}
	}
}

// senderRows are a sender's value transfers within window ending at the
// block, in chain order; nil when the sender made more than limit
// transfers (of any kind) in the rules' longest window: a service such as
// an exchange's hot wallet.
func (w *Watcher) senderRows(v *blockView, s chain.Address, window Duration, limit int) ([]store.Row, error) {
	sw := w.senders[s]
	if sw == nil {
		var err error
		if sw, err = w.readSender(v, s, limit); err != nil {
			return nil, err
		}
		if len(w.senders) >= maxSenders {
			clear(w.senders)
		}
		w.senders[s] = sw
	}
	if sw.busy {
		return nil, nil
	}
	cut := v.time - int64(window.seconds())
	i := 0
	for i < len(sw.rows) && sw.rows[i].Time < cut {
		i++
	}
	return sw.rows[i:], nil
}

// readSender reads a sender's window from the store, up to block v.h.
func (w *Watcher) readSender(v *blockView, s chain.Address, limit int) (*senderWindow, error) {
	from, err := w.windowStart(v.c, v.h, v.time-int64(w.senderRetention().seconds()))
	if err != nil {
		return nil, err
	}
	sw := &senderWindow{}
	seen := 0
	for r, err := range w.src.Transfers(store.Query{Chain: v.c, Address: &s, FromBlock: from, ToBlock: v.h, HasToBlock: true}) {
		if err != nil {
			return nil, err
		}
		if seen++; limit > 0 && seen > limit {
			return &senderWindow{busy: true, since: v.time}, nil
		}
		if r.From == s && isValue(r.Kind) && r.TokenID == nil && !r.To.None() {
			sw.rows = append(sw.rows, r)
		}
	}
	return sw, nil
}

// firstSeen is where an address's first transfer is.
type firstSeen struct {
	block    uint64
	txi, seq uint32
}

// maxFirstSeen bounds the watcher's cache of first transfers (about 60
// bytes an entry); past it the cache starts again.
const maxFirstSeen = 1 << 20

// freshness says whether a transfer was its recipient's first.
type freshness struct{ w *Watcher }

// fresh reports whether row is the first transfer its recipient ever
// received or made. An address's first transfer does not change (but in
// a reorganisation, which clears the cache), so it is kept across blocks.
func (f *freshness) fresh(row *store.Row) (bool, error) {
	w := f.w
	first, ok := w.first[row.To]
	if !ok {
		to := row.To
		for r, err := range w.src.Transfers(store.Query{Chain: row.Chain, Address: &to}) {
			if err != nil {
				return false, err
			}
			first, ok = firstSeen{r.Block, r.TxIndex, r.Seq}, true
			break
		}
		if !ok {
			return false, nil
		}
		if len(w.first) >= maxFirstSeen {
			clear(w.first)
		}
		w.first[row.To] = first
	}
	return first.block == row.Block && first.txi == row.TxIndex && first.seq == row.Seq, nil
}

// fanOuts finds senders that paid a fresh address in this block and,
// within the window, near-equal amounts of one asset to MinRecipients or
// more fresh addresses.
func (w *Watcher) fanOuts(v *blockView, tainted map[chain.Address]string) ([]Alert, error) {
	rule := &w.cfg.Rules.FanOut
	fr := &freshness{w: w}
	var senders []chain.Address
	for i := range v.rows {
		row := &v.rows[i]
		if !isValue(row.Kind) || row.From.None() || row.To.None() || slices.Contains(senders, row.From) {
			continue
		}
		if _, ok := tainted[row.From]; rule.TaintedOnly && !ok {
			continue
		}
		if ok, err := fr.fresh(row); err != nil {
			return nil, err
		} else if ok {
			senders = append(senders, row.From)
		}
	}
	var out []Alert
	for _, s := range senders {
		rows, err := w.senderRows(v, s, rule.Window, rule.MaxSenderTransfers)
		if err != nil {
			return nil, err
		}
		byAsset := map[chain.Asset][]store.Row{}
		var assets []chain.Asset
		for i := range rows {
			ok, err := fr.fresh(&rows[i])
			if err != nil {
				return nil, err
			}
			if ok {
				if byAsset[rows[i].Asset] == nil {
					assets = append(assets, rows[i].Asset)
				}
				byAsset[rows[i].Asset] = append(byAsset[rows[i].Asset], rows[i])
			}
		}
		for _, asset := range assets {
			near := nearEqual(byAsset[asset], rule.ToleranceBPS)
			if len(near) < rule.MinRecipients {
				continue
			}
			k := w.caseOf(tainted, s)
			first := near[0]
			a := newAlert(RuleFanOut, severity(rule.Severity, k), v.caip2, v.c, v.h, v.time, chain.Hash{}, caseName(k), s.String(),
				s.String(), asset.String(), v.c.FormatHash(first.TxHash), fmt.Sprint(first.Seq))
			total := new(uint256.Int)
			a.Addresses = []string{s.String()}
			for _, r := range near {
				total.Add(total, &r.Amount)
				a.Addresses = append(a.Addresses, r.To.String())
			}
			a.Amounts = []Amt{amt(v, asset, total)}
			a.Explanation = fmt.Sprintf("%s paid near-equal amounts (about %s each) of %s to %d fresh addresses within %s, from block %d to %d: %s in all",
				s, near[len(near)/2].Amount.Dec(), a.Amounts[0].Asset, len(near), time.Duration(rule.Window), first.Block, v.h, total.Dec())
			if k != nil {
				a.Explanation = "case " + k.Name.Value + ": " + a.Explanation
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// nearEqual returns the rows whose amount is within tol basis points of
// the median, in chain order, one per recipient.
func nearEqual(rows []store.Row, tol uint64) []store.Row {
	if len(rows) == 0 {
		return nil
	}
	vals := make([]*uint256.Int, len(rows))
	for i := range rows {
		vals[i] = &rows[i].Amount
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i].Lt(vals[j]) })
	med := vals[len(vals)/2]
	lim := new(uint256.Int).Mul(med, uint256.NewInt(tol))
	lim.Div(lim, uint256.NewInt(10000))
	var out []store.Row
	seen := map[chain.Address]bool{}
	for _, r := range rows {
		d := new(uint256.Int)
		if r.Amount.Gt(med) {
			d.Sub(&r.Amount, med)
		} else {
			d.Sub(med, &r.Amount)
		}
		if !d.Gt(lim) && !seen[r.To] {
			seen[r.To] = true
			out = append(out, r)
		}
	}
	return out
}

// chunks finds senders that made MinChunks or more transfers of one
// asset just under its threshold within the window.
func (w *Watcher) chunks(v *blockView, tainted map[chain.Address]string) ([]Alert, error) {
	rule := &w.cfg.Rules.Chunking
	inBand := func(r *store.Row) (*uint256.Int, bool) {
		th := w.chunk[thKey{v.c, r.Asset}]
		if th == nil || r.TokenID != nil || !r.Amount.Lt(th) {
			return nil, false
		}
		low := new(uint256.Int).Mul(th, uint256.NewInt(10000-rule.BandBPS))
		low.Div(low, uint256.NewInt(10000))
		return th, !r.Amount.Lt(low)
	}
	type key struct {
		s chain.Address
		a chain.Asset
	}
	var keys []key
	for i := range v.rows {
		row := &v.rows[i]
		if !isValue(row.Kind) || row.From.None() {
			continue
		}
		if _, ok := inBand(row); ok && !slices.Contains(keys, key{row.From, row.Asset}) {
			keys = append(keys, key{row.From, row.Asset})
		}
	}
	var out []Alert
	for _, kk := range keys {
		rows, err := w.senderRows(v, kk.s, rule.Window, rule.MaxSenderTransfers)
		if err != nil {
			return nil, err
		}
		var hits []store.Row
		var th *uint256.Int
		for i := range rows {
			if rows[i].Asset != kk.a {
				continue
			}
			if t, ok := inBand(&rows[i]); ok {
				hits, th = append(hits, rows[i]), t
			}
		}
		if len(hits) < rule.MinChunks {
			continue
		}
		k := w.caseOf(tainted, kk.s)
		first := hits[0]
		a := newAlert(RuleChunking, severity(rule.Severity, k), v.caip2, v.c, v.h, v.time, chain.Hash{}, caseName(k), kk.s.String(),
			kk.s.String(), kk.a.String(), v.c.FormatHash(first.TxHash), fmt.Sprint(first.Seq))
		total := new(uint256.Int)
		a.Addresses = []string{kk.s.String()}
		var recips []string
		for _, r := range hits {
			total.Add(total, &r.Amount)
			if !slices.Contains(recips, r.To.String()) {
				recips = append(recips, r.To.String())
			}
		}
		a.Addresses = append(a.Addresses, recips...)
		a.Amounts = []Amt{amt(v, kk.a, total)}
		a.Explanation = fmt.Sprintf("%s made %d transfers of %s just under the threshold of %s within %s (to %s): %s in all",
			kk.s, len(hits), a.Amounts[0].Asset, th.Dec(), time.Duration(rule.Window), list(recips, 5), total.Dec())
		if k != nil {
			a.Explanation = "case " + k.Name.Value + ": " + a.Explanation
		}
		out = append(out, a)
	}
	return out, nil
}
