package trace

import (
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

func addr(b byte) chain.Address { return chain.EVMAddress([20]byte{19: b}) }

func transfer(from, to chain.Address, asset chain.Asset, amount uint64) *chain.Transfer {
	return &chain.Transfer{Kind: chain.KindNative, From: from, To: to, Asset: asset, Amount: *uint256.NewInt(amount)}
}

func TestHoldingsKeepAssetsApart(t *testing.T) {
	me, other := addr(1), addr(2)
	usdt := chain.Asset{Kind: chain.ERC20, Contract: addr(9)}
	h, err := NewHoldings(me, FIFO)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		t         *chain.Transfer
		taint     uint64
		wantTaint uint64
	}{
		{transfer(other, me, chain.NativeAsset, 10), 0, 0},
		{transfer(other, me, usdt, 10), 10, 0},
		{transfer(me, other, chain.NativeAsset, 4), 0, 0}, // the USDT taint stays in USDT
		{transfer(me, other, usdt, 3), 0, 3},
	}
	for i, s := range steps {
		got, err := h.Apply(s.t, uint256.NewInt(s.taint))
		if err != nil || got.Uint64() != s.wantTaint {
			t.Errorf("step %d: taint %s, %v; want %d", i, &got, err, s.wantTaint)
		}
	}
	if v, tn := h.Account(usdt).Balance(); v.Uint64() != 7 || tn.Uint64() != 7 {
		t.Errorf("USDT left %s (%s tainted), want 7 (7)", &v, &tn)
	}
}

func TestHoldingsSelfTransferRequeues(t *testing.T) {
	me, other := addr(1), addr(2)
	h, _ := NewHoldings(me, FIFO)
	h.Apply(transfer(other, me, chain.NativeAsset, 5), uint256.NewInt(5))
	h.Apply(transfer(other, me, chain.NativeAsset, 5), nil)
	// 5 tainted leave and come back behind the 5 clean ones.
	if got, err := h.Apply(transfer(me, me, chain.NativeAsset, 5), nil); err != nil || got.Uint64() != 5 {
		t.Fatalf("self-transfer carried %s, %v; want 5", &got, err)
	}
	if got, _ := h.Apply(transfer(me, other, chain.NativeAsset, 5), nil); !got.IsZero() {
		t.Errorf("after requeueing, the first 5 out carried %s taint, want 0", &got)
	}
}

func TestHoldingsRefusals(t *testing.T) {
	me, other := addr(1), addr(2)
	if _, err := NewHoldings(me, TIHO); err == nil {
		t.Error("TIHO holdings accepted")
	}
	h, _ := NewHoldings(me, Haircut)
	if _, err := h.Apply(transfer(other, addr(3), chain.NativeAsset, 1), nil); err == nil {
		t.Error("a transfer not touching the address accepted")
	}
	nft := transfer(other, me, chain.Asset{Kind: chain.ERC721, Contract: addr(9)}, 1)
	nft.TokenID = uint256.NewInt(42)
	if _, err := h.Apply(nft, nil); err == nil {
		t.Error("ERC-721 transfer accepted")
	}
	if _, err := h.Apply(transfer(me, other, chain.NativeAsset, 1), nil); err == nil {
		t.Error("send from an empty account accepted")
	}
}
