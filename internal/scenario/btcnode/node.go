// Package btcnode runs a real Bitcoin node, btcd, in regtest or simnet for
// tests, and builds and signs transactions of every standard script type in
// Go: P2PK, P2PKH, P2SH multisig, bare multisig, P2SH-P2WPKH, P2WPKH, P2WSH
// multisig, P2TR key path and OP_RETURN.
//
// The node is the ground truth: Balances reads the unspent outputs from the
// node itself, so tests compare what chainhound derives with what btcd
// says, not with the harness's own bookkeeping.
//
// btcd's node is a main package and cannot run inside the test process.
// EnsureBinary builds it once from the Go module proxy into the user cache
// directory; Start runs it as a child process on 127.0.0.1 with a temporary
// data directory that Close removes.
package btcnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Networks Start accepts. chainhound classifies addresses by these names.
const (
	Regtest = "regtest"
	Simnet  = "simnet"
)

// Defaults applied by Start to zero fields of Config.
const (
	DefaultKeys    = 8
	DefaultFeeRate = 2 // satoshis per virtual byte, twice btcd's relay minimum
)

// startTimeout bounds the wait for btcd's RPC server when ctx has no
// deadline; btcd answers within a second on an idle machine.
const startTimeout = 60 * time.Second

// Config configures Start. The zero value is usable.
type Config struct {
	// Network is Regtest (the default) or Simnet. On regtest segwit and
	// taproot are active from block 1; on simnet they activate through
	// BIP9 signalling, which ActivateSoftForks mines through.
	Network string
	// Keys is the number of deterministic keys the node's scripts use;
	// 0 means DefaultKeys. Key 0 receives the coinbase rewards (P2PKH).
	Keys int
	// FeeRate in satoshis per virtual byte for transactions the harness
	// signs; 0 means DefaultFeeRate.
	FeeRate int64
	// Binary is the btcd executable; empty means EnsureBinary.
	Binary string
	// ExtraArgs are appended to btcd's command line; later flags win.
	ExtraArgs []string
	// NoTxIndex starts the node without its transaction and address
	// indexes, as most nodes run: getrawtransaction then knows only the
	// mempool, and searchrawtransactions nothing.
	NoTxIndex bool
}

// Node is a btcd process in regtest or simnet plus a wallet of
// deterministic keys: the harness follows the node's best chain, keeps the
// unspent outputs its scripts control, and signs and broadcasts
// transactions spending them.
//
// Methods are safe for concurrent use, but the wallet follows one chain:
// tests that mine or reorg from several goroutines get what they asked for
// in some order.
type Node struct {
	network string
	params  *chaincfg.Params
	dir     string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd.Wait returns
	rpc     *rpcClient
	keys    []*btcec.PrivateKey
	mining  *Script
	feeRate int64

	mu      sync.Mutex
	scripts map[string]*Script // by string(PkScript): outputs the wallet tracks
	chain   []blockRecord      // best chain as scanned, index = height
	utxos   map[wire.OutPoint]UTXO
	sent    map[chainhash.Hash]*sentTx // broadcast by the harness
	sentSeq int                        // sentTx.seq of the last one
	closed  bool
}

// Start launches btcd on 127.0.0.1 with a temporary data directory and
// waits until its RPC server answers. The chain starts at the genesis
// block; Generate mines. Close the node when done.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	params, err := networkParams(cfg.Network)
	if err != nil {
		return nil, err
	}
	if cfg.Network == "" {
		cfg.Network = Regtest
	}
	if cfg.Keys <= 0 {
		cfg.Keys = DefaultKeys
	}
	if cfg.FeeRate <= 0 {
		cfg.FeeRate = DefaultFeeRate
	}
	bin := cfg.Binary
	if bin == "" {
		if bin, err = EnsureBinary(ctx); err != nil {
			return nil, err
		}
	}
	keys := DeterministicKeys(cfg.Keys)
	mining, err := NewScript(params, P2PKH, keys[0])
	if err != nil {
		return nil, err
	}
	n := &Node{
		network: cfg.Network,
		params:  params,
		keys:    keys,
		mining:  mining,
		feeRate: cfg.FeeRate,
		scripts: map[string]*Script{string(mining.PkScript): mining},
		utxos:   map[wire.OutPoint]UTXO{},
		sent:    map[chainhash.Hash]*sentTx{},
	}
	if _, hasDeadline := ctx.Deadline(); !hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	// A free port found by listening on :0 can be taken by someone else
	// before btcd binds it; retry a few times rather than flake.
	const attempts = 3
	for attempt := 1; ; attempt++ {
		extra := cfg.ExtraArgs
		if !cfg.NoTxIndex {
			// getrawtransaction for any transaction; searchrawtransactions by address
			extra = append([]string{"--txindex", "--addrindex"}, extra...)
		}
		err = n.launch(ctx, bin, extra)
		if err == nil {
			break
		}
		if attempt == attempts || !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
	}
	if err := n.sync(ctx); err != nil {
		return nil, errors.Join(err, n.Close())
	}
	return n, nil
}

