package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
	"github.com/chainhound/chainhound/internal/intel"
)

func guardSafeCommand() command {
	c := command{
		name:    "guard safe",
		summary: "verify a Safe multisig transaction before signing: hashes, what it does, findings (optionally simulated)",
		usage:   "(--tx FILE | --safe ADDR --to ADDR --nonce N [--value --data --operation ...]) [--version V] [--chain-id N] [--rpc URL] [--fail-on LEVEL] [--output table|json]",
		example: "chainhound guard safe --tx pending.json --version 1.3.0 --chain-id 1 --fail-on high\n" +
			"chainhound guard safe --safe 0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4 --version 1.1.1 --nonce 71 \\\n" +
			"    --to 0x96221423681A6d52E184D440a8eFCEbB105C7242 --operation 1 \\\n" +
			"    --data 0xa9059cbb000000000000000000000000bdd077f651ebe7f7b3ce16fe5f2b025be29695160000000000000000000000000000000000000000000000000000000000000000",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		txFile := fs.String("tx", "", "Safe Transaction Service JSON: one transaction, an array, or a {\"results\":[…]} page ('-' for stdin)")
		safeAddr := fs.String("safe", "", "the Safe's address (flag mode)")
		to := fs.String("to", "", "call target (flag mode)")
		value := fs.String("value", "0", "wei sent with the call")
		data := fs.String("data", "0x", "calldata, 0x-prefixed hex")
		op := fs.Int("operation", 0, "0 call, 1 delegatecall")
		safeTxGas := fs.String("safe-tx-gas", "0", "safeTxGas")
		baseGas := fs.String("base-gas", "0", "baseGas (dataGas before Safe 1.0.0)")
		gasPrice := fs.String("gas-price", "0", "gasPrice of the refund")
		gasToken := fs.String("gas-token", "", "gas token address (zero: ETH)")
		refund := fs.String("refund-receiver", "", "refund receiver address (zero: tx.origin)")
		nonce := fs.String("nonce", "", "Safe nonce of the transaction (flag mode)")
		gf := guardCommonFlags(fs)
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return usagef("unexpected argument %q (flags start with --)", pos[0])
		}
		flagMode := *safeAddr != "" || *to != "" || *nonce != ""
		if err := gf.validate(); err != nil {
			return err
		}
		var txs []guard.Tx
		switch {
		case *txFile != "" && flagMode:
			return usagef("give either --tx or the transaction flags (--safe, --to, --nonce ...), not both")
		case *txFile != "":
			b, err := readInput(*txFile)
			if err != nil {
				return err
			}
			var skipped int
			if txs, skipped, err = guard.ParseSTSCounted(b); err != nil {
				return fmt.Errorf("%s: %w", *txFile, err)
			}
			if skipped > 0 {
				e.log.Info("skipped entries that are not multisig transactions", "file", *txFile, "skipped", skipped)
			}
		case flagMode:
			t, err := txFromFlags(*safeAddr, *to, *value, *data, *op, *safeTxGas, *baseGas, *gasPrice, *gasToken, *refund, *nonce)
			if err != nil {
				return err
			}
			txs = []guard.Tx{t}
		default:
			return usagef("give --tx FILE or --safe, --to and --nonce")
		}
		svc, closeSvc, err := gf.service(ctx, e)
		if err != nil {
			return err
		}
		defer closeSvc()
		res, err := svc.CheckSafe(ctx, guard.SafeRequest{Txs: txs, ChainID: gf.chainID, Version: *gf.version, Simulate: svc.Node != nil && !*gf.noSim})
		if err != nil {
			return err
		}
		if *gf.output == "json" {
			err = writeJSON(e, res)
		} else {
			err = printSafeReports(e.stdout, res)
		}
		if err != nil {
			return err
		}
		return gf.gate(res.Max())
	}
	return c
}

