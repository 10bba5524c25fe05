// Package safe computes the EIP-712 hashes a Safe (formerly Gnosis Safe)
// multisig signs: the domain separator, the SafeTx struct hash ("message
// hash") and the final safeTxHash, and the same for off-chain SafeMessages.
//
// The encoding changed twice across Safe releases, and a signer comparing
// hashes with a hardware wallet needs the one their contract computes:
//
//   - before 1.0.0 the SafeTx type names the gas overhead "dataGas"
//     (GnosisSafe.sol v0.1.0), from 1.0.0 on "baseGas";
//   - before 1.3.0 the domain is EIP712Domain(address verifyingContract),
//     from 1.3.0 on EIP712Domain(uint256 chainId,address verifyingContract)
//     (safe-smart-account pull request 264).
//
// Typehashes are computed from the type strings below at init and checked
// against the constants the contracts declare, in the tests.
package safe

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/crypto/sha3"
)

// Type strings as the Safe contracts declare them.
const (
	DomainTypeLegacy  = "EIP712Domain(address verifyingContract)"
	DomainTypeChainID = "EIP712Domain(uint256 chainId,address verifyingContract)"
	SafeTxTypeDataGas = "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 dataGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
	SafeTxTypeBaseGas = "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
	SafeMessageType   = "SafeMessage(bytes message)"
)

// Typehashes: keccak256 of the type strings.
var (
	DomainTypehashLegacy  = keccak([]byte(DomainTypeLegacy))
	DomainTypehashChainID = keccak([]byte(DomainTypeChainID))
	SafeTxTypehashDataGas = keccak([]byte(SafeTxTypeDataGas))
	SafeTxTypehashBaseGas = keccak([]byte(SafeTxTypeBaseGas))
	SafeMessageTypehash   = keccak([]byte(SafeMessageType))
)

// Version is a released Safe contract version.
type Version struct{ Major, Minor, Patch int }

// Versions lists every released Safe singleton version this package knows,
// oldest first. A version outside this list is refused rather than guessed:
// a wrong guess yields a hash that silently differs from the wallet's.
var Versions = []Version{{0, 1, 0}, {1, 0, 0}, {1, 1, 0}, {1, 1, 1}, {1, 2, 0}, {1, 3, 0}, {1, 4, 0}, {1, 4, 1}, {1, 5, 0}}

