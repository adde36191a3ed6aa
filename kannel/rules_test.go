package kannel

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

func TestReached(t *testing.T) {
	sent := func(s store.PartState) store.Part {
		return store.Part{State: s, Transport: "smsc", TransportID: "id1"}
	}
	cases := []struct {
		name  string
		parts []store.Part
		want  string // the values, in order
		final bool
	}{
		{"queued", []store.Part{{State: store.PartQueued}}, "", false},
		{"waiting for a retry", []store.Part{{State: store.PartQueued, Attempts: 1, Error: "busy"}}, "4", false},
		{"submitted", []store.Part{sent(store.PartSubmitted)}, "8", false},
		{"one of two submitted", []store.Part{sent(store.PartSubmitted), {State: store.PartSubmitting}}, "", false},
		{"delivered", []store.Part{sent(store.PartDelivered), sent(store.PartDelivered)}, "8,1", true},
		{"one part undelivered", []store.Part{sent(store.PartDelivered), sent(store.PartFailed)}, "8,2", true},
		{"expired at the network", []store.Part{sent(store.PartExpired)}, "8,2", true},
		{"refused by the network", []store.Part{{State: store.PartFailed, Error: "invalid number"}}, "16", true},
		{"cancelled before sending", []store.Part{{State: store.PartCancelled}}, "16", true},
		{"accepted late", []store.Part{{State: store.PartDelivered, AlsoID: "x"}}, "8,1", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reps, final := reached(c.parts)
			var got []string
			for _, r := range reps {
				got = append(got, strconv.Itoa(r.Value))
			}
			if strings.Join(got, ",") != c.want || final != c.final {
				t.Errorf("reached %v final %v, want %s %v", got, final, c.want, c.final)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	f := follow{URL: "", From: "00441234", User: "app"}
	rep := report{Value: 1, Reply: "DELIVRD", SMSC: "smsc a", Number: "+14155550100",
		Time: time.Date(2026, 3, 1, 14, 18, 59, 0, time.FixedZone("x", 3600)), ID: "M1", NetworkID: "N/1"}
	cases := []struct{ tmpl, want string }{
		{"http://h/d?s=%d", "http://h/d?s=1"},
		{"http://h/d?p=%p&P=%P&q=%q&Q=%Q", "http://h/d?p=%2B14155550100&P=00441234&q=%2B14155550100&Q=%2B441234"},
		{"http://h/d?t=%t&T=%T", "http://h/d?t=2026-03-01+13%3A18&T=1772371139"},
		{"http://h/d?a=%A&i=%i&n=%n&I=%I&F=%F", "http://h/d?a=DELIVRD&i=smsc+a&n=app&I=M1&F=N%2F1"},
		{"http://h/d?x=%x&pct=%%&end=%", "http://h/d?x=&pct=%&end=%"},
	}
	for _, c := range cases {
		f.URL = c.tmpl
		if got := expand(f, rep); got != c.want {
			t.Errorf("expand(%q) = %q, want %q", c.tmpl, got, c.want)
		}
	}
}

func TestScanInt(t *testing.T) {
	cases := map[string]int{"": undefined, "12": 12, " 7x": 7, "+3": 3, "-5": -5, "abc": undefined, "-": undefined,
		"99999999999999999999": undefined - 1}
	for in, want := range cases {
		if got := scanInt(in); got != want {
			t.Errorf("scanInt(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFollowRoundTrip(t *testing.T) {
	f := follow{URL: "http://h/d?a=%d&b=x y", Mask: 31, From: "me&you", User: "app"}
	got, err := decodeFollow(f.encode())
	if err != nil || got != f {
		t.Errorf("decodeFollow = %+v, %v; want %+v", got, err, f)
	}
	if _, err := decodeFollow([]byte("m=x")); err == nil {
		t.Error("a mask that is no number decoded")
	}
}

func FuzzReadRequest(f *testing.F) {
	f.Add("to=%2B14155550100+12&text=hi&dlr-mask=31&dlr-url=http://x/%25d&coding=2&charset=latin1&validity=5&priority=1")
	f.Add("to=&udh=%05%00%03%01%02%01")
	f.Add("to=1&text=%FF&coding=0")
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		req, ref := readRequest(cgi(v))
		if (req == nil) == (ref == nil) {
			t.Fatalf("readRequest gave %v and %v", req, ref)
		}
		if ref != nil {
			if ref.Status != 400 || !strings.HasSuffix(ref.Text, "rejected") {
				t.Fatalf("refusal %d %q", ref.Status, ref.Text)
			}
			return
		}
		if req.DLRMask > 63 || req.Coding == 1 || req.Priority > 3 {
			t.Fatalf("accepted %+v", req)
		}
	})
}

func FuzzExpand(f *testing.F) {
	f.Add("http://h/d?s=%d&p=%p&t=%t&%", "+1&2")
	f.Fuzz(func(t *testing.T, tmpl, number string) {
		out := expand(follow{URL: tmpl}, report{Value: 2, Number: number})
		// Every value is escaped: the number never appears raw unless it
		// needs no escaping.
		if strings.Contains(number, "&") && strings.Contains(tmpl, "%p") && strings.Count(out, "&") > strings.Count(tmpl, "&") {
			t.Fatalf("expand(%q) with %q = %q: a value broke out", tmpl, number, out)
		}
	})
}
