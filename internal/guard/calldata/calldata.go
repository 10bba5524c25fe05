// Package calldata decodes what a Safe transaction asks the Safe to do: the
// call (or delegatecall) itself, the function it invokes from a built-in
// table (ERC-20, Safe administration, MultiSend batches, nested
// execTransaction, common token and library calls), and, for batches and
// nested Safe transactions, the calls inside, recursively.
//
// Input is untrusted: every offset and length is checked against the data,
// and a problem is recorded on the call (Call.Err) instead of aborting, so
// a report can still show what was understood and flag what was not.
package calldata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/crypto/sha3"

	"github.com/chainhound/chainhound/internal/guard/safe"
)

// MaxDepth bounds how deep batches and nested Safe transactions are
// unpacked; deeper calls are kept undecoded with an error.
const MaxDepth = 8

// Call is one call the Safe (or a batch it runs) makes.
type Call struct {
	To        common.Address `json:"to"`
	Value     *big.Int       `json:"value"`
	Operation safe.Operation `json:"operation"`
	Data      []byte         `json:"-"`
	// Method is the decoded function, nil for empty data (a plain value
	// transfer) or an unknown selector.
	Method *Method `json:"method,omitempty"`
	// Inner are the calls a MultiSend batch or a nested execTransaction
	// makes, in order.
	Inner []*Call `json:"inner,omitempty"`
	// Err says why the data could not be fully decoded.
	Err string `json:"error,omitempty"`
	// Reverts is set when Err means the batch certainly reverts as a whole
	// (MultiSend's own checks: an operation other than 0 or 1, data too
	// long to pass within a block's gas): nothing in it runs.
	Reverts bool `json:"reverts,omitempty"`
}

// revertError is a batch problem on which MultiSend reverts.
type revertError struct{ msg string }

func (e revertError) Error() string { return e.msg }

// Method is a decoded function call.
type Method struct {
	Selector  string `json:"selector"`
	Name      string `json:"name"`
	Signature string `json:"signature"`
	Kind      Kind   `json:"kind"`
	Args      []Arg  `json:"args"`
}

// Arg is one decoded argument. Exactly one of the typed fields is set,
// according to Type.
type Arg struct {
	Name  string         `json:"name"`
	Type  string         `json:"type"`
	Addr  common.Address `json:"-"`
	Int   *big.Int       `json:"-"`
	Bytes []byte         `json:"-"`
	Text  string         `json:"value"`
}

// Kind groups functions by what they mean for the Safe.
type Kind string

// Kinds.
const (
	KindToken     Kind = "token"      // ERC-20/721/1155 movement or allowance
	KindSafeAdmin Kind = "safe-admin" // changes the Safe's owners, modules, guard, handler, implementation
	KindBatch     Kind = "batch"      // MultiSend / MultiSendCallOnly
	KindSafeExec  Kind = "safe-exec"  // execTransaction of a (nested) Safe
	KindOther     Kind = "other"
)

type entry struct {
	sig   string
	name  string
	kind  Kind
	names []string
	types []string
}

// table is the built-in selector table. Selectors are computed from the
// signatures at init, so a typo cannot hide behind a hand-copied number.
var table = map[[4]byte]*entry{}