func networkParams(name string) (*chaincfg.Params, error) {
	switch name {
	case "", Regtest:
		return &chaincfg.RegressionNetParams, nil
	case Simnet:
		return &chaincfg.SimNetParams, nil
	}
	return nil, fmt.Errorf("btcnode: network %q: want %q or %q", name, Regtest, Simnet)
}

// launch starts one btcd process and waits for its RPC server. On failure
// the process is stopped and its directory removed.
func (n *Node) launch(ctx context.Context, bin string, extra []string) (err error) {
	dir, err := os.MkdirTemp("", "chainhound-btcd-")
	if err != nil {
		return fmt.Errorf("btcnode: temp dir: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, n.stop())
		}
	}()
	n.dir = dir
	n.logPath = filepath.Join(dir, "btcd.log")
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("btcnode: free port: %w", err)
	}
	rpcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	user, pass := "chainhound", "chainhound-"+strconv.Itoa(port)
	args := []string{
		"--" + n.network,
		"--datadir=" + filepath.Join(dir, "data"),
		"--logdir=" + filepath.Join(dir, "logs"),
		"--rpclisten=" + rpcAddr,
		"--rpcuser=" + user,
		"--rpcpass=" + pass,
		"--notls",      // plain HTTP, as chainhound's client speaks; loopback only
		"--nolisten",   // no peers: the node is alone unless a test adds some
		"--nodnsseed",  // and never looks for any
		"--nocfilters", // compact filters cost time and nothing here reads them
		"--miningaddr=" + n.mining.Address,
		"--debuglevel=info",
	}
	args = append(args, extra...)
	log, err := os.Create(n.logPath)
	if err != nil {
		return fmt.Errorf("btcnode: log file: %w", err)
	}
	defer log.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, args...)
	// On regtest and simnet btcd reads no configuration file unless
	// --configfile names one, so the user's ~/.btcd/btcd.conf plays no
	// part. btcd still creates an empty ~/.btcd: it finds the home
	// directory through the user database, so HOME cannot redirect it.
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	bindToParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("btcnode: start %s: %w", bin, err)
	}
	n.cmd = cmd
	n.exited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(n.exited)
	}()
	n.rpc = &rpcClient{
		url:  "http://" + rpcAddr,
		user: user,
		pass: pass,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}},
	}
	return n.waitRPC(ctx)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitRPC polls getblockcount until the node answers, exits or ctx ends.
func (n *Node) waitRPC(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		lastErr = n.rpc.call(callCtx, "getblockcount", nil)
		cancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-n.exited:
			return fmt.Errorf("btcnode: btcd exited during start-up (%s)%s", n.cmd.ProcessState, n.logTail())
		case <-ctx.Done():
			return fmt.Errorf("btcnode: btcd RPC did not answer: %w (last: %v)%s", ctx.Err(), lastErr, n.logTail())
		case <-tick.C:
		}
	}
}

// logTail returns the last lines of btcd's log, formatted to be appended to
// an error message.
func (n *Node) logTail() string {
	data, err := os.ReadFile(n.logPath)
	if err != nil || len(data) == 0 {
		return ""
	}
	const maxLines = 25
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return "\nbtcd log, last lines:\n" + strings.Join(lines, "\n")
}

// Close stops btcd (RPC stop, then a kill if it lingers), which releases
// its port, and removes its data directory. Calling it again is a no-op.
func (n *Node) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	return n.stop()
}

// stop ends the process, if any, and removes the directory.
func (n *Node) stop() error {
	var errs []error
	if n.cmd != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = n.rpc.call(ctx, "stop", nil) // a dead node cannot answer; the kill below covers it
		cancel()
		select {
		case <-n.exited:
		case <-time.After(15 * time.Second):
			if err := n.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				errs = append(errs, fmt.Errorf("btcnode: kill btcd pid %d: %w", n.cmd.Process.Pid, err))
			}
			<-n.exited
		}
		n.rpc.http.CloseIdleConnections()
		n.cmd = nil
	}
	if n.dir != "" {
		if err := os.RemoveAll(n.dir); err != nil {
			errs = append(errs, fmt.Errorf("btcnode: remove %s: %w", n.dir, err))
		}
		n.dir = ""
	}
	return errors.Join(errs...)
}

// Network is Regtest or Simnet, the name chainhound's decoder classifies
// addresses by.
func (n *Node) Network() string { return n.network }

// Params are the chain parameters of the node's network.
func (n *Node) Params() *chaincfg.Params { return n.params }

