package scenario

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// tokenBook is the generator's view of one token's balances while a block
// is being filled, used only to decide which transfers must succeed.
//
// bal is what a holder can certainly spend: its balance at the last seal
// minus its own transfers since, which its nonces order before its next
// one. Credits from other senders go to incoming: the miner orders
// different senders' transactions as it likes, so a credit becomes
// spendable only once sealed.
type tokenBook struct {
	addr     common.Address
	bal      map[common.Address]*big.Int
	incoming map[common.Address]*big.Int
}

func newTokenBook(addr common.Address) *tokenBook {
	return &tokenBook{addr: addr, bal: map[common.Address]*big.Int{}, incoming: map[common.Address]*big.Int{}}
}

func amountIn(m map[common.Address]*big.Int, a common.Address) *big.Int {
	if v, ok := m[a]; ok {
		return v
	}
	return new(big.Int)
}

// holder picks a key with a spendable balance, scanning keys from a random
// start so the choice depends on the seed only (never on map order).
func (b *tokenBook) holder(w *workload) (int, bool) {
	keys := len(w.n.Keys())
	start := w.rng.IntN(keys)
	for i := range keys {
		k := (start + i) % keys
		if amountIn(b.bal, w.n.Address(k)).Sign() > 0 {
			return k, true
		}
	}
	return 0, false
}

// part is a random share (0.1% to 100%, at least 1) of a's spendable
// balance, which must be positive.
func (b *tokenBook) part(w *workload, a common.Address) *big.Int {
	amt := new(big.Int).Mul(amountIn(b.bal, a), big.NewInt(1+w.rng.Int64N(1000)))
	amt.Div(amt, big.NewInt(1000))
	if amt.Sign() == 0 {
		amt.SetInt64(1)
	}
	return amt
}

// ceiling bounds what a can hold anywhere in the current block.
func (b *tokenBook) ceiling(a common.Address) *big.Int {
	return new(big.Int).Add(amountIn(b.bal, a), amountIn(b.incoming, a))
}

func (b *tokenBook) credit(a common.Address, v *big.Int) {
	b.bal[a] = new(big.Int).Add(amountIn(b.bal, a), v)
}

func (b *tokenBook) debit(a common.Address, v *big.Int) {
	b.bal[a] = new(big.Int).Sub(amountIn(b.bal, a), v)
}

// move records a transfer sent from a to to.
func (b *tokenBook) move(from, to common.Address, v *big.Int) {
	b.debit(from, v)
	b.incoming[to] = new(big.Int).Add(amountIn(b.incoming, to), v)
}

// settle makes the credits of the sealed block spendable.
func (b *tokenBook) settle() {
	for a, v := range b.incoming {
		b.credit(a, v)
	}
	clear(b.incoming)
}

// nftBook tracks owners of token ids 1..count. An id moved in the block
// being filled is frozen until the seal, for the same ordering reason as
// tokenBook's incoming credits.
type nftBook struct {
	addr  common.Address
	count int
	owner map[int]common.Address
	moved map[int]bool
}

func newNFTBook(addr, owner common.Address, count int) *nftBook {
	b := &nftBook{addr: addr, count: count, owner: map[int]common.Address{}, moved: map[int]bool{}}
	for id := 1; id <= count; id++ {
		b.owner[id] = owner
	}
	return b
}

// movable picks an id owned by a key and not moved in this block.
func (b *nftBook) movable(w *workload) (id, from int, ok bool) {
	start := w.rng.IntN(b.count)
	for i := range b.count {
		id := 1 + (start+i)%b.count
		if b.moved[id] {
			continue
		}
		if k, isKey := w.keyIndex(b.owner[id]); isKey {
			return id, k, true
		}
	}
	return 0, 0, false
}

func (b *nftBook) move(id int, to common.Address) {
	b.owner[id] = to
	b.moved[id] = true
}

func (b *nftBook) settle() { clear(b.moved) }
