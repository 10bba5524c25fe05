package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// MaxWithdrawalsPerBlock is how many queued withdrawals the simulated beacon
// puts into one block; the rest wait for the following blocks.
const MaxWithdrawalsPerBlock = 10

// Commit seals one block on top of the current head with every executable
// transaction in the pool (as many as fit its gas limit) and up to
// MaxWithdrawalsPerBlock queued withdrawals, makes it the head and returns
// its hash. With nothing pending it seals an empty block.
func (n *Node) Commit() (common.Hash, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	parent := n.eth.BlockChain().CurrentBlock()
	n.beacon.Commit()
	return n.checkSealed(parent)
}

// checkSealed reports whether the last sealing produced a child of parent.
// The simulated beacon only logs its sealing errors, and go-ethereum's
// logger discards by default, so the head is the only evidence left.
func (n *Node) checkSealed(parent *types.Header) (common.Hash, error) {
	head := n.eth.BlockChain().CurrentBlock()
	if head.ParentHash != parent.Hash() {
		return common.Hash{}, fmt.Errorf("scenario: seal block on #%d %s failed: head is #%d %s",
			parent.Number, parent.Hash().TerminalString(), head.Number, head.Hash().TerminalString())
	}
	return head.Hash(), nil
}

// Pending counts the executable transactions waiting in the pool, for
// example the ones a full block left behind.
func (n *Node) Pending() (int, error) {
	pool := n.eth.TxPool()
	// The pool drops sealed transactions in the background; wait for it.
	if err := pool.Sync(); err != nil {
		return 0, fmt.Errorf("scenario: sync pool: %w", err)
	}
	pending, _ := pool.Stats()
	return pending, nil
}

// Head returns the header of the current canonical head.
func (n *Node) Head() *types.Header {
	return n.eth.BlockChain().CurrentBlock()
}

// Fork makes parent the canonical head at once, the way a consensus client's
// forkchoiceUpdated to an ancestor does: the blocks above parent stop being
// canonical immediately, and the following Commits build a side chain on
// parent. Transactions of the dropped blocks go back to the pool and are
// sealed again by the next Commit unless Rollback discards them.
//
// The pool must be empty (commit or roll back first). This differs from the
// proof-of-work picture of a side chain that overtakes only once longer: an
// observer polling between Fork and the Commits sees the head go back.
func (n *Node) Fork(parent common.Hash) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.beacon.Fork(parent); err != nil {
		return fmt.Errorf("scenario: fork at %s: %w", parent.TerminalString(), err)
	}
	// Senders' nonces now depend on which transactions survived; read them
	// again from the pool on next use.
	clear(n.nonces)
	return nil
}

// Rollback drops every pending transaction, for example the ones a Fork put
// back into the pool, so a side chain can carry different transactions.
func (n *Node) Rollback() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.beacon.Rollback()
	clear(n.nonces)
}

// AdjustTime seals an empty block whose timestamp is the head's plus d
// (rounded down to seconds). The pool must be empty.
func (n *Node) AdjustTime(d time.Duration) (common.Hash, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	parent := n.eth.BlockChain().CurrentBlock()
	if err := n.beacon.AdjustTime(d); err != nil {
		return common.Hash{}, fmt.Errorf("scenario: adjust time by %v: %w", d, err)
	}
	return n.checkSealed(parent)
}

// AddWithdrawal queues a beacon-chain withdrawal of gwei to the address; the
// next Commit (or AdjustTime) includes it. Withdrawals credit balances
// without a transaction, so they only show in a block's withdrawals list.
// Validator indexes and withdrawal indexes count up from 0.
func (n *Node) AddWithdrawal(to common.Address, gwei uint64) error {
	// Held across the call so concurrent callers queue in index order.
	n.mu.Lock()
	defer n.mu.Unlock()
	seq := n.withdrawalSeq
	w := &types.Withdrawal{Index: seq, Validator: seq, Address: to, Amount: gwei}
	if err := n.rpc.CallContext(context.Background(), nil, "dev_addWithdrawal", w); err != nil {
		return fmt.Errorf("scenario: queue withdrawal %d of %d gwei to %s: %w", seq, gwei, to, err)
	}
	n.withdrawalSeq++
	return nil
}

// SetFeeRecipient changes the coinbase of the blocks sealed from now on.
func (n *Node) SetFeeRecipient(addr common.Address) error {
	if err := n.rpc.CallContext(context.Background(), nil, "dev_setFeeRecipient", addr); err != nil {
		return fmt.Errorf("scenario: set fee recipient %s: %w", addr, err)
	}
	n.mu.Lock()
	n.feeRecipient = addr
	n.mu.Unlock()
	return nil
}

// FeeRecipient is the coinbase of the blocks sealed from now on.
func (n *Node) FeeRecipient() common.Address {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.feeRecipient
}
