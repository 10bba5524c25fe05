package btc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// Blocks is where a Source reads blocks: a node over RPC, or a Bitcoin Core
// blocks/ directory.
type Blocks interface {
	Tip(ctx context.Context) (int64, error)
	HashAt(ctx context.Context, height int64) (chainhash.Hash, error)
	BlockAt(ctx context.Context, height int64) (*Block, error)
}

// Resolver fills a UTXO block's inputs with the outputs they spend: the store.
type Resolver interface {
	ResolveInputs(b *chain.Block) error
	// Unspent looks an output up in the committed output index.
	Unspent(c chain.Chain, txid chain.Hash, vout uint32) (chain.Output, bool, error)
}

// Source is the ingest pipeline's source for Bitcoin. Blocks are decoded on
// the pipeline's workers; in commit order, Prepare resolves every input
// through the store (and, for outputs the store does not hold, through a
// node's getrawtransaction when one is given) and derives the address-level
// transfers (chain.UTXOTransfers).
type Source struct {
	net    Network
	blocks Blocks
	res    Resolver
	txRPC  *RPC // optional: fetches previous outputs the store lacks (needs -txindex)
}

// NewSource returns a Source; txRPC may be nil.
func NewSource(net Network, blocks Blocks, res Resolver, txRPC *RPC) *Source {
	return &Source{net: net, blocks: blocks, res: res, txRPC: txRPC}
}

// Chain implements ingest.Source.
func (s *Source) Chain() chain.Chain { return chain.Bitcoin }

// Network implements ingest.Source: the CAIP-2 id and genesis of the network.
func (s *Source) Network(ctx context.Context) (chain.Network, error) {
	g, err := s.blocks.HashAt(ctx, 0)
	if err != nil {
		return chain.Network{}, fmt.Errorf("genesis block: %w", err)
	}
	if g != *s.net.Params.GenesisHash {
		return chain.Network{}, fmt.Errorf("the source's genesis block %s is not %s's (%s): wrong --network?", g, s.net.Name, s.net.Params.GenesisHash)
	}
	return chain.Network{CAIP2: s.net.CAIP2(), Genesis: g.String()}, nil
}

// Head implements ingest.Source.
func (s *Source) Head(ctx context.Context) (uint64, error) {
	h, err := s.blocks.Tip(ctx)
	if err != nil {
		return 0, err
	}
	if h < 0 {
		return 0, fmt.Errorf("the source holds no blocks")
	}
	return uint64(h), nil
}

// BlockHash implements ingest.Source.
func (s *Source) BlockHash(ctx context.Context, n uint64) (chain.Hash, error) {
	h, err := s.blocks.HashAt(ctx, int64(n))
	return DisplayHash(h), err
}

// Block implements ingest.Source.
func (s *Source) Block(ctx context.Context, n uint64) (*ingest.Fetched, error) {
	b, err := s.blocks.BlockAt(ctx, int64(n))
	if err != nil {
		return nil, err
	}
	b.Height = int64(n)
	return &ingest.Fetched{Block: ToChainBlock(b)}, nil
}

// Prepare implements ingest.Preparer.
func (s *Source) Prepare(b *chain.Block) error {
	for {
		err := s.res.ResolveInputs(b)
		var miss *store.MissingOutputError
		if !errors.As(err, &miss) || s.txRPC == nil {
			if err != nil {
				return err
			}
			if err := chain.UTXOTransfers(b); err != nil {
				return err
			}
			return s.burnReplaced(b)
		}
		if err := s.fetchPrevOut(b, miss); err != nil {
			return fmt.Errorf("%w; fetching it from the node failed: %w", miss, err)
		}
	}
}

// burnReplaced records, as a burn from its address, the value of every
// unspent output that a coinbase with a duplicate txid replaces (mainnet
// blocks 91,842 and 91,880 repeat the coinbase txids of 91,812 and 91,722).
// Bitcoin Core overwrote those outputs in its UTXO set, so they can never
// be spent; without the burn, balances rebuilt from transfers would count
// them twice. The burns follow the coinbase's own transfers.
func (s *Source) burnReplaced(b *chain.Block) error {
	if len(b.Txs) == 0 || !b.Txs[0].Coinbase {
		return nil
	}
	cb := &b.Txs[0]
	var burns []chain.Transfer
	for vout := range cb.Outputs {
		old, ok, err := s.res.Unspent(b.Chain, cb.Hash, uint32(vout))
		if err != nil {
			return fmt.Errorf("block %d coinbase %s output %d: %w", b.Height, cb.Hash, vout, err)
		}
		if ok && old.Value > 0 && !old.Address.None() {
			burns = append(burns, chain.Transfer{Block: b.Height, TxIndex: cb.Index, TxHash: cb.Hash, Kind: chain.KindBurn, From: old.Address, Asset: chain.NativeAsset, Amount: *uint256.NewInt(uint64(old.Value))})
		}
	}
	if len(burns) == 0 {
		return nil
	}
	n := 0 // the coinbase's own transfers come first
	for n < len(b.Transfers) && b.Transfers[n].TxIndex == cb.Index {
		n++
	}
	for i := range burns {
		burns[i].Seq = uint32(n + i)
	}
	b.Transfers = slices.Insert(b.Transfers, n, burns...)
	return nil
}

