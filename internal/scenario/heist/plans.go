package heist

import (
	"fmt"
	"math/big"
	"math/rand/v2"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// builders build a scenario's plan from its config; they also name the
// exchange customers that need a deposit address.
var builders = map[string]func(Config) (*Plan, []string){
	"bybit":      bybitPlan,
	"peel-chain": peelPlan,
	"benign":     benignOnlyPlan,
}

// BenignFactor is how many times the stolen value the ordinary users move
// beside a theft (the issue asks for at least 10).
const BenignFactor = 14

// Users of the benign traffic.
const benignUsers = maxUsers

func newRand(seed int64, stream string) *rand.Rand {
	h := crypto.Keccak256([]byte(fmt.Sprintf("chainhound/heist/%s/%d", stream, seed)))
	var s [32]byte
	copy(s[:], h)
	return rand.New(rand.NewChaCha8(s))
}

func userCustomers() []string {
	var c []string
	for i := range benignUsers {
		c = append(c, fmt.Sprintf("user/%d", i))
	}
	return c
}

// btcAddress is a valid mainnet P2WPKH address derived from a name: the
// thief's destination on Bitcoin in a THORChain memo.
func btcAddress(name string) string {
	h := crypto.Keccak256([]byte("chainhound/heist/btc/" + name))[:20]
	a, err := address.NewAddressWitnessPubKeyHash(h, &chaincfg.MainNetParams)
	if err != nil {
		panic(err)
	}
	return a.EncodeAddress()
}

// Wallet roles of the bybit split.
const (
	bybitETHWallets   = 40  // 99 ether each
	bybitStakeWallets = 6   // 300 stETHx each
	bybitUSDWallets   = 4   // 1.5M USDx each
	bybitWalletETH    = 99  // ether per ETH wallet
	bybitWalletStake  = 300 // stETHx per staking wallet
	// The 10 wallets that pay the exchange share this many deposit
	// addresses (4, 3 and 3 wallets).
	bybitExchangeAccounts = 3
)

// The Safe's holdings when it is drained.
var (
	bybitSafeETH   = eth(bybitETHWallets*bybitWalletETH + 40)
	bybitSafeStake = eth(bybitStakeWallets * bybitWalletStake)
	bybitSafeUSD   = mul(usdx, 6_000_000)
)

// bybitPlan: the exchange's cold Safe is funded; two of its three signers
// approve what their screens show as a token transfer but is a
// DELEGATECALL to the trojan, which replaces the Safe's implementation with
// the backdoor; the attacker drains ether, stETHx and USDx to the theft
// address, which splits them over 50 wallets of round, near-equal amounts;
// the stETHx wallets sell at the pool; the ether goes to the mixer, the
// router (BTC memos), exchange deposit addresses and the OTC desk; some
// wallets sit still, the USDx ones where the issuer can freeze them.
func bybitPlan(cfg Config) (*Plan, []string) {
	rng := newRand(cfg.Seed, "bybit")
	wallets := rng.Perm(maxWallets)[:bybitETHWallets+bybitStakeWallets+bybitUSDWallets]
	w := func(i int) string { return fmt.Sprintf("wallet/%d", wallets[i]) }
	ethW := make([]string, bybitETHWallets)
	for i := range ethW {
		ethW[i] = w(i)
	}
	stakeW, usdW := []string{}, []string{}
	for i := range bybitStakeWallets {
		stakeW = append(stakeW, w(bybitETHWallets+i))
	}
	for i := range bybitUSDWallets {
		usdW = append(usdW, w(bybitETHWallets+bybitStakeWallets+i))
	}
	// Which ETH wallets go where: 10 mixer, 12 router, 10 exchange, 4 OTC,
	// 4 dormant, shuffled by the seed.
	rng.Shuffle(len(ethW), func(i, j int) { ethW[i], ethW[j] = ethW[j], ethW[i] })
	mixerW, routerW, exW, otcW := ethW[:10], ethW[10:22], ethW[22:32], ethW[32:36]
	// The exchange wallets pay into bybitExchangeAccounts deposit
	// addresses, several wallets each, as launderers with a few exchange
	// accounts (bought or under false names) do: the exchange sees one
	// customer per deposit address, and so can deposit-address reuse.
	var customers []string
	for i := range bybitExchangeAccounts {
		customers = append(customers, fmt.Sprintf("thief/%d", i))
	}
	customers = append(customers, userCustomers()...)

	var blocks []Block
	add := func(note string, acts ...Action) { blocks = append(blocks, Block{Note: note, Actions: acts}) }
	addOpening := func(note string, acts ...Action) {
		blocks = append(blocks, Block{Note: note, Actions: acts, Opening: true})
	}
	addOpening("the exchange funds its cold Safe",
		Action{Kind: Send, From: "treasury", To: "safe", Amount: bybitSafeETH},
		Action{Kind: Stake, From: "treasury", Amount: bybitSafeStake},
		Action{Kind: TokenTransfer, From: "treasury", To: "safe", Asset: "stETHx", Amount: bybitSafeStake},
		Action{Kind: TokenTransfer, From: "issuer", To: "safe", Asset: "USDx", Amount: bybitSafeUSD})
	add("two signers approve a DELEGATECALL to the trojan: the Safe's implementation is replaced",
		Action{Kind: SafeExec, From: "signer/0", Step: "takeover"})
	add("the drain",
		Action{Kind: SweepETH, From: "attacker", To: "thief", Step: "drain"},
		Action{Kind: SweepERC20, From: "attacker", To: "thief", Asset: "stETHx", Step: "drain"},
		Action{Kind: SweepERC20, From: "attacker", To: "thief", Asset: "USDx", Step: "drain"})
	var fan []Action
	for _, x := range ethW {
		fan = append(fan, Action{Kind: Send, From: "thief", To: x, Amount: eth(bybitWalletETH), Step: "fan-out"})
	}
	for _, x := range stakeW {
		fan = append(fan, Action{Kind: TokenTransfer, From: "thief", To: x, Asset: "stETHx", Amount: eth(bybitWalletStake), Step: "fan-out"},
			Action{Kind: Send, From: "thief", To: x, Amount: new(big.Int).Mul(big.NewInt(100), milliE), Step: "gas"})
	}
	for _, x := range usdW {
		fan = append(fan, Action{Kind: TokenTransfer, From: "thief", To: x, Asset: "USDx", Amount: mul(usdx, 1_500_000), Step: "fan-out"})
	}
	add("the split over 50 wallets", fan...)
	var approve, swap []Action
	for _, x := range stakeW {
		approve = append(approve, Action{Kind: Approve, From: x, To: "pool", Asset: "stETHx", Step: "swap"})
		swap = append(swap, Action{Kind: SwapTokens, From: x, Amount: eth(bybitWalletStake), Step: "swap"})
	}
	add("the stETHx wallets approve the pool", approve...)
	add("stETHx sold for ether at the pool", swap...)
	secret := func(i int) common.Hash {
		return crypto.Keccak256Hash([]byte(fmt.Sprintf("chainhound/heist/bybit/%d/note/%d", cfg.Seed, i)))
	}
	const notesPerWallet = 9
	for round := range 3 {
		var acts []Action
		for wi, x := range mixerW {
			for k := range 3 {
				acts = append(acts, Action{Kind: MixerDeposit, From: x, Secret: secret(wi*notesPerWallet + round*3 + k), Step: "exit"})
			}
		}
		switch round {
		case 0:
			for _, x := range routerW {
				acts = append(acts, Action{Kind: RouterDeposit, From: x, Amount: eth(98), Memo: "=:BTC.BTC:" + btcAddress(fmt.Sprintf("%d/%s", cfg.Seed, x)), Step: "exit"})
			}
		case 1:
			for i, x := range exW {
				acts = append(acts, Action{Kind: Send, From: x, To: fmt.Sprintf("deposit/thief/%d", i%bybitExchangeAccounts), Amount: eth(98), Step: "exit"})
			}
		case 2:
			for i, x := range otcW {
				acts = append(acts, Action{Kind: OTCOrder, From: x, Amount: eth(98), Memo: fmt.Sprintf("otc/%d/%d", cfg.Seed, i), Step: "exit"})
			}
		}
		add(fmt.Sprintf("laundering, round %d: mixer, router, exchange deposits, OTC", round+1), acts...)
	}
	var bridge []Action
	for _, x := range stakeW {
		bridge = append(bridge, Action{Kind: RouterDeposit, From: x, Rule: &Rule{Keep: new(big.Int).Mul(big.NewInt(10), milliE), Down: eth(10)},
			Memo: "=:BTC.BTC:" + btcAddress(fmt.Sprintf("%d/%s", cfg.Seed, x)), Step: "exit"})
	}
	add("the swap proceeds bridged to Bitcoin", bridge...)
	for half := range 2 {
		var acts []Action
		for wi := range mixerW {
			for k := range notesPerWallet {
				i := wi*notesPerWallet + k
				if i%2 == half {
					acts = append(acts, Action{Kind: MixerWithdraw, From: "relayer", To: fmt.Sprintf("fresh/bybit-%d-%d", cfg.Seed, i), Secret: secret(i), Step: "mixer-out"})
				}
			}
		}
		add("mixer withdrawals to fresh addresses", acts...)
	}
	add("the exchange sweeps its deposit addresses", Action{Kind: ExchangeSweep, From: "operator"})
	p := &Plan{Name: "bybit", Seed: cfg.Seed, Blocks: blocks}
	if !cfg.NoBenign {
		stolen := new(big.Int).Add(bybitSafeETH, bybitSafeStake)
		stolen.Add(stolen, new(big.Int).Quo(new(big.Int).Mul(bybitSafeUSD, ether), mul(usdx, USDxPerETH)))
		withBenign(p, cfg.Seed, new(big.Int).Mul(stolen, big.NewInt(BenignFactor)))
	}
	return p, customers
}

// peelPlan: a hot wallet's key is stolen; the thief empties it and walks
// the funds down a chain of fresh addresses, peeling a few round ether at
// each hop into exchange deposit addresses.
func peelPlan(cfg Config) (*Plan, []string) {
	rng := newRand(cfg.Seed, "peel")
	const hops = 20
	order := rng.Perm(maxWallets)[:hops+1]
	var customers []string
	for i := range hops {
		customers = append(customers, fmt.Sprintf("thief/%d", i))
	}
	customers = append(customers, userCustomers()...)
	stolen := eth(500)
	blocks := []Block{{Note: "the stolen key empties the hot wallet", Actions: []Action{
		{Kind: Send, From: "treasury", To: fmt.Sprintf("wallet/%d", order[0]), Amount: stolen, Step: "theft"}}}}
	for i := range hops {
		from, next := fmt.Sprintf("wallet/%d", order[i]), fmt.Sprintf("wallet/%d", order[i+1])
		peel := eth(int64(5 + rng.IntN(11))) // 5 to 15 ether
		keep := new(big.Int).Add(peel, new(big.Int).Mul(big.NewInt(5), milliE))
		blocks = append(blocks, Block{Note: fmt.Sprintf("peel %d", i+1), Actions: []Action{
			{Kind: Send, From: from, To: fmt.Sprintf("deposit/thief/%d", i), Amount: peel, Step: "exit"},
			{Kind: Send, From: from, To: next, Rule: &Rule{Keep: keep, Down: milliE}, Step: "peel"},
		}})
	}
	blocks = append(blocks, Block{Note: "the exchange sweeps its deposit addresses", Actions: []Action{{Kind: ExchangeSweep, From: "operator"}}})
	p := &Plan{Name: "peel-chain", Seed: cfg.Seed, Blocks: blocks}
	if !cfg.NoBenign {
		withBenign(p, cfg.Seed, new(big.Int).Mul(stolen, big.NewInt(BenignFactor)))
	}
	return p, customers
}

// benignOnlyPlan is ordinary traffic alone: 30 blocks, 60,000 ether of
// volume.
func benignOnlyPlan(cfg Config) (*Plan, []string) {
	p := &Plan{Name: "benign", Seed: cfg.Seed, Blocks: make([]Block, 30)}
	for i := range p.Blocks {
		p.Blocks[i].Note = "ordinary traffic"
	}
	p.Blocks[len(p.Blocks)-1].Actions = []Action{{Kind: ExchangeSweep, From: "operator"}}
	withBenign(p, cfg.Seed, eth(60_000))
	return p, userCustomers()
}

// withBenign adds the ordinary users' traffic to a plan: an opening block
// (staking, approvals, the issuer's distribution) and, spread over the
// plan's blocks, transfers, exchange deposits and withdrawals, pool swaps
// both ways, mixer notes, router deposits and OTC orders, until their
// value reaches target. The exchange sweeps every fifth block.
func withBenign(p *Plan, seed int64, target *big.Int) {
	rng := newRand(seed, "benign")
	user := func() string { return fmt.Sprintf("user/%d", rng.IntN(benignUsers)) }
	opening := Block{Note: "ordinary users get stETHx and USDx", Opening: true}
	for i := range benignUsers {
		u := fmt.Sprintf("user/%d", i)
		opening.Actions = append(opening.Actions,
			Action{Kind: Stake, From: u, Amount: eth(5_000)},
			Action{Kind: Approve, From: u, To: "pool", Asset: "stETHx"},
			Action{Kind: TokenTransfer, From: "issuer", To: u, Asset: "USDx", Amount: mul(usdx, 20_000_000)})
	}
	var acts []Action
	var notes []common.Hash
	total := new(big.Int)
	price := new(big.Int).Quo(ether, big.NewInt(USDxPerETH))
	for total.Cmp(target) < 0 {
		u := user()
		amt := eth(int64(1 + rng.IntN(600)))
		var a Action
		switch r := rng.IntN(100); {
		case r < 15:
			a = Action{Kind: Send, From: u, To: user(), Amount: amt}
		case r < 35:
			a = Action{Kind: Send, From: u, To: "deposit/" + u, Amount: amt}
		case r < 45:
			a = Action{Kind: ExchangeWithdraw, From: "operator", To: u, Amount: amt}
		case r < 55:
			a = Action{Kind: SwapETH, From: u, Amount: eth(int64(1 + rng.IntN(200)))}
		case r < 65:
			a = Action{Kind: SwapTokens, From: u, Amount: eth(int64(1 + rng.IntN(200)))}
		case r < 72:
			s := crypto.Keccak256Hash([]byte(fmt.Sprintf("chainhound/heist/benign/%d/note/%d", seed, len(notes))))
			notes = append(notes, s)
			a = Action{Kind: MixerDeposit, From: u, Secret: s, Amount: eth(MixerDenominationETH)}
		case r < 80:
			a = Action{Kind: RouterDeposit, From: u, Amount: amt, Memo: "=:BTC.BTC:" + btcAddress(fmt.Sprintf("benign/%d/%s", seed, u))}
		case r < 85:
			a = Action{Kind: OTCOrder, From: u, Amount: amt, Memo: fmt.Sprintf("benign/%d/%d", seed, len(acts))}
		default:
			usd := mul(usdx, int64(1_000+rng.IntN(1_000_000)))
			a = Action{Kind: TokenTransfer, From: u, To: user(), Asset: "USDx", Amount: usd}
			amt = new(big.Int).Quo(new(big.Int).Mul(usd, price), usdx)
		}
		if a.Kind == SwapETH || a.Kind == SwapTokens || a.Kind == MixerDeposit {
			amt = a.Amount
		}
		total.Add(total, amt)
		acts = append(acts, a)
	}
	// The notes are withdrawn by the relayer to fresh addresses later on.
	for i, s := range notes {
		acts = append(acts, Action{Kind: MixerWithdraw, From: "relayer", To: fmt.Sprintf("fresh/benign-%d-%d", seed, i), Secret: s})
	}
	// Spread: action i goes to block i*len/len(acts), withdrawals after
	// their deposits since they come last in acts and blocks fill in order.
	n := len(p.Blocks)
	per := make([][]Action, n)
	for i, a := range acts {
		b := i * n / len(acts)
		per[b] = append(per[b], a)
	}
	for b := range p.Blocks {
		var sweep []Action
		if b%5 == 4 {
			sweep = []Action{{Kind: ExchangeSweep, From: "operator"}}
		}
		// Sweeps first, then everyone's actions, then the plan's own.
		p.Blocks[b].Actions = append(append(sweep, per[b]...), p.Blocks[b].Actions...)
	}
	p.Blocks = append([]Block{opening}, p.Blocks...)
}
