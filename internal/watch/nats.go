package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsSink publishes alerts to a JetStream subject, the alert id as the
// message id: JetStream drops a republished alert within the stream's
// duplicate window, so a redelivery after a crash is not stored twice.
type natsSink struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string
	stream  string
	ready   bool // the stream is known to exist
}

func newNATS(ctx context.Context, c *SinkConfig) (*natsSink, error) {
	nc, err := nats.Connect(c.URL.Value, nats.Name("chainhound-watch"), nats.Timeout(time.Duration(c.Timeout)),
		nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return nil, fmt.Errorf("sink %s: connect %s: %w", c.Name, c.URL.Value, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("sink %s: %w", c.Name, err)
	}
	s := &natsSink{nc: nc, js: js, subject: c.Subject, stream: c.Stream}
	// The stream is made when missing; a server that is down now gets it
	// made on the first delivery that reaches it (a dead sink must not
	// keep the watcher from starting).
	cctx, cancel := context.WithTimeout(ctx, time.Duration(c.Timeout))
	defer cancel()
	_ = s.ensureStream(cctx)
	return s, nil
}

// ensureStream looks the stream up and creates it when missing.
func (s *natsSink) ensureStream(ctx context.Context) error {
	if s.ready {
		return nil
	}
	_, err := s.js.Stream(ctx, s.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = s.js.CreateStream(ctx, jetstream.StreamConfig{Name: s.stream, Subjects: []string{s.subject}, Duplicates: 24 * time.Hour})
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", s.stream, err)
	}
	s.ready = true
	return nil
}

func (s *natsSink) Deliver(ctx context.Context, a *Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := s.ensureStream(ctx); err != nil {
		return err
	}
	_, err = s.js.Publish(ctx, s.subject, b, jetstream.WithMsgID(a.ID))
	return err
}

func (s *natsSink) Close() error { s.nc.Close(); return nil }