func init() {
	for _, e := range []*entry{
		{sig: "transfer(address,uint256)", kind: KindToken, names: []string{"to", "amount"}},
		{sig: "approve(address,uint256)", kind: KindToken, names: []string{"spender", "amount"}},
		{sig: "increaseAllowance(address,uint256)", kind: KindToken, names: []string{"spender", "addedValue"}},
		{sig: "decreaseAllowance(address,uint256)", kind: KindToken, names: []string{"spender", "subtractedValue"}},
		{sig: "transferFrom(address,address,uint256)", kind: KindToken, names: []string{"from", "to", "amount"}},
		{sig: "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", kind: KindToken, names: []string{"owner", "spender", "value", "deadline", "v", "r", "s"}},
		{sig: "setApprovalForAll(address,bool)", kind: KindToken, names: []string{"operator", "approved"}},
		{sig: "safeTransferFrom(address,address,uint256)", kind: KindToken, names: []string{"from", "to", "tokenId"}},
		{sig: "safeTransferFrom(address,address,uint256,bytes)", kind: KindToken, names: []string{"from", "to", "tokenId", "data"}},
		{sig: "safeTransferFrom(address,address,uint256,uint256,bytes)", kind: KindToken, names: []string{"from", "to", "id", "amount", "data"}},
		{sig: "addOwnerWithThreshold(address,uint256)", kind: KindSafeAdmin, names: []string{"owner", "threshold"}},
		{sig: "removeOwner(address,address,uint256)", kind: KindSafeAdmin, names: []string{"prevOwner", "owner", "threshold"}},
		{sig: "swapOwner(address,address,address)", kind: KindSafeAdmin, names: []string{"prevOwner", "oldOwner", "newOwner"}},
		{sig: "changeThreshold(uint256)", kind: KindSafeAdmin, names: []string{"threshold"}},
		{sig: "enableModule(address)", kind: KindSafeAdmin, names: []string{"module"}},
		{sig: "disableModule(address,address)", kind: KindSafeAdmin, names: []string{"prevModule", "module"}},
		{sig: "setGuard(address)", kind: KindSafeAdmin, names: []string{"guard"}},
		{sig: "setModuleGuard(address)", kind: KindSafeAdmin, names: []string{"moduleGuard"}},
		{sig: "setFallbackHandler(address)", kind: KindSafeAdmin, names: []string{"handler"}},
		{sig: "changeMasterCopy(address)", kind: KindSafeAdmin, names: []string{"masterCopy"}},
		{sig: "multiSend(bytes)", kind: KindBatch, names: []string{"transactions"}},
		{sig: "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)", kind: KindSafeExec,
			names: []string{"to", "value", "data", "operation", "safeTxGas", "baseGas", "gasPrice", "gasToken", "refundReceiver", "signatures"}},
		{sig: "approveHash(bytes32)", kind: KindOther, names: []string{"hashToApprove"}},
		{sig: "signMessage(bytes)", kind: KindOther, names: []string{"_data"}},
		{sig: "deposit()", kind: KindOther},
		{sig: "withdraw(uint256)", kind: KindOther, names: []string{"amount"}},
		{sig: "performCreate(uint256,bytes)", kind: KindOther, names: []string{"value", "deploymentData"}},
		{sig: "performCreate2(uint256,bytes,bytes32)", kind: KindOther, names: []string{"value", "deploymentData", "salt"}},
		{sig: "migrateSingleton()", kind: KindSafeAdmin},
		{sig: "migrateWithFallbackHandler()", kind: KindSafeAdmin},
		{sig: "migrateL2Singleton()", kind: KindSafeAdmin},
		{sig: "migrateL2WithFallbackHandler()", kind: KindSafeAdmin},
		{sig: "migrateToL2(address)", kind: KindSafeAdmin, names: []string{"l2Singleton"}},
		{sig: "migrateFromV111(address,address)", kind: KindSafeAdmin, names: []string{"l2Singleton", "fallbackHandler"}},
	} {
		open := strings.IndexByte(e.sig, '(')
		e.name = e.sig[:open]
		if inner := e.sig[open+1 : len(e.sig)-1]; inner != "" {
			e.types = strings.Split(inner, ",")
		}
		if len(e.types) != len(e.names) {
			panic("calldata: argument names do not match " + e.sig)
		}
		var sel [4]byte
		copy(sel[:], keccak([]byte(e.sig))[:4])
		table[sel] = e
	}
}

// Lookup returns the signature of a selector in the built-in table.
func Lookup(sel [4]byte) (string, bool) {
	e, ok := table[sel]
	if !ok {
		return "", false
	}
	return e.sig, true
}

