package watch

import "time"

// Rule names, as alerts and the config file give them.
const (
	RuleTaintMovement = "taint_movement"
	RuleExit          = "exit"
	RuleSanctioned    = "sanctioned"
	RuleLargeTransfer = "large_transfer"
	RuleFanOut        = "fan_out"
	RuleTokenSwap     = "token_swap"
	RuleRouterMemo    = "router_memo"
	RuleChunking      = "chunking"
)

// Rules configures the rules. Every rule is on unless `enabled: false`.
type Rules struct {
	TaintMovement RuleBase          `yaml:"taint_movement"`
	Exit          ExitRule          `yaml:"exit"`
	Sanctioned    RuleBase          `yaml:"sanctioned"`
	LargeTransfer LargeTransferRule `yaml:"large_transfer"`
	FanOut        FanOutRule        `yaml:"fan_out"`
	TokenSwap     TokenSwapRule     `yaml:"token_swap"`
	RouterMemo    RuleBase          `yaml:"router_memo"`
	Chunking      ChunkingRule      `yaml:"chunking"`
}

// RuleBase is what every rule has.
type RuleBase struct {
	Enabled  *bool    `yaml:"enabled"`
	Severity Severity `yaml:"severity"`
}

// On reports whether the rule is enabled.
func (r RuleBase) On() bool { return r.Enabled == nil || *r.Enabled }

// ExitRule: tainted funds reaching an exit (a service of an exit category
// in the attribution store, or a freezable token).
type ExitRule struct {
	RuleBase `yaml:",inline"`
	// FreezableSeverity is the severity when the venue or the asset's
	// issuer can freeze what arrived (default critical): the alert that
	// must be acted on within minutes.
	FreezableSeverity Severity `yaml:"freezable_severity"`
}

// Threshold is an amount of one asset on one chain.
type Threshold struct {
	// Chain is eth or btc.
	Chain Text `yaml:"chain"`
	// Asset is native or a CAIP-19 token id (eip155:1/erc20:0x…).
	Asset  Text   `yaml:"asset"`
	Amount Amount `yaml:"amount"`
}

// LargeTransferRule: one transfer at or above its asset's threshold.
type LargeTransferRule struct {
	RuleBase   `yaml:",inline"`
	Thresholds []Threshold `yaml:"thresholds"`
}

// FanOutRule: one sender paying near-equal amounts of one asset to
// MinRecipients or more fresh addresses (whose first transfer ever is that
// payment) within Window of block time.
type FanOutRule struct {
	RuleBase      `yaml:",inline"`
	MinRecipients int      `yaml:"min_recipients"`
	Window        Duration `yaml:"window"`
	// ToleranceBPS is how far from the median amount a payment may be
	// and still count as near-equal, in basis points (500 = 5%).
	ToleranceBPS uint64 `yaml:"tolerance_bps"`
	// TaintedOnly restricts the rule to senders in a case's tainted set.
	TaintedOnly bool `yaml:"tainted_only"`
	// MaxSenderTransfers: a sender with more transfers than this in the
	// window is taken for a service (an exchange's hot wallet) and not
	// checked (default 2000; 0: no limit).
	MaxSenderTransfers int `yaml:"max_sender_transfers"`
}

// TokenSwapRule: a case's tainted tokens swapped into the native coin
// within FreshWithin of block time after the case's taint reached the
// swapping address (the escape from issuer freezes).
type TokenSwapRule struct {
	RuleBase `yaml:",inline"`
	// Tokens restricts the rule to these CAIP-19 token ids (staking and
	// stable tokens); empty: any token.
	Tokens      []Text   `yaml:"tokens"`
	FreshWithin Duration `yaml:"fresh_within"`
}

