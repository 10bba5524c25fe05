package scenario

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

// action is one kind of workload step. run reports false when the kind is
// not possible right now (no token to spend, no NFT left to move), so that
// step draws again.
type action struct {
	weight int
	run    func(w *workload) (bool, error)
}

// workloadActions is the mix: weights are relative frequencies per draw.
func workloadActions() []action {
	return []action{
		{14, (*workload).ethTransfer},
		{8, (*workload).ethToFresh},
		{4, (*workload).createWithValue},
		{8, (*workload).forward},
		{5, (*workload).tryRevert},
		{3, (*workload).revertDirect},
		{3, (*workload).outOfGas},
		{3, (*workload).selfDestruct},
		{2, (*workload).ephemeral},
		{3, (*workload).factoryCreate},
		{14, (*workload).tokenTransfer},
		{2, (*workload).tokenFail},
		{5, (*workload).deposit},
		{4, (*workload).withdraw},
		{3, (*workload).nftTransfer},
	}
}

// step performs one action drawn by weight.
func (w *workload) step() error {
	acts := workloadActions()
	total := 0
	for _, a := range acts {
		total += a.weight
	}
	for {
		r := w.rng.IntN(total)
		i := 0
		for r >= acts[i].weight {
			r -= acts[i].weight
			i++
		}
		// Plain transfers are always possible, so this terminates.
		if ok, err := acts[i].run(w); ok || err != nil {
			return err
		}
	}
}

// call sends a transaction to a contract or account and tracks it.
func (w *workload) call(from int, to common.Address, value *big.Int, data []byte, gas uint64, kind string, ok bool) error {
	h, err := w.n.Send(w.ctx, from, &to, value, data, gas)
	if err != nil {
		return err
	}
	w.touched[to] = true
	return w.track(h, kind, ok)
}

func (w *workload) ethTransfer() (bool, error) {
	from, to := w.key(), w.key()
	return true, w.call(from, w.n.Address(to), w.ether(), nil, params.TxGas, KindTransfer, true)
}

func (w *workload) ethToFresh() (bool, error) {
	return true, w.call(w.key(), w.fresh(), w.ether(), nil, params.TxGas, KindToFresh, true)
}

func (w *workload) createWithValue() (bool, error) {
	addr, h, err := w.n.Deploy(w.ctx, w.key(), SinkCode(), w.ether(), 100_000)
	if err != nil {
		return true, err
	}
	w.touched[addr] = true
	return true, w.track(h, KindCreateValue, true)
}

func (w *workload) forward() (bool, error) {
	rs := make([]common.Address, 1+w.rng.IntN(5))
	for i := range rs {
		rs[i] = w.recipient()
	}
	gas := 60_000 + 40_000*uint64(len(rs))
	return true, w.call(w.key(), w.fwd, w.ether(), ForwarderCalldata(rs...), gas, KindForward, true)
}

func (w *workload) tryRevert() (bool, error) {
	return true, w.call(w.key(), w.try, w.ether(), AddressCalldata(w.rev), 100_000, KindTryRevert, true)
}

func (w *workload) revertDirect() (bool, error) {
	return true, w.call(w.key(), w.rev, w.ether(), nil, 60_000, KindRevert, false)
}

// outOfGas sends either a forwarder call with value or a token transfer
// with gas just above the intrinsic cost (including the EIP-7623 calldata
// floor, 40 gas per non-zero byte), so execution runs dry at the first
// CALL or SSTORE.
func (w *workload) outOfGas() (bool, error) {
	if w.rng.IntN(2) == 0 {
		data := ForwarderCalldata(w.fresh(), w.fresh())
		gas := params.TxGas + 40*uint64(len(data)) + 1500
		return true, w.call(w.key(), w.fwd, w.ether(), data, gas, KindOutOfGas, false)
	}
	b := w.erc20[w.rng.IntN(len(w.erc20))]
	from, ok := b.holder(w)
	if !ok {
		return false, nil
	}
	data := TransferCalldata(w.recipient(), big.NewInt(1))
	gas := params.TxGas + 40*uint64(len(data)) + 1000
	return true, w.call(from, b.addr, nil, data, gas, KindOutOfGas, false)
}