func guardAuditCommand() command {
	c := command{
		name:    "guard audit",
		summary: "review a Safe's posture: implementation, owners, threshold, modules, guard, handler, queued transactions",
		usage:   "--safe ADDR [--safe ADDR...] --rpc URL [--tx QUEUED.json] [--fail-on LEVEL] [--output table|json]",
		example: "chainhound guard audit --safe 0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4 --rpc http://127.0.0.1:8545 --fail-on critical",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		var safes multiFlag
		fs.Var(&safes, "safe", "Safe address to audit (repeat for several; owners shared between them are reported)")
		txFile := fs.String("tx", "", "pending transactions (Safe Transaction Service JSON) to check against the Safe's nonce")
		gf := guardCommonFlags(fs)
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := gf.validate(); err != nil {
			return err
		}
		if len(safes) == 0 {
			return usagef("give at least one --safe")
		}
		if *gf.rpc == "" {
			return usagef("an audit reads the Safe's state: give --rpc URL")
		}
		var addrs []common.Address
		for _, s := range safes {
			a, err := guard.ParseAddress(s)
			if err != nil {
				return usagef("--safe: %v", err)
			}
			addrs = append(addrs, a)
		}
		var queued []guard.Tx
		if *txFile != "" {
			b, err := readInput(*txFile)
			if err != nil {
				return err
			}
			if queued, err = guard.ParseSTS(b); err != nil {
				return fmt.Errorf("%s: %w", *txFile, err)
			}
		}
		svc, closeSvc, err := gf.service(ctx, e)
		if err != nil {
			return err
		}
		defer closeSvc()
		res, err := svc.Audit(ctx, addrs, queued)
		if err != nil {
			return err
		}
		if *gf.output == "json" {
			err = writeJSON(e, res)
		} else {
			err = printAudit(e.stdout, res)
		}
		if err != nil {
			return err
		}
		return gf.gate(res.Max())
	}
	return c
}

// guardFlags are the flags guard safe and guard audit share.
type guardFlags struct {
	version, chainIDStr, rpc, policy, known, failOn, output, data *string
	noSim, noScreen                                               *bool
	chainID                                                       *big.Int
	fail                                                          *guard.Severity
}

func guardCommonFlags(fs *cmdFlags) *guardFlags {
	return &guardFlags{
		version:    fs.String("version", "", "Safe version (e.g. 1.3.0); default: VERSION() via --rpc, else inferred from the safeTxHash in --tx"),
		chainIDStr: fs.String("chain-id", "", "chain id (hashes of Safe >= 1.3.0 include it); default: eth_chainId via --rpc"),
		rpc:        fs.String("rpc", "", "JSON-RPC URL of a node with debug_traceCall: version, nonce, code-hash recognition and simulation"),
		noSim:      fs.Bool("no-simulate", false, "with --rpc, do not simulate"),
		policy:     fs.String("policy", "", "large-transaction policy file (YAML or JSON; see docs/guard.md)"),
		known:      fs.String("known-deployments", "", "JSON list of extra official deployments (address, contract, asset, version)"),
		failOn:     fs.String("fail-on", "", "exit 3 when a finding reaches this severity: critical, high, medium or warning"),
		output:     fs.String("output", "table", "table or json"),
		data:       fs.String("intel-data", defaultDataDir(), "store directory whose intelligence store screens addresses (--data is the calldata here; default $CHAINHOUND_DATA, else the user data dir)"),
		noScreen:   fs.Bool("no-screen", false, "do not screen addresses against the intelligence store in --data"),
	}
}

func (g *guardFlags) validate() error {
	if err := checkOutput(*g.output, "table", "json"); err != nil {
		return err
	}
	if *g.failOn != "" {
		s, err := guard.ParseSeverity(*g.failOn)
		if err != nil || s == guard.Info {
			return usagef("--fail-on %q: want critical, high, medium or warning", *g.failOn)
		}
		g.fail = &s
	}
	if *g.chainIDStr != "" {
		id, err := guard.ParseUint(*g.chainIDStr)
		if err != nil || id.Sign() == 0 {
			return usagef("--chain-id %q: want a positive integer", *g.chainIDStr)
		}
		g.chainID = id
	}
	if *g.version != "" {
		if _, err := safe.ParseVersion(*g.version); err != nil {
			return usagef("--version: %v", err)
		}
	}
	return nil
}

// service builds the guard service from the flags; the returned func
// releases what it opened.
func (g *guardFlags) service(ctx context.Context, e *env) (*guard.Service, func(), error) {
	svc := &guard.Service{Known: deployments.Official()}
	closers := []func(){}
	done := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if *g.known != "" {
		if err := svc.Known.LoadFile(*g.known); err != nil {
			return nil, done, err
		}
	}
	if *g.policy != "" {
		p, err := guard.LoadPolicy(*g.policy)
		if err != nil {
			return nil, done, err
		}
		svc.Policy = p
	}
	if *g.rpc != "" {
		n, err := guard.Dial(ctx, *g.rpc)
		if err != nil {
			return nil, done, err
		}
		closers = append(closers, n.Close)
		svc.Node = n
	}
	if !*g.noScreen {
		if _, err := os.Stat(intelDir(*g.data)); err == nil {
			st, err := intel.Open(intelDir(*g.data), true)
			if err != nil {
				done()
				return nil, func() {}, fmt.Errorf("intelligence store: %w", err)
			}
			ix, err := intel.Load(st)
			st.Close()
			if err != nil {
				done()
				return nil, func() {}, fmt.Errorf("intelligence store: %w", err)
			}
			svc.Screener = guard.IntelScreener{Index: ix}
			e.log.Debug("screening against the intelligence store", "tags", ix.Len())
		} else {
			e.log.Info("no intelligence store: addresses are not screened", "dir", intelDir(*g.data))
		}
	}
	return svc, done, nil
}

