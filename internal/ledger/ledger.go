// Package ledger reconstructs an account's state from the stored transfers:
// balance per asset, activity counts and first and last sighting.
package ledger

import (
	"math/big"
	"sort"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
)

// Seen is a block and its time.
type Seen struct {
	Block uint64
	Time  int64
}

// Balance is an address's holding of one asset. Balances are signed: a mint
// source such as the token zero address legitimately goes negative.
type Balance struct {
	Asset    chain.Asset
	Balance  *big.Int
	Received *big.Int
	Sent     *big.Int
	// In and Out count the transfers of this asset to and from the address;
	// for an ERC-721 collection Balance is the number of tokens held.
	In, Out int
}

// Account is everything Summarize knows of one address.
type Account struct {
	Address      chain.Address
	Found        bool
	First, Last  Seen
	In, Out      int // transfer counts
	Transactions int // distinct transactions touching the address
	Balances     []Balance
}

// Summarize scans every transfer of a and adds them up. Transfers from a to
// itself count once in each direction and leave the balance unchanged.
func Summarize(r store.Reader, a chain.Address) (Account, error) {
	acc := Account{Address: a}
	byAsset := map[chain.Asset]*Balance{}
	txs := map[chain.Hash]bool{}
	for row, err := range r.Transfers(store.Query{Chain: a.Chain, Address: &a}) {
		if err != nil {
			return acc, err
		}
		if !acc.Found {
			acc.First, acc.Found = Seen{row.Block, row.Time}, true
		}
		acc.Last = Seen{row.Block, row.Time}
		if !row.TxHash.IsZero() {
			txs[row.TxHash] = true
		}
		b := byAsset[row.Asset]
		if b == nil {
			b = &Balance{Asset: row.Asset, Balance: new(big.Int), Received: new(big.Int), Sent: new(big.Int)}
			byAsset[row.Asset] = b
		}
		amt := row.Amount.ToBig()
		if row.To == a {
			acc.In++
			b.In++
			b.Received.Add(b.Received, amt)
			b.Balance.Add(b.Balance, amt)
		}
		if row.From == a {
			acc.Out++
			b.Out++
			b.Sent.Add(b.Sent, amt)
			b.Balance.Sub(b.Balance, amt)
		}
	}
	acc.Transactions = len(txs)
	for _, b := range byAsset {
		acc.Balances = append(acc.Balances, *b)
	}
	sort.Slice(acc.Balances, func(i, j int) bool {
		x, y := acc.Balances[i].Asset, acc.Balances[j].Asset
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		return x.Contract.Raw < y.Contract.Raw
	})
	return acc, nil
}
