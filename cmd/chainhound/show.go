package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/ledger"
	"github.com/chainhound/chainhound/internal/store"
)

func addressCommand() command {
	c := command{
		name:    "address",
		summary: "show an address: balance per asset reconstructed from transfers, first and last seen, counts",
		usage:   "ADDR [--chain eth] [--output table|json]",
		example: "chainhound address 0x47666fab8bd0ac7003bce3f5c3585383f09486e2 --output json",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		q, err := openLookup(&c, e, args, "address")
		if err != nil {
			return err
		}
		defer q.st.Close()
		a, err := chain.ParseAddress(q.chain, q.arg)
		if err != nil {
			return usageError{err.Error()}
		}
		a = recordedUnder(e, a, q.caip2)
		acc, err := ledger.Summarize(q.st, a)
		if err != nil {
			return err
		}
		if q.output == "json" {
			return writeJSON(e, accountJSON(q.caip2, acc))
		}
		return printAccount(e, q.caip2, acc)
	}
	return c
}

type seenJSON struct {
	Block uint64 `json:"block"`
	Time  string `json:"time"`
}

type balanceJSON struct {
	Asset    string `json:"asset"`
	Balance  string `json:"balance"`
	Received string `json:"received"`
	Sent     string `json:"sent"`
	In       int    `json:"transfers_in"`
	Out      int    `json:"transfers_out"`
}

type accountOut struct {
	Address      string        `json:"address"`
	Account      string        `json:"account"` // CAIP-10
	Found        bool          `json:"found"`
	FirstSeen    *seenJSON     `json:"first_seen,omitempty"`
	LastSeen     *seenJSON     `json:"last_seen,omitempty"`
	TransfersIn  int           `json:"transfers_in"`
	TransfersOut int           `json:"transfers_out"`
	Transactions int           `json:"transactions"`
	Balances     []balanceJSON `json:"balances"`
}

func isoTime(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

func accountJSON(caip2 string, acc ledger.Account) accountOut {
	out := accountOut{
		Address: acc.Address.String(), Account: acc.Address.CAIP10(caip2), Found: acc.Found,
		TransfersIn: acc.In, TransfersOut: acc.Out, Transactions: acc.Transactions, Balances: []balanceJSON{},
	}
	if acc.Found {
		out.FirstSeen = &seenJSON{acc.First.Block, isoTime(acc.First.Time)}
		out.LastSeen = &seenJSON{acc.Last.Block, isoTime(acc.Last.Time)}
	}
	for _, b := range acc.Balances {
		out.Balances = append(out.Balances, balanceJSON{
			Asset: b.Asset.CAIP19(caip2), Balance: b.Balance.String(), Received: b.Received.String(),
			Sent: b.Sent.String(), In: b.In, Out: b.Out,
		})
	}
	return out
}

func printAccount(e *env, caip2 string, acc ledger.Account) error {
	out := accountJSON(caip2, acc)
	if !acc.Found {
		fmt.Fprintf(e.stdout, "%s: no transfers stored\n", out.Account)
		return nil
	}
	fmt.Fprintf(e.stdout, "account       %s\nfirst seen    block %d  %s\nlast seen     block %d  %s\ntransfers     %d in, %d out, %d transactions\n\n",
		out.Account, out.FirstSeen.Block, out.FirstSeen.Time, out.LastSeen.Block, out.LastSeen.Time, out.TransfersIn, out.TransfersOut, out.Transactions)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ASSET\tBALANCE\tRECEIVED\tSENT\tIN\tOUT")
	for _, b := range out.Balances {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", b.Asset, b.Balance, b.Received, b.Sent, b.In, b.Out)
	}
	return tw.Flush()
}

func txCommand() command {
	c := command{
		name:    "tx",
		summary: "show a stored transaction and the transfers it made",
		usage:   "HASH [--chain eth] [--output table|json]",
		example: "chainhound tx 0x46deef0f52e3a983b67abf4714448a41dd7ffd6d32d32da69d62081c68ad7882",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		q, err := openLookup(&c, e, args, "transaction hash")
		if err != nil {
			return err
		}
		defer q.st.Close()
		h, err := chain.ParseHash(q.arg)
		if err != nil {
			return usageError{err.Error()}
		}
		info, ok, err := q.st.Tx(q.chain, h)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("transaction %s is not in the store at %s", q.chain.FormatHash(h), q.st.Dir())
		}
		out, err := txJSON(q.st, q.chain, q.caip2, info)
		if err != nil {
			return err
		}
		if q.output == "json" {
			return writeJSON(e, out)
		}
		status := "success"
		if !out.Success {
			status = "failed"
		}
		fmt.Fprintf(e.stdout, "transaction   %s\nchain         %s\nblock         %d (%s) index %d\ntime          %s\nstatus        %s\n\n",
			out.Hash, out.Chain, out.Block, out.BlockHash, out.Index, out.Time, status)
		printIO(e, out)
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tKIND\tFROM\tTO\tASSET\tAMOUNT")
		for _, r := range out.Transfers {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Kind, orDash(r.From), orDash(r.To), r.Asset, r.Amount)
		}
		return tw.Flush()
	}
	return c
}

