package synth

import (
	"encoding/binary"
	"math"
	"math/rand/v2"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// AccountGraph generates an Ethereum-like chain whose transfers form a
// power-law graph: ether and one 6-decimal token, one transfer per
// transaction, every sender holding what it sends. Block 0 funds the
// Hubs top-ranked addresses (genesis allocations and a token mint); every
// later block carries PerBlock transfers.
//
// Each transfer picks its asset (ether 70%, the token 30%), then a sender:
// by Zipf rank (55%) or an address that recently received the asset (45%:
// funds moving on, as in peel chains); a sender with nothing to send is
// replaced by a hub. The recipient is drawn by Zipf rank. Amounts are log-uniform over six decades (0.001
// to 1,000 ether; 1 to 1,000,000 token units), capped at the balance, and
// an ordinary (non-hub) sender sweeps its whole balance one time in four.
//
// Generation is deterministic from Seed. An AccountGraph is not safe for
// concurrent use.
type AccountGraph struct {
	cfg    GraphConfig
	rng    *rand.Rand
	pick   picker
	height uint64
	blocks uint64
	hash   chain.Hash
	bal    [2][]uint64 // per asset, per address: ether in gwei, the token in base units
	recent [2][]int32  // per asset, a ring of recent recipients
	rpos   [2]int
	block  chain.Block
	alerts reservoir[accountAlert]
	count  int
}

type accountAlert struct {
	to     int32
	asset  uint8
	block  uint64
	amount uint64
}

// AccountAlert is a transfer drawn uniformly from the whole chain, as an
// investigator's alert: Address received Amount of Asset in Block and still
// held at least Amount at the end of that block. A tracer seeds it from
// Block+1 on.
type AccountAlert struct {
	Address chain.Address
	Block   uint64
	Asset   chain.Asset
	Amount  uint256.Int
}

// Token is the synthetic graph's ERC-20 contract.
var Token = chain.Asset{Kind: chain.ERC20, Contract: chain.EVMAddress([20]byte{0x70, 0x6b, 0x65, 0x6e, 19: 1})}

// Units of the amounts the generator tracks: ether in gwei (so balances fit
// 64 bits), the token in its own base units.
const (
	gweiPerUnit  = 1_000_000                  // 0.001 ether
	tokenPerUnit = 1_000_000                  // one token (6 decimals)
	genesisEther = 50_000_000 * 1_000_000_000 // 50 million ether per hub, in gwei
	genesisToken = 1_000_000_000 * tokenPerUnit
)

var weiPerGwei = uint256.NewInt(1_000_000_000)

// NewAccountGraph returns a generator; cfg's zero fields take defaults
// (1,000,000 transfers, Transfers/10 addresses, 1,000 per block, s = 1.1).
// alerts is the size of the uniform sample of transfers kept as alerts.
func NewAccountGraph(cfg GraphConfig, alerts int) *AccountGraph {
	cfg.defaults(1_000, 10)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xacc0))
	g := &AccountGraph{cfg: cfg, rng: rng, pick: newPicker(rng, cfg),
		blocks: uint64((cfg.Transfers + cfg.PerBlock - 1) / cfg.PerBlock)}
	g.alerts = reservoir[accountAlert]{rng: rand.New(rand.NewPCG(cfg.Seed, 0xa1e7)), k: alerts}
	for a := range g.bal {
		g.bal[a] = make([]uint64, cfg.Addresses)
		g.recent[a] = make([]int32, 0, 1<<16)
	}
	return g
}

// Config returns the configuration with defaults filled in.
func (g *AccountGraph) Config() GraphConfig { return g.cfg }

// Blocks is the number of blocks after genesis.
func (g *AccountGraph) Blocks() uint64 { return g.blocks }

// AccountAddress is the synthetic address of rank i.
func AccountAddress(i int) chain.Address {
	var b [20]byte
	binary.BigEndian.PutUint64(b[0:], mix64(uint64(i)))
	binary.BigEndian.PutUint64(b[8:], mix64(uint64(i)^0xacc))
	binary.BigEndian.PutUint32(b[16:], uint32(i))
	return chain.EVMAddress(b)
}

// Next returns the next block (genesis first), or nil after the last. The
// block and its slices are reused by the following call.
func (g *AccountGraph) Next() *chain.Block {
	if g.height > g.blocks {
		return nil
	}
	h := g.height
	g.height++
	b := &g.block
	parent := g.hash
	g.hash = synthHash(0xb10c, h)
	*b = chain.Block{Chain: chain.Ethereum, Height: h, Hash: g.hash, Parent: parent, Time: 1_600_000_000 + int64(h)*12,
		Txs: b.Txs[:0], Transfers: b.Transfers[:0]}
	if h == 0 {
		g.genesis(b)
		return b
	}
	n := min(g.cfg.PerBlock, g.cfg.Transfers-int(h-1)*g.cfg.PerBlock)
	for i := range n {
		g.transfer(b, uint32(i))
	}
	g.settleAlerts(h)
	return b
}

