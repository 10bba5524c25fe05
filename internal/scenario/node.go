// Package scenario runs a real go-ethereum node inside the test process,
// provides hand-assembled contracts that produce the value flows chainhound
// has to understand (internal calls with value, reverted frames,
// self-destructs, token and NFT events, contract creations with
// endowment), and plays deterministic workloads against it.
//
// The node is the ground truth: tests compare what chainhound derives with
// what the node reports (eth_getBalance, balanceOf) rather than with
// expectations written by hand.
//
// The node is quiet: go-ethereum logs through its process-wide root logger,
// which discards everything until someone calls log.SetDefault. This
// package never does; a test that wants node logs sets it itself.
package scenario

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/eth/tracers"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	// Registers the native tracers so debug_trace* accepts
	// {"tracer":"callTracer"} and {"tracer":"prestateTracer"}.
	_ "github.com/ethereum/go-ethereum/eth/tracers/native"
)

// Defaults applied by NewNode to zero fields of NodeConfig.
const (
	DefaultChainID     = 1337
	DefaultAccounts    = 10
	DefaultGenesisTime = 1_735_689_600 // 2025-01-01T00:00:00Z
)

// Funding returns the genesis balance of every prefunded key, 1,000,000
// ETH in wei. It is a function so no caller can change it for everyone.
func Funding() *big.Int {
	return new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.Ether))
}

// DefaultFeeRecipient receives priority fees when NodeConfig.FeeRecipient is
// zero. It is non-zero on purpose: tips landing on 0x0 would be
// indistinguishable from burns in the value-flow graph.
var DefaultFeeRecipient = common.HexToAddress("0x00000000000000000000000000000000000fee00")

// httpModules are the namespaces served over HTTP.
var httpModules = []string{"eth", "net", "web3", "debug"}

// NodeConfig configures NewNode. The zero value is usable.
type NodeConfig struct {
	// ChainID of the chain; 0 means DefaultChainID.
	ChainID uint64
	// Accounts is the number of deterministic prefunded keys; 0 means
	// DefaultAccounts. Each holds Funding() at genesis.
	Accounts int
	// Alloc adds genesis allocations; it wins over the prefunded keys and the
	// system contracts on conflict.
	Alloc types.GenesisAlloc
	// FeeRecipient is the block coinbase; zero means DefaultFeeRecipient.
	FeeRecipient common.Address
	// GenesisTime is the genesis timestamp in Unix seconds; 0 means
	// DefaultGenesisTime. Blocks follow every BlockTime seconds.
	GenesisTime uint64
}

// Node is an in-process go-ethereum node that seals blocks only when asked.
// It serves JSON-RPC over HTTP on 127.0.0.1 (URL) and in-process (Client,
// RPC). Its state is kept in memory in archive mode, so historic state of
// every block, including blocks later reorged out, stays queryable.
//
// The node plays the consensus client itself: Send queues transactions in
// the harness (not in go-ethereum's pool) and Commit builds a block of
// exactly those, in sending order, with a timestamp BlockTime after its
// parent and prevrandao derived from the parent hash. The same calls on a
// fresh node therefore produce the same blocks, hashes included. The price
// of that control: transactions submitted over RPC (eth_sendRawTransaction)
// land in go-ethereum's pool, which Commit ignores, and "pending" nonces
// over RPC do not count the harness's queue. Use Send or SendTx.
//
// Methods are safe for concurrent use; a test that wants a precise block
// content sends from one goroutine and then commits.
type Node struct {
	stack  *node.Node
	eth    *eth.Ethereum
	rpc    *rpc.Client
	client *ethclient.Client
	keys   []*ecdsa.PrivateKey
	signer types.Signer
	url    string

	mu            sync.Mutex                // guards the fields below
	tip           *types.Header             // block the next Commit builds on
	queue         []*types.Transaction      // sent, not yet sealed, in order
	withdrawals   []*types.Withdrawal       // queued, not yet sealed
	withdrawalSeq uint64                    // index of the next withdrawal
	nonces        map[common.Address]uint64 // next nonce per sender at tip, queue included
	timeShift     uint64                    // extra seconds before the next block
	feeRecipient  common.Address            // coinbase of the next block
	closed        bool
}

// NewNode builds, starts and returns a node with genesis at block 0. Close it
// when done; the HTTP port and all goroutines are released by Close.
func NewNode(cfg NodeConfig) (*Node, error) {
	cfg = withDefaults(cfg)
	keys := DeterministicKeys(cfg.Accounts)
	chainCfg := chainConfig(cfg.ChainID)

	stack, err := node.New(nodeConfig())
	if err != nil {
		return nil, fmt.Errorf("scenario: create node stack: %w", err)
	}
	n, err := startNode(stack, ethConfig(chainCfg, cfg.GenesisTime, genesisAlloc(keys, cfg.Alloc)))
	if err != nil {
		return nil, errors.Join(err, stack.Close())
	}
	n.keys = keys
	n.signer = types.LatestSignerForChainID(chainCfg.ChainID)
	n.feeRecipient = cfg.FeeRecipient
	return n, nil
}

func withDefaults(cfg NodeConfig) NodeConfig {
	if cfg.ChainID == 0 {
		cfg.ChainID = DefaultChainID
	}
	if cfg.Accounts <= 0 {
		cfg.Accounts = DefaultAccounts
	}
	if cfg.FeeRecipient == (common.Address{}) {
		cfg.FeeRecipient = DefaultFeeRecipient
	}
	if cfg.GenesisTime == 0 {
		cfg.GenesisTime = DefaultGenesisTime
	}
	return cfg
}