func (g *guardFlags) gate(max guard.Severity, any bool) error {
	if g.fail != nil && any && max >= *g.fail {
		return policyError{fmt.Sprintf("a %s finding reached --fail-on %s", max, *g.fail)}
	}
	return nil
}

func txFromFlags(safeAddr, to, value, data string, op int, safeTxGas, baseGas, gasPrice, gasToken, refund, nonce string) (guard.Tx, error) {
	var t guard.Tx
	var err error
	if safeAddr == "" || to == "" || nonce == "" {
		return t, usagef("flag mode needs --safe, --to and --nonce")
	}
	if t.Safe, err = guard.ParseAddress(safeAddr); err != nil {
		return t, usagef("--safe: %v", err)
	}
	if t.To, err = guard.ParseAddress(to); err != nil {
		return t, usagef("--to: %v", err)
	}
	for _, a := range []struct {
		name, s string
		dst     *common.Address
	}{{"gas-token", gasToken, &t.GasToken}, {"refund-receiver", refund, &t.RefundReceiver}} {
		if a.s == "" {
			continue
		}
		if *a.dst, err = guard.ParseAddress(a.s); err != nil {
			return t, usagef("--%s: %v", a.name, err)
		}
	}
	for _, n := range []struct {
		name, s string
		dst     **big.Int
	}{{"value", value, &t.Value}, {"safe-tx-gas", safeTxGas, &t.SafeTxGas}, {"base-gas", baseGas, &t.BaseGas}, {"gas-price", gasPrice, &t.GasPrice}, {"nonce", nonce, &t.Nonce}} {
		if *n.dst, err = guard.ParseUint(n.s); err != nil {
			return t, usagef("--%s: %v", n.name, err)
		}
	}
	if op != 0 && op != 1 {
		return t, usagef("--operation %d: want 0 (call) or 1 (delegatecall)", op)
	}
	t.Operation = safe.Operation(op)
	if t.Data, err = guard.ParseHex(data); err != nil {
		return t, usagef("--data: %v", err)
	}
	return t, nil
}

func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file", path)
	}
	return b, err
}

func printSafeReports(w io.Writer, res *guard.SafeResult) error {
	for i, r := range res.Reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		chain := "no chain id"
		if r.ChainID != nil {
			chain = "chain " + r.ChainID.String()
		}
		ver := r.Version + " from " + r.VersionSource
		if r.VersionRange != "" && r.VersionRange != r.Version {
			// e.g. "1.0.0 (inferred: 1.0.0–1.2.0 hash alike)"
			ver = fmt.Sprintf("%s (%s: %s hash alike)", r.Version, r.VersionSource, r.VersionRange)
		}
		fmt.Fprintf(w, "Safe %s (version %s, %s), nonce %s\n", r.Safe.Hex(), ver, chain, r.Nonce)
		fmt.Fprintf(w, "  domain hash   %s\n  message hash  %s\n  safeTxHash    %s\n", r.Domain, r.Message, r.Hashes.Safe)
		if r.ClaimedSafeTxHash != nil {
			if *r.HashMatches {
				fmt.Fprintln(w, "  supplied safeTxHash matches")
			} else {
				fmt.Fprintf(w, "  SUPPLIED safeTxHash %s DOES NOT MATCH\n", r.ClaimedSafeTxHash)
			}
		}
		fmt.Fprintln(w, "What it does:")
		for _, l := range r.Description {
			fmt.Fprintln(w, "  "+l)
		}
		if s := r.Simulation; s != nil {
			status := "executes"
			if !s.Executed {
				status = "fails: " + s.Revert
			}
			fmt.Fprintf(w, "Simulation: %s; %d storage write(s) to the Safe\n", status, len(s.Writes))
			for _, x := range s.Writes {
				fmt.Fprintf(w, "  %s %s: %s -> %s\n", x.Slot, x.Meaning, x.Before, x.After)
			}
		}
		printFindings(w, r.Findings)
	}
	fmt.Fprintf(w, "\n%d transaction(s), highest severity: %s\n", len(res.Reports), res.MaxSeverity)
	return nil
}

