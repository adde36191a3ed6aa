package smsctest

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// client is a bare PDU-level client, so these tests do not depend on the
// smpp package they serve.
type client struct {
	t   *testing.T
	c   net.Conn
	r   *bufio.Reader
	seq uint32
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return &client{t: t, c: c, r: bufio.NewReader(c)}
}

func (c *client) roundTrip(id uint32, body []byte) pdu.PDU {
	c.t.Helper()
	c.seq++
	if _, err := c.c.Write(pdu.PDU{ID: id, Seq: c.seq, Body: body}.Bytes()); err != nil {
		c.t.Fatal(err)
	}
	for {
		p, err := pdu.Read(c.r)
		if err != nil {
			c.t.Fatal(err)
		}
		if p.Seq == c.seq && p.IsResponse() {
			return p
		}
	}
}

func TestServerBindSubmit(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{SystemID: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	bad := dial(t, s)
	if r := bad.roundTrip(pdu.BindTransceiver, pdu.Bind{SystemID: "u", Password: "x"}.Encode()); r.Status != pdu.StatusInvPaswd {
		t.Errorf("wrong password: status 0x%X", r.Status)
	}
	if err := s.SendMO("+1", "2", "x"); !errors.Is(err, ErrNoReceiver) {
		t.Errorf("SendMO with no receiver: %v", err)
	}

	c := dial(t, s)
	if r := c.roundTrip(pdu.BindTransmitter, pdu.Bind{SystemID: "u", Password: "p"}.Encode()); r.Status != 0 {
		t.Fatalf("bind: status 0x%X", r.Status)
	}
	sm := &pdu.SM{DestTON: 1, Dest: "4412", ShortMessage: []byte{0x48, 0x69}}
	body, _ := sm.Encode()
	r := c.roundTrip(pdu.SubmitSM, body)
	id, _ := pdu.DecodeCString(r.Body)
	if r.Status != 0 || id == "" {
		t.Fatalf("submit: status 0x%X id %q", r.Status, id)
	}
	s.SetReject(0x0B)
	if r := c.roundTrip(pdu.SubmitSM, body); r.Status != 0x0B {
		t.Errorf("reject: status 0x%X", r.Status)
	}
	subs, err := s.WaitSubmits(context.Background(), 2)
	if err != nil || subs[0].MessageID != id || subs[0].Text() != "Hi" || subs[1].Status != 0x0B {
		t.Fatalf("submits %+v %v", subs, err)
	}
	subs[0].ShortMessage[0] = 'X'
	if s.Submits()[0].Text() != "Hi" {
		t.Error("Submits shares memory with the server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.WaitSubmits(ctx, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitSubmits past its context: %v", err)
	}
	if s.BindAttempts() != 2 || s.Bound() != 1 {
		t.Errorf("attempts %d bound %d", s.BindAttempts(), s.Bound())
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text   string
		dc     byte
		chunks int
	}{
		{"short", 0, 1},
		{strings.Repeat("a", 160), 0, 1},
		{strings.Repeat("a", 161), 0, 2},
		{strings.Repeat("€", 81), 0, 2},
		{"Привет", 8, 1},
	}
	for _, tt := range tests {
		dc, chunks := split(tt.text)
		if dc != tt.dc || len(chunks) != tt.chunks {
			t.Errorf("%q: dc %d, %d chunks", tt.text, dc, len(chunks))
		}
		for _, c := range chunks {
			if dc == 0 && c[len(c)-1] == 0x1B {
				t.Errorf("%q: a chunk ends inside an escape pair", tt.text)
			}
		}
	}
}
