package natsstore

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// rebuild is the key parseKey's result names.
func rebuild(p parsedKey) string {
	var toks []string
	names, nums := p.names, p.nums
	for _, c := range shapes[p.family] {
		switch c {
		case 's':
			toks, names = append(toks, tok(names[0])), names[1:]
		case 'n':
			toks, nums = append(toks, strconv.Itoa(nums[0])), nums[1:]
		default:
			toks, names = append(toks, names[0]), names[1:]
		}
	}
	return key(p.family, toks...)
}

func FuzzParseKey(f *testing.F) {
	for _, k := range []string{msgKey("m1"), rcptKey(store.RcptKey{Msg: "x", Rcpt: 3}), tidKey("smsc", ""),
		quotaKey("sim", 'd', "20260302"), reportKey(store.RcptKey{Msg: "m", Rcpt: 1}, 2), "m.", "r.00.-1", "q.a.b", "zz.x"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		p, err := parseKey(k)
		if err != nil {
			return
		}
		if got := rebuild(p); got != k {
			t.Fatalf("parseKey(%q) = %+v, which names %q", k, p, got)
		}
	})
}

// FuzzRecords: every decoder refuses or reads a record that encodes back
// to what it reads again.
func FuzzRecords(f *testing.F) {
	m := message()
	s := &Store{chunk: 1 << 20}
	pm, err := s.prepare(m, &store.Watch{Owner: "smpp", Data: []byte("d")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pm.msg)
	f.Add(pm.rcpts[0].val)
	f.Add(encode(tidRecord{Msg: "m", Rcpt: 1, Part: 2}))
	f.Add(encode(&mailRecord{OutMail: store.OutMail{ID: "o", To: []string{"a@b"}}, Holder: "gw"}))
	f.Add(encode(&callbackRecord{Callback: store.Callback{ID: "c", Owner: "smpp:e"}}))
	f.Add(encode(&segRecord{First: time.Unix(1, 0), Segments: []segment{{Seq: 1, ID: "s", Digest: segDigest(nil)}}}))
	f.Add([]byte("12"))
	raw := *m
	raw.Subject = "\xff"
	if pm, err = s.prepare(&raw, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(pm.msg) // gob: the subject is not UTF-8
	f.Fuzz(func(t *testing.T, b []byte) {
		roundTrip(t, "message", b, decodeMsg)
		roundTrip(t, "recipient", b, decodeRcpt)
		roundTrip(t, "tid", b, decodeTID)
		roundTrip(t, "mail", b, decodeMail)
		roundTrip(t, "callback", b, decodeCallback)
		roundTrip(t, "segments", b, decodeSegments)
		if n, err := decodeCount(b); err == nil {
			if again, err := decodeCount([]byte(strconv.Itoa(n))); err != nil || again != n {
				t.Fatalf("count %q = %d, again %d, %v", b, n, again, err)
			}
		}
	})
}

func roundTrip[T any](t *testing.T, what string, b []byte, decode func([]byte) (*T, error)) {
	t.Helper()
	v, err := decode(b)
	if err != nil {
		return
	}
	enc := encode(v)
	again, err := decode(enc)
	if err != nil {
		t.Fatalf("%s %q decodes, but not encoded again as %q: %v", what, b, enc, err)
	}
	if enc2 := encode(again); !bytes.Equal(enc, enc2) {
		t.Fatalf("%s %q: encoded %q, then %q", what, b, enc, enc2)
	}
}

func message() *store.Message {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return &store.Message{ID: "m", Received: t0, Expires: t0.Add(time.Hour), Sender: "a@b", Class: priority.Bulk,
		Recipients: []store.Recipient{{Number: "+41790000000", Notify: store.NotifyDelay, Parts: []store.Part{{Text: "x"}, {Text: "y"}}}}}
}

// FuzzView: whatever a key holds, the view takes it in without harm and
// every read of it works on what it took.
func FuzzView(f *testing.F) {
	s := &Store{chunk: 1 << 20}
	pm, err := s.prepare(message(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pm.rcpts[0].key, pm.rcpts[0].val)
	f.Add(msgKey("m"), pm.msg)
	f.Add(watchKey("m"), encode(&store.Watch{Owner: "smpp"}))
	f.Add(segKey("s"), encode(&segRecord{Segments: []segment{{Seq: 1, ID: "x"}}}))
	f.Add(quotaKey("sim", 'd', "20260302"), []byte("3"))
	f.Fuzz(func(t *testing.T, k string, val []byte) {
		s := &Store{view: newView(quiet()), opt: Options{Instance: "gw"}}
		s.view.put(msgKey("m"), 1, time.Now(), pm.msg)
		s.view.put(pm.rcpts[0].key, 2, time.Now(), pm.rcpts[0].val)
		s.view.put(k, 3, time.Now(), val)
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := s.Due(now, 100); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Queued(100, func(store.QueuedPart) {}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.List(store.ListQuery{}); err != nil {
			t.Fatal(err)
		}
		for _, fn := range []func() error{
			func() error { _, err := s.Campaigns(10); return err },
			func() error { _, err := s.Overdue(now, 10); return err },
			func() error { _, err := s.ParkedReceipts(); return err },
			func() error { _, err := s.StaleSegments(now, 10); return err },
			func() error { _, _, err := s.Conversations("", "", 10); return err },
			func() error { _, err := s.Watches("smpp", "", 10); return err },
		} {
			if err := fn(); err != nil {
				t.Fatal(err)
			}
		}
		st, err := s.Stats()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range st {
			total += n
		}
		if m, err := s.Message("m"); err == nil {
			parts := 0
			for _, r := range m.Recipients {
				parts += len(r.Parts)
			}
			if parts != total {
				t.Fatalf("Stats count %d parts, the message has %d", total, parts)
			}
		}
		// Taking the key out again leaves the view as it was.
		s.view.removed(k, 4, time.Now())
		if k != msgKey("m") && k != pm.rcpts[0].key {
			if _, err := s.Message("m"); err != nil {
				t.Fatalf("the message went with key %q: %v", k, err)
			}
		}
	})
}
