package calldata

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/safe"
)

// Describe returns a plain-language account of c, one line per call,
// inner calls indented under their batch. self is the Safe, so calls to it
// read as "the Safe itself"; name, when not nil, names known addresses
// (official Safe libraries, for example) and returns "" for others.
func (c *Call) Describe(self common.Address, name func(common.Address) string) []string {
	var out []string
	c.Walk(func(x *Call, parents []*Call) {
		out = append(out, strings.Repeat("  ", len(parents))+x.line(self, name))
	})
	return out
}

func (c *Call) line(self common.Address, name func(common.Address) string) string {
	who := func(a common.Address) string {
		if a == self {
			return "the Safe itself (" + a.Hex() + ")"
		}
		if name != nil {
			if n := name(a); n != "" {
				return n + " (" + a.Hex() + ")"
			}
		}
		return a.Hex()
	}
	var b strings.Builder
	if c.Operation == safe.DelegateCall {
		fmt.Fprintf(&b, "DELEGATECALL into %s: runs that code as the Safe, with the Safe's storage and funds", who(c.To))
		if c.Value.Sign() != 0 {
			fmt.Fprintf(&b, " (value %s wei is not sent by a delegatecall)", c.Value)
		}
		b.WriteString("; ")
	}
	m := c.Method
	switch {
	case len(c.Data) == 0:
		fmt.Fprintf(&b, "send %s to %s", eth(c.Value), who(c.To))
	case m == nil:
		sel := c.Data
		if len(sel) > 4 {
			sel = sel[:4]
		}
		fmt.Fprintf(&b, "call unknown function 0x%x of %s with %d bytes of data", sel, who(c.To), len(c.Data))
		if c.Value.Sign() != 0 {
			fmt.Fprintf(&b, ", sending %s", eth(c.Value))
		}
	case m.Args == nil && len(m.Signature) > 0 && !strings.HasSuffix(m.Signature, "()"):
		fmt.Fprintf(&b, "call %s on %s (arguments undecodable)", m.Signature, who(c.To))
	case c.Operation == safe.DelegateCall && m.Kind == KindToken:
		// A token method run by DELEGATECALL moves no tokens: it runs
		// whatever that contract's code does, as the Safe.
		fmt.Fprintf(&b, "calls %s, which looks like a token operation but executes %s's code inside the Safe, moving no tokens of that contract", c.generic(who), who(c.To))
	default:
		b.WriteString(c.sentence(who))
	}
	if c.Err != "" {
		fmt.Fprintf(&b, " [decode error: %s]", c.Err)
	}
	return b.String()
}

func (c *Call) sentence(who func(common.Address) string) string {
	m := c.Method
	a := func(n string) string {
		if x := m.Arg(n); x != nil {
			if x.Type == "address" {
				return who(x.Addr)
			}
			return x.Text
		}
		return "?"
	}
	tok := "token " + who(c.To)
	switch m.Name {
	case "transfer":
		return fmt.Sprintf("ERC-20 transfer of %s base units of %s to %s", a("amount"), tok, a("to"))
	case "approve":
		return fmt.Sprintf("ERC-20 approve: let %s spend %s base units of %s", a("spender"), a("amount"), tok)
	case "increaseAllowance":
		return fmt.Sprintf("ERC-20 increaseAllowance: let %s spend %s more base units of %s", a("spender"), a("addedValue"), tok)
	case "permit":
		return fmt.Sprintf("ERC-2612 permit on %s: %s lets %s spend %s base units until %s", tok, a("owner"), a("spender"), a("value"), a("deadline"))
	case "transferFrom":
		return fmt.Sprintf("transferFrom on %s: %s from %s to %s", tok, a("amount"), a("from"), a("to"))
	case "addOwnerWithThreshold":
		return fmt.Sprintf("Safe admin on %s: add owner %s and set the threshold to %s", who(c.To), a("owner"), a("threshold"))
	case "removeOwner":
		return fmt.Sprintf("Safe admin on %s: remove owner %s and set the threshold to %s", who(c.To), a("owner"), a("threshold"))
	case "swapOwner":
		return fmt.Sprintf("Safe admin on %s: replace owner %s by %s", who(c.To), a("oldOwner"), a("newOwner"))
	case "changeThreshold":
		return fmt.Sprintf("Safe admin on %s: set the threshold to %s", who(c.To), a("threshold"))
	case "enableModule":
		return fmt.Sprintf("Safe admin on %s: enable module %s (a module can move funds without owner signatures)", who(c.To), a("module"))
	case "disableModule":
		return fmt.Sprintf("Safe admin on %s: disable module %s", who(c.To), a("module"))
	case "setGuard":
		return fmt.Sprintf("Safe admin on %s: set the transaction guard to %s", who(c.To), a("guard"))
	case "setFallbackHandler":
		return fmt.Sprintf("Safe admin on %s: set the fallback handler to %s", who(c.To), a("handler"))
	case "changeMasterCopy":
		return fmt.Sprintf("Safe admin on %s: replace the implementation (master copy) by %s", who(c.To), a("masterCopy"))
	case "multiSend":
		return fmt.Sprintf("batch of %d calls through %s:", len(c.Inner), who(c.To))
	case "execTransaction":
		return fmt.Sprintf("execute a transaction of the Safe %s, which makes the call:", who(c.To))
	}
	s := "call " + c.generic(who) + " on " + who(c.To)
	if c.Value.Sign() != 0 {
		s += ", sending " + eth(c.Value)
	}
	return s
}

// generic renders name(arg=value, ...).
func (c *Call) generic(who func(common.Address) string) string {
	m := c.Method
	parts := make([]string, len(m.Args))
	for i, x := range m.Args {
		v := x.Text
		if x.Type == "address" {
			v = who(x.Addr)
		}
		if len(v) > 80 {
			v = v[:77] + "..."
		}
		parts[i] = x.Name + "=" + v
	}
	return fmt.Sprintf("%s(%s)", m.Name, strings.Join(parts, ", "))
}

// eth renders wei as ETH with all significant decimals.
func eth(wei *big.Int) string {
	if wei == nil || wei.Sign() == 0 {
		return "0 ETH"
	}
	q, r := new(big.Int).QuoRem(wei, big.NewInt(1e18), new(big.Int))
	if r.Sign() == 0 {
		return q.String() + " ETH"
	}
	frac := strings.TrimRight(fmt.Sprintf("%018s", r.String()), "0")
	return fmt.Sprintf("%s.%s ETH (%s wei)", q, frac, wei)
}
