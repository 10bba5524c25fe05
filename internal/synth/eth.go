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

// Block generates block n. The mix follows the shape of real mainnet blocks
// 15,000,000-15,000,004 as recorded in GraphSense's test data
// (../shared/data/graphsense-spark-tests, account/eth/tokens): per
// transaction 5-8 logs of which about half are ERC-20 Transfers, 12-19 call
// frames of which about a fifth move value and a third are static or
// delegate calls, and ~400 bytes of calldata. Here: 35% plain sends, 30%
// ERC-20 transfers, 35% DeFi-style calls (a swap-like tree of ~36 frames,
// 14 logs, 6 of them Transfers, ether paid out through WETH), one in
// fourteen of which fails.
func (g *EthGen) Block(n uint64) EthBlock {
	rng := rand.New(rand.NewPCG(g.cfg.Seed, n))
	b := &blockWriter{g: g, rng: rng, n: n, hash: BlockHash(n)}
	baseFee := uint64(1_000_000_000 + rng.IntN(20)*100_000_000)
	parent := word(0xb10c, n-1)
	if n == 0 {
		parent = word(0, 0)
	}
	fmt.Fprintf(&b.blk, `{"number":"0x%x","hash":"%s","parentHash":"%s","miner":"%s","timestamp":"0x%x","baseFeePerGas":"0x%x","gasLimit":"0x1c9c380","gasUsed":"0xe4e1c0","difficulty":"0x0","size":"0x1000","extraData":"0x","logsBloom":"0x","sha3Uncles":"%s","stateRoot":"%s","transactionsRoot":"%s","receiptsRoot":"%s","uncles":[],"transactions":[`,
		n, b.hash, parent, addr(0xc0ffee, uint64(rng.IntN(10))), 1_700_000_000+n*12, baseFee, word(1, 0), word(2, n), word(3, n), word(4, n))
	b.rcp.WriteByte('[')
	b.trc.WriteByte('[')
	for i := 0; i < g.cfg.TxsPerBlock; i++ {
		if i > 0 {
			b.blk.WriteByte(',')
			b.rcp.WriteByte(',')
			b.trc.WriteByte(',')
		}
		b.tx(i, baseFee)
	}
	b.blk.WriteString(`]}`)
	b.rcp.WriteByte(']')
	b.trc.WriteByte(']')
	return EthBlock{Number: n, Block: []byte(b.blk.String()), Receipts: []byte(b.rcp.String()), Traces: []byte(b.trc.String())}
}

// blockWriter accumulates one block's three JSON documents.
type blockWriter struct {
	g             *EthGen
	rng           *rand.Rand
	n             uint64
	hash          string
	blk, rcp, trc strings.Builder
	logs          []string
	logIndex      int
	cum           uint64
}

func (b *blockWriter) account() string { return addr(0xacc, uint64(b.rng.IntN(b.g.cfg.Addresses))) }
func (b *blockWriter) token() string   { return addr(0x70c, uint64(b.rng.IntN(b.g.cfg.Tokens))) }

// hexBytes returns n random bytes as hex without 0x.
func (b *blockWriter) hexBytes(n int) string {
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(b.rng.Uint32())
	}
	return fmt.Sprintf("%x", buf)
}

func (b *blockWriter) log(txh string, txi int, address string, topics []string, data string) {
	b.logs = append(b.logs, fmt.Sprintf(`{"address":"%s","topics":["%s"],"data":"0x%s","blockNumber":"0x%x","blockHash":"%s","transactionHash":"%s","transactionIndex":"0x%x","logIndex":"0x%x","removed":false}`,
		address, strings.Join(topics, `","`), data, b.n, b.hash, txh, txi, b.logIndex))
	b.logIndex++
}

func topicAddr(a string) string { return "0x000000000000000000000000" + a[2:] }

func (b *blockWriter) transferLog(txh string, txi int, token, from, to string) {
	b.log(txh, txi, token, []string{transferTopic, topicAddr(from), topicAddr(to)}, fmt.Sprintf("%064x", b.rng.Int64()))
}

// frame renders one callTracer frame with calldata and return data.
func (b *blockWriter) frame(typ, from, to string, value uint64, in, out int, errField, calls string) string {
	v := ""
	if typ == "CALL" || typ == "CREATE" {
		v = fmt.Sprintf(`"value":"0x%x",`, value)
	}
	if calls != "" {
		calls = `,"calls":[` + calls + `]`
	}
	return fmt.Sprintf(`{"type":"%s","from":"%s","to":"%s",%s"gas":"0x%x","gasUsed":"0x%x","input":"0x%s","output":"0x%s"%s%s}`,
		typ, from, to, v, 30000+b.rng.IntN(200000), 5000+b.rng.IntN(50000), b.hexBytes(in), b.hexBytes(out), errField, calls)
}