// RPCURL is btcd's JSON-RPC endpoint, http://127.0.0.1:PORT, served over
// plain HTTP with basic auth (RPCUser, RPCPass).
func (n *Node) RPCURL() string { return n.rpc.url }

// RPCUser is the RPC basic-auth user.
func (n *Node) RPCUser() string { return n.rpc.user }

// RPCPass is the RPC basic-auth password.
func (n *Node) RPCPass() string { return n.rpc.pass }

// Dir is the node's temporary directory (data, logs); Close removes it.
func (n *Node) Dir() string { return n.dir }

// LogPath is the file btcd's output goes to, inside Dir.
func (n *Node) LogPath() string { return n.logPath }

// Keys are the deterministic keys, index i is key i.
func (n *Node) Keys() []*btcec.PrivateKey { return n.keys }

// MiningScript is the P2PKH script of key 0 that coinbases pay to.
func (n *Node) MiningScript() *Script { return n.mining }

// Call runs any RPC method and decodes its result into result (nil to
// discard), for what the harness does not wrap.
func (n *Node) Call(ctx context.Context, method string, result any, params ...any) error {
	if err := n.rpc.call(ctx, method, result, params...); err != nil {
		return fmt.Errorf("btcnode: %w", err)
	}
	return nil
}

// Generate mines k blocks on the best chain, paying the coinbases to
// MiningScript and including the mempool, and returns their hashes.
func (n *Node) Generate(ctx context.Context, k int) ([]chainhash.Hash, error) {
	if k <= 0 {
		return nil, fmt.Errorf("btcnode: generate %d blocks: want at least 1", k)
	}
	var hexes []string
	if err := n.rpc.call(ctx, "generate", &hexes, k); err != nil {
		return nil, fmt.Errorf("btcnode: %w%s", err, n.logTail())
	}
	hashes := make([]chainhash.Hash, len(hexes))
	for i, h := range hexes {
		if err := chainhash.Decode(&hashes[i], h); err != nil {
			return nil, fmt.Errorf("btcnode: generate: block hash %q: %w", h, err)
		}
	}
	if err := n.sync(ctx); err != nil {
		return nil, err
	}
	return hashes, nil
}

// Height is the height of the node's best block.
func (n *Node) Height(ctx context.Context) (int64, error) {
	var h int64
	if err := n.rpc.call(ctx, "getblockcount", &h); err != nil {
		return 0, fmt.Errorf("btcnode: %w", err)
	}
	return h, nil
}

// BlockHash is the hash of the best-chain block at height.
func (n *Node) BlockHash(ctx context.Context, height int64) (chainhash.Hash, error) {
	var s string
	var h chainhash.Hash
	if err := n.rpc.call(ctx, "getblockhash", &s, height); err != nil {
		return h, fmt.Errorf("btcnode: %w", err)
	}
	if err := chainhash.Decode(&h, s); err != nil {
		return h, fmt.Errorf("btcnode: getblockhash %d: %q: %w", height, s, err)
	}
	return h, nil
}

// Block fetches a block by hash in raw form (getblock verbosity 0) and
// decodes it.
func (n *Node) Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	var raw string
	if err := n.rpc.call(ctx, "getblock", &raw, hash.String(), 0); err != nil {
		return nil, fmt.Errorf("btcnode: %w", err)
	}
	data, err := decodeHex(raw)
	if err != nil {
		return nil, fmt.Errorf("btcnode: getblock %s: %w", hash, err)
	}
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("btcnode: getblock %s: decode: %w", hash, err)
	}
	return &b, nil
}

// ActivateSoftForks mines until segwit and taproot are active. On regtest
// they are active from block 1 and it mines nothing; on simnet they go
// through BIP9 signalling and it mines up to three confirmation windows.
func (n *Node) ActivateSoftForks(ctx context.Context) error {
	const maxWindows = 4 // started, locked in, active, and one to spare
	for range maxWindows {
		var info struct {
			Blocks int64 `json:"blocks"`
			BIP9   map[string]struct {
				Status string `json:"status"`
			} `json:"bip9_softforks"`
		}
		if err := n.rpc.call(ctx, "getblockchaininfo", &info); err != nil {
			return fmt.Errorf("btcnode: %w", err)
		}
		if info.BIP9["segwit"].Status == "active" && info.BIP9["taproot"].Status == "active" {
			return nil
		}
		// Segwit rules apply from the first block of a window; mine to
		// the end of the current one.
		win := int64(n.params.MinerConfirmationWindow)
		if _, err := n.Generate(ctx, int(win-(info.Blocks+1)%win)); err != nil {
			return err
		}
	}
	return fmt.Errorf("btcnode: segwit and taproot not active after %d windows", maxWindows)
}
