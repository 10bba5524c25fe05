// Package synth makes synthetic chains at scale for benchmarks: data with the
// shape and size of real chains, generated deterministically from a seed.
package synth

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
)

// EthConfig shapes synthetic Ethereum blocks.
type EthConfig struct {
	TxsPerBlock int // default 150, about mainnet's average in 2025
	Addresses   int // size of the address population (default 100,000)
	Tokens      int // ERC-20 contracts (default 200)
	Seed        uint64
}

// EthBlock is one block as a node's JSON-RPC would return it: the block with
// full transactions, eth_getBlockReceipts and debug_traceBlockByNumber with
// the callTracer.
type EthBlock struct {
	Number                  uint64
	Block, Receipts, Traces []byte
}

// EthGen generates blocks. It is not safe for concurrent use.
type EthGen struct {
	cfg EthConfig
}

// NewEthGen returns a generator with defaults filled in.
func NewEthGen(cfg EthConfig) *EthGen {
	if cfg.TxsPerBlock <= 0 {
		cfg.TxsPerBlock = 150
	}
	if cfg.Addresses <= 0 {
		cfg.Addresses = 100_000
	}
	if cfg.Tokens <= 0 {
		cfg.Tokens = 200
	}
	return &EthGen{cfg: cfg}
}

// BlockHash is the synthetic hash of block n.
func BlockHash(n uint64) string { return word(0xb10c, n) }

func word(tag, n uint64) string {
	var b [32]byte
	binary.BigEndian.PutUint64(b[0:], tag)
	binary.BigEndian.PutUint64(b[24:], n)
	return fmt.Sprintf("0x%x", b)
}

func addr(tag, n uint64) string { return fmt.Sprintf("0x%08x%032x", tag, n) }

const transferTopic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

// Block generates block n. Transactions are a mix of plain sends (50%),
// ERC-20 transfers (30%) and contract calls that forward value to two
// addresses (20%); every fifth contract call fails.
func (g *EthGen) Block(n uint64) EthBlock {
	rng := rand.New(rand.NewPCG(g.cfg.Seed, n))
	var blk, rcp, trc strings.Builder
	baseFee := uint64(1_000_000_000 + rng.IntN(20)*100_000_000)
	miner := addr(0xc0ffee, uint64(rng.IntN(10)))
	hash := BlockHash(n)
	parent := word(0xb10c, n-1)
	if n == 0 {
		parent = word(0, 0)
	}
	fmt.Fprintf(&blk, `{"number":"0x%x","hash":"%s","parentHash":"%s","miner":"%s","timestamp":"0x%x","baseFeePerGas":"0x%x","gasLimit":"0x1c9c380","gasUsed":"0xe4e1c0","difficulty":"0x0","size":"0x1000","extraData":"0x","logsBloom":"0x","sha3Uncles":"%s","stateRoot":"%s","transactionsRoot":"%s","receiptsRoot":"%s","uncles":[],"transactions":[`,
		n, hash, parent, miner, 1_700_000_000+n*12, baseFee, word(1, 0), word(2, n), word(3, n), word(4, n))
	rcp.WriteByte('[')
	trc.WriteByte('[')
	cum := uint64(0)
	for i := 0; i < g.cfg.TxsPerBlock; i++ {
		if i > 0 {
			blk.WriteByte(',')
			rcp.WriteByte(',')
			trc.WriteByte(',')
		}
		txh := word(0x7e, n<<16|uint64(i))
		from := addr(0xacc, uint64(rng.IntN(g.cfg.Addresses)))
		to := addr(0xacc, uint64(rng.IntN(g.cfg.Addresses)))
		value := uint64(rng.Int64N(1e18))
		tip := uint64(rng.IntN(3_000_000_000))
		kind := rng.IntN(10)
		gas, status := uint64(21000), 1
		input, logs, calls := "0x", "", ""
		switch {
		case kind >= 5 && kind < 8: // ERC-20 transfer
			token := addr(0x70c, uint64(rng.IntN(g.cfg.Tokens)))
			dst := addr(0xacc, uint64(rng.IntN(g.cfg.Addresses)))
			gas, value = 52000, 0
			input = "0xa9059cbb000000000000000000000000" + dst[2:] + fmt.Sprintf("%064x", rng.Int64())
			logs = fmt.Sprintf(`{"address":"%s","topics":["%s","0x000000000000000000000000%s","0x000000000000000000000000%s"],"data":"0x%064x","blockNumber":"0x%x","blockHash":"%s","transactionHash":"%s","transactionIndex":"0x%x","logIndex":"0x%x","removed":false}`,
				token, transferTopic, from[2:], dst[2:], rng.Int64(), n, hash, txh, i, i)
			calls = fmt.Sprintf(`{"type":"CALL","from":"%s","to":"%s","value":"0x0","gas":"0x10000","gasUsed":"0x8000","input":"%s","output":"0x"}`, from, token, input)
			to = token
		case kind >= 8: // contract call forwarding value to two addresses
			gas = 80000
			if rng.IntN(5) == 0 {
				status = 0
			}
			a, b := addr(0xacc, uint64(rng.IntN(g.cfg.Addresses))), addr(0xacc, uint64(rng.IntN(g.cfg.Addresses)))
			errField := ""
			if status == 0 {
				errField = `,"error":"execution reverted"`
			}
			calls = fmt.Sprintf(`{"type":"CALL","from":"%s","to":"%s","value":"0x%x","gas":"0x20000","gasUsed":"0x13880","input":"0x","output":"0x"%s,"calls":[{"type":"CALL","from":"%s","to":"%s","value":"0x%x","gas":"0x8000","gasUsed":"0x0","input":"0x"},{"type":"CALL","from":"%s","to":"%s","value":"0x%x","gas":"0x8000","gasUsed":"0x0","input":"0x"}]}`,
				from, to, value, errField, to, a, value/2, to, b, value/2)
		default:
			calls = fmt.Sprintf(`{"type":"CALL","from":"%s","to":"%s","value":"0x%x","gas":"0x5208","gasUsed":"0x0","input":"0x"}`, from, to, value)
		}
		cum += gas
		fmt.Fprintf(&blk, `{"hash":"%s","nonce":"0x%x","blockHash":"%s","blockNumber":"0x%x","transactionIndex":"0x%x","from":"%s","to":"%s","value":"0x%x","gas":"0x%x","gasPrice":"0x%x","maxFeePerGas":"0x%x","maxPriorityFeePerGas":"0x%x","input":"%s","type":"0x2","chainId":"0x1","accessList":[],"v":"0x0","r":"0x1","s":"0x1","yParity":"0x0"}`,
			txh, rng.IntN(1000), hash, n, i, from, to, value, gas*2, baseFee+tip, baseFee*2+tip, tip, input)
		fmt.Fprintf(&rcp, `{"transactionHash":"%s","transactionIndex":"0x%x","blockHash":"%s","blockNumber":"0x%x","from":"%s","to":"%s","cumulativeGasUsed":"0x%x","gasUsed":"0x%x","contractAddress":null,"logs":[%s],"logsBloom":"0x","status":"0x%x","effectiveGasPrice":"0x%x","type":"0x2"}`,
			txh, i, hash, n, from, to, cum, gas, logs, status, baseFee+tip)
		fmt.Fprintf(&trc, `{"txHash":"%s","result":%s}`, txh, calls)
	}
	blk.WriteString(`]}`)
	rcp.WriteByte(']')
	trc.WriteByte(']')
	return EthBlock{Number: n, Block: []byte(blk.String()), Receipts: []byte(rcp.String()), Traces: []byte(trc.String())}
}