// ErrUnknownVersion is returned by ParseVersion for a version that is not
// a released Safe version.
var ErrUnknownVersion = errors.New("unknown Safe version")

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// ParseVersion reads a version as the contract's VERSION() or the
// transaction service reports it: "1.3.0", "v1.3.0" or "1.3.0+L2" (the L2
// singleton hashes like its L1 twin).
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexByte(t, '+'); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("%w %q: want MAJOR.MINOR.PATCH, one of %s", ErrUnknownVersion, s, versionList())
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return Version{}, fmt.Errorf("%w %q: want MAJOR.MINOR.PATCH, one of %s", ErrUnknownVersion, s, versionList())
		}
		n[i] = x
	}
	v := Version{n[0], n[1], n[2]}
	for _, k := range Versions {
		if k == v {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("%w %q: known are %s", ErrUnknownVersion, s, versionList())
}

func versionList() string {
	s := make([]string, len(Versions))
	for i, v := range Versions {
		s[i] = v.String()
	}
	return strings.Join(s, ", ")
}

// HasChainID reports whether v's domain separator includes the chain id.
func (v Version) HasChainID() bool { return !v.Less(Version{1, 3, 0}) }

// UsesDataGas reports whether v's SafeTx type names the gas overhead dataGas.
func (v Version) UsesDataGas() bool { return v.Less(Version{1, 0, 0}) }

// Operation is the Safe's Enum.Operation: a CALL or a DELEGATECALL.
type Operation uint8

// Operations.
const (
	Call         Operation = 0
	DelegateCall Operation = 1
)

func (o Operation) String() string {
	switch o {
	case Call:
		return "CALL"
	case DelegateCall:
		return "DELEGATECALL"
	}
	return fmt.Sprintf("operation(%d)", uint8(o))
}

// Tx is a Safe transaction: the fields of execTransaction that are signed.
// BaseGas is called dataGas before 1.0.0; its position and encoding are
// the same.
type Tx struct {
	To             common.Address
	Value          *big.Int
	Data           []byte
	Operation      Operation
	SafeTxGas      *big.Int
	BaseGas        *big.Int
	GasPrice       *big.Int
	GasToken       common.Address
	RefundReceiver common.Address
	Nonce          *big.Int
}

// Hashes are the three values a signer compares: the EIP-712 domain
// separator, the struct hash of the SafeTx (or SafeMessage), and the final
// digest keccak256(0x19 0x01 domain message) that owners sign.
type Hashes struct {
	Domain  common.Hash `json:"domain_hash"`
	Message common.Hash `json:"message_hash"`
	Safe    common.Hash `json:"safe_tx_hash"`
}

// DomainSeparator is the EIP-712 domain hash of the Safe at safe on chain
// chainID for version v. chainID is ignored before 1.3.0.
func DomainSeparator(v Version, chainID *big.Int, safe common.Address) common.Hash {
	if !v.HasChainID() {
		return keccak(DomainTypehashLegacy[:], word(safe[:]))
	}
	return keccak(DomainTypehashChainID[:], uintWord(chainID), word(safe[:]))
}

// TxHashes computes the hashes of tx for the Safe at safe on chainID.
func TxHashes(v Version, chainID *big.Int, safe common.Address, tx *Tx) (Hashes, error) {
	if tx.Operation > DelegateCall {
		return Hashes{}, fmt.Errorf("operation %d: want 0 (call) or 1 (delegatecall)", tx.Operation)
	}
	for name, x := range map[string]*big.Int{"value": tx.Value, "safeTxGas": tx.SafeTxGas, "baseGas": tx.BaseGas, "gasPrice": tx.GasPrice, "nonce": tx.Nonce} {
		if x != nil && (x.Sign() < 0 || x.BitLen() > 256) {
			return Hashes{}, fmt.Errorf("%s %s: not a uint256", name, x)
		}
	}
	if v.HasChainID() && (chainID == nil || chainID.Sign() <= 0) {
		return Hashes{}, fmt.Errorf("Safe %s hashes include the chain id: give a positive chain id", v)
	}
	typehash := SafeTxTypehashBaseGas
	if v.UsesDataGas() {
		typehash = SafeTxTypehashDataGas
	}
	var op [32]byte
	op[31] = byte(tx.Operation)
	msg := keccak(typehash[:], word(tx.To[:]), uintWord(tx.Value), keccakBytes(tx.Data), op[:],
		uintWord(tx.SafeTxGas), uintWord(tx.BaseGas), uintWord(tx.GasPrice),
		word(tx.GasToken[:]), word(tx.RefundReceiver[:]), uintWord(tx.Nonce))
	dom := DomainSeparator(v, chainID, safe)
	return Hashes{Domain: dom, Message: msg, Safe: keccak([]byte{0x19, 0x01}, dom[:], msg[:])}, nil
}

// MessageHashes computes the hashes of an off-chain SafeMessage whose
// message bytes are message (for an EIP-191 text message that is the
// 32-byte EIP-191 hash of the text; see TextMessage).
func MessageHashes(v Version, chainID *big.Int, safe common.Address, message []byte) (Hashes, error) {
	if v.HasChainID() && (chainID == nil || chainID.Sign() <= 0) {
		return Hashes{}, fmt.Errorf("Safe %s hashes include the chain id: give a positive chain id", v)
	}
	msg := keccak(SafeMessageTypehash[:], keccakBytes(message))
	dom := DomainSeparator(v, chainID, safe)
	return Hashes{Domain: dom, Message: msg, Safe: keccak([]byte{0x19, 0x01}, dom[:], msg[:])}, nil
}

// TextMessage is the EIP-191 personal-message hash of text, which wallets
// wrap into a SafeMessage as its 32 message bytes.
func TextMessage(text string) common.Hash {
	return keccak([]byte(fmt.Sprintf("\x19Ethereum Signed Message:\n%d", len(text))), []byte(text))
}

func word(b []byte) []byte { return common.LeftPadBytes(b, 32) }

func uintWord(x *big.Int) []byte {
	var w [32]byte
	if x != nil {
		x.FillBytes(w[:])
	}
	return w[:]
}

func keccakBytes(b []byte) []byte { h := keccak(b); return h[:] }

func keccak(parts ...[]byte) common.Hash {
	h := sha3.NewLegacyKeccak256()
	for _, p := range parts {
		h.Write(p)
	}
	var out common.Hash
	h.Sum(out[:0])
	return out
}
