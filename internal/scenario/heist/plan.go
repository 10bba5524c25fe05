// Package heist plays scripted thefts and their laundering (bybit,
// peel-chain) and ordinary traffic (benign) on an in-process go-ethereum
// node with real contracts (internal/scenario/contracts), one block at a
// time, and writes down the ground truth as it goes: the thief's
// addresses, every transfer they make, every arrival at a service and
// where each unit of stolen value rests at the end. chainhound demo and
// bench accuracy score chainhound's traces against it; a watcher can follow
// the node block by block and check its alerts against it.
package heist

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// Plan is a scenario as data: the blocks to seal after the world is set
// up, each a list of actions in order. Plans are built from a seed by the
// scenario's builder (bybitPlan, peelPlan, benignPlan); the same seed gives
// the same plan, and playing the same plan on a fresh node gives the same
// chain.
type Plan struct {
	Name   string
	Seed   int64
	Blocks []Block
}

// Block is the actions of one block, sent in order.
type Block struct {
	Note    string // what happens, for progress and the docs
	Actions []Action
	// Opening marks preparations (the victim funding its Safe, the
	// ordinary users staking and approving, the issuer's distribution),
	// which do not count as benign volume.
	Opening bool
}

// Kind is what an action does.
type Kind string

// The actions a plan can take. Each is one transaction.
const (
	Send             Kind = "send"              // ether From -> To
	TokenTransfer    Kind = "token-transfer"    // Asset From -> To
	Approve          Kind = "approve"           // From lets To spend all its Asset
	Stake            Kind = "stake"             // StakedEther.submit with Amount ether
	SwapTokens       Kind = "swap-tokens"       // sell Amount stETHx at the pool for ether
	SwapETH          Kind = "swap-eth"          // buy stETHx at the pool with Amount ether
	MixerDeposit     Kind = "mixer-deposit"     // one denomination, commitment keccak(Secret)
	MixerWithdraw    Kind = "mixer-withdraw"    // the relayer withdraws Secret's note to To
	RouterDeposit    Kind = "router-deposit"    // Amount ether through the router to the vault, with Memo
	OTCOrder         Kind = "otc-order"         // Amount ether to the OTC desk
	ExchangeSweep    Kind = "exchange-sweep"    // the operator sweeps every deposit address holding ether
	ExchangeWithdraw Kind = "exchange-withdraw" // the exchange pays Amount ether (or Asset) to To
	SafeExec         Kind = "safe-exec"         // the signers execute the scenario's Safe transaction
	SweepETH         Kind = "sweep-eth"         // the attacker calls sweepETH(To) on the hijacked Safe
	SweepERC20       Kind = "sweep-erc20"       // the attacker calls sweepERC20(Asset, To) on the hijacked Safe
)

// Action is one transaction of a plan. From and To name actors (see
// World.Address); amounts are base units of Asset ("ETH", "stETHx",
// "USDx").
type Action struct {
	Kind   Kind
	From   string
	To     string
	Asset  string
	Amount *big.Int
	// Rule, when set, decides the ether amount when the block is played,
	// from the sender's balance then (a swap's proceeds are only known
	// after the swap).
	Rule   *Rule
	Memo   string      // RouterDeposit: the THORChain memo
	Secret common.Hash // MixerDeposit, MixerWithdraw: the note
	// Step labels the thief's actions in the ground truth (drain, fan-out,
	// swap, exit, gas, peel, dormant...); empty for everyone else's.
	Step string
}

// Illicit reports whether the action is the thief's.
func (a *Action) Illicit() bool { return a.Step != "" }

// Rule computes an ether amount at play time: the sender's balance minus
// Keep, rounded down to a multiple of Down.
type Rule struct {
	Keep, Down *big.Int
}

func (r *Rule) amount(balance *big.Int) *big.Int {
	v := new(big.Int).Sub(balance, r.Keep)
	if v.Sign() <= 0 {
		return new(big.Int)
	}
	return v.Sub(v, new(big.Int).Mod(v, r.Down))
}

// Units.
var (
	gwei   = big.NewInt(1e9)
	ether  = big.NewInt(1e18)
	usdx   = big.NewInt(1e6) // the stablecoin has 6 decimals
	milliE = big.NewInt(1e15)
)

func eth(n int64) *big.Int             { return new(big.Int).Mul(big.NewInt(n), ether) }
func mul(a *big.Int, n int64) *big.Int { return new(big.Int).Mul(a, big.NewInt(n)) }
