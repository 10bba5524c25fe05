package bridge

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/chainhound/chainhound/internal/bridge/thorchain"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/chainhound/chainhound/internal/store"
)

// THORChain recognises deposits into THORChain: router Deposit events on
// Ethereum and OP_RETURN memos on Bitcoin. A deposit's payout is found
// first by the memo THORChain's vault writes on it (OUT:<inbound hash>, or
// REFUND:<inbound hash> when the swap failed), an exact match of
// confidence 1; without one, by Window at the memo's destination.
type THORChain struct {
	// Window matches deposits whose payout names no inbound. Its Window is
	// the default wait for a payout; a streaming swap adds its duration
	// and a limit swap waits up to its time to live.
	Window WindowMatcher
}

// thorBlock is THORChain's target block time, which streaming intervals
// and limit-swap lifetimes count in.
const thorBlock = 6 * time.Second

// limitSwapTTL is a limit swap's default lifetime: 43,200 THORChain blocks.
const limitSwapTTL = 43200 * thorBlock

// Name implements Protocol.
func (*THORChain) Name() string { return "thorchain" }

// chainOf maps THORChain chain names to the chains chainhound indexes.
func chainOf(name string) chain.Chain {
	switch name {
	case "BTC":
		return chain.Bitcoin
	case "ETH":
		return chain.Ethereum
	}
	return 0
}

// Deposits implements Protocol.
func (t *THORChain) Deposits(ctx context.Context, r Reader, c chain.Chain, tx store.TxInfo, memos []chain.Memo) ([]Deposit, error) {
	if !tx.Success {
		return nil, nil
	}
	check, err := t.checker(r)
	if err != nil {
		return nil, err
	}
	var out []Deposit
	for _, m := range memos {
		d := Deposit{Protocol: t.Name(), Chain: c, Tx: tx.Hash, Block: tx.Block, Time: tx.Time, Memo: m.Text}
		switch m.Kind {
		case chain.MemoRouterDeposit:
			d.From, d.Router, d.Vault, d.Asset, d.Amount = m.From, m.Contract, m.To, m.Asset, m.Amount
		case chain.MemoOpReturn:
			if !inbound(m.Text) {
				continue
			}
			if err := t.utxoDeposit(r, c, tx, &d); err != nil {
				return nil, err
			}
		default:
			continue
		}
		t.fill(r, &d, check)
		out = append(out, d)
	}
	return out, nil
}

// inbound reports whether an OP_RETURN memo is a user's instruction rather
// than a vault's own (payouts, refunds, vault moves).
func inbound(text string) bool {
	verb, _, _ := strings.Cut(text, ":")
	switch strings.ToLower(verb) {
	case "out", "refund", "migrate", "ragnarok", "consolidate", "yggdrasil+", "yggdrasil-":
		return false
	}
	return true
}

// utxoDeposit fills a Bitcoin deposit's sender (the first input's address),
// vault and amount (the first output that is neither data nor change).
func (t *THORChain) utxoDeposit(r Reader, c chain.Chain, tx store.TxInfo, d *Deposit) error {
	io, ok, err := r.IO(c, tx.Block, tx.Index)
	if err != nil || !ok {
		return err
	}
	funders := map[chain.Address]bool{}
	for _, in := range io.Inputs {
		funders[in.Address] = true
	}
	if len(io.Inputs) > 0 {
		d.From = io.Inputs[0].Address
	}
	for _, o := range io.Outputs {
		if !o.Address.None() && !funders[o.Address] {
			d.Vault, d.Asset = o.Address, chain.NativeAsset
			d.Amount.SetUint64(uint64(o.Value))
			return nil
		}
	}
	return nil
}