// Decode decodes a call the Safe makes to to with value, data and op.
func Decode(to common.Address, value *big.Int, data []byte, op safe.Operation) *Call {
	return decode(to, value, data, op, 0)
}

func decode(to common.Address, value *big.Int, data []byte, op safe.Operation, depth int) *Call {
	if value == nil {
		value = new(big.Int)
	}
	c := &Call{To: to, Value: value, Operation: op, Data: data}
	if len(data) == 0 {
		return c
	}
	if len(data) < 4 {
		c.Err = fmt.Sprintf("data of %d bytes: too short for a function selector", len(data))
		return c
	}
	var sel [4]byte
	copy(sel[:], data)
	e, ok := table[sel]
	if !ok {
		return c
	}
	m := &Method{Selector: fmt.Sprintf("0x%x", sel), Name: e.name, Signature: e.sig, Kind: e.kind}
	c.Method = m
	args, err := decodeArgs(data[4:], e.types)
	if err != nil {
		c.Err = fmt.Sprintf("%s: %v", e.sig, err)
		return c
	}
	for i := range args {
		args[i].Name = e.names[i]
	}
	m.Args = args
	if depth >= MaxDepth && (e.kind == KindBatch || e.kind == KindSafeExec) {
		c.Err = fmt.Sprintf("nested deeper than %d levels: not unpacked", MaxDepth)
		return c
	}
	switch e.kind {
	case KindBatch:
		inner, err := splitMultiSend(to, args[0].Bytes, depth+1)
		c.Inner = inner
		if err != nil {
			c.Err = "multiSend: " + err.Error()
			var re revertError
			c.Reverts = errors.As(err, &re)
		}
	case KindSafeExec:
		if args[3].Int.Uint64() > 1 {
			c.Err = fmt.Sprintf("execTransaction: operation %s is neither 0 nor 1", args[3].Int)
			return c
		}
		c.Inner = []*Call{decode(args[0].Addr, args[1].Int, args[2].Bytes, safe.Operation(args[3].Int.Uint64()), depth+1)}
	}
	return c
}

// maxPad bounds how far past the payload a cut-off entry is zero-padded:
// MultiSend reads memory past the end of the batch (zeros), but data
// longer than a few MiB cannot be passed to a call within a block's gas
// (memory expansion), so the whole batch would revert.
const maxPad = 4 << 20

// TupleMultiSend lists the official MultiSend deployments from before
// Safe 1.1.0 (0.1.0 and 1.0.0 on Ethereum mainnet, addresses from the
// networks field of the npm @gnosis.pm/safe-contracts 0.1.0 and 1.0.0
// artifacts). They take the same multiSend(bytes) but encode every entry
// as abi.encode(uint8 operation, address to, uint256 value, bytes data)
// instead of the packed encoding of 1.1.0 and later.
var TupleMultiSend = map[common.Address]bool{
	common.HexToAddress("0xe74d6af1670fb6560dd61ee29eb57c7bc027ce4e"): true, // MultiSend 0.1.0
	common.HexToAddress("0xD4B7B161E4779629C2717385114Bf78D612aEa72"): true, // MultiSend 1.0.0
}

// memWord reads the 32-byte word at pos of b as MultiSend's mload does:
// bytes past the end of the batch read as zero.
func memWord(b []byte, pos int) []byte {
	w := make([]byte, 32)
	if pos < len(b) {
		copy(w, b[pos:])
	}
	return w
}

// padded returns n bytes of b from pos, zero-padded past its end, as the
// contract passes them to the call; ok is false when n is too large to be
// passed within a block's gas (the batch would revert), and then only the
// bytes present are returned.
func padded(b []byte, pos int, n *big.Int) ([]byte, bool) {
	var have []byte
	if pos < len(b) {
		have = b[pos:]
	}
	if n.IsUint64() && n.Uint64() <= uint64(len(have)) {
		return have[:n.Uint64()], true
	}
	if !n.IsUint64() || n.Uint64()-uint64(len(have)) > maxPad {
		return have, false
	}
	out := make([]byte, n.Uint64())
	copy(out, have)
	return out, true
}

