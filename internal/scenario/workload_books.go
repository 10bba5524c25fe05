package scenario

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// tokenBook mirrors one token's balances as the workload's transactions
// will leave them. Commit executes the queue in sending order, so the
// mirror is exact and the generator knows which transfers succeed.
type tokenBook struct {
	addr common.Address
	bal  map[common.Address]*big.Int
}

func newTokenBook(addr common.Address) *tokenBook {
	return &tokenBook{addr: addr, bal: map[common.Address]*big.Int{}}
}

func (b *tokenBook) balance(a common.Address) *big.Int {
	if v, ok := b.bal[a]; ok {
		return v
	}
	return new(big.Int)
}

// holder picks a key with a positive balance, scanning keys from a random
// start so the choice depends on the seed only (never on map order).
func (b *tokenBook) holder(w *workload) (int, bool) {
	keys := len(w.n.Keys())
	start := w.rng.IntN(keys)
	for i := range keys {
		k := (start + i) % keys
		if b.balance(w.n.Address(k)).Sign() > 0 {
			return k, true
		}
	}
	return 0, false
}

// part is a random share (0.1% to 100%, at least 1) of a's balance, which
// must be positive.
func (b *tokenBook) part(w *workload, a common.Address) *big.Int {
	amt := new(big.Int).Mul(b.balance(a), big.NewInt(1+w.rng.Int64N(1000)))
	amt.Div(amt, big.NewInt(1000))
	if amt.Sign() == 0 {
		amt.SetInt64(1)
	}
	return amt
}

func (b *tokenBook) credit(a common.Address, v *big.Int) {
	b.bal[a] = new(big.Int).Add(b.balance(a), v)
}

func (b *tokenBook) debit(a common.Address, v *big.Int) {
	b.bal[a] = new(big.Int).Sub(b.balance(a), v)
}

func (b *tokenBook) move(from, to common.Address, v *big.Int) {
	b.debit(from, v)
	b.credit(to, v)
}

// nftBook mirrors the owners of token ids 1..count.
type nftBook struct {
	addr  common.Address
	count int
	owner map[int]common.Address
}

func newNFTBook(addr, owner common.Address, count int) *nftBook {
	b := &nftBook{addr: addr, count: count, owner: map[int]common.Address{}}
	for id := 1; id <= count; id++ {
		b.owner[id] = owner
	}
	return b
}

// movable picks an id owned by a key, which can therefore send it on.
func (b *nftBook) movable(w *workload) (id, from int, ok bool) {
	start := w.rng.IntN(b.count)
	for i := range b.count {
		id := 1 + (start+i)%b.count
		if k, isKey := w.keyIndex(b.owner[id]); isKey {
			return id, k, true
		}
	}
	return 0, 0, false
}
