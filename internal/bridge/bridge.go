// Package bridge follows value across chains: a deposit into a bridge on
// one chain (recognised from the memo recorded with its transaction) is
// linked to the payout the bridge made on another chain, with a confidence
// and the reason for it. The tracer calls Resolve when taint reaches a
// bridge and continues from the payouts it returns.
//
// Matching is protocol-specific where the protocol leaves evidence (a
// THORChain payout names its inbound: OUT:<hash>) and generic otherwise:
// a payout to the deposit's destination on the destination chain, within a
// time window, of an amount consistent with the deposit (WindowMatcher).
// docs/bridge.md defines the scoring.
package bridge

import (
	"context"
	"fmt"
	"iter"
	"math/big"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// Reader is what matching reads of the store; *store.DB implements it.
type Reader interface {
	Network(c chain.Chain) (chain.Network, bool, error)
	Cursor(c chain.Chain) (store.Cursor, bool, error)
	Tx(c chain.Chain, hash chain.Hash) (store.TxInfo, bool, error)
	Transfers(q store.Query) iter.Seq2[store.Row, error]
	IO(c chain.Chain, h uint64, txi uint32) (chain.Tx, bool, error)
	Memos(c chain.Chain, hash chain.Hash) ([]chain.Memo, bool, error)
	MemoRefs(ref chain.Hash) ([]store.TxRef, error)
}

// Deposit is value handed to a bridge on one chain with the instruction
// where to pay it out.
type Deposit struct {
	Protocol string      // "thorchain"
	Chain    chain.Chain // where the deposit was made
	Tx       chain.Hash
	Block    uint64
	Time     int64 // block time, Unix seconds
	From     chain.Address
	Router   chain.Address // contract that took the deposit; none when paid to the vault directly
	Vault    chain.Address // the bridge's address that received the value
	Asset    chain.Asset
	Amount   uint256.Int
	Memo     string
	Action   string // the protocol's verb: swap, add, withdraw…; "invalid" when the memo cannot be read
	// MemoError says why the memo cannot be read (Action "invalid").
	MemoError string

	// DestChain is the chain the bridge pays out on, 0 when chainhound does
	// not index it (DestChainName still says which); DestAsset is the
	// protocol's name of the asset paid out.
	DestChain     chain.Chain
	DestChainName string
	DestAsset     string
	// DestAddress is the payout address, canonical for its chain; empty
	// when the memo gives none or names it indirectly (DestName).
	DestAddress string
	DestName    string
	// MinOut is the least payout the deposit accepts, in the destination
	// asset's base units; nil when unknown.
	MinOut *big.Int
	// Window is how long after the deposit a payout is expected; zero
	// means the matcher's default.
	Window time.Duration
}

// Payout is value a bridge paid out.
type Payout struct {
	Chain   chain.Chain
	Tx      chain.Hash
	Block   uint64
	Time    int64
	Index   uint32 // output index on UTXO chains, transfer seq on account chains
	Address chain.Address
	Asset   chain.Asset
	Amount  uint256.Int
	Memo    string // the payout transaction's memo, if any
}

// Link joins a deposit to where its value continues. Payout is nil when the
// value could not be followed; Why then says why (a chain not indexed, a
// liquidity add, no payout in the window).
type Link struct {
	Deposit    Deposit
	Payout     *Payout
	Confidence float64 // 1 for an exact match by hash; below 1 for matches by address, time and amount
	Why        string
}

// Matcher finds the payouts of a deposit.
type Matcher interface {
	Match(ctx context.Context, r Reader, d Deposit) ([]Link, error)
}

// Protocol is one bridge: it recognises its deposits in a transaction and
// matches them.
type Protocol interface {
	Matcher
	// Name is the protocol's name as Deposit.Protocol gives it.
	Name() string
	// Deposits returns the deposits into the bridge made by transaction tx
	// of chain c, none if it made none.
	Deposits(ctx context.Context, r Reader, c chain.Chain, tx store.TxInfo, memos []chain.Memo) ([]Deposit, error)
}

// Resolver resolves deposits of a set of protocols.
type Resolver struct {
	Protocols []Protocol
}

// DefaultResolver knows the protocols chainhound supports today.
func DefaultResolver() *Resolver {
	return &Resolver{Protocols: []Protocol{&THORChain{}}}
}

// Resolve returns where the value of a transaction that reached a bridge
// continues on the other chain, with DefaultResolver.
func Resolve(ctx context.Context, r Reader, c chain.Chain, tx chain.Hash) ([]Link, error) {
	return DefaultResolver().Resolve(ctx, r, c, tx)
}

// Resolve returns the links of every deposit transaction tx of chain c made
// into a known bridge, best first per deposit. A transaction the store does
// not hold is an error; one that deposited into no bridge has no links.
func (rs *Resolver) Resolve(ctx context.Context, r Reader, c chain.Chain, tx chain.Hash) ([]Link, error) {
	info, ok, err := r.Tx(c, tx)
	if err != nil {
		return nil, fmt.Errorf("resolve %s tx %s: %w", c, c.FormatHash(tx), err)
	}
	if !ok {
		return nil, fmt.Errorf("resolve %s tx %s: the store does not hold this transaction", c, c.FormatHash(tx))
	}
	memos, _, err := r.Memos(c, tx)
	if err != nil {
		return nil, fmt.Errorf("resolve %s tx %s: %w", c, c.FormatHash(tx), err)
	}
	var out []Link
	for _, p := range rs.Protocols {
		deps, err := p.Deposits(ctx, r, c, info, memos)
		if err != nil {
			return nil, fmt.Errorf("resolve %s tx %s: %s: %w", c, c.FormatHash(tx), p.Name(), err)
		}
		for _, d := range deps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			links, err := p.Match(ctx, r, d)
			if err != nil {
				return nil, fmt.Errorf("resolve %s tx %s: %s: %w", c, c.FormatHash(tx), p.Name(), err)
			}
			out = append(out, links...)
		}
	}
	return out, nil
}