// txJSON is what `chainhound tx` and GET /v1/tx/{caip2}/{hash} show of a
// stored transaction.
func txJSON(st *store.DB, c chain.Chain, caip2 string, info store.TxInfo) (txOut, error) {
	out := txOut{Chain: caip2, Hash: c.FormatHash(info.Hash), Block: info.Block, BlockHash: c.FormatHash(info.BlockHash),
		Index: info.Index, Success: info.Success, Time: isoTime(info.Time), Transfers: []transferRecord{}}
	for _, r := range info.Transfers {
		out.Transfers = append(out.Transfers, newTransferRecord(caip2, r))
	}
	return out, addIO(st, c, info, &out)
}

type txOut struct {
	Chain     string           `json:"chain"`
	Coinbase  bool             `json:"coinbase,omitempty"`
	Inputs    []inputOut       `json:"inputs,omitempty"`
	Outputs   []outputOut      `json:"outputs,omitempty"`
	Hash      string           `json:"hash"`
	Block     uint64           `json:"block"`
	BlockHash string           `json:"block_hash"`
	Index     uint32           `json:"index"`
	Success   bool             `json:"success"`
	Time      string           `json:"time"`
	Transfers []transferRecord `json:"transfers"`
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// lookupArgs is what a one-argument query command (address, tx) has parsed and
// opened: the store, the chain and its CAIP-2 id, the argument, the format.
type lookupArgs struct {
	st     *store.DB
	chain  chain.Chain
	caip2  string
	arg    string
	output string
}

// openLookup parses the flags shared by the lookup commands and opens the
// store; what names the one positional argument in errors.
func openLookup(c *command, e *env, args []string, what string) (lookupArgs, error) {
	fs := newFlags(c, e)
	data := dataFlag(fs)
	chainName := fs.String("chain", "", "chain to look in: eth or btc (default: from the argument's form, else the store's chains)")
	output := fs.String("output", "table", "table or json")
	pos, err := parse(fs, args)
	if err != nil {
		return lookupArgs{}, err
	}
	if len(pos) != 1 {
		return lookupArgs{}, usagef("want exactly one %s, got %d arguments", what, len(pos))
	}
	if err := checkOutput(*output, "table", "json"); err != nil {
		return lookupArgs{}, err
	}
	st, err := openReadStore(*data)
	if err != nil {
		return lookupArgs{}, err
	}
	ch, err := lookupChain(st, *chainName, pos[0], what)
	if err != nil {
		st.Close()
		return lookupArgs{}, err
	}
	net, _, err := st.Network(ch)
	if err != nil {
		st.Close()
		return lookupArgs{}, err
	}
	return lookupArgs{st: st, chain: ch, caip2: net.CAIP2, arg: pos[0], output: *output}, nil
}

// recordedUnder maps a Bitcoin public key (hex) to the P2PKH address its
// pay-to-pubkey outputs are recorded under, and says so on stderr; any
// other address is returned as it is.
func recordedUnder(e *env, a chain.Address, caip2 string) chain.Address {
	if a.Chain != chain.Bitcoin {
		return a
	}
	net, ok := btc.NetworkOfCAIP2(caip2)
	if !ok {
		return a
	}
	if p2pkh, ok := btc.PubKeyAddress(a.Raw, net); ok {
		e.log.Info("public key: its pay-to-pubkey outputs are recorded under its P2PKH address", "key", a.Raw, "address", p2pkh)
		return chain.Address{Chain: chain.Bitcoin, Raw: p2pkh}
	}
	return a
}

// inputOut is a UTXO input with the output it spends, resolved.
type inputOut struct {
	PrevTx    string `json:"prev_tx"`
	PrevIndex uint32 `json:"prev_index"`
	Address   string `json:"address"`
	Value     int64  `json:"value"`
}

// outputOut is a UTXO output.
type outputOut struct {
	Index   int    `json:"index"`
	Address string `json:"address"`
	Value   int64  `json:"value"`
}

// addIO adds a UTXO transaction's inputs and outputs, in order, to out.
func addIO(st *store.DB, c chain.Chain, info store.TxInfo, out *txOut) error {
	io, ok, err := st.IO(c, info.Block, info.Index)
	if err != nil || !ok {
		return err
	}
	out.Coinbase = io.Coinbase
	for _, in := range io.Inputs {
		out.Inputs = append(out.Inputs, inputOut{PrevTx: c.FormatHash(in.PrevTx), PrevIndex: in.PrevIndex, Address: in.Address.String(), Value: in.Value})
	}
	for i, o := range io.Outputs {
		out.Outputs = append(out.Outputs, outputOut{Index: i, Address: o.Address.String(), Value: o.Value})
	}
	return nil
}

func printIO(e *env, out txOut) {
	if out.Inputs == nil && out.Outputs == nil && !out.Coinbase {
		return
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if out.Coinbase {
		fmt.Fprintln(tw, "INPUT\tcoinbase")
	}
	for i, in := range out.Inputs {
		fmt.Fprintf(tw, "INPUT %d\t%s:%d\t%s\t%d\n", i, in.PrevTx, in.PrevIndex, orDash(in.Address), in.Value)
	}
	for _, o := range out.Outputs {
		fmt.Fprintf(tw, "OUTPUT %d\t%s\t%d\n", o.Index, orDash(o.Address), o.Value)
	}
	tw.Flush()
	fmt.Fprintln(e.stdout)
}

// lookupChain picks the chain of a lookup: --chain when given; else, for an
// address, its form (0x… is Ethereum); else the store's only chain, or, for
// a transaction hash held by several chains, the first that has it.
func lookupChain(st *store.DB, name, arg, what string) (chain.Chain, error) {
	if name != "" {
		c, err := chain.ParseChain(name)
		if err != nil {
			return 0, usageError{err.Error()}
		}
		return c, nil
	}
	if what == "address" {
		if strings.HasPrefix(arg, "0x") || strings.HasPrefix(arg, "0X") {
			return chain.Ethereum, nil
		}
		return chain.Bitcoin, nil
	}
	cs, err := boundChains(st)
	if err != nil || len(cs) == 0 {
		return chain.Ethereum, err
	}
	if h, err := chain.ParseHash(arg); err == nil {
		for _, c := range cs {
			if _, ok, err := st.Tx(c, h); err != nil {
				return 0, err
			} else if ok {
				return c, nil
			}
		}
	}
	return cs[0], nil
}
