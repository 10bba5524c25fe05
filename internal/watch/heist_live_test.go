package watch_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/scenario/heist"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/chainhound/chainhound/internal/watch"
	"github.com/ethereum/go-ethereum/core"
)

// TestWatchHeistBybit plays the scenario library's bybit heist, with its
// benign traffic, block by block against a live watcher, twice on the
// same chain (the scenario is deterministic): once with the watcher
// running throughout, once with the watcher stopped mid-scenario and a
// block sealed while it is down. The ground truth is the scenario's
// (Truth), not the watcher's: every exit event and every fan-out
// transfer of the thief must raise an alert by the time the watcher has
// evaluated the block after the one that carries it. Alerts naming none
// of the thief's transactions or addresses are counted as false
// positives; only large_transfer (a size alarm on everyone's transfers)
// may have any. Both runs must raise the same alerts (same ids, rules,
// blocks and transactions): the restart loses none and raises none
// anew; the webhook receiver (which checks signatures and idempotency
// keys) and the file sink get every alert exactly once. The latency from
// the node making each block its head to each of its alerts reaching the
// webhook is logged (not asserted).
func TestWatchHeistBybit(t *testing.T) { heistLive(t, "bybit") }

// TestWatchHeistPeelChain is the same for the peel-chain scenario.
func TestWatchHeistPeelChain(t *testing.T) { heistLive(t, "peel-chain") }

// seenAlert is when the test first found an alert in the store.
type seenAlert struct {
	alert watch.Alert
	at    uint64 // the watcher's cursor when it was first listed
}

// heistRun is what one play of a scenario against a watcher gave.
type heistRun struct {
	all       []*seenAlert // by id
	truth     *heist.Truth
	blocks    int
	txs       []int           // transactions of each block played
	lat       []time.Duration // node head to webhook, one per alert (not the block sealed while down)
	downBlock uint64
	load      string
}

func heistLive(t *testing.T, name string) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	ref := playHeist(t, name, false)
	run := playHeist(t, name, true)
	checkHeist(t, name, "without restart", ref)
	checkHeist(t, name, "with a restart", run)

	// The restart loses no alert and raises none that the watcher running
	// throughout did not: same ids, each on the same rule, block and
	// transaction.
	refByID := map[string]watch.Alert{}
	for _, s := range ref.all {
		refByID[s.alert.ID] = s.alert
	}
	for _, s := range run.all {
		r, ok := refByID[s.alert.ID]
		if !ok {
			t.Errorf("%s: the restarted watcher raised %s (%s, block %d) that the other did not", name, s.alert.ID, s.alert.Rule, s.alert.Block)
			continue
		}
		if r.Rule != s.alert.Rule || r.Block != s.alert.Block || r.Tx != s.alert.Tx {
			t.Errorf("%s: alert %s differs: %s block %d tx %s vs %s block %d tx %s", name, s.alert.ID, r.Rule, r.Block, r.Tx, s.alert.Rule, s.alert.Block, s.alert.Tx)
		}
		delete(refByID, s.alert.ID)
	}
	for id, a := range refByID {
		t.Errorf("%s: the restart lost alert %s (%s, block %d)", name, id, a.Rule, a.Block)
	}
	t.Logf("%s: %d alerts without restart, %d with; the restart run stopped after block %d and caught up block %d on start",
		name, len(ref.all), len(run.all), run.downBlock-1, run.downBlock)

	// Latency: the run without restart, and the restarted run without the
	// block sealed while the watcher was down.
	for _, r := range []struct {
		label string
		h     *heistRun
	}{{"without restart", ref}, {"with a restart", run}} {
		lat := slices.Sorted(slices.Values(r.h.lat))
		txs := slices.Sorted(slices.Values(r.h.txs))
		t.Logf("%s %s: node head to webhook over %d alerts: p50 %v, p95 %v, max %v; %d blocks of %d-%d transactions (median %d), benign volume %s ether, %s moved by the thief; ingester polling every 50 ms; load average %s",
			name, r.label, len(lat), pct(lat, 50).Round(time.Millisecond), pct(lat, 95).Round(time.Millisecond), pct(lat, 100).Round(time.Millisecond),
			r.h.blocks, txs[0], txs[len(txs)-1], txs[len(txs)/2], ether(r.h.truth.BenignValue), ether(r.h.truth.IllicitValue), r.h.load)
	}
}