func (g *AccountGraph) genesis(b *chain.Block) {
	mint := synthHash(0x7e, 0)
	b.Txs = append(b.Txs, chain.Tx{Hash: mint, Index: 0, Success: true})
	for i := range Hubs {
		g.bal[1][i] = genesisToken
		b.Transfers = append(b.Transfers, chain.Transfer{Block: 0, TxIndex: 0, Seq: uint32(i), TxHash: mint, Kind: chain.KindToken,
			To: AccountAddress(i), Asset: Token, Amount: *uint256.NewInt(genesisToken)})
	}
	for i := range Hubs {
		g.bal[0][i] = genesisEther
		t := chain.Transfer{Block: 0, TxIndex: chain.BlockLevel, Seq: uint32(i), Kind: chain.KindGenesis, To: AccountAddress(i), Asset: chain.NativeAsset}
		t.Amount.Mul(uint256.NewInt(genesisEther), weiPerGwei)
		b.Transfers = append(b.Transfers, t)
	}
}

func (g *AccountGraph) sender(asset int) int {
	var from int
	switch r := g.rng.Float64(); {
	case r < 0.45 && len(g.recent[asset]) > 0:
		from = int(g.recent[asset][g.rng.IntN(len(g.recent[asset]))])
	default:
		from = g.pick.ranked()
	}
	if g.bal[asset][from] > 0 {
		return from
	}
	for range Hubs {
		if from = g.rng.IntN(Hubs); g.bal[asset][from] > 0 {
			return from
		}
	}
	for from = range Hubs { // cannot all be empty: the hubs hold the supply's source
		if g.bal[asset][from] > 0 {
			break
		}
	}
	return from
}

func (g *AccountGraph) transfer(b *chain.Block, txi uint32) {
	asset := 0
	if g.rng.IntN(10) < 3 {
		asset = 1
	}
	from := g.sender(asset)
	to := g.pick.ranked()
	if to == from {
		to = (to + 1) % g.cfg.Addresses
	}
	unit := uint64(gweiPerUnit)
	if asset == 1 {
		unit = tokenPerUnit
	}
	bal := &g.bal[asset][from]
	amount := uint64(math.Pow(10, 6*g.rng.Float64())) * unit
	if amount > *bal || (from >= Hubs && g.rng.IntN(4) == 0) {
		amount = *bal
	}
	*bal -= amount
	g.bal[asset][to] += amount
	if r := &g.recent[asset]; len(*r) < cap(*r) {
		*r = append(*r, int32(to))
	} else {
		(*r)[g.rpos[asset]] = int32(to)
		g.rpos[asset] = (g.rpos[asset] + 1) % cap(*r)
	}
	g.count++
	hash := synthHash(0x7e, uint64(g.count))
	t := chain.Transfer{Block: b.Height, TxIndex: txi, TxHash: hash, From: AccountAddress(from), To: AccountAddress(to)}
	if asset == 0 {
		t.Kind, t.Asset = chain.KindNative, chain.NativeAsset
		t.Amount.Mul(uint256.NewInt(amount), weiPerGwei)
	} else {
		t.Kind, t.Asset = chain.KindToken, Token
		t.Amount.SetUint64(amount)
	}
	b.Txs = append(b.Txs, chain.Tx{Hash: hash, Index: txi, Success: true})
	b.Transfers = append(b.Transfers, t)
	if j := g.alerts.offer(); j >= 0 {
		g.alerts.items[j] = accountAlert{to: int32(to), asset: uint8(asset), block: b.Height, amount: amount}
	}
}

// settleAlerts caps the alerts drawn in block h at what their recipient
// still holds at its end, which a seed from h+1 on may taint.
func (g *AccountGraph) settleAlerts(h uint64) {
	for i := range g.alerts.items {
		if a := &g.alerts.items[i]; a.block == h {
			a.amount = min(a.amount, g.bal[a.asset][a.to])
		}
	}
}

// Alerts returns the sampled alerts in sample order (a random order), those
// whose recipient had sent everything on within its block left out. Call it
// after the last block.
func (g *AccountGraph) Alerts() []AccountAlert {
	var out []AccountAlert
	for _, a := range g.alerts.items {
		if a.amount == 0 {
			continue
		}
		al := AccountAlert{Address: AccountAddress(int(a.to)), Block: a.block, Asset: chain.NativeAsset}
		if a.asset == 0 {
			al.Amount.Mul(uint256.NewInt(a.amount), weiPerGwei)
		} else {
			al.Asset = Token
			al.Amount.SetUint64(a.amount)
		}
		out = append(out, al)
	}
	return out
}
