package safe_test

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/safe"
)

// The Sepolia ETH transfer of safe-tx-hashes-util's README: 0.1 ETH from a
// Safe 1.3.0, nonce 4.
func ExampleTxHashes() {
	v, _ := safe.ParseVersion("1.3.0")
	zero := new(big.Int)
	tx := &safe.Tx{
		To:        common.HexToAddress("0x255C3912f91eF11bFDadd405F13144a823Da8cc5"),
		Value:     big.NewInt(100_000_000_000_000_000),
		Operation: safe.Call,
		SafeTxGas: zero, BaseGas: zero, GasPrice: zero,
		Nonce: big.NewInt(4),
	}
	h, err := safe.TxHashes(v, big.NewInt(11155111), common.HexToAddress("0x657ff0D4eC65D82b2bC1247b0a558bcd2f80A0f1"), tx)
	if err != nil {
		panic(err)
	}
	fmt.Println("domain ", h.Domain)
	fmt.Println("message", h.Message)
	fmt.Println("safeTx ", h.Safe)
	// Output:
	// domain  0x611379c19940caee095cdb12bebe6a9fa9abb74cdb1fbd7377c49a1f198dc24f
	// message 0x565bba8b51924ffa64953596d0a2dd5c2cad39649f7de0bf2c8dbc903bd03258
	// safeTx  0xcb8bbe7bf8f8a1f3f57658e450d07d4422356ac042d96a87ba425b19e67a78a1
}
