package kannel

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// TestDLRCallbacks: each receiver's dlr-url is called for each report its
// dlr-mask asks for, in order, with the escapes filled.
func TestDLRCallbacks(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, 0)
	dlrURL := s.URL + "/dlr?type=%d&to=%p&from=%P&reply=%A&smsc=%i&time=%t&user=%n&id=%I"
	status, body := e.get(t, url.Values{"to": {"+14155550100 +15550000001"}, "text": {"hello"}, "from": {"00441234"},
		"dlr-mask": {"27"}, "dlr-url": {dlrURL}})
	if status != 202 {
		t.Fatalf("%d %q", status, body)
	}
	calls := s.wait(t, 4)
	byNumber := map[string][]string{}
	for _, c := range calls {
		byNumber[c.Get("to")] = append(byNumber[c.Get("to")], c.Get("type"))
		if c.Get("from") != "00441234" || c.Get("smsc") != "simulator" || c.Get("user") != testUser || c.Get("id") == "" {
			t.Errorf("call %v", c)
		}
		if _, err := time.Parse("2006-01-02 15:04", c.Get("time")); err != nil {
			t.Errorf("%%t = %q: %v", c.Get("time"), err)
		}
	}
	if got := strings.Join(byNumber["+14155550100"], ","); got != "8,1" {
		t.Errorf("delivered number reports %s, want 8,1", got)
	}
	if got := strings.Join(byNumber["+15550000001"], ","); got != "8,2" {
		t.Errorf("failed number reports %s, want 8,2", got)
	}
	for _, c := range calls {
		if c.Get("type") == "1" && c.Get("reply") != "DELIVRD" {
			t.Errorf("%%A of a delivery = %q", c.Get("reply"))
		}
	}
	// Every watch is gone once the receivers are final.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ws, err := e.st.Watches(watchOwner, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watches left: %+v", ws)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDLRMaskFinalOnly: a mask of final states (1+2+16) gets one call.
func TestDLRMaskFinalOnly(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, 0)
	if status, body := e.get(t, url.Values{"to": {"+14155550100"}, "text": {"hi"}, "dlr-mask": {"19"}, "dlr-url": {s.URL + "/?s=%d"}}); status != 202 {
		t.Fatalf("%d %q", status, body)
	}
	calls := s.wait(t, 1)
	time.Sleep(200 * time.Millisecond) // room for a wrong second call
	s.mu.Lock()
	n := len(s.calls)
	s.mu.Unlock()
	if n != 1 || calls[0].Get("s") != "1" {
		t.Errorf("calls %v (%d), want one with s=1", calls, n)
	}
}

// TestDLRRetried: a dlr-url answering 500 is called again until it takes
// the report.
func TestDLRRetried(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, 2)
	if status, body := e.get(t, url.Values{"to": {"+14155550100"}, "text": {"hi"}, "dlr-mask": {"1"}, "dlr-url": {s.URL + "/?s=%d"}}); status != 202 {
		t.Fatalf("%d %q", status, body)
	}
	calls := s.wait(t, 1)
	s.mu.Lock()
	seen := s.seen
	s.mu.Unlock()
	if seen != 3 || calls[0].Get("s") != "1" {
		t.Errorf("reached %d times, took %v; want 3 and s=1", seen, calls)
	}
}

// TestDLRQueuedSurvivesRestart: a report queued while its dlr-url is down
// is called after the store is opened again by a new notifier.
func TestDLRQueuedSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := newSink(t, 0)
	m := &store.Message{ID: store.NewID(), Received: time.Now(), Recipients: []store.Recipient{{Address: "+14155550100", Number: "+14155550100", Reported: true,
		Parts: []store.Part{{Text: "hi", Seq: 1, Total: 1}}}}}
	f := follow{URL: s.URL + "/?s=%d&to=%p", Mask: 31}
	if err := st.EnqueueWatched(context.Background(), m, store.Watch{Owner: watchOwner, Data: f.encode()}); err != nil {
		t.Fatal(err)
	}
	// The report is queued by a notifier whose client cannot connect.
	down := NewNotifier(st, nil, 0, nil)
	s.Close()
	ws, err := st.Watches(watchOwner, "", 10)
	if err != nil || len(ws) != 1 {
		t.Fatal(ws, err)
	}
	markDelivered(t, st, m.ID)
	if err := down.followRound(context.Background()); err != nil {
		t.Fatal(err)
	}
	due, err := st.DueCallbacks(watchOwner, time.Now(), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due %v, %v; want the 8 and the 1", due, err)
	}
	if err := down.callRound(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s2 := newSink(t, 0)
	// Point the queued calls at the new sink's port: the test stands in
	// for the client's server coming back on its address.
	up := NewNotifier(st, &http.Client{Transport: redirect{to: s2.URL}}, 0, nil)
	up.now = func() time.Time { return time.Now().Add(time.Hour) } // past the backoff
	if err := up.callRound(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := s2.wait(t, 2)
	if calls[0].Get("s") != "8" || calls[1].Get("s") != "1" || calls[1].Get("to") != "+14155550100" {
		t.Errorf("calls after restart %v", calls)
	}
	if left, err := st.DueCallbacks(watchOwner, time.Now().Add(time.Hour), 10); err != nil || len(left) != 0 {
		t.Errorf("left queued: %v %v", left, err)
	}
}

// markDelivered takes message id's one part through submit and receipt.
func markDelivered(t *testing.T, st *store.DB, id string) {
	t.Helper()
	ctx := context.Background()
	k := store.PartKey{Msg: id}
	now := time.Now()
	if _, err := st.Begin(ctx, []store.PartKey{k}, "simulator", now); err != nil {
		t.Fatal(err)
	}
	if err := st.Submitted(ctx, k, "tid-1", now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finish(ctx, k, store.PartDelivered, "", now); err != nil {
		t.Fatal(err)
	}
}

// redirect sends every request to the host of to instead.
type redirect struct{ to string }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	u, err := url.Parse(r.to)
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.URL.Host = u.Host
	return http.DefaultTransport.RoundTrip(req)
}
