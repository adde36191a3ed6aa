// Package storetest is the conformance suite of smsbridge's store: the
// promises every backend (bbolt today, JetStream next) must keep, checked
// through the consumers' interfaces only. A backend's tests call Run with
// a way to make an empty store and open it, again after a Close.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/console"
	"github.com/smsbridge/smsbridge/kannel"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/modem"
	"github.com/smsbridge/smsbridge/transport/smpp/smppserver"
)

// Backend is every consumer's interface in one, embedded from the
// consumers themselves so that it grows with them: the bridge's
// (bridge.Store, and bridge.WatchStore for integrations), the API's (api.Queue, and its write health), the
// console's (console.Store), the scrape's (metrics.Queue), the modem's SIM
// quotas (modem.Quota), the SMPP server's watches, callbacks and segments
// (smppserver.Store), the Kannel dlr-url notifier's (kannel.Store), the policy's daily counters as `serve` keeps them,
// and Close.
type Backend interface {
	bridge.Store
	bridge.WatchStore
	api.Queue
	console.Store
	metrics.Queue
	modem.Quota
	smppserver.Store
	kannel.Store

	// What api/health.go asks for /readyz.
	WriteFailure() (since time.Time, err error)
	// What cmd/smsbridge/counters.go keeps the policy's counters in.
	PolicyCounters() ([]byte, error)
	SetPolicyCounters(ctx context.Context, data []byte) error

	Close() error
}

// Open opens one store under test: empty the first time, and with what
// was committed before its last Close every time after.
type Open func() (Backend, error)

// Run checks every promise against the backend fresh makes: each call of
// fresh is a new, empty store of its own (a new file, a new bucket
// prefix). The tests run in parallel.
func Run(t *testing.T, fresh func(t *testing.T) Open) {
	tests := []struct {
		name string
		fn   func(*harness)
	}{
		{"Lifecycle", testLifecycle},
		{"FinishReceipt", testFinishReceipt},
		{"DueOrder", testDueOrder},
		{"RetryKeepsClass", testRetryKeepsClass},
		{"InDoubt", testInDoubt},
		{"LateIDSubmits", testLateIDSubmits},
		{"Recover", testRecover},
		{"Via", testVia},
		{"Overdue", testOverdue},
		{"Purge", testPurge},
		{"EarlyReceipts", testEarlyReceipts},
		{"Outbox", testOutbox},
		{"DelayNotices", testDelayNotices},
		{"Conversations", testConversations},
		{"OptOuts", testOptOuts},
		{"BrowseByNumber", testBrowseByNumber},
		{"PolicyCounters", testPolicyCounters},
		{"SIMQuotas", testSIMQuotas},
		{"Campaigns", testCampaigns},
		{"List", testList},
		{"CancelRetry", testCancelRetry},
		{"Resend", testResend},
		{"Queued", testQueued},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Callbacks", testCallbacks},
		{"Segments", testSegments},
		{"SegmentsExpire", testSegmentsExpire},
		{"MessageSource", testMessageSource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &harness{T: t, open: fresh(t)}
			h.b = h.mustOpen()
			defer func() { _ = h.b.Close() }()
			tc.fn(h)
		})
	}
}

// harness is one test's store, reopened at will.
type harness struct {
	*testing.T
	open Open
	b    Backend
}

var ctx = context.Background()

// t0 is the suite's clock: a fixed time, so that nothing depends on when
// it runs.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func (h *harness) mustOpen() Backend {
	h.Helper()
	b, err := h.open()
	if err != nil {
		h.Fatalf("open: %v", err)
	}
	return b
}

// reopen closes the store and opens it again: what follows reads only
// what was committed.
func (h *harness) reopen() {
	h.Helper()
	if err := h.b.Close(); err != nil {
		h.Fatalf("close: %v", err)
	}
	h.b = h.mustOpen()
}

// both runs check, then again after a reopen: every promise holds across
// a restart too.
func (h *harness) both(what string, check func()) {
	h.Helper()
	check()
	if h.Failed() {
		h.FailNow()
	}
	h.reopen()
	ok := h.Run("after reopen: "+what, func(t *testing.T) {
		// The check reports to the subtest, which runs before Run returns.
		parent := h.T
		h.T = t
		defer func() { h.T = parent }()
		check()
	})
	if !ok {
		h.FailNow() // what follows builds on what failed
	}
}

