package scenario

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

// Fees of every transaction the harness signs. They are fixed rather than
// read from the node so that the same workload signs the same bytes, and
// hence the same transaction hashes, on every run. The base fee of a chain
// sealed by Commit starts at 1 gwei and only falls while blocks are less than
// half full, so the cap is never reached in practice.
const (
	GasTipCap = 1 * params.GWei
	GasFeeCap = 100 * params.GWei
)

// Send signs a London dynamic-fee transaction from key index from and hands
// it to the pool; it is sealed by the next Commit. to nil creates a
// contract. Gas is taken as given, never estimated, so transactions meant to
// fail can be sent. Nonces are tracked inside the harness, so any number of
// transactions can be queued before one Commit.
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

func (n *Node) send(ctx context.Context, from int, to *common.Address, value *big.Int, data []byte, gas uint64) (*types.Transaction, error) {
	if from < 0 || from >= len(n.keys) {
		return nil, fmt.Errorf("scenario: send from key %d: node has %d keys", from, len(n.keys))
	}
	if value == nil {
		value = new(big.Int)
	}
	// Held from nonce to pool so transactions of one key enter in order.
	n.mu.Lock()
	defer n.mu.Unlock()
	nonce := n.nextNonce(from)
	tx, err := types.SignNewTx(n.keys[from], n.signer, &types.DynamicFeeTx{
		ChainID:   n.eth.BlockChain().Config().ChainID,
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
	if err := n.client.SendTransaction(ctx, tx); err != nil {
		return nil, fmt.Errorf("scenario: send tx of key %d nonce %d: %w", from, nonce, err)
	}
	n.nonces[from] = nonce + 1
	return tx, nil
}

// nextNonce returns the nonce for key from's next transaction. n.mu must be
// held. A key not seen since start, Fork or Rollback asks the pool, which
// counts the transactions it already holds.
func (n *Node) nextNonce(from int) uint64 {
	if nonce, ok := n.nonces[from]; ok {
		return nonce
	}
	pool := n.eth.TxPool()
	// The pool resets on a new head in the background; wait for it so a
	// Fork's returned transactions are counted.
	_ = pool.Sync() // fails only when the pool is closing; sending then fails too
	return pool.PoolNonce(n.Address(from))
}

// Receipt returns the receipt of a sealed transaction; it fails with
// ethereum.NotFound (wrapped) while the transaction is still pending.
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
