package watch_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/watch"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

// TestNATSLateServer: a NATS sink whose server is down when the watcher
// starts fails its deliveries (to be retried) and, once the server is up,
// creates its stream and publishes; a republished alert (a redelivery
// after a crash) is stored once.
func TestNATSLateServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	cfg, err := watch.Parse([]byte("sinks:\n  - {type: nats, url: \"" + url + "\", subject: alerts.test, timeout: 300ms}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := watch.NewSink(ctx, &cfg.Sinks[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := &watch.Alert{ID: "0123456789abcdef0123456789abcdef", Rule: watch.RuleExit}
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	if err := s.Deliver(dctx, a); err == nil {
		t.Fatal("a delivery with the server down succeeded")
	}
	cancel()
	srv, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		err := s.Deliver(dctx, a)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery once the server is up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := s.Deliver(ctx, a); err != nil {
		t.Fatal(err)
	}
	if n := natsCount(t, srv.ClientURL()); n != 1 {
		t.Errorf("the stream holds %d messages, want 1", n)
	}
}