// fetchPrevOut resolves one input the store cannot from the node's
// transaction index, so that ingest can start above genesis.
func (s *Source) fetchPrevOut(b *chain.Block, miss *store.MissingOutputError) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	raw, err := s.txRPC.GetRawTransaction(ctx, internalHash(miss.PrevTx))
	if err != nil {
		return err
	}
	var mtx wire.MsgTx
	if err := mtx.Deserialize(bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("decode transaction %s: %w", miss.PrevTx, err)
	}
	if int(miss.PrevIndex) >= len(mtx.TxOut) {
		return fmt.Errorf("transaction %s has %d outputs, not %d", miss.PrevTx, len(mtx.TxOut), miss.PrevIndex+1)
	}
	out := mtx.TxOut[miss.PrevIndex]
	_, addr := ClassifyScript(out.PkScript, s.net)
	for ti := range b.Txs {
		if b.Txs[ti].Hash != miss.Tx {
			continue
		}
		in := &b.Txs[ti].Inputs[miss.Input]
		in.Address, in.Value, in.Resolved, in.FromSource = btcAddress(addr), out.Value, true, true
		return nil
	}
	return fmt.Errorf("transaction %s not in block %d", miss.Tx, b.Height)
}

// DisplayHash turns a hash in Bitcoin's internal byte order into the order
// it is shown in (and stored in, so that chain.Hash.String prints the usual
// txid and block hash).
func DisplayHash(h chainhash.Hash) chain.Hash {
	var out chain.Hash
	for i := range h {
		out[i] = h[len(h)-1-i]
	}
	return out
}

func internalHash(h chain.Hash) chainhash.Hash {
	var out chainhash.Hash
	for i := range h {
		out[i] = h[len(h)-1-i]
	}
	return out
}

func btcAddress(s string) chain.Address {
	if s == "" {
		return chain.Address{}
	}
	return chain.Address{Chain: chain.Bitcoin, Raw: s}
}

// ToChainBlock reduces a decoded block to the chain model: inputs and
// outputs in order, inputs still unresolved, and the text of OP_RETURN
// outputs as memos.
func ToChainBlock(b *Block) *chain.Block {
	cb := &chain.Block{
		Chain: chain.Bitcoin, Height: uint64(b.Height), Hash: DisplayHash(b.Hash), Parent: DisplayHash(b.Prev),
		Time: b.Time, Txs: make([]chain.Tx, len(b.Txs)),
	}
	for i := range b.Txs {
		tx := &b.Txs[i]
		ct := chain.Tx{Hash: DisplayHash(tx.Txid), Index: uint32(i), Success: true, Coinbase: tx.Coinbase,
			Version: tx.Version, LockTime: tx.LockTime, HasFingerprint: !tx.NoVersionLockTime}
		if !tx.Coinbase {
			ct.Inputs = make([]chain.Input, len(tx.Inputs))
			for j, in := range tx.Inputs {
				ct.Inputs[j] = chain.Input{PrevTx: DisplayHash(in.PrevTxid), PrevIndex: in.PrevVout}
				if in.Spent != nil {
					ct.Inputs[j].Address, ct.Inputs[j].Value, ct.Inputs[j].Resolved = btcAddress(in.Spent.Address), in.Spent.Value, true
				}
			}
		}
		ct.Outputs = make([]chain.Output, len(tx.Outputs))
		for j, o := range tx.Outputs {
			ct.Outputs[j] = chain.Output{Address: btcAddress(o.Address), Value: o.Value}
		}
		cb.Txs[i] = ct
	}
	cb.Memos = opReturnMemos(b)
	return cb
}

// RPCBlocks reads blocks from a node.
type RPCBlocks struct {
	RPC *RPC
	Net Network
}

// Tip implements Blocks.
func (r RPCBlocks) Tip(ctx context.Context) (int64, error) { return r.RPC.GetBlockCount(ctx) }

// HashAt implements Blocks; a height above the node's tip wraps ingest.ErrNotFound.
func (r RPCBlocks) HashAt(ctx context.Context, h int64) (chainhash.Hash, error) {
	hash, err := r.RPC.GetBlockHash(ctx, h)
	var re *RPCError
	if errors.As(err, &re) && re.Code == -8 { // "Block height out of range"
		return hash, fmt.Errorf("block %d: %w: %w", h, ingest.ErrNotFound, err)
	}
	return hash, err
}

// BlockAt implements Blocks.
func (r RPCBlocks) BlockAt(ctx context.Context, h int64) (*Block, error) {
	return r.RPC.BlockAt(ctx, h, r.Net)
}

// DirBlocks reads blocks from a Bitcoin Core blocks/ directory.
type DirBlocks struct{ Dir *BlocksDir }

// Tip implements Blocks.
func (d DirBlocks) Tip(context.Context) (int64, error) { return d.Dir.Height(), nil }

// HashAt implements Blocks.
func (d DirBlocks) HashAt(_ context.Context, h int64) (chainhash.Hash, error) {
	if h > d.Dir.Height() {
		return chainhash.Hash{}, fmt.Errorf("block %d: %w", h, ingest.ErrNotFound)
	}
	return d.Dir.Hash(h)
}

// BlockAt implements Blocks.
func (d DirBlocks) BlockAt(_ context.Context, h int64) (*Block, error) { return d.Dir.Block(h) }
