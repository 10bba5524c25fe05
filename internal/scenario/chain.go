package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/miner"
)

// Block production parameters, chosen to look like mainnet.
const (
	// BlockTime is the number of seconds between a block and its parent
	// (plus whatever AdjustTime added).
	BlockTime = 12
	// MaxWithdrawalsPerBlock is the consensus limit
	// MAX_WITHDRAWALS_PER_PAYLOAD; more queued withdrawals wait for later
	// blocks.
	MaxWithdrawalsPerBlock = 16
	// SafeDepth and FinalizedDepth place the "safe" and "finalized" block
	// tags that many blocks below the head, like one and two epochs of
	// mainnet. Fork does not stop at them: a test may reorg a "finalized"
	// block on purpose.
	SafeDepth      = 32
	FinalizedDepth = 64
)

var errClosed = errors.New("scenario: node closed")

// Commit seals one block on the tip (the head, unless Fork moved it) with
// the queued transactions in sending order, as many as fit the block's gas
// limit, and up to MaxWithdrawalsPerBlock queued withdrawals, and returns
// its hash. With nothing queued it seals an empty block. The block becomes
// the head when its chain is longer than the canonical one (always, without
// a Fork). A transaction that cannot be executed (bad nonce, funds short)
// fails the whole Commit; nothing is sealed and the queue stays for the
// caller to Rollback.
func (n *Node) Commit() (common.Hash, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return common.Hash{}, errClosed
	}
	txs := n.fitting()
	ws := n.withdrawals[:min(len(n.withdrawals), MaxWithdrawalsPerBlock)]
	block, err := n.build(txs, ws)
	if err != nil {
		return common.Hash{}, fmt.Errorf("scenario: build block %d on %s: %w", n.tip.Number.Uint64()+1, n.tip.Hash().TerminalString(), err)
	}
	if err := n.insert(block); err != nil {
		return common.Hash{}, fmt.Errorf("scenario: insert block %d %s: %w", block.NumberU64(), block.Hash().TerminalString(), err)
	}
	n.queue = n.queue[len(txs):]
	n.withdrawals = n.withdrawals[len(ws):]
	n.timeShift = 0
	n.tip = block.Header()
	return block.Hash(), nil
}

// fitting returns the longest prefix of the queue whose gas limits fit a
// block, the way a miner stops filling once the gas pool is short.
func (n *Node) fitting() []*types.Transaction {
	var gas uint64
	for i, tx := range n.queue {
		gas += tx.Gas()
		if gas > n.tip.GasLimit {
			return n.queue[:i]
		}
	}
	return n.queue
}

// build assembles a block on the tip with go-ethereum's own block builder,
// as engine_getPayload would, from inputs that depend only on the parent.
func (n *Node) build(txs []*types.Transaction, ws []*types.Withdrawal) (*types.Block, error) {
	parent := n.tip
	args := &miner.BuildPayloadArgs{
		Parent:       parent.Hash(),
		Timestamp:    parent.Time + BlockTime + n.timeShift,
		FeeRecipient: n.feeRecipient,
		Random:       crypto.Keccak256Hash([]byte("chainhound/scenario/prevrandao"), parent.Hash().Bytes()),
		Withdrawals:  append(types.Withdrawals{}, ws...), // non-nil: required since Shanghai
		BeaconRoot:   &common.Hash{},
	}
	// An empty list must be asked for explicitly, or the builder would fill
	// the block from go-ethereum's transaction pool.
	block, _, err := n.eth.Miner().BuildTestingPayload(args, txs, len(txs) == 0, nil)
	return block, err
}

// insert validates and stores block, then makes it the head if it extends
// the longest chain, as a forkchoice update to it would.
func (n *Node) insert(block *types.Block) error {
	chain := n.eth.BlockChain()
	if _, err := chain.InsertBlockWithoutSetHead(context.Background(), block, false); err != nil {
		return err
	}
	if block.NumberU64() <= chain.CurrentBlock().Number.Uint64() {
		return nil // a side chain not yet longer than the canonical one
	}
	if _, err := chain.SetCanonical(block); err != nil {
		return err
	}
	chain.SetSafe(n.canonicalBelow(block.Header(), SafeDepth))
	chain.SetFinalized(n.canonicalBelow(block.Header(), FinalizedDepth))
	return nil
}

func (n *Node) canonicalBelow(head *types.Header, depth uint64) *types.Header {
	num := head.Number.Uint64()
	if num < depth {
		return n.eth.BlockChain().GetHeaderByNumber(0)
	}
	return n.eth.BlockChain().GetHeaderByNumber(num - depth)
}

// Fork makes the next Commit build on parent instead of the tip, starting a
// side chain. The canonical chain stays until the side chain is longer; the
// Commit that makes it longer reorgs the node onto it. The queue must be
// empty. Transactions of the blocks being replaced are not carried over:
// send them again (SendTx) if the side chain should include them.
func (n *Node) Fork(parent common.Hash) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) > 0 {
		return fmt.Errorf("scenario: fork at %s: %d transactions queued; Commit or Rollback first", parent.TerminalString(), len(n.queue))
	}
	h := n.eth.BlockChain().GetHeaderByHash(parent)
	if h == nil {
		return fmt.Errorf("scenario: fork at %s: unknown block", parent.TerminalString())
	}
	n.tip = h
	clear(n.nonces) // senders' nonces differ on the new parent
	return nil
}

// Rollback drops every queued transaction.
func (n *Node) Rollback() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.queue = nil
	clear(n.nonces)
}

// Pending counts the queued transactions, for example those a full block
// left for the next one.
func (n *Node) Pending() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.queue)
}

// AdjustTime delays the next block by d (whole seconds) on top of
// BlockTime, for tests of time windows. It seals nothing.
func (n *Node) AdjustTime(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("scenario: adjust time by %v: block time cannot go back", d)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.timeShift += uint64(d / time.Second)
	return nil
}

// AddWithdrawal queues a beacon-chain withdrawal of gwei to the address for
// the next Commit. Withdrawals credit balances without a transaction, so
// they only show in a block's withdrawals list. Withdrawal and validator
// indexes count up from 0.
func (n *Node) AddWithdrawal(to common.Address, gwei uint64) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errClosed
	}
	seq := n.withdrawalSeq
	n.withdrawalSeq++
	n.withdrawals = append(n.withdrawals, &types.Withdrawal{Index: seq, Validator: seq, Address: to, Amount: gwei})
	return nil
}

// SetFeeRecipient changes the coinbase of the blocks sealed from now on.
func (n *Node) SetFeeRecipient(addr common.Address) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.feeRecipient = addr
}

// FeeRecipient is the coinbase of the blocks sealed from now on.
func (n *Node) FeeRecipient() common.Address {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.feeRecipient
}

// Head returns the header of the canonical head.
func (n *Node) Head() *types.Header {
	return n.eth.BlockChain().CurrentBlock()
}

// Tip returns the header the next Commit builds on: the head, or the end of
// the side chain being built after a Fork.
func (n *Node) Tip() *types.Header {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.tip
}