// splitMultiSend unpacks MultiSend's packed encoding: per transaction an
// operation byte, a 20-byte address, a 32-byte value, a 32-byte data
// length and the data, back to back with no padding. It reads the batch
// as the contract's assembly does (identical from 1.1.0 to 1.5.0): an
// entry runs when its start is more than 32 bytes before the end (the loop
// compares the offset including the length word with the length), and a
// header or data cut off by the end is read zero-padded. Such an entry is
// still returned, so its operation and target are judged, and the batch
// carries an error.
func splitMultiSend(to common.Address, b []byte, depth int) ([]*Call, error) {
	if TupleMultiSend[to] {
		return splitTupleMultiSend(b, depth)
	}
	calls, err := readBatch(b, depth, 85, false, func(pos int) (*big.Int, common.Address, *big.Int, *big.Int) {
		return big.NewInt(int64(b[pos])), common.BytesToAddress(memWord(b, pos+1)[:20]),
			new(big.Int).SetBytes(memWord(b, pos+21)), new(big.Int).SetBytes(memWord(b, pos+53))
	})
	// Up to 32 bytes after the last entry are not run by MultiSend (the
	// loop condition): nothing hides there, so they are no error.
	return calls, err
}

// splitTupleMultiSend unpacks the ABI encoding of the MultiSend 0.1.0 and
// 1.0.0 libraries: per transaction the words operation, to, value, an
// (ignored) offset and the data length, then the data padded to 32 bytes,
// read as their assembly does (zero-padded past the end).
func splitTupleMultiSend(b []byte, depth int) ([]*Call, error) {
	return readBatch(b, depth, 160, true, func(pos int) (*big.Int, common.Address, *big.Int, *big.Int) {
		return new(big.Int).SetBytes(memWord(b, pos)), common.BytesToAddress(memWord(b, pos+32)[12:]),
			new(big.Int).SetBytes(memWord(b, pos+64)), new(big.Int).SetBytes(memWord(b, pos+128))
	})
}

// readBatch walks a MultiSend batch as the library's assembly does: an
// entry of a hdr-byte header (read by head: operation, target, value, data
// length) and its data (padded to 32 bytes when pad) runs while its start
// is more than 32 bytes before the end, reading zeros past the end.
func readBatch(b []byte, depth, hdr int, pad bool, head func(pos int) (op *big.Int, target common.Address, value, n *big.Int)) ([]*Call, error) {
	var out []*Call
	var errs []string
	for pos := 0; pos+32 < len(b); {
		op, target, value, n := head(pos)
		if !op.IsUint64() || op.Uint64() > 1 {
			return out, revertError{fmt.Sprintf("transaction %d at byte %d: operation %s is neither 0 nor 1 (MultiSend reverts)", len(out), pos, op)}
		}
		data, ok := padded(b, pos+hdr, n)
		if !ok {
			errs = append(errs, fmt.Sprintf("transaction %d at byte %d: data length %s is far beyond the end of the batch (too long to pass within a block's gas: MultiSend reverts)", len(out), pos, n))
			return out, revertError{strings.Join(errs, "; ")}
		}
		var cut string
		switch {
		case len(b)-pos < hdr:
			cut = fmt.Sprintf("transaction %d at byte %d: header cut off (%d bytes left, a header needs %d); MultiSend runs it reading zeros past the end", len(out), pos, len(b)-pos, hdr)
		case n.Uint64() > uint64(len(b)-pos-hdr):
			cut = fmt.Sprintf("transaction %d at byte %d: data length %s exceeds the %d bytes left; MultiSend runs it reading zeros past the end", len(out), pos, n, len(b)-pos-hdr)
		}
		c := decode(target, value, data, safe.Operation(op.Uint64()), depth)
		out = append(out, c)
		if cut != "" {
			if c.Err == "" {
				c.Err = cut
			}
			errs = append(errs, cut)
		}
		step := len(data)
		if pad {
			step = (step + 31) / 32 * 32
		}
		pos += hdr + step
	}
	if len(errs) > 0 {
		return out, errors.New(strings.Join(errs, "; "))
	}
	return out, nil
}

