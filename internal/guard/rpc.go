package guard

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/chainhound/chainhound/internal/guard/safe"
)

// NodeError is a failure of the node itself (unreachable, timed out, a
// method it does not serve), as opposed to an answer about the chain such
// as a reverted call; the HTTP API answers it with 502.
type NodeError struct{ Err error }

func (e *NodeError) Error() string { return "node: " + e.Err.Error() }
func (e *NodeError) Unwrap() error { return e.Err }

// nodeErr wraps err as a NodeError unless it is a revert.
func nodeErr(err error) error {
	if err == nil {
		return nil
	}
	if _, reverted := isRevert(err); reverted {
		return err
	}
	return &NodeError{err}
}

// Node reads a Safe's state over JSON-RPC.
type Node struct{ c *rpc.Client }

// Dial connects to a JSON-RPC endpoint.
func Dial(ctx context.Context, url string) (*Node, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("rpc %s: %w", url, err)
	}
	return &Node{c}, nil
}

// NewNode wraps an RPC client (an in-process one, for example).
func NewNode(c *rpc.Client) *Node { return &Node{c} }

// Close closes the connection.
func (n *Node) Close() { n.c.Close() }

// ChainID asks eth_chainId.
func (n *Node) ChainID(ctx context.Context) (*big.Int, error) {
	var id hexutil.Big
	if err := n.c.CallContext(ctx, &id, "eth_chainId"); err != nil {
		return nil, nodeErr(fmt.Errorf("eth_chainId: %w", err))
	}
	return id.ToInt(), nil
}

type callArgs struct {
	From *common.Address `json:"from,omitempty"`
	To   common.Address  `json:"to"`
	Data hexutil.Bytes   `json:"data"`
	Gas  *hexutil.Uint64 `json:"gas,omitempty"`
}

// overrideAccount is one account of an eth_call state override set.
type overrideAccount struct {
	Balance   *hexutil.Big                `json:"balance,omitempty"`
	StateDiff map[common.Hash]common.Hash `json:"stateDiff,omitempty"`
}

func (n *Node) call(ctx context.Context, args callArgs, overrides map[common.Address]overrideAccount) ([]byte, error) {
	var out hexutil.Bytes
	var err error
	if overrides != nil {
		err = n.c.CallContext(ctx, &out, "eth_call", args, "latest", overrides)
	} else {
		err = n.c.CallContext(ctx, &out, "eth_call", args, "latest")
	}
	return out, nodeErr(err)
}

// callView calls a view function of to with no arguments or given data.
func (n *Node) callView(ctx context.Context, to common.Address, sig string, args ...[]byte) ([]byte, error) {
	data := selector(sig)
	for _, a := range args {
		data = append(data, a...)
	}
	out, err := n.call(ctx, callArgs{To: to, Data: data}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", sig, to.Hex(), err)
	}
	return out, nil
}

// Version reads VERSION() of a Safe.
func (n *Node) Version(ctx context.Context, s common.Address) (safe.Version, string, error) {
	out, err := n.callView(ctx, s, "VERSION()")
	if err != nil {
		return safe.Version{}, "", err
	}
	str, err := abiString(out)
	if err != nil {
		return safe.Version{}, "", fmt.Errorf("VERSION() on %s: %w (is it a Safe?)", s.Hex(), err)
	}
	v, err := safe.ParseVersion(str)
	return v, str, err
}

// Nonce reads nonce() of a Safe.
func (n *Node) Nonce(ctx context.Context, s common.Address) (*big.Int, error) {
	out, err := n.callView(ctx, s, "nonce()")
	if err != nil {
		return nil, err
	}
	if len(out) != 32 {
		return nil, fmt.Errorf("nonce() on %s: %d bytes returned, want 32", s.Hex(), len(out))
	}
	return new(big.Int).SetBytes(out), nil
}

// Storage reads one slot.
func (n *Node) Storage(ctx context.Context, a common.Address, slot common.Hash) (common.Hash, error) {
	var out hexutil.Bytes
	if err := n.c.CallContext(ctx, &out, "eth_getStorageAt", a, slot, "latest"); err != nil {
		return common.Hash{}, nodeErr(fmt.Errorf("eth_getStorageAt %s %s: %w", a.Hex(), slot, err))
	}
	return common.BytesToHash(out), nil
}

// Code reads an account's code.
func (n *Node) Code(ctx context.Context, a common.Address) ([]byte, error) {
	var out hexutil.Bytes
	if err := n.c.CallContext(ctx, &out, "eth_getCode", a, "latest"); err != nil {
		return nil, nodeErr(fmt.Errorf("eth_getCode %s: %w", a.Hex(), err))
	}
	return out, nil
}

func selector(sig string) []byte { return crypto.Keccak256([]byte(sig))[:4] }

func abiString(b []byte) (string, error) {
	if len(b) < 64 {
		return "", fmt.Errorf("string result of %d bytes", len(b))
	}
	off, ok := smallWord(b[:32])
	if !ok || off+32 > uint64(len(b)) {
		return "", fmt.Errorf("string offset out of range")
	}
	l, ok := smallWord(b[off : off+32])
	if !ok || off+32+l > uint64(len(b)) {
		return "", fmt.Errorf("string length out of range")
	}
	return string(b[off+32 : off+32+l]), nil
}

// abiAddresses decodes an address[] at the offset in word i of b.
func abiAddresses(b []byte, i int) ([]common.Address, error) {
	if len(b) < 32*(i+1) {
		return nil, fmt.Errorf("result of %d bytes too short", len(b))
	}
	off, ok := smallWord(b[32*i : 32*i+32])
	if !ok || off+32 > uint64(len(b)) {
		return nil, fmt.Errorf("array offset out of range")
	}
	n, ok := smallWord(b[off : off+32])
	if !ok || off+32+32*n > uint64(len(b)) {
		return nil, fmt.Errorf("array length out of range")
	}
	out := make([]common.Address, n)
	for j := range out {
		w := b[off+32+32*uint64(j):]
		out[j] = common.BytesToAddress(w[12:32])
	}
	return out, nil
}

func smallWord(w []byte) (uint64, bool) {
	for _, x := range w[:28] {
		if x != 0 {
			return 0, false
		}
	}
	return uint64(binary.BigEndian.Uint32(w[28:32])), true
}

func addrWord(a common.Address) []byte { return common.LeftPadBytes(a[:], 32) }

func isRevert(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	msg := err.Error()
	if de, ok := err.(rpc.DataError); ok {
		if s, ok := de.ErrorData().(string); ok {
			if b, e := hexutil.Decode(s); e == nil && len(b) >= 68 && strings.EqualFold(fmt.Sprintf("%x", b[:4]), "08c379a0") {
				if str, e := abiString(b[4:]); e == nil {
					return str, true
				}
			}
		}
	}
	return msg, strings.Contains(msg, "revert")
}

func mustVersion(s string) safe.Version {
	v, err := safe.ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}
