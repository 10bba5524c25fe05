package trace

import (
	"errors"
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Holdings follows one address's taint in every asset it holds, one Account
// per asset under one model: taint in USDT says nothing about the same
// address's ETH. Conversions between assets (DEX swaps) are the tracer's to
// decide; Holdings keeps the assets apart.
type Holdings struct {
	addr    chain.Address
	model   Model
	byAsset map[chain.Asset]Account
}

// NewHoldings returns empty holdings of addr under model m (FIFO, Haircut
// or Poison).
func NewHoldings(addr chain.Address, m Model) (*Holdings, error) {
	if _, err := NewAccount(m); err != nil {
		return nil, err
	}
	return &Holdings{addr: addr, model: m, byAsset: map[chain.Asset]Account{}}, nil
}

// Account returns the account of one asset, creating it empty.
func (h *Holdings) Account(a chain.Asset) Account {
	acct, ok := h.byAsset[a]
	if !ok {
		acct, _ = NewAccount(h.model) // the model was checked by NewHoldings
		h.byAsset[a] = acct
	}
	return acct
}

// Apply feeds one of the address's transfers, in chain order. For a
// transfer to the address, taint is how much of it arrived tainted; for one
// from the address, Apply returns how much of it leaves tainted. A transfer
// to itself leaves and comes back with its taint, which under FIFO moves
// that value to the back of the queue. A nil taint is none.
func (h *Holdings) Apply(t *chain.Transfer, taint *uint256.Int) (uint256.Int, error) {
	sent, err := h.apply(t, taint)
	if err != nil {
		return uint256.Int{}, fmt.Errorf("block %d tx %s seq %d: %w", t.Block, t.TxHash, t.Seq, err)
	}
	return sent, nil
}

func (h *Holdings) apply(t *chain.Transfer, taint *uint256.Int) (uint256.Int, error) {
	switch {
	case t.TokenID != nil:
		return uint256.Int{}, errors.New("ERC-721 tokens are not fungible; taint per token is not modelled yet")
	case t.From == h.addr && t.To == h.addr:
		acct := h.Account(t.Asset)
		sent, err := acct.Send(&t.Amount)
		if err != nil {
			return sent, err
		}
		// Cannot fail: the balance only returns to what it was.
		return sent, acct.Receive(&t.Amount, new(uint256.Int).Set(&sent))
	case t.From == h.addr:
		return h.Account(t.Asset).Send(&t.Amount)
	case t.To == h.addr:
		if taint == nil {
			taint = new(uint256.Int)
		}
		return uint256.Int{}, h.Account(t.Asset).Receive(&t.Amount, taint)
	}
	return uint256.Int{}, fmt.Errorf("transfer neither from nor to %s", h.addr)
}
