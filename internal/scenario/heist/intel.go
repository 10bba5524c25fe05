package heist

import (
	"fmt"
	"io"
	"strings"
)

// Label is one attribution the scenario's investigators start with: the
// venues (as public label lists name them), the stablecoin's issuer, and
// the theft address once the victim reports it.
type Label struct {
	Address  string
	Label    string
	Category string // GraphSense concept ids where one fits
	Actor    string
}

// Labels are the scenario's intelligence, in GraphSense concept ids (which
// have no OTC concept: the desk is an exchange, as custodial as one). The exchange's deposit
// addresses are deliberately not labelled: nobody publishes them; a trace
// finds them on its way to the hot wallet.
func (p *Player) Labels() []Label {
	w := p.w
	ls := []Label{
		{lower(w.names["exchange"]), "Exchange hot wallet", "exchange", "demo-exchange"},
		{lower(w.names["pool"]), "stETHx/ETH pool", "defi_dex", "demo-dex"},
		{lower(w.names["mixer"]), "Mixer (10 ETH pool)", "mixing_service", "demo-mixer"},
		{lower(w.names["router"]), "THORChain-like router", "defi_bridge", "demo-thorchain"},
		{lower(w.names["vault"]), "THORChain-like vault", "defi_bridge", "demo-thorchain"},
		{lower(w.names["otc"]), "OTC desk", "exchange", "demo-otc"},
		{lower(w.node.Address(keyIssuer)), "USDx issuer", "organization", "demo-usdx"},
		{lower(w.names["USDx"]), "USDx token", "defi_token", "demo-usdx"},
		{lower(w.names["stETHx"]), "stETHx token", "defi_token", "demo-staking"},
	}
	switch p.plan.Name {
	case "bybit":
		ls = append(ls, Label{lower(w.names["safe"]), "Exchange cold wallet (Safe)", "cold_wallet", "demo-exchange"})
		for _, th := range p.truth.Thieves {
			if th.Role == "theft" {
				ls = append(ls, Label{th.Address, "Exchange hack: theft address", "service_hack", "demo-thief"})
			}
		}
	case "peel-chain":
		for _, th := range p.truth.Thieves {
			if th.Role == "theft" {
				ls = append(ls, Label{th.Address, "Hot wallet hack: theft address", "service_hack", "demo-thief"})
			}
		}
	}
	return ls
}

// WriteLabelsCSV writes Labels in chainhound's label CSV
// (chainhound intel import labels --format csv).
func (p *Player) WriteLabelsCSV(w io.Writer) error {
	if _, err := fmt.Fprintln(w, "chain,address,label,category,confidence,source,date"); err != nil {
		return err
	}
	for _, l := range p.Labels() {
		if _, err := fmt.Fprintf(w, "%s,%s,%s,%s,service_data,chainhound demo %s,2025-02-21\n", p.truth.CAIP2, l.Address, strings.ReplaceAll(l.Label, ",", " "), l.Category, p.plan.Name); err != nil {
			return err
		}
	}
	return nil
}

// WritePolicy writes the trace policy of the scenario's chain: chainhound's
// defaults plus USDx as an asset its issuer can freeze.
func (p *Player) WritePolicy(w io.Writer) error {
	_, err := fmt.Fprintf(w, "# chainhound demo: the trace policy of the %s scenario's chain\nfreezable_assets:\n  - asset: %s\n    issuer: USDx issuer\n", p.plan.Name, p.caip19("USDx"))
	return err
}
