package watch

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

// evaluateCase advances case k over block v and runs the case rules on
// its new flows. tainted collects the case's tainted addresses on v's
// chain for the block rules.
func (w *Watcher) evaluateCase(ctx context.Context, k *Case, v *blockView, bc *blockCommit, tainted map[chain.Address]string) ([]Alert, error) {
	name := k.Name.Value
	st, err := w.state(bc, name, v.c)
	if err != nil {
		return nil, err
	}
	res, err := w.advance(ctx, k, v.c, v.h, st)
	if err != nil || res == nil {
		return nil, err
	}
	if st.Since == nil {
		st.Since = map[string]int64{}
	}
	if st.Account != nil {
		for _, a := range st.Account.Addresses {
			if _, ok := tainted[a.Address]; !ok {
				tainted[a.Address] = name
			}
			if _, ok := st.Since[a.Address.String()]; !ok {
				st.Since[a.Address.String()] = v.time
			}
		}
	}
	for i := range res.Flows {
		f := &res.Flows[i]
		if f.To.None() {
			continue
		}
		if _, ok := tainted[f.To]; !ok {
			tainted[f.To] = name
		}
		if _, ok := st.Since[f.To.String()]; !ok {
			st.Since[f.To.String()] = w.blockTime(v, f.Block)
		}
	}
	r := &w.cfg.Rules
	var out []Alert
	if r.TaintMovement.On() {
		out = append(out, w.movements(k, v, res)...)
	}
	exits, err := w.exits(v.c)
	if err != nil {
		return nil, err
	}
	if r.Exit.On() {
		out = append(out, w.exitAlerts(k, v, res, exits, st)...)
	}
	if r.TokenSwap.On() {
		out = append(out, w.swaps(k, v, res, st)...)
		out = append(out, w.unwraps(k, v, st)...)
	}
	xs, err := trace.Crossings(ctx, w.src, v.c, res)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if r.RouterMemo.On() {
			out = append(out, w.routerAlert(k, v, &x))
		}
		if err := w.join(bc, name, v, res, &x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (w *Watcher) blockTime(v *blockView, h uint64) int64 {
	if h == v.h {
		return v.time
	}
	t, _, _ := w.src.BlockTime(v.c, h)
	return t
}

// severity is the rule's severity raised to the case's.
func severity(rule Severity, k *Case) Severity {
	if k != nil && k.Severity.rank() > rule.rank() {
		return k.Severity
	}
	return rule
}

// movements raises one alert per transaction in which the case's taint
// moved.
func (w *Watcher) movements(k *Case, v *blockView, res *trace.Result) []Alert {
	type txMove struct {
		block    uint64
		txi      uint32
		tx       chain.Hash
		from, to []string
		amounts  map[chain.Asset]*uint256.Int
		hop      int
	}
	byTx := map[chain.Hash]*txMove{}
	var order []*txMove
	for i := range res.Flows {
		f := &res.Flows[i]
		if f.To.None() || f.Kind == chain.KindFee || f.Kind == chain.KindBurn {
			continue
		}
		m := byTx[f.Tx]
		if m == nil {
			m = &txMove{block: f.Block, txi: f.TxIndex, tx: f.Tx, amounts: map[chain.Asset]*uint256.Int{}, hop: f.Hop}
			byTx[f.Tx] = m
			order = append(order, m)
		}
		if !slices.Contains(m.from, f.From.String()) {
			m.from = append(m.from, f.From.String())
		}
		if !slices.Contains(m.to, f.To.String()) {
			m.to = append(m.to, f.To.String())
		}
		if m.amounts[f.Asset] == nil {
			m.amounts[f.Asset] = new(uint256.Int)
		}
		m.amounts[f.Asset].Add(m.amounts[f.Asset], &f.Amount)
		m.hop = min(m.hop, f.Hop)
	}
	var out []Alert
	for _, m := range order {
		a := newAlert(RuleTaintMovement, severity(w.cfg.Rules.TaintMovement.Severity, k), v.caip2, v.c, m.block, w.blockTime(v, m.block), m.tx, k.Name.Value, m.from[0], v.c.FormatHash(m.tx))
		a.Addresses = append(slices.Clone(m.from), m.to...)
		a.Amounts = amts(v, m.amounts)
		a.Explanation = fmt.Sprintf("case %s: tainted funds moved: %s from %s to %s (hop %d)", k.Name.Value, describe(a.Amounts), strings.Join(m.from, ", "), list(m.to, 5), m.hop)
		out = append(out, a)
	}
	return out
}

// exitAlerts raises one alert per exit the case's taint reached, and one
// the first time its taint is held in a freezable token.
func (w *Watcher) exitAlerts(k *Case, v *blockView, res *trace.Result, x *trace.Exits, st *caseState) []Alert {
	rule := &w.cfg.Rules.Exit
	var out []Alert
	for _, e := range res.Exits {
		sev := rule.Severity
		can := "no venue or issuer is known to freeze it"
		if e.Freezable() {
			sev = rule.FreezableSeverity
			can = "it can be frozen"
			if e.Issuer != "" {
				can += " (issuer " + e.Issuer + ")"
			}
		}
		// The trace sums a block's arrivals at one service in one asset
		// under the first; each arrival is its own alert (a freeze
		// request names the deposit).
		for _, ar := range arrivals(res, &e) {
			a := newAlert(RuleExit, severity(sev, k), v.caip2, v.c, ar.block, w.blockTime(v, ar.block), ar.tx, k.Name.Value, e.Address.String(),
				v.c.FormatHash(ar.tx), e.Address.String(), e.Asset.String())
			a.Category = e.Service.Category
			a.Addresses = append([]string{e.Address.String()}, ar.from...)
			a.Amounts = []Amt{amt(v, e.Asset, &ar.amount)}
			a.Explanation = fmt.Sprintf("case %s: %s of tainted funds reached %s (%s) at %s from %s, %d hops from the seeds: %s",
				k.Name.Value, describe(a.Amounts), cmp.Or(e.Service.Name, e.Service.Actor, "a service"), e.Service.Category, e.Address, list(ar.from, 5), ar.hop, can)
			out = append(out, a)
		}
	}
	for i := range res.Flows {
		f := &res.Flows[i]
		if x.Freezable == nil || f.To.None() {
			continue
		}
		issuer, ok := x.Freezable(f.Asset)
		if !ok || slices.Contains(st.Freezable, f.Asset.String()) {
			continue
		}
		st.Freezable = append(st.Freezable, f.Asset.String())
		a := newAlert(RuleExit, severity(rule.FreezableSeverity, k), v.caip2, v.c, f.Block, w.blockTime(v, f.Block), f.Tx, k.Name.Value, f.To.String(),
			v.c.FormatHash(f.Tx), "freezable", f.Asset.String())
		a.Category = "freezable_token"
		a.Addresses = []string{f.From.String(), f.To.String()}
		a.Amounts = []Amt{amt(v, f.Asset, &f.Amount)}
		a.Explanation = fmt.Sprintf("case %s: tainted funds are held in %s, which %s can freeze wherever it sits: %s at %s", k.Name.Value, a.Amounts[0].Asset, issuer, describe(a.Amounts), f.To)
		out = append(out, a)
	}
	return out
}

// arrival is the taint one transaction brought to an exit.
type arrival struct {
	block  uint64
	tx     chain.Hash
	from   []string
	amount uint256.Int
	hop    int
}

// arrivals splits exit e by transaction: the flows of res into its
// address in its asset, in chain order. Without such flows (none is
// expected) it is e itself, under its first transaction.
func arrivals(res *trace.Result, e *trace.Exit) []arrival {
	var out []arrival
	at := map[chain.Hash]int{}
	for i := range res.Flows {
		f := &res.Flows[i]
		if f.To != e.Address || f.Asset != e.Asset || f.Kind == chain.KindFee || f.Kind == chain.KindBurn {
			continue
		}
		j, ok := at[f.Tx]
		if !ok {
			j = len(out)
			at[f.Tx] = j
			out = append(out, arrival{block: f.Block, tx: f.Tx, hop: f.Hop})
		}
		ar := &out[j]
		ar.amount.Add(&ar.amount, &f.Amount)
		ar.hop = min(ar.hop, f.Hop)
		if s := f.From.String(); !f.From.None() && !slices.Contains(ar.from, s) {
			ar.from = append(ar.from, s)
		}
	}
	if len(out) == 0 {
		out = []arrival{{block: e.Block, tx: e.Tx, amount: e.Amount, hop: e.Hop}}
	}
	return out
}

// swaps raises an alert when the case's freshly tainted tokens are
// swapped into the native coin.
func (w *Watcher) swaps(k *Case, v *blockView, res *trace.Result, st *caseState) []Alert {
	rule := &w.cfg.Rules.TokenSwap
	var out []Alert
	for _, s := range res.Swaps {
		if s.Sold.Kind != chain.ERC20 || s.Bought != chain.NativeAsset || s.SoldTaint.IsZero() {
			continue
		}
		if len(rule.Tokens) > 0 && !slices.ContainsFunc(rule.Tokens, func(t Text) bool { a, _ := parseToken(t); return a == s.Sold }) {
			continue
		}
		at := w.blockTime(v, s.Block)
		since, ok := st.Since[s.Address.String()]
		if ok && rule.FreshWithin > 0 && at-since > int64(rule.FreshWithin.seconds()) {
			continue
		}
		a := newAlert(RuleTokenSwap, severity(rule.Severity, k), v.caip2, v.c, s.Block, at, s.Tx, k.Name.Value, s.Address.String(),
			v.c.FormatHash(s.Tx), s.Address.String(), s.Sold.String())
		a.Addresses = []string{s.Address.String(), s.Venue.String()}
		a.Amounts = []Amt{amt(v, s.Sold, &s.SoldTaint), amt(v, s.Bought, &s.BoughtAmount)}
		a.Explanation = fmt.Sprintf("case %s: %s swapped %s of freshly tainted %s into %s of the native coin at %s, out of the token issuer's reach",
			k.Name.Value, s.Address, a.Amounts[0].Amount, a.Amounts[0].Asset, a.Amounts[1].Amount, s.Venue)
		out = append(out, a)
	}
	return out
}

// unwraps finds swaps the trace does not see as such: a tracked address
// of the case sending a token to nobody or to a contract and receiving
// the native coin in the same transaction (a WETH-style unwrap, a
// staking token's withdrawal). The trace counts the token as burnt there.
func (w *Watcher) unwraps(k *Case, v *blockView, st *caseState) []Alert {
	rule := &w.cfg.Rules.TokenSwap
	if st.Account == nil {
		return nil
	}
	tracked := map[chain.Address]bool{}
	for _, a := range st.Account.Addresses {
		tracked[a.Address] = true
	}
	var out []Alert
	for i := range v.rows {
		sold := &v.rows[i]
		if sold.Kind != chain.KindToken || sold.Asset.Kind != chain.ERC20 || !tracked[sold.From] || sold.Amount.IsZero() {
			continue
		}
		if len(rule.Tokens) > 0 && !slices.ContainsFunc(rule.Tokens, func(t Text) bool { a, _ := parseToken(t); return a == sold.Asset }) {
			continue
		}
		j := slices.IndexFunc(v.rows, func(r store.Row) bool {
			return r.TxHash == sold.TxHash && r.To == sold.From && r.From != sold.From && r.Asset == chain.NativeAsset &&
				(r.Kind == chain.KindInternal || r.Kind == chain.KindNative) && !r.Amount.IsZero()
		})
		if j < 0 {
			continue
		}
		since, ok := st.Since[sold.From.String()]
		if ok && rule.FreshWithin > 0 && v.time-since > int64(rule.FreshWithin.seconds()) {
			continue
		}
		bought := &v.rows[j]
		a := newAlert(RuleTokenSwap, severity(rule.Severity, k), v.caip2, v.c, v.h, v.time, sold.TxHash, k.Name.Value, sold.From.String(),
			v.c.FormatHash(sold.TxHash), sold.From.String(), sold.Asset.String())
		a.Addresses = []string{sold.From.String(), bought.From.String()}
		a.Amounts = []Amt{amt(v, sold.Asset, &sold.Amount), amt(v, bought.Asset, &bought.Amount)}
		a.Explanation = fmt.Sprintf("case %s: %s, tainted by the case, turned %s of %s into %s of the native coin (paid by %s), out of the token issuer's reach",
			k.Name.Value, sold.From, a.Amounts[0].Amount, a.Amounts[0].Asset, a.Amounts[1].Amount, bought.From)
		out = append(out, a)
	}
	return out
}

// routerAlert reports a bridge deposit carrying the case's taint, with
// where its memo sends it.
func (w *Watcher) routerAlert(k *Case, v *blockView, x *trace.Crossing) Alert {
	d := &x.Link.Deposit
	a := newAlert(RuleRouterMemo, severity(w.cfg.Rules.RouterMemo.Severity, k), v.caip2, v.c, d.Block, w.blockTime(v, d.Block), d.Tx, k.Name.Value, d.From.String(),
		v.c.FormatHash(d.Tx), d.Vault.String())
	a.Category = "defi_bridge"
	a.Addresses = []string{d.From.String()}
	for _, s := range []chain.Address{d.Router, d.Vault} {
		if !s.None() {
			a.Addresses = append(a.Addresses, s.String())
		}
	}
	dest := cmp.Or(d.DestAddress, d.DestName, "an address the memo does not give")
	if d.DestAddress != "" {
		a.Addresses = append(a.Addresses, d.DestAddress)
	}
	a.Amounts = []Amt{amt(v, d.Asset, &x.Tainted)}
	where := "the payout is not indexed yet"
	if p := x.Link.Payout; p != nil {
		where = fmt.Sprintf("paid out in %s tx %s", p.Chain, p.Chain.FormatHash(p.Tx))
	} else if x.Link.Why != "" {
		where = x.Link.Why
	}
	a.Explanation = fmt.Sprintf("case %s: %s of tainted funds deposited into the %s router by %s with memo %q: %s to %s on %s; %s",
		k.Name.Value, describe(a.Amounts), d.Protocol, d.From, d.Memo, cmp.Or(d.Action, "deposit"), dest, cmp.Or(d.DestChainName, d.DestChain.String()), where)
	return a
}

// join makes a bridge deposit's destination (and its payout address,
// once matched) part of the case on the destination chain.
func (w *Watcher) join(bc *blockCommit, name string, v *blockView, res *trace.Result, x *trace.Crossing) error {
	d := &x.Link.Deposit
	hop := 0
	for i := range res.Flows {
		if res.Flows[i].Tx == d.Tx {
			hop = max(hop, res.Flows[i].Hop)
		}
	}
	type dest struct {
		c chain.Chain
		a string
	}
	var ds []dest
	if d.DestChain != 0 && d.DestAddress != "" {
		ds = append(ds, dest{d.DestChain, d.DestAddress})
	}
	if p := x.Link.Payout; p != nil && !p.Address.None() {
		ds = append(ds, dest{p.Chain, p.Address.String()})
	}
	for _, t := range ds {
		st, err := w.state(bc, name, t.c)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(st.Joins, func(j Join) bool { return j.Address == t.a }) {
			continue
		}
		var from uint64
		if cur, ok, err := w.db.Cursor(t.c); err != nil {
			return err
		} else if ok {
			from = cur.Height + 1
		}
		if t.c == v.c {
			from = v.h + 1
		}
		st.Joins = append(st.Joins, Join{Address: t.a, Hop: hop + 1, From: from, Via: v.c.FormatHash(d.Tx)})
		w.log.Info("address joined the case from a bridge deposit", "case", name, "chain", t.c, "address", t.a, "deposit", v.c.FormatHash(d.Tx))
	}
	return nil
}

// amts lists per-asset totals in a fixed order.
func amts(v *blockView, m map[chain.Asset]*uint256.Int) []Amt {
	keys := slices.SortedFunc(maps.Keys(m), func(x, y chain.Asset) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Contract.Raw, y.Contract.Raw))
	})
	out := make([]Amt, 0, len(keys))
	for _, a := range keys {
		out = append(out, amt(v, a, m[a]))
	}
	return out
}

func amt(v *blockView, a chain.Asset, x *uint256.Int) Amt {
	return Amt{Asset: a.CAIP19(v.caip2), Amount: x.Dec()}
}

// describe writes amounts in explanations: base units and the asset.
func describe(as []Amt) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		parts = append(parts, a.Amount+" "+a.Asset)
	}
	return strings.Join(parts, " + ")
}

func list(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(xs[:n], ", "), len(xs)-n)
}
