package watch_test

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/ingest/btc"
	"github.com/chainhound/chainhound/internal/ingest/eth"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/scenario/btcnode"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
	"github.com/chainhound/chainhound/internal/watch"
	"github.com/chainhound/chainhound/internal/watch/watchtest"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// receiver is a webhook endpoint that checks signatures and counts the
// idempotency keys it is sent.
type receiver struct {
	secret []byte
	mu     sync.Mutex
	seen   map[string]int
	at     map[string]time.Time
	bad    []string
	down   bool          // answer 503 to everything
	hang   time.Duration // hold every request this long first
	srv    *httptest.Server
}

func newReceiver(t testing.TB, secret string) *receiver {
	r := &receiver{secret: []byte(secret), seen: map[string]int{}, at: map[string]time.Time{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	hang := r.hang
	r.mu.Unlock()
	if hang > 0 {
		select {
		case <-time.After(hang):
		case <-req.Context().Done():
			return
		}
	}
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	want := watch.Sign(r.secret, req.Header.Get(watch.HeaderTimestamp), body)
	if !hmac.Equal([]byte(want), []byte(req.Header.Get(watch.HeaderSignature))) {
		r.bad = append(r.bad, "bad signature")
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	key := req.Header.Get(watch.HeaderIdempotency)
	if key == "" || !strings.Contains(string(body), `"id":"`+key+`"`) {
		r.bad = append(r.bad, "idempotency key "+key+" does not name the alert")
	}
	r.seen[key]++
	if _, ok := r.at[key]; !ok {
		r.at[key] = now
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) snapshot() (map[string]int, map[string]time.Time, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen, at := map[string]int{}, map[string]time.Time{}
	for k, v := range r.seen {
		seen[k] = v
	}
	for k, v := range r.at {
		at[k] = v
	}
	return seen, at, append([]string(nil), r.bad...)
}

// natsServer starts an embedded nats-server with JetStream.
func natsServer(t testing.TB) string {
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s.ClientURL()
}

// live runs a watcher in process against a node: the Ethereum ingester
// following the head with the watcher as its per-block hook, and the
// dispatcher delivering to the sinks. It can be stopped and started again
// on the same data directory.
type live struct {
	t      testing.TB
	node   *scenario.Node
	dir    string
	cfg    *watch.Config
	ix     *intel.Index
	policy *trace.Policy
	log    *slog.Logger

	// btc, when set, is a Bitcoin node followed as well.
	btc *btcnode.Node

	st      *store.DB
	db      *watch.DB
	cancel  context.CancelFunc
	done    chan error
	workers int
	disp    *watch.Dispatcher
}

func (l *live) start() {
	t := l.t
	t.Helper()
	var err error
	if l.st, err = store.Open(filepath.Join(l.dir, "chain"), store.Options{}); err != nil {
		t.Fatal(err)
	}
	if l.db, err = watch.Open(filepath.Join(l.dir, "watch")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	var sinks []watch.Sink
	for i := range l.cfg.Sinks {
		s, err := watch.NewSink(ctx, &l.cfg.Sinks[i], io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		sinks = append(sinks, s)
	}
	l.disp = watch.NewDispatcher(l.db, l.cfg.Sinks, sinks, l.log)
	w := watch.New(l.st, l.ix, l.cfg, l.db, watch.Options{Policy: l.policy, Log: l.log})
	w.Notify = l.disp.Notify
	if err := w.CatchUp(ctx, chain.Ethereum); err != nil {
		t.Fatal(err)
	}
	client := eth.NewClient(l.node.URL(), eth.ClientOptions{Timeout: 10 * time.Second})
	fetcher, err := eth.NewFetcher(client, eth.FetchOptions{Receipts: "auto", Traces: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	head, err := fetcher.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fetcher.Detect(ctx, head); err != nil {
		t.Fatal(err)
	}
	ls := &lockedStore{DB: l.st}
	ing, err := eth.NewIngester(fetcher, ls, eth.Config{Follow: true, PollInterval: 50 * time.Millisecond, Workers: 2, OnBlock: w.OnBlock, Log: l.log})
	if err != nil {
		t.Fatal(err)
	}
	l.workers = 2
	l.done = make(chan error, 3)
	go func() { l.disp.Run(ctx); l.done <- nil }()
	go func() { _, err := ing.Run(ctx); l.done <- err }()
	if l.btc != nil {
		if err := w.CatchUp(ctx, chain.Bitcoin); err != nil {
			t.Fatal(err)
		}
		net, err := btc.ParseNetwork("regtest")
		if err != nil {
			t.Fatal(err)
		}
		rpc, err := btc.NewRPC(l.btc.RPCURL(), btc.Auth{User: l.btc.RPCUser(), Password: l.btc.RPCPass()})
		if err != nil {
			t.Fatal(err)
		}
		bi, err := ingest.New(btc.NewSource(net, btc.RPCBlocks{RPC: rpc, Net: net}, l.st, rpc), ls,
			ingest.Config{Follow: true, PollInterval: 50 * time.Millisecond, OnBlock: w.OnBlock, Log: l.log})
		if err != nil {
			t.Fatal(err)
		}
		l.workers++
		go func() { _, err := bi.Run(ctx); l.done <- err }()
	}
}

// lockedStore serialises the two ingesters' writes, as chainhound watch
// does.
type lockedStore struct {
	*store.DB
	mu sync.Mutex
}

func (s *lockedStore) ApplyBlock(b *chain.Block) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DB.ApplyBlock(b)
}

func (s *lockedStore) Rollback(c chain.Chain, h uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DB.Rollback(c, h)
}

func (s *lockedStore) Bind(c chain.Chain, n chain.Network) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DB.Bind(c, n)
}

func (s *lockedStore) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DB.Sync()
}

func (l *live) stop() {
	l.t.Helper()
	l.cancel()
	for range l.workers {
		if err := <-l.done; err != nil && !errors.Is(err, context.Canceled) {
			l.t.Errorf("watcher stopped with %v", err)
		}
	}
	l.disp.Close()
	l.db.Close()
	l.st.Close()
}

// waitCursor waits until the watcher has evaluated block h. The deadline
// is a guard against a hung test, not a measurement.
func (l *live) waitCursor(h uint64) { l.t.Helper(); l.waitChain(chain.Ethereum, h) }

func (l *live) waitChain(c chain.Chain, h uint64) {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		cur, ok, err := l.db.Cursor(c)
		if err != nil {
			l.t.Fatal(err)
		}
		if ok && cur.Height >= h {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("the watcher did not reach block %d (at %d)", h, cur.Height)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// theftConfig is the watch.yaml of the live tests.
func theftConfig(t testing.TB, th watchtest.Script, webhookURL, natsURL, file string) *watch.Config {
	var sinks strings.Builder
	if webhookURL != "" {
		fmt.Fprintf(&sinks, "  - type: webhook\n    url: %s\n    secret: s3cret\n    allow_hosts: [127.0.0.1]\n    backoff: 20ms\n    max_backoff: 200ms\n    max_attempts: 4\n    timeout: 2s\n", webhookURL)
	}
	if natsURL != "" {
		fmt.Fprintf(&sinks, "  - type: nats\n    url: %s\n    subject: chainhound.alerts\n", natsURL)
	}
	if file != "" {
		fmt.Fprintf(&sinks, "  - type: file\n    path: %s\n", file)
	}
	var seeds []string
	for _, a := range th.Seeds() {
		seeds = append(seeds, `"eth:`+watchtest.Lower(a)+`"`)
	}
	y := fmt.Sprintf(`cases:
  - name: bybit-like
    seeds: [%s]
    start: {eth: %d}
rules:
  large_transfer:
    thresholds:
      - {chain: eth, asset: native, amount: 300e18}
sinks:
%s`, strings.Join(seeds, ", "), th.Start(), sinks.String())
	cfg, err := watch.Parse([]byte(y))
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	return cfg
}

func theftIndex(th watchtest.Script, n *scenario.Node) (*intel.Index, *trace.Policy) {
	caip2 := chain.EIP155(n.ChainID().Uint64())
	ix := intel.NewIndex()
	for _, l := range th.Labels() {
		ix.Add(&intel.Tag{Subject: intel.Account(caip2, strings.ToLower(l.Address.Hex())), Label: l.Label, Category: l.Category, Source: "watchtest"})
	}
	p := trace.DefaultPolicy()
	for _, a := range th.Freezable() {
		p.FreezableAssets = append(p.FreezableAssets, trace.FreezableAsset{Asset: caip2 + "/erc20:" + watchtest.Lower(a), Issuer: "issuer of " + watchtest.Lower(a)})
	}
	return ix, &p
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() && os.Getenv("WATCH_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// natsCount is the number of messages in the alerts stream.
func natsCount(t testing.TB, url string) int {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), "CHAINHOUND_ALERTS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.Msgs)
}