// chainConfig starts from go-ethereum's dev configuration (every fork at
// genesis) but switches off Bogota: it is an unscheduled, experimental fork
// in this go-ethereum version, and chainhound must be tested against the
// rules mainnet runs (Cancun, Prague, Osaka).
func chainConfig(chainID uint64) *params.ChainConfig {
	c := *params.AllDevChainProtocolChanges
	c.ChainID = new(big.Int).SetUint64(chainID)
	c.AmsterdamTime = nil
	c.BogotaTime = nil
	return &c
}

func nodeConfig() *node.Config {
	c := node.DefaultConfig
	c.DataDir = "" // in-memory databases, nothing left on disk
	c.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0}
	c.HTTPHost = "127.0.0.1"
	c.HTTPPort = 0 // the kernel picks a free port; HTTPEndpoint reports it
	c.HTTPModules = httpModules
	c.WSHost = ""
	return &c
}

func ethConfig(chainCfg *params.ChainConfig, genesisTime uint64, alloc types.GenesisAlloc) *ethconfig.Config {
	c := ethconfig.Defaults
	c.Genesis = &core.Genesis{
		Config:    chainCfg,
		Timestamp: genesisTime,
		GasLimit:  ethconfig.Defaults.Miner.GasCeil,
		Alloc:     alloc,
	}
	c.NetworkId = chainCfg.ChainID.Uint64()
	c.SyncMode = ethconfig.FullSync
	c.TxPool.NoLocals = true
	// Archive mode on the hash scheme keeps the state of every block, also
	// of blocks reorged out, so ground truth can be read at any height.
	c.StateScheme = rawdb.HashScheme
	c.NoPruning = true
	// Preimages let debug_dumpBlock name the accounts it dumps.
	c.Preimages = true
	// No log index: it would be built by a background goroutine; eth_getLogs
	// falls back to scanning, which is fast on chains this small.
	c.LogNoHistory = true
	return &c
}

// genesisAlloc funds the keys, adds the system contracts the post-merge
// forks call into, and lets the caller's alloc win on conflict.
func genesisAlloc(keys []*ecdsa.PrivateKey, extra types.GenesisAlloc) types.GenesisAlloc {
	alloc := core.SystemContractAllocs()
	for _, k := range keys {
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: Funding()}
	}
	maps.Copy(alloc, extra)
	return alloc
}

// startNode wires the eth service and the filter and tracer APIs into
// stack and starts it.
func startNode(stack *node.Node, ethCfg *ethconfig.Config) (*Node, error) {
	backend, err := eth.New(stack, ethCfg)
	if err != nil {
		return nil, fmt.Errorf("scenario: create eth service: %w", err)
	}
	filterSystem := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(filterSystem)}})
	stack.RegisterAPIs(tracers.APIs(backend.APIBackend))
	if err := stack.Start(); err != nil {
		return nil, fmt.Errorf("scenario: start node: %w", err)
	}
	// Answer the "safe" and "finalized" tags from the start, as a node
	// following a beacon chain does.
	genesis := backend.BlockChain().CurrentBlock()
	backend.BlockChain().SetSafe(genesis)
	backend.BlockChain().SetFinalized(genesis)
	inproc := stack.Attach()
	return &Node{
		stack:  stack,
		eth:    backend,
		rpc:    inproc,
		client: ethclient.NewClient(inproc),
		url:    stack.HTTPEndpoint(),
		tip:    backend.BlockChain().CurrentBlock(),
		nonces: make(map[common.Address]uint64),
	}, nil
}

// DeterministicKeys derives count private keys from a fixed seed, so every
// run, and every node, uses the same accounts. Key i is
// keccak256("chainhound/scenario/key/<i>").
func DeterministicKeys(count int) []*ecdsa.PrivateKey {
	keys := make([]*ecdsa.PrivateKey, count)
	for i := range keys {
		seed := crypto.Keccak256([]byte(fmt.Sprintf("chainhound/scenario/key/%d", i)))
		k, err := crypto.ToECDSA(seed)
		if err != nil {
			// A hash outside the curve order has probability ~2^-128; a
			// fixed seed list that hit it would fail every run, not flake.
			panic(fmt.Sprintf("scenario: key %d: %v", i, err))
		}
		keys[i] = k
	}
	return keys
}

// URL is the HTTP JSON-RPC endpoint, http://127.0.0.1:PORT. It serves the
// eth, net, web3 and debug namespaces (tracers included).
func (n *Node) URL() string { return n.url }

// Client is an in-process ethclient; it skips HTTP for speed.
func (n *Node) Client() *ethclient.Client { return n.client }

// RPC is the in-process RPC client. It reaches every namespace, including
// dev and testing, which are not served over HTTP.
func (n *Node) RPC() *rpc.Client { return n.rpc }

// Keys are the prefunded deterministic keys, index i is account i.
func (n *Node) Keys() []*ecdsa.PrivateKey { return n.keys }

// Address of key i.
func (n *Node) Address(i int) common.Address {
	return crypto.PubkeyToAddress(n.keys[i].PublicKey)
}

// Addresses of all keys, in key order.
func (n *Node) Addresses() []common.Address {
	out := make([]common.Address, len(n.keys))
	for i := range n.keys {
		out[i] = n.Address(i)
	}
	return out
}

// ChainID of the node's chain.
func (n *Node) ChainID() *big.Int {
	return new(big.Int).Set(n.eth.BlockChain().Config().ChainID)
}

// Ethereum exposes the eth service for tests that need what RPC does not
// offer (for example the chain database).
func (n *Node) Ethereum() *eth.Ethereum { return n.eth }

// Close stops the node and releases its port, databases and goroutines.
// Calling it again is a no-op.
func (n *Node) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	n.client.Close() // also closes n.rpc, which it wraps
	if err := n.stack.Close(); err != nil {
		return fmt.Errorf("scenario: close node: %w", err)
	}
	return nil
}
