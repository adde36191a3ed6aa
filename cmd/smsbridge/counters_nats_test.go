package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/store/natsstore"

	"github.com/smsbridge/smsbridge/internal/jstest"
)

// TestSharedCountersNATS: two gateways on one JetStream queue hold one
// daily limit between them while they charge; each keeps its own counts,
// and a restarted gateway finds them.
func TestSharedCountersNATS(t *testing.T) {
	t.Parallel()
	url := jstest.Start(t)
	ctx := context.Background()
	gateway := func(instance string) (*policy.Policy, func()) {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		st, err := natsstore.Open(ctx, js, natsstore.Options{Instance: instance, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.New(policy.Config{Limits: policy.Limits{PartsPerDay: 10}, Logger: quietLogger(),
			Counters: &sharedCounters{st: st, instance: instance, log: quietLogger()}})
		if err != nil {
			t.Fatal(err)
		}
		return p, func() { st.Close(); nc.Close() }
	}
	a, stopA := gateway("gwA")
	b, stopB := gateway("gwB")
	defer stopB()
	if err := a.ChargeParts(ctx, "", "s@example.com", 7); err != nil {
		t.Fatal(err)
	}
	over := func(p *policy.Policy, n int) bool {
		err := p.ChargeParts(ctx, "", "s@example.com", n)
		if err != nil && !strings.Contains(err.Error(), "10 SMS parts per day") {
			t.Fatalf("charge: %v", err)
		}
		return err != nil
	}
	// B reads A's counts at most a second old; it sees them within a few.
	for deadline := time.Now().Add(5 * time.Second); !over(b, 4); time.Sleep(200 * time.Millisecond) {
		b.RefundParts("", "s@example.com", 4)
		if time.Now().After(deadline) {
			t.Fatal("B charged 4 more parts over the 10 a day A had used 7 of")
		}
	}
	if over(b, 3) {
		t.Fatal("B refused 3 parts, which A's 7 leave room for")
	}
	stopA()
	a, stopA = gateway("gwA") // a restart: its own 7 are kept, B's 3 seen
	defer stopA()
	if !over(a, 1) {
		t.Error("restarted A charged over the limit both gateways used up")
	}
}
