package main

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/scenario"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/ethereum/go-ethereum/common"
)

// TestReceiptModesAgree: per-transaction receipts give the same graph as
// eth_getBlockReceipts, and --traces none gives the same graph less the
// internal transfers.
func TestReceiptModesAgree(t *testing.T) {
	n := newNode(t, scenario.NodeConfig{})
	workload(t, n, 120, 9)
	block, tx, none := t.TempDir(), t.TempDir(), t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", block, "--receipts", "block", "--traces", "debug")
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", tx, "--receipts", "tx")
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", none, "--traces", "none")
	want := export(t, block)
	if got := export(t, tx); got != want {
		t.Fatal("--receipts tx stored another graph than --receipts block")
	}
	var withoutInternal []string
	for _, l := range strings.SplitAfter(want, "\n") {
		if !strings.Contains(l, ",internal,") {
			withoutInternal = append(withoutInternal, l)
		}
	}
	if len(withoutInternal) == len(strings.SplitAfter(want, "\n")) {
		t.Fatal("the workload made no internal transfers")
	}
	// Seq numbers shift when internal transfers are left out, so compare
	// without the seq column.
	if got := dropColumn(export(t, none), 3); got != dropColumn(strings.Join(withoutInternal, ""), 3) {
		t.Fatal("--traces none is not the full graph less its internal transfers")
	}
}

func dropColumn(csv string, col int) string {
	var b bytes.Buffer
	for _, l := range strings.SplitAfter(csv, "\n") {
		f := strings.Split(l, ",")
		if len(f) > col {
			f = append(f[:col], f[col+1:]...)
		}
		b.WriteString(strings.Join(f, ","))
	}
	return b.String()
}

// TestConfirmations commits only blocks K deep.
func TestConfirmations(t *testing.T) {
	n := newNode(t, scenario.NodeConfig{})
	workload(t, n, 100, 4)
	dir := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", dir, "--confirmations", "3")
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cur, _, err := st.Cursor(chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	if head := n.Head().Number.Uint64(); cur.Height != head-3 {
		t.Fatalf("cursor %d, want head %d less 3", cur.Height, head)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls the logs until they contain s after offset from, and returns
// the offset past it; it fails the test after a deadline.
func waitFor(t *testing.T, logs *syncBuffer, from int, s string) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if l := logs.String(); len(l) > from {
			if i := strings.Index(l[from:], s); i >= 0 {
				return from + i + len(s)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q in the logs after 20s:\n%s", s, logs.String()[from:])
	return 0
}

// TestFollowThroughReorg follows the head while the node reorganises
// underneath; the store must end equal to a fresh ingest of the final chain.
func TestFollowThroughReorg(t *testing.T) {
	t.Setenv("CHAINHOUND_LOG", "debug") // one log line per applied block to wait on
	n := newNode(t, scenario.NodeConfig{})
	workload(t, n, 60, 8)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	logs := &syncBuffer{}
	go func() {
		done <- runCtx(ctx, []string{"ingest", "eth", "--rpc", n.URL(), "--data", dir, "--follow", "--poll", "20ms"}, &bytes.Buffer{}, logs)
	}()
	defer cancel()
	applied := func(h uint64) string { return fmt.Sprintf("msg=\"applied block\" height=%d ", h) }
	send := func(tag int64) uint64 {
		to := common.BigToAddress(big.NewInt(tag))
		if _, err := n.Send(context.Background(), 0, &to, big.NewInt(tag), nil, 21000); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Commit(); err != nil {
			t.Fatal(err)
		}
		return n.Head().Number.Uint64()
	}
	at := waitFor(t, logs, 0, applied(n.Head().Number.Uint64()))
	var head uint64
	for i := int64(0); i < 3; i++ {
		head = send(0xa000 + i)
	}
	at = waitFor(t, logs, at, applied(head)) // the old branch is stored up to its head
	forkAt, err := n.Client().HeaderByNumber(context.Background(), new(big.Int).SetUint64(head-2))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Fork(forkAt.Hash()); err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 4; i++ {
		head = send(0xb000 + i)
	}
	at = waitFor(t, logs, at, "reorganisation")
	waitFor(t, logs, at, applied(head))
	cancel()
	if code := <-done; code != exitInterrupted {
		t.Fatalf("follow exit %d, want %d\n%s", code, exitInterrupted, logs.String())
	}
	fresh := t.TempDir()
	mustCLI(t, "ingest", "eth", "--rpc", n.URL(), "--data", fresh)
	if got, want := export(t, dir), export(t, fresh); got != want {
		t.Fatalf("followed store differs from a fresh ingest after a reorg\n%s", logs.String())
	}
}