func (b *blockWriter) tx(i int, baseFee uint64) {
	txh := word(0x7e, b.n<<16|uint64(i))
	from, to := b.account(), b.account()
	value := uint64(b.rng.Int64N(1e18))
	tip := uint64(b.rng.IntN(3_000_000_000))
	gas, status, input := uint64(21000), 1, ""
	b.logs = b.logs[:0]
	var top string
	switch k := b.rng.IntN(100); {
	case k < 35: // plain send
		top = b.frame("CALL", from, to, value, 0, 0, "", "")
	case k < 65: // ERC-20 transfer
		token, dst := b.token(), b.account()
		gas, value, to = 52000, 0, token
		input = "a9059cbb000000000000000000000000" + dst[2:] + fmt.Sprintf("%064x", b.rng.Int64())
		b.transferLog(txh, i, token, from, dst)
		top = b.frame("CALL", from, token, 0, 68, 32, "", "")
	default: // DeFi-style call: a swap through pools, paid out in ether via WETH
		gas, to = 250000, addr(0xdef1, uint64(b.rng.IntN(50)))
		input = b.hexBytes(400)
		errField := ""
		if b.rng.IntN(14) == 0 {
			status, errField = 0, `,"error":"execution reverted"`
		}
		top = b.frame("CALL", from, to, value, 400, 96, errField, b.swapTree(txh, i, from, to, value))
		if status == 0 {
			b.logs = b.logs[:0]
		}
	}
	b.cum += gas
	fmt.Fprintf(&b.blk, `{"hash":"%s","nonce":"0x%x","blockHash":"%s","blockNumber":"0x%x","transactionIndex":"0x%x","from":"%s","to":"%s","value":"0x%x","gas":"0x%x","gasPrice":"0x%x","maxFeePerGas":"0x%x","maxPriorityFeePerGas":"0x%x","input":"0x%s","type":"0x2","chainId":"0x1","accessList":[],"v":"0x0","r":"0x1%s","s":"0x1%s","yParity":"0x0"}`,
		txh, b.rng.IntN(1000), b.hash, b.n, i, from, to, value, gas*2, baseFee+tip, baseFee*2+tip, tip, input, b.hexBytes(31), b.hexBytes(31))
	fmt.Fprintf(&b.rcp, `{"transactionHash":"%s","transactionIndex":"0x%x","blockHash":"%s","blockNumber":"0x%x","from":"%s","to":"%s","cumulativeGasUsed":"0x%x","gasUsed":"0x%x","contractAddress":null,"logs":[%s],"logsBloom":"0x%s","status":"0x%x","effectiveGasPrice":"0x%x","type":"0x2"}`,
		txh, i, b.hash, b.n, from, to, b.cum, gas, strings.Join(b.logs, ","), b.hexBytes(256), status, baseFee+tip)
	fmt.Fprintf(&b.trc, `{"txHash":"%s","result":%s}`, txh, top)
}

// swapTree renders the inner frames of a DeFi-style call: five hops, each a
// delegate call into a router library, static price reads, a pool call that
// moves tokens, and finally WETH unwrapping ether back to the sender; with
// the logs such calls leave (Transfers, Swap/Sync-like events, a Withdrawal).
func (b *blockWriter) swapTree(txh string, i int, user, router string, value uint64) string {
	var calls []string
	weth := addr(0x3e7, 0)
	for hop := 0; hop < 5; hop++ {
		pool, tokIn, tokOut := addr(0x9001, uint64(b.rng.IntN(500))), b.token(), b.token()
		lib := b.frame("DELEGATECALL", router, addr(0x11b, uint64(hop)), 0, 132, 64, "", "")
		reads := b.frame("STATICCALL", router, pool, 0, 4, 96, "", "") + "," + b.frame("STATICCALL", router, tokIn, 0, 36, 32, "", "")
		inner := b.frame("CALL", pool, tokOut, 0, 68, 32, "", b.frame("STATICCALL", tokOut, pool, 0, 36, 32, "", ""))
		poolCall := b.frame("CALL", router, pool, 0, 164, 64, "", inner+","+b.frame("STATICCALL", pool, tokIn, 0, 36, 32, "", ""))
		calls = append(calls, lib, reads, poolCall)
		b.transferLog(txh, i, tokIn, user, pool)
		b.log(txh, i, pool, []string{word(0x5a7, 0)}, b.hexBytes(64)) // Sync-like
		if hop%2 == 0 {
			b.log(txh, i, pool, []string{word(0x5aa, 0), topicAddr(router), topicAddr(user)}, b.hexBytes(128)) // Swap-like
		}
	}
	out := value/2 + uint64(b.rng.Int64N(1e17))
	withdraw := b.frame("CALL", router, weth, 0, 36, 0, "", b.frame("CALL", weth, router, out, 0, 0, "", ""))
	payout := b.frame("CALL", router, user, out, 0, 0, "", "")
	calls = append(calls, withdraw, payout)
	b.log(txh, i, weth, []string{"0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65", topicAddr(router)}, fmt.Sprintf("%064x", out))
	return strings.Join(calls, ",")
}
