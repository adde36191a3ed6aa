package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// transportsOnly is a gateway and a queue for /api/v1/transports alone:
// any other call panics on the nil interfaces.
type transportsOnly struct {
	Gateway
	Queue
	list []bridge.TransportStatus
}

func (g transportsOnly) Transports() []bridge.TransportStatus { return g.list }

type fakeHolders map[string]map[int]string

func (f fakeHolders) Holders(_ context.Context, transport string) (map[int]string, error) {
	h, ok := f[transport]
	if !ok {
		return nil, errors.New("no such account")
	}
	return h, nil
}

// TestTransportBinds: with bind holders, each SMPP transport lists its
// binds' holders in bind order (an empty list when none is held); other
// transports, and every transport without bind holders, have no binds.
func TestTransportBinds(t *testing.T) {
	t.Parallel()
	smpp := func(name string) bridge.TransportStatus {
		return bridge.TransportStatus{Name: name, Details: &transport.Status{SMPPStatus: &transport.SMPPStatus{BindsWanted: 3}}}
	}
	gw := transportsOnly{list: []bridge.TransportStatus{smpp("smsc"), smpp("idle"), {Name: "simulator"}}}
	holders := fakeHolders{"smsc": {2: "gw1", 0: "gw2"}, "idle": {}, "simulator": {0: "never asked"}}
	get := func(h BindHolders) string {
		t.Helper()
		srv, err := New(Options{Gateway: gw, Queue: gw, BindHolders: h, Trusted: loopback,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/api/v1/transports", nil)
		req.RemoteAddr = "127.0.0.1:1234"
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		var out struct {
			Transports []json.RawMessage `json:"transports"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, tr := range out.Transports {
			var v struct {
				Name  string          `json:"name"`
				Binds json.RawMessage `json:"binds"`
			}
			if err := json.Unmarshal(tr, &v); err != nil {
				t.Fatal(err)
			}
			var binds bytes.Buffer
			if len(v.Binds) > 0 {
				json.Compact(&binds, v.Binds)
			}
			parts = append(parts, v.Name+"="+binds.String())
		}
		return strings.Join(parts, " ")
	}
	want := `smsc=[{"bind":0,"instance":"gw2"},{"bind":2,"instance":"gw1"}] idle=[] simulator=`
	if got := get(holders); got != want {
		t.Errorf("with bind holders:\n got %s\nwant %s", got, want)
	}
	if got := get(nil); got != "smsc= idle= simulator=" {
		t.Errorf("without bind holders: %s", got)
	}
	if got := get(fakeHolders{}); got != "smsc=[] idle=[] simulator=" {
		t.Errorf("with holders unreadable: %s", got)
	}
}

// statsOnly is a queue whose Stats answer, for /readyz.
type statsOnly struct{ Queue }

func (statsOnly) Stats() (map[store.PartState]int, error) { return map[store.PartState]int{}, nil }

// TestReadyWithBindsElsewhere: a gateway whose SMPP binds are all held by
// other gateways is ready (they send what it takes) and says who holds
// them; with no bind held anywhere it is not.
func TestReadyWithBindsElsewhere(t *testing.T) {
	t.Parallel()
	down := bridge.TransportStatus{Name: "smsc", Details: &transport.Status{SMPPStatus: &transport.SMPPStatus{BindsWanted: 2}}}
	for _, c := range []struct {
		holders BindHolders
		code    int
		want    string
	}{
		{fakeHolders{"smsc": {1: "gw2"}}, http.StatusOK, "no bind here; other gateways hold smsc bind 1 on gw2"},
		{fakeHolders{"smsc": {}}, http.StatusServiceUnavailable, "no transport is up"},
		{nil, http.StatusServiceUnavailable, "no transport is up"},
	} {
		srv, err := New(Options{Gateway: transportsOnly{list: []bridge.TransportStatus{down}}, Queue: statsOnly{}, BindHolders: c.holders,
			Trusted: loopback, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/readyz", nil)
		req.RemoteAddr = "127.0.0.1:1234"
		srv.Handler().ServeHTTP(rec, req)
		var h HealthView
		if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
			t.Fatal(err)
		}
		if rec.Code != c.code || h.Checks["transports"] != c.want {
			t.Errorf("holders %v: %d %+v; want %d and %q", c.holders, rec.Code, h, c.code, c.want)
		}
	}
}