// ChunkingRule: one sender making MinChunks or more transfers of one
// asset, each just under a threshold (within BandBPS below it), within
// Window.
type ChunkingRule struct {
	RuleBase   `yaml:",inline"`
	Thresholds []Threshold `yaml:"thresholds"`
	BandBPS    uint64      `yaml:"band_bps"`
	MinChunks  int         `yaml:"min_chunks"`
	Window     Duration    `yaml:"window"`
	// MaxSenderTransfers is as for fan_out.
	MaxSenderTransfers int `yaml:"max_sender_transfers"`
}

// DefaultRules are the documented defaults (docs/watch.md).
func DefaultRules() Rules {
	return Rules{
		TaintMovement: RuleBase{Severity: "medium"},
		Exit:          ExitRule{RuleBase: RuleBase{Severity: "high"}, FreezableSeverity: "critical"},
		Sanctioned:    RuleBase{Severity: "high"},
		LargeTransfer: LargeTransferRule{RuleBase: RuleBase{Severity: "medium"}, Thresholds: []Threshold{
			{Chain: Text{Value: "eth"}, Asset: Text{Value: "native"}, Amount: amountOf("1000e18")},
			{Chain: Text{Value: "btc"}, Asset: Text{Value: "native"}, Amount: amountOf("100e8")},
		}},
		FanOut:     FanOutRule{RuleBase: RuleBase{Severity: "high"}, MinRecipients: 20, Window: Duration(6 * time.Hour), ToleranceBPS: 500, MaxSenderTransfers: 2000},
		TokenSwap:  TokenSwapRule{RuleBase: RuleBase{Severity: "high"}, FreshWithin: Duration(7 * 24 * time.Hour)},
		RouterMemo: RuleBase{Severity: "high"},
		Chunking: ChunkingRule{RuleBase: RuleBase{Severity: "medium"}, BandBPS: 1000, MinChunks: 3, Window: Duration(24 * time.Hour), MaxSenderTransfers: 2000, Thresholds: []Threshold{
			{Chain: Text{Value: "eth"}, Asset: Text{Value: "native"}, Amount: amountOf("10e18")},
			{Chain: Text{Value: "btc"}, Asset: Text{Value: "native"}, Amount: amountOf("1e8")},
		}},
	}
}

func amountOf(s string) Amount {
	v, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return Amount{*v}
}

func (r *Rules) check(d doc) error {
	for i, t := range r.LargeTransfer.Thresholds {
		if _, err := t.parse(d, "large_transfer", i); err != nil {
			return err
		}
	}
	for i, t := range r.Chunking.Thresholds {
		if _, err := t.parse(d, "chunking", i); err != nil {
			return err
		}
	}
	at := func(rule, key string) []any { return []any{"rules", rule, key} }
	if r.FanOut.MinRecipients < 2 {
		return d.errorf(at("fan_out", "min_recipients"), "rules.fan_out.min_recipients %d: must be at least 2", r.FanOut.MinRecipients)
	}
	if r.FanOut.ToleranceBPS > 10000 {
		return d.errorf(at("fan_out", "tolerance_bps"), "rules.fan_out.tolerance_bps %d: must be at most 10000", r.FanOut.ToleranceBPS)
	}
	if r.Chunking.BandBPS > 10000 {
		return d.errorf(at("chunking", "band_bps"), "rules.chunking.band_bps %d: must be at most 10000", r.Chunking.BandBPS)
	}
	if r.FanOut.MaxSenderTransfers < 0 {
		return d.errorf(at("fan_out", "max_sender_transfers"), "rules.fan_out.max_sender_transfers must not be negative")
	}
	if r.Chunking.MaxSenderTransfers < 0 {
		return d.errorf(at("chunking", "max_sender_transfers"), "rules.chunking.max_sender_transfers must not be negative")
	}
	if r.Chunking.MinChunks < 2 {
		return d.errorf(at("chunking", "min_chunks"), "rules.chunking.min_chunks %d: must be at least 2", r.Chunking.MinChunks)
	}
	for _, t := range r.TokenSwap.Tokens {
		if _, err := parseToken(t); err != nil {
			return err
		}
	}
	return nil
}