// fill parses the deposit's memo and sets what it says of the payout.
func (t *THORChain) fill(r Reader, d *Deposit, check func(string, string) (string, bool, error)) {
	m, err := thorchain.ParseWith(d.Memo, thorchain.Options{Check: check})
	if err != nil {
		d.Action, d.MemoError = "invalid", err.Error()
		return
	}
	d.Action = string(m.Action)
	switch m.Action {
	case thorchain.Swap, thorchain.LimitSwap, thorchain.LoanOpen:
	default:
		return
	}
	d.DestAsset = m.Asset.String()
	d.DestChainName = m.Asset.PayoutChain()
	if c := chainOf(d.DestChainName); c != 0 {
		if _, ok, err := r.Network(c); err == nil && ok {
			d.DestChain = c
		}
	}
	switch m.DestKind {
	case thorchain.AddressDest:
		d.DestAddress = m.Dest
	case thorchain.NameDest:
		d.DestName = m.Dest
	}
	if m.Limit != nil && m.Asset.Kind == thorchain.Layer1 {
		switch m.Asset.String() {
		case "BTC.BTC": // THORChain's 1e8 units are satoshis
			d.MinOut = new(big.Int).Set(m.Limit)
		case "ETH.ETH": // 1e8 units to wei
			d.MinOut = new(big.Int).Mul(m.Limit, big.NewInt(1e10))
		}
	}
	switch {
	case m.Action == thorchain.LimitSwap && m.Interval > 0:
		d.Window = time.Duration(m.Interval) * thorBlock
	case m.Action == thorchain.LimitSwap:
		d.Window = limitSwapTTL
	case m.Streaming && m.Quantity > 0:
		d.Window = t.Window.withDefaults().Window + time.Duration(m.Interval*m.Quantity)*thorBlock
	}
}

// Match implements Matcher: payouts naming the deposit first, then the
// window.
func (t *THORChain) Match(ctx context.Context, r Reader, d Deposit) ([]Link, error) {
	refs, err := r.MemoRefs(d.Tx)
	if err != nil {
		return nil, err
	}
	var links []Link
	for _, ref := range refs {
		ms, _, err := r.Memos(ref.Chain, ref.Hash)
		if err != nil {
			return nil, err
		}
		refund := false
		for _, m := range ms {
			if h, ok := chain.MemoRef(m.Text); ok && h == d.Tx {
				refund = strings.HasPrefix(strings.ToLower(m.Text), "refund")
			}
		}
		dest, why := d.DestAddress, fmt.Sprintf("the payout's memo OUT:%s names the deposit", hexUpper(d.Tx))
		if refund {
			dest, why = "", fmt.Sprintf("refund: the memo REFUND:%s names the deposit", hexUpper(d.Tx))
		}
		if ref.Chain != d.DestChain && !refund {
			dest = "" // paid on a chain the memo did not name: take what it paid
		}
		ps, err := payoutsIn(r, ref.Chain, ref.Hash, dest, chain.Address{})
		if err != nil {
			return nil, err
		}
		for i := range ps {
			links = append(links, Link{Deposit: d, Payout: &ps[i], Confidence: 1, Why: why})
		}
	}
	if len(links) > 0 {
		return links, nil
	}
	switch d.Action {
	case string(thorchain.Swap), string(thorchain.LimitSwap), string(thorchain.LoanOpen):
		return t.Window.Match(ctx, r, d)
	case "invalid":
		return []Link{{Deposit: d, Why: "THORChain cannot read the memo and refunds such deposits; no refund found yet: " + d.MemoError}}, nil
	}
	return []Link{{Deposit: d, Why: fmt.Sprintf("a %s memo: the value stays with THORChain", d.Action)}}, nil
}

// hexUpper writes a hash as THORChain writes transaction ids.
func hexUpper(h chain.Hash) string { return strings.ToUpper(h.String()[2:]) }

// checker returns the address check for memo destinations: the network
// the store binds each chain to decides, so regtest and testnet addresses
// pass where the store holds such a chain.
func (t *THORChain) checker(r Reader) (func(string, string) (string, bool, error), error) {
	n, ok, err := r.Network(chain.Bitcoin)
	if err != nil {
		return nil, err
	}
	if !ok || n.CAIP2 == addrcheck.Bitcoin {
		return thorchain.MainnetCheck, nil
	}
	net, known := btc.NetworkOfCAIP2(n.CAIP2)
	if !known {
		return thorchain.MainnetCheck, nil
	}
	return func(thorChain, addr string) (string, bool, error) {
		if thorChain != "BTC" {
			return thorchain.MainnetCheck(thorChain, addr)
		}
		a, err := address.DecodeAddress(addr, net.Params)
		if err != nil {
			return "", false, err
		}
		if !a.IsForNet(net.Params) {
			return "", false, fmt.Errorf("address %s is not for %s", addr, net.Name)
		}
		return a.EncodeAddress(), true, nil
	}, nil
}
