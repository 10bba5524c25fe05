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
	s := &natsSink{nc: nc, js: js, subject: c.Subject}
	// The stream is made when missing; a server that is down now gets it
	// made on the first delivery that reaches it.
	cctx, cancel := context.WithTimeout(ctx, time.Duration(c.Timeout))
	defer cancel()
	if _, err := js.Stream(cctx, c.Stream); errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(cctx, jetstream.StreamConfig{Name: c.Stream, Subjects: []string{c.Subject}, Duplicates: 24 * time.Hour})
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("sink %s: create stream %s: %w", c.Name, c.Stream, err)
		}
	}
	return s, nil
}

func (s *natsSink) Deliver(ctx context.Context, a *Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = s.js.Publish(ctx, s.subject, b, jetstream.WithMsgID(a.ID))
	return err
}

func (s *natsSink) Close() error { s.nc.Close(); return nil }