// playHeist plays scenario name on its own node against a live watcher
// with a webhook and a file sink, restarting the watcher mid-scenario
// when restart is set, and returns the alerts and their delivery.
func playHeist(t *testing.T, name string, restart bool) *heistRun {
	ctx := context.Background()
	p, err := heist.New(ctx, heist.Config{Scenario: name, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	n := p.Node()

	// When the node makes each block its head.
	var headMu sync.Mutex
	headAt := map[uint64]time.Time{}
	heads := make(chan core.ChainHeadEvent, 64)
	sub := n.Ethereum().BlockChain().SubscribeChainHeadEvent(heads)
	headsDone := make(chan struct{})
	go func() {
		defer close(headsDone)
		for {
			select {
			case ev := <-heads:
				now := time.Now()
				headMu.Lock()
				if _, ok := headAt[ev.Header.Number.Uint64()]; !ok {
					headAt[ev.Header.Number.Uint64()] = now
				}
				headMu.Unlock()
			case <-sub.Err():
				return
			}
		}
	}()
	defer func() { sub.Unsubscribe(); <-headsDone }()

	// The investigators' case: the theft address, tainted from the block
	// that fills it (the plan's action marked drain or theft).
	var seed string
	start := p.NextBlock()
	for i, b := range p.Plan().Blocks {
		for _, a := range b.Actions {
			if seed == "" && (a.Step == "drain" || a.Step == "theft") {
				addr, err := p.World().Address(a.To)
				if err != nil {
					t.Fatal(err)
				}
				seed, start = strings.ToLower(addr.Hex()), p.NextBlock()+uint64(i)
			}
		}
	}
	if seed == "" {
		t.Fatal("the plan has no theft")
	}
	caip2 := chain.EIP155(n.ChainID().Uint64())
	ix := intel.NewIndex()
	for _, l := range p.Labels() {
		ix.Add(&intel.Tag{Subject: intel.Account(caip2, l.Address), Label: l.Label, Category: l.Category, Actor: l.Actor, Source: "heist"})
	}
	policy := trace.DefaultPolicy()
	for _, a := range p.Truth().Assets {
		if a.FreezableBy != "" {
			policy.FreezableAssets = append(policy.FreezableAssets, trace.FreezableAsset{Asset: a.CAIP19, Issuer: a.FreezableBy})
		}
	}
	rcv := newReceiver(t, "s3cret")
	dir := t.TempDir()
	file := filepath.Join(dir, "alerts.jsonl")
	// The restarted run also has a dead webhook (503 to everything): its
	// alerts are retried, then parked, across the restart, while the
	// other sinks and the watcher go on.
	dead := newReceiver(t, "s3cret")
	dead.down = true
	deadSink := ""
	if restart {
		deadSink = fmt.Sprintf(`  - type: webhook
    name: dead
    url: %s/hook
    secret: s3cret
    allow_hosts: [127.0.0.1]
    backoff: 10ms
    max_backoff: 40ms
    max_attempts: 3
    timeout: 2s
`, dead.srv.URL)
	}
	cfg, err := watch.Parse(fmt.Appendf(nil, `cases:
  - name: %s
    seeds: ["eth:%s"]
    start: {eth: %d}
sinks:
  - type: webhook
    url: %s/hook
    secret: s3cret
    allow_hosts: [127.0.0.1]
    backoff: 20ms
    max_backoff: 200ms
    timeout: 2s
  - type: file
    path: %s
%s`, name, seed, start, rcv.srv.URL, file, deadSink))
	if err != nil {
		t.Fatal(err)
	}
	l := &live{t: t, node: n, dir: dir, cfg: cfg, ix: ix, policy: &policy, log: testLogger(t)}
	l.start()

	seen := map[string]*seenAlert{}
	poll := func(h uint64) {
		as, err := l.db.Alerts(watch.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if seen[a.ID] == nil {
				seen[a.ID] = &seenAlert{alert: a, at: h}
			}
		}
	}
	l.waitCursor(n.Head().Number.Uint64())
	poll(n.Head().Number.Uint64())

	run := &heistRun{}
	played := map[uint64]bool{}
	restartAfter := len(p.Plan().Blocks) / 2
	down := false
	for i := 0; !p.Done(); i++ {
		r, err := p.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		played[r.Number] = true
		run.blocks++
		run.txs = append(run.txs, r.Txs)
		if down {
			run.downBlock = r.Number
			l.start()
			down = false
		}
		l.waitCursor(r.Number)
		poll(r.Number)
		if restart && i == restartAfter {
			l.stop()
			down = true
		}
	}
	if down {
		l.start()
	}
	// One more block: "within one block" of the last one.
	if _, err := n.Commit(); err != nil {
		t.Fatal(err)
	}
	last := n.Head().Number.Uint64()
	l.waitCursor(last)
	poll(last)
	run.truth = p.Truth()
	for _, s := range seen {
		run.all = append(run.all, s)
	}
	sort.Slice(run.all, func(i, j int) bool { return run.all[i].alert.ID < run.all[j].alert.ID })

	// Delivery: every alert at the webhook and in the file exactly once.
	var got map[string]int
	var at map[string]time.Time
	var bad []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, at, bad = rcv.snapshot()
		q, _ := l.db.Queue("file", false)
		if len(got) >= len(run.all) && len(q) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	run.load = loadAvg()
	if restart {
		checkDeadSink(t, name, l, dead, len(run.all))
	}
	l.stop()
	if len(bad) > 0 {
		t.Errorf("%s: webhook receiver: %v", name, bad)
	}
	inFile := map[string]int{}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a watch.Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		inFile[a.ID]++
	}
	for _, s := range run.all {
		if got[s.alert.ID] != 1 || inFile[s.alert.ID] != 1 {
			t.Errorf("%s: alert %s (%s, block %d) reached the webhook %d times, the file %d times", name, s.alert.ID, s.alert.Rule, s.alert.Block, got[s.alert.ID], inFile[s.alert.ID])
		}
	}
	if len(got) != len(run.all) || len(inFile) != len(run.all) {
		t.Errorf("%s: the webhook got %d distinct alerts, the file %d; the store holds %d", name, len(got), len(inFile), len(run.all))
	}
	headMu.Lock()
	defer headMu.Unlock()
	for _, s := range run.all {
		h, ok := headAt[s.alert.Block]
		if !ok || !played[s.alert.Block] || at[s.alert.ID].IsZero() || s.alert.Block == run.downBlock {
			continue
		}
		run.lat = append(run.lat, at[s.alert.ID].Sub(h))
	}
	return run
}

// checkDeadSink: every alert was refused by the dead webhook max_attempts
// times and parked, none lost; once it answers again and the parked
// alerts are queued again, each arrives once.
func checkDeadSink(t *testing.T, name string, l *live, dead *receiver, alerts int) {
	t.Helper()
	waitFor(t, "the dead webhook's alerts parked", func() bool {
		q, _ := l.db.Queue("dead", false)
		p, _ := l.db.Queue("dead", true)
		return len(q) == 0 && len(p) >= alerts
	})
	parked, err := l.db.Queue("dead", true)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, d := range parked {
		ids[d.Alert.ID] = true
		if d.Attempts != 3 || !strings.Contains(d.LastErr, "503") {
			t.Errorf("%s: parked %s after %d attempts: %s", name, d.Alert.ID, d.Attempts, d.LastErr)
		}
	}
	if len(parked) != alerts || len(ids) != alerts {
		t.Errorf("%s: %d deliveries of %d alerts parked for the dead webhook, want %d", name, len(parked), len(ids), alerts)
	}
	dead.mu.Lock()
	tried := 0
	for _, n := range dead.seen {
		tried += n
	}
	dead.down = false
	dead.mu.Unlock()
	if n, err := l.db.Redeliver("dead"); err != nil || n != alerts {
		t.Fatalf("%s: redeliver: %d, %v", name, n, err)
	}
	l.disp.Notify()
	waitFor(t, "the revived webhook has every alert", func() bool {
		seen, _, _ := dead.snapshot()
		return len(seen) >= alerts
	})
	seen, _, bad := dead.snapshot()
	for id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s: parked alert %s reached the revived webhook %d times", name, id, seen[id])
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s: %v", name, bad)
	}
	t.Logf("%s: dead webhook: %d alerts refused 3 times each, parked, then redelivered once each", name, alerts)
}

