package scenario

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

// Fees of every transaction the harness signs. They are fixed rather than
// read from the node so that the same calls sign the same bytes, and hence
// the same transaction hashes, on every run. The base fee starts at 1 gwei
// and only falls while blocks are less than half full, so the cap is never
// reached in practice.
const (
	GasTipCap = 1 * params.GWei
	GasFeeCap = 100 * params.GWei
)

// maxTxSize mirrors the limit of go-ethereum's transaction pool.
const maxTxSize = 4 * 32 * 1024

// Send signs a London dynamic-fee transaction from key index from and
// queues it for the next Commit; to nil creates a contract. Gas is taken as
// given, never estimated, so transactions meant to fail can be sent; Send
// only rejects what no block could include (gas below the intrinsic cost or
// above the cap, and the like). Nonces are tracked inside the harness, so
// any number of transactions can be queued before one Commit.
func (n *Node) Send(ctx context.Context, from int, to *common.Address, value *big.Int, data []byte, gas uint64) (common.Hash, error) {
	tx, err := n.send(ctx, from, to, value, data, gas)
	if err != nil {
		return common.Hash{}, err
	}
	return tx.Hash(), nil
}

// Deploy sends a contract-creation transaction carrying init code and value
// and returns the address the contract will have once the transaction is
// sealed successfully.
func (n *Node) Deploy(ctx context.Context, from int, code []byte, value *big.Int, gas uint64) (common.Address, common.Hash, error) {
	tx, err := n.send(ctx, from, nil, value, code, gas)
	if err != nil {
		return common.Address{}, common.Hash{}, err
	}
	return crypto.CreateAddress(n.Address(from), tx.Nonce()), tx.Hash(), nil
}

// SendTx queues a transaction signed elsewhere, for example one of a block
// that a Fork is about to replace, or a type Send does not build. Blob
// transactions are not supported.
func (n *Node) SendTx(ctx context.Context, tx *types.Transaction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.enqueue(tx)
}

func (n *Node) send(ctx context.Context, from int, to *common.Address, value *big.Int, data []byte, gas uint64) (*types.Transaction, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if from < 0 || from >= len(n.keys) {
		return nil, fmt.Errorf("scenario: send from key %d: node has %d keys", from, len(n.keys))
	}
	if value == nil {
		value = new(big.Int)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	nonce, err := n.nextNonce(n.Address(from))
	if err != nil {
		return nil, err
	}
	tx, err := types.SignNewTx(n.keys[from], n.signer, &types.DynamicFeeTx{
		ChainID:   n.signer.ChainID(),
		Nonce:     nonce,
		GasTipCap: new(big.Int).SetUint64(GasTipCap),
		GasFeeCap: new(big.Int).SetUint64(GasFeeCap),
		Gas:       gas,
		To:        to,
		Value:     value,
		Data:      data,
	})
	if err != nil {
		return nil, fmt.Errorf("scenario: sign tx of key %d nonce %d: %w", from, nonce, err)
	}
	return tx, n.enqueue(tx)
}

// enqueue checks tx against the rules that do not need state, the same
// checks go-ethereum's pool runs, and queues it. n.mu must be held.
func (n *Node) enqueue(tx *types.Transaction) error {
	if n.closed {
		return errClosed
	}
	opts := &txpool.ValidationOptions{
		Config:  n.eth.BlockChain().Config(),
		Accept:  1<<types.LegacyTxType | 1<<types.AccessListTxType | 1<<types.DynamicFeeTxType | 1<<types.SetCodeTxType,
		MaxSize: maxTxSize,
		MinTip:  new(big.Int),
	}
	if err := txpool.ValidateTransaction(tx, n.tip, n.signer, opts); err != nil {
		return fmt.Errorf("scenario: tx %s: %w", tx.Hash(), err)
	}
	from, _ := types.Sender(n.signer, tx) // checked by ValidateTransaction
	next, err := n.nextNonce(from)
	if err != nil {
		return err
	}
	n.queue = append(n.queue, tx)
	n.nonces[from] = max(next, tx.Nonce()+1)
	return nil
}

// nextNonce returns the nonce of addr's next transaction: its nonce in the
// tip's state, past any it has queued. n.mu must be held.
func (n *Node) nextNonce(addr common.Address) (uint64, error) {
	if nonce, ok := n.nonces[addr]; ok {
		return nonce, nil
	}
	st, err := n.eth.BlockChain().StateAt(n.tip.Root, n.tip.Number, n.tip.Time)
	if err != nil {
		return 0, fmt.Errorf("scenario: state of block %d: %w", n.tip.Number, err)
	}
	nonce := st.GetNonce(addr)
	for _, tx := range n.queue {
		if from, _ := types.Sender(n.signer, tx); from == addr && tx.Nonce() >= nonce {
			nonce = tx.Nonce() + 1
		}
	}
	n.nonces[addr] = nonce
	return nonce, nil
}

// Receipt returns the receipt of a transaction sealed on the canonical
// chain; it fails with ethereum.NotFound (wrapped) for a transaction still
// queued or sealed only on a side chain.
func (n *Node) Receipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	r, err := n.client.TransactionReceipt(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("scenario: receipt of %s: %w", h, err)
	}
	return r, nil
}

// Balance returns the wei balance of addr at the head.
func (n *Node) Balance(ctx context.Context, addr common.Address) (*big.Int, error) {
	b, err := n.client.BalanceAt(ctx, addr, nil)
	if err != nil {
		return nil, fmt.Errorf("scenario: balance of %s: %w", addr, err)
	}
	return b, nil
}