func printFindings(w io.Writer, fs []guard.Finding) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "Findings: none")
		return
	}
	fmt.Fprintln(w, "Findings:")
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	for _, f := range fs {
		msg := f.Message
		if f.Source != "" {
			msg += " [source: " + f.Source + "]"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", strings.ToUpper(f.Severity.String()), f.Code, f.Where, msg)
	}
	tw.Flush()
}

func printAudit(w io.Writer, res *guard.AuditResult) error {
	for i, r := range res.Safes {
		if i > 0 {
			fmt.Fprintln(w)
		}
		off := r.Official
		if off == "" {
			off = "NOT an official deployment"
		}
		fmt.Fprintf(w, "Safe %s on chain %s, version %q, nonce %s\n", r.Safe.Hex(), r.ChainID, r.Version, r.Nonce)
		fmt.Fprintf(w, "  implementation  %s (%s)\n  threshold       %s of %d owners\n", r.Implementation.Hex(), off, r.Threshold, len(r.Owners))
		for _, o := range r.Owners {
			fmt.Fprintf(w, "    owner  %s\n", o.Hex())
		}
		fmt.Fprintf(w, "  modules         %d\n  guard           %s\n  fallback        %s\n", len(r.Modules), r.Guard.Hex(), r.Fallback.Hex())
		printFindings(w, r.Findings)
	}
	fmt.Fprintf(w, "\n%d Safe(s), highest severity: %s\n", len(res.Safes), res.MaxSeverity)
	return nil
}

func guardMessageCommand() command {
	c := command{
		name:    "guard message",
		summary: "hashes of an off-chain Safe message (SafeMessage) for comparison with the signing device",
		usage:   "--safe ADDR --version V [--chain-id N] (--text TEXT | --file FILE | --hex 0x…) [--output table|json]",
		example: "chainhound guard message --safe 0x657ff0D4eC65D82b2bC1247b0a558bcd2f80A0f1 --version 1.3.0 --chain-id 11155111 --file message.txt",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		safeAddr := fs.String("safe", "", "the Safe's address")
		version := fs.String("version", "", "Safe version, e.g. 1.3.0")
		chainID := fs.String("chain-id", "", "chain id (needed from Safe 1.3.0 on)")
		text := fs.String("text", "", "a text message, signed as an EIP-191 personal message")
		file := fs.String("file", "", "read the text message from a file (CRLF line ends become LF)")
		hexMsg := fs.String("hex", "", "raw message bytes, 0x-prefixed hex (e.g. an EIP-712 hash)")
		output := fs.String("output", "table", "table or json")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		addr, err := guard.ParseAddress(*safeAddr)
		if err != nil {
			return usagef("--safe: %v", err)
		}
		v, err := safe.ParseVersion(*version)
		if err != nil {
			return usagef("--version: %v", err)
		}
		var id *big.Int
		if *chainID != "" {
			if id, err = guard.ParseUint(*chainID); err != nil || id.Sign() == 0 {
				return usagef("--chain-id %q: want a positive integer", *chainID)
			}
		}
		given := 0
		for _, s := range []string{*text, *file, *hexMsg} {
			if s != "" {
				given++
			}
		}
		if given != 1 {
			return usagef("give exactly one of --text, --file and --hex")
		}
		var msg []byte
		switch {
		case *hexMsg != "":
			if msg, err = guard.ParseHex(*hexMsg); err != nil {
				return usagef("--hex: %v", err)
			}
		default:
			t := *text
			if *file != "" {
				b, err := readInput(*file)
				if err != nil {
					return err
				}
				t = strings.ReplaceAll(string(b), "\r", "")
			}
			h := safe.TextMessage(t)
			msg = h[:]
		}
		h, err := safe.MessageHashes(v, id, addr, msg)
		if err != nil {
			return usagef("%v", err)
		}
		out := struct {
			Safe        common.Address `json:"safe"`
			Version     string         `json:"version"`
			Message     string         `json:"message"`
			Domain      common.Hash    `json:"domain_hash"`
			MessageHash common.Hash    `json:"message_hash"`
			SafeMessage common.Hash    `json:"safe_message_hash"`
		}{addr, v.String(), fmt.Sprintf("0x%x", msg), h.Domain, h.Message, h.Safe}
		if *output == "json" {
			return writeJSON(e, out)
		}
		fmt.Fprintf(e.stdout, "Safe %s (version %s)\n  message bytes      %s\n  domain hash        %s\n  message hash       %s\n  safe message hash  %s\n", addr.Hex(), v, out.Message, h.Domain, h.Message, h.Safe)
		return nil
	}
	return c
}