func (h *harness) ok(err error) {
	h.Helper()
	if err != nil {
		h.Fatal(err)
	}
}

// message is id with rcpts recipients of parts parts each, received at
// received, valid two days, in class c.
func message(id string, rcpts, parts int, received time.Time, c priority.Class) *store.Message {
	m := &store.Message{ID: id, Received: received, Expires: received.Add(48 * time.Hour),
		Sender: "alice@example.com", Subject: "Hello " + id, MessageID: "<" + id + "@example.com>",
		EnvID: "env-" + id, Ret: "HDRS", Header: []byte("From: alice@example.com\r\nSubject: Hello\r\n"), Class: c}
	for r := range rcpts {
		rc := store.Recipient{Address: fmt.Sprintf("+4179%07d@sms.example", r), Number: fmt.Sprintf("+4179%07d", r),
			ORCPT: "rfc822;x@example.com", Notify: store.NotifySuccess | store.NotifyFailure}
		for p := range parts {
			rc.Parts = append(rc.Parts, store.Part{Encoding: sms.UCS2, Text: fmt.Sprintf("part %d of %s", p, id),
				Payload: []byte{5, 0, 3, 7, byte(parts), byte(p + 1)}, Ref: 7, Seq: p + 1, Total: parts})
		}
		m.Recipients = append(m.Recipients, rc)
	}
	return m
}

func (h *harness) enqueue(m *store.Message) {
	h.Helper()
	h.ok(h.b.Enqueue(ctx, m))
}

func (h *harness) part(k store.PartKey) store.Part {
	h.Helper()
	m, err := h.b.Message(k.Msg)
	h.ok(err)
	if k.Rcpt >= len(m.Recipients) || k.Part >= len(m.Recipients[k.Rcpt].Parts) {
		h.Fatalf("part %s: message has no such part", k)
	}
	return m.Recipients[k.Rcpt].Parts[k.Part]
}

func (h *harness) state(k store.PartKey, want store.PartState) store.Part {
	h.Helper()
	p := h.part(k)
	if p.State != want {
		h.Fatalf("part %s: state %v, want %v (error %q)", k, p.State, want, p.Error)
	}
	return p
}

func (h *harness) begin(keys ...store.PartKey) {
	h.Helper()
	skipped, err := h.b.Begin(ctx, keys, "smsc", t0)
	h.ok(err)
	if len(skipped) > 0 {
		h.Fatalf("Begin skipped %v", skipped)
	}
}

func (h *harness) due(now time.Time, limit int) []store.PartKey {
	h.Helper()
	dps, err := h.b.Due(now, limit)
	h.ok(err)
	return dueKeys(dps)
}

func dueKeys(dps []store.DuePart) []store.PartKey {
	out := make([]store.PartKey, 0, len(dps))
	for _, dp := range dps {
		out = append(out, dp.Key)
	}
	return out
}

func (h *harness) stats(want map[store.PartState]int) {
	h.Helper()
	got, err := h.b.Stats()
	h.ok(err)
	for s := store.PartQueued; s <= store.PartCancelled; s++ {
		if got[s] != want[s] {
			h.Errorf("Stats: %d %v, want %d (all: %v)", got[s], s, want[s], got)
		}
	}
}

func (h *harness) lookup(transport, id string, want store.PartKey) {
	h.Helper()
	k, ok, err := h.b.Lookup(transport, id)
	h.ok(err)
	if !ok || k != want {
		h.Errorf("Lookup(%s, %s) = %v, %v; want %v", transport, id, k, ok, want)
	}
}

func (h *harness) unreported(want ...store.RcptKey) {
	h.Helper()
	got, err := h.b.Unreported(100)
	h.ok(err)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		h.Errorf("Unreported = %v, want %v", got, want)
	}
}

func pk(msg string, rcpt, part int) store.PartKey {
	return store.PartKey{Msg: msg, Rcpt: rcpt, Part: part}
}
func rk(msg string, rcpt int) store.RcptKey { return store.RcptKey{Msg: msg, Rcpt: rcpt} }