// decodeArgs is a strict ABI decoder for the few types of the table.
func decodeArgs(b []byte, types []string) ([]Arg, error) {
	if len(b) < 32*len(types) {
		return nil, fmt.Errorf("arguments need %d bytes, have %d", 32*len(types), len(b))
	}
	args := make([]Arg, len(types))
	for i, t := range types {
		w := b[32*i : 32*i+32]
		a := Arg{Type: t}
		switch t {
		case "address":
			if !zero(w[:12]) {
				return nil, fmt.Errorf("argument %d (address): high 12 bytes not zero", i)
			}
			a.Addr = common.BytesToAddress(w)
			a.Text = a.Addr.Hex()
		case "uint256", "uint8":
			a.Int = new(big.Int).SetBytes(w)
			if t == "uint8" && a.Int.BitLen() > 8 {
				return nil, fmt.Errorf("argument %d (uint8): %s out of range", i, a.Int)
			}
			a.Text = a.Int.String()
		case "bool":
			if !zero(w[:31]) || w[31] > 1 {
				return nil, fmt.Errorf("argument %d (bool): not 0 or 1", i)
			}
			a.Int = big.NewInt(int64(w[31]))
			a.Text = fmt.Sprint(w[31] == 1)
		case "bytes32":
			a.Bytes = w
			a.Text = fmt.Sprintf("0x%x", w)
		case "bytes":
			off, ok := smallWord(w)
			if !ok || off > uint64(len(b)) || uint64(len(b))-off < 32 {
				return nil, fmt.Errorf("argument %d (bytes): offset %s outside the %d bytes of arguments", i, new(big.Int).SetBytes(w), len(b))
			}
			n, ok := smallWord(b[off : off+32])
			if !ok || n > uint64(len(b))-off-32 {
				return nil, fmt.Errorf("argument %d (bytes): length %s exceeds the %d bytes after offset %d", i, new(big.Int).SetBytes(b[off:off+32]), uint64(len(b))-off-32, off)
			}
			a.Bytes = b[off+32 : off+32+n]
			a.Text = fmt.Sprintf("0x%x", a.Bytes)
		default:
			panic("calldata: unsupported type " + t)
		}
		args[i] = a
	}
	return args, nil
}

// smallWord reads a 32-byte word that must fit in 32 bits: offsets and
// lengths larger than that cannot be inside any real calldata.
func smallWord(w []byte) (uint64, bool) {
	if !zero(w[:28]) {
		return 0, false
	}
	return uint64(binary.BigEndian.Uint32(w[28:])), true
}

func zero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// Arg returns the argument named name, or nil.
func (m *Method) Arg(name string) *Arg {
	if m == nil {
		return nil
	}
	for i := range m.Args {
		if m.Args[i].Name == name {
			return &m.Args[i]
		}
	}
	return nil
}

// Walk calls fn for c and every call inside it, depth first, with the
// chain of enclosing calls (outermost first).
func (c *Call) Walk(fn func(c *Call, parents []*Call)) { c.walk(fn, nil) }

func (c *Call) walk(fn func(*Call, []*Call), parents []*Call) {
	fn(c, parents)
	next := append(parents[:len(parents):len(parents)], c)
	for _, in := range c.Inner {
		in.walk(fn, next)
	}
}

func keccak(b []byte) []byte {
	h := sha3.NewLegacyKeccak256()
	h.Write(b)
	return h.Sum(nil)
}