// selfDestruct funds a new SelfDestructor at creation and destroys it to a
// beneficiary in a second transaction of the same sender, which the nonce
// orders after the creation even within one block.
func (w *workload) selfDestruct() (bool, error) {
	from := w.key()
	addr, h, err := w.n.Deploy(w.ctx, from, SelfDestructorCode(), w.ether(), 150_000)
	if err != nil {
		return true, err
	}
	w.touched[addr] = true
	if err := w.track(h, KindSelfDestruct, true); err != nil {
		return true, err
	}
	return true, w.call(from, addr, nil, AddressCalldata(w.recipient()), 100_000, KindSelfDestruct, true)
}

func (w *workload) ephemeral() (bool, error) {
	addr, h, err := w.n.Deploy(w.ctx, w.key(), EphemeralCode(w.recipient()), w.ether(), 100_000)
	if err != nil {
		return true, err
	}
	w.touched[addr] = true
	return true, w.track(h, KindEphemeral, true)
}

func (w *workload) factoryCreate() (bool, error) {
	w.touched[crypto.CreateAddress(w.factory, w.factoryNonce)] = true
	w.factoryNonce++
	return true, w.call(w.key(), w.factory, w.ether(), nil, 200_000, KindFactory, true)
}

func (w *workload) tokenTransfer() (bool, error) {
	toks := w.tokens()
	b := toks[w.rng.IntN(len(toks))]
	from, ok := b.holder(w)
	if !ok {
		return false, nil
	}
	fromAddr := w.n.Address(from)
	amount := b.part(w, fromAddr)
	to := w.recipient()
	if err := w.call(from, b.addr, nil, TransferCalldata(to, amount), 100_000, KindTokenTransfer, true); err != nil {
		return true, err
	}
	b.move(fromAddr, to, amount)
	return true, nil
}

// tokenFail asks for one more than the sender holds, so it reverts.
func (w *workload) tokenFail() (bool, error) {
	b := w.erc20[w.rng.IntN(len(w.erc20))]
	from := w.key()
	amount := new(big.Int).Add(b.balance(w.n.Address(from)), big.NewInt(1))
	return true, w.call(from, b.addr, nil, TransferCalldata(w.recipient(), amount), 100_000, KindTokenFail, false)
}

func (w *workload) deposit() (bool, error) {
	from := w.key()
	value := w.ether()
	data := DepositCalldata()
	if w.rng.IntN(3) == 0 {
		data = nil // WETH's fallback deposits too
	}
	if err := w.call(from, w.weth.addr, value, data, 100_000, KindDeposit, true); err != nil {
		return true, err
	}
	w.weth.credit(w.n.Address(from), value)
	return true, nil
}

func (w *workload) withdraw() (bool, error) {
	from, ok := w.weth.holder(w)
	if !ok {
		return false, nil
	}
	addr := w.n.Address(from)
	wad := w.weth.part(w, addr)
	if err := w.call(from, w.weth.addr, nil, WithdrawCalldata(wad), 100_000, KindWithdraw, true); err != nil {
		return true, err
	}
	w.weth.debit(addr, wad)
	return true, nil
}

func (w *workload) nftTransfer() (bool, error) {
	id, from, ok := w.nft.movable(w)
	if !ok {
		return false, nil
	}
	to := w.recipient()
	data := TransferFromCalldata(w.n.Address(from), to, big.NewInt(int64(id)))
	if err := w.call(from, w.nft.addr, nil, data, 100_000, KindNFTTransfer, true); err != nil {
		return true, err
	}
	w.nft.owner[id] = to
	return true, nil
}

// keyIndex returns the key index of addr, or false for a non-key address.
func (w *workload) keyIndex(addr common.Address) (int, bool) {
	for i := range w.n.Keys() {
		if w.n.Address(i) == addr {
			return i, true
		}
	}
	return 0, false
}

func blockNumber(num uint64) rpc.BlockNumberOrHash {
	return rpc.BlockNumberOrHashWithNumber(rpc.BlockNumber(num))
}