func ether(a heist.Amount) string {
	return new(big.Int).Quo(&a.Int, big.NewInt(1e18)).String()
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// checkHeist checks the alerts of a run against the scenario's truth and
// logs the counts.
func checkHeist(t *testing.T, name, label string, run *heistRun) {
	truth, all := run.truth, run.all
	// Ground truth: the thief's addresses and transactions, and the
	// sweeps of its deposit addresses.
	thief := map[string]bool{}
	for _, th := range truth.Thieves {
		thief[th.Address] = true
	}
	illicitTx := map[string]bool{}
	for _, m := range truth.Movements {
		illicitTx[strings.ToLower(m.Tx)] = true
	}
	for _, e := range truth.Exits {
		illicitTx[strings.ToLower(e.Tx)] = true
	}
	sweptBlocks := map[uint64]bool{}
	for _, e := range truth.Exits {
		if e.Via != "" {
			thief[e.Via] = true // the thief's deposit address at the exchange
			sweptBlocks[e.SweptBlock] = true
		}
	}

	// Exits: an exit alert on the exit's transaction by the block after it;
	// exchange deposits to an unlabelled deposit address: a taint movement
	// alert on the transaction then, and the exit alert when the exchange
	// sweeps the deposit address into its labelled hot wallet.
	within := func(rule, tx string, by uint64) *seenAlert {
		for _, s := range all {
			if s.alert.Rule == rule && s.alert.Tx == tx && s.at <= by {
				return s
			}
		}
		return nil
	}
	exitsOK, exitsSweep, movesOK := 0, 0, 0
	var missed []string
	for _, e := range truth.Exits {
		tx := strings.ToLower(e.Tx)
		if within(watch.RuleExit, tx, e.Block+1) != nil {
			exitsOK++
			continue
		}
		if e.Via == "" {
			missed = append(missed, fmt.Sprintf("exit %s %s %s in block %d (tx %s)", e.Service, e.Asset, e.Amount.String(), e.Block, tx))
			continue
		}
		if within(watch.RuleTaintMovement, tx, e.Block+1) != nil {
			movesOK++
		} else {
			missed = append(missed, fmt.Sprintf("deposit %s to %s in block %d: no alert by block %d", tx, e.Via, e.Block, e.Block+1))
		}
		// The exit at the sweep: an exit alert naming the hot wallet and
		// the deposit address in the sweep's block.
		if e.SweptBlock != 0 && slices.ContainsFunc(all, func(s *seenAlert) bool {
			return s.alert.Rule == watch.RuleExit && s.alert.Block == e.SweptBlock && s.at <= e.SweptBlock+1 && slices.Contains(s.alert.Addresses, e.Address) && slices.Contains(s.alert.Addresses, e.Via)
		}) {
			exitsSweep++
		} else if e.SweptBlock != 0 {
			missed = append(missed, fmt.Sprintf("deposit %s swept in block %d: no exit alert at the hot wallet by block %d", e.Via, e.SweptBlock, e.SweptBlock+1))
		}
	}
	// Fan-out: every fan-out transfer's recipient named by a fan_out alert
	// by the block after, or (for legs of an asset with fewer recipients
	// than the rule's minimum) a taint movement alert on its transaction.
	fanTotal, fanRule, fanMove := 0, 0, 0
	for _, m := range truth.Movements {
		if m.Step != "fan-out" {
			continue
		}
		fanTotal++
		if slices.ContainsFunc(all, func(s *seenAlert) bool {
			return s.alert.Rule == watch.RuleFanOut && s.at <= m.Block+1 && slices.Contains(s.alert.Addresses, m.From) && slices.Contains(s.alert.Addresses, m.To)
		}) {
			fanRule++
		} else if within(watch.RuleTaintMovement, strings.ToLower(m.Tx), m.Block+1) != nil {
			fanMove++
		} else {
			missed = append(missed, fmt.Sprintf("fan-out %s %s to %s in block %d", m.Asset, m.Amount.String(), m.To, m.Block))
		}
	}
	// False positives: alerts on no transaction and no address of the
	// thief (an alert of the case in a block that swept a thief's deposit
	// address counts as the thief's).
	byRule, fpByRule := map[string]int{}, map[string]int{}
	fp := 0
	for _, s := range all {
		a := s.alert
		byRule[a.Rule]++
		ok := illicitTx[a.Tx] || slices.ContainsFunc(a.Addresses, func(x string) bool { return thief[x] }) ||
			(a.Case != "" && sweptBlocks[a.Block])
		if !ok {
			fp++
			fpByRule[a.Rule]++
			if a.Rule != watch.RuleLargeTransfer || testing.Verbose() && os.Getenv("WATCH_LOG") != "" {
				t.Logf("%s %s: false positive: %s block %d: %s", name, label, a.Rule, a.Block, a.Explanation)
			}
		}
	}
	for _, m := range missed {
		t.Errorf("%s %s: missed: %s", name, label, m)
	}
	// large_transfer is a size alarm on every transfer, the ordinary
	// users' too: its hits on them are counted, not failed. Every other
	// rule must leave benign traffic alone.
	if fp > fpByRule[watch.RuleLargeTransfer] {
		t.Errorf("%s %s: %d false positives %v", name, label, fp, fpByRule)
	}
	t.Logf("%s %s: %d blocks, %d alerts %v", name, label, run.blocks, len(all), byRule)
	t.Logf("%s %s: exits %d: %d exit alerts on their tx by the next block; %d exchange deposits to the thief's (unlabelled) deposit addresses with a taint_movement alert by the next block and %d exit alerts at the sweep into the hot wallet",
		name, label, len(truth.Exits), exitsOK, movesOK, exitsSweep)
	t.Logf("%s %s: fan-out transfers %d: %d named by a fan_out alert, %d by a taint_movement alert only; misses %d; false positives %d %v",
		name, label, fanTotal, fanRule, fanMove, len(missed), fp, fpByRule)
}
