package kvbucket

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/internal/jstest"
)

func jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(jstest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestOpen: a bucket is created, then updated to a new configuration; a
// request the server refuses is not tried again; once ctx has ended the
// error says so and names the bucket.
func TestOpen(t *testing.T) {
	js := jetStream(t)
	ctx := context.Background()
	kv, err := Open(ctx, js, jetstream.KeyValueConfig{Bucket: "b", History: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	kv, err = Open(ctx, js, jetstream.KeyValueConfig{Bucket: "b", History: 1, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := kv.Status(ctx); err != nil || st.TTL() != time.Hour || st.Values() != 1 {
		t.Fatalf("updated bucket: %+v %v; want TTL 1h and its value kept", st, err)
	}

	start := time.Now()
	if _, err := Open(ctx, js, jetstream.KeyValueConfig{Bucket: "b", Replicas: 3}); err == nil || time.Since(start) > time.Second {
		t.Errorf("three replicas on one server: %v after %v; want a refusal at once", err, time.Since(start))
	}

	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Open(gone, js, jetstream.KeyValueConfig{Bucket: "late"}); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "bucket late") {
		t.Errorf("ctx ended: %v", err)
	}
}
