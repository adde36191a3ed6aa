package policy

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/smtpd"
)

const mailFromExample = "From: Alerts <alerts@example.com>\r\nTo: 4151234567@sms.test\r\nSubject: disk\r\n\r\ndisk full\r\n"

// TestVerification runs SPF, DKIM and DMARC against a fake DNS with real
// ed25519 signatures, in tag and reject mode.
func TestVerification(t *testing.T) {
	t.Parallel()
	good, other := newDKIMKey(t), newDKIMKey(t)
	dns := &fakeDNS{txt: map[string][]string{
		"example.com":                    {"v=spf1 ip4:192.0.2.10 -all"},
		"s1._domainkey.example.com":      {good.txt},
		"_dmarc.example.com":             {"v=DMARC1; p=reject"},
		"soft.test":                      {"v=spf1 ~all"},
		"s1._domainkey.signer.test":      {good.txt},
		"_dmarc.none.test":               {"v=DMARC1; p=none"},
		"none.test":                      {"v=spf1 -all"},
		"_dmarc.parent.test":             {"v=DMARC1; p=quarantine"},
		"s1._domainkey.parent.test":      {good.txt},
		"s1._domainkey.mail.parent.test": {good.txt},
	}, temp: map[string]bool{"_dmarc.flaky.test": true, "flaky.test": true}}
	unsigned := []byte(mailFromExample)
	fromParent := strings.Replace(mailFromExample, "alerts@example.com", "x@mail.parent.test", 1)
	tests := []struct {
		name          string
		ip, mailFrom  string
		body          []byte
		spf, dkim, dm string
		reject        string // reply prefix in reject mode; "" = accepted
	}{
		{"spf pass aligned", "192.0.2.10", "alerts@example.com", unsigned, "pass", "none", "pass", ""},
		{"spf fail, no dkim", "198.51.100.1", "alerts@example.com", unsigned, "fail", "none", "fail", "550 5.7.1"},
		{"dkim pass rescues spf fail", "198.51.100.1", "alerts@example.com", good.sign(t, "example.com", mailFromExample), "fail", "pass", "pass", ""},
		{"dkim by the wrong key", "198.51.100.1", "alerts@example.com", other.sign(t, "example.com", mailFromExample), "fail", "fail", "fail", "550 5.7.1"},
		{"tampered after signing", "192.0.2.10", "bounce@soft.test", []byte(strings.Replace(string(good.sign(t, "example.com", mailFromExample)), "disk full", "disk empty", 1)), "softfail", "fail", "fail", "550 5.7.1"},
		{"unaligned dkim", "198.51.100.1", "bounce@soft.test", good.sign(t, "signer.test", mailFromExample), "softfail", "pass", "fail", "550 5.7.1"},
		{"no records at all", "198.51.100.1", "a@nowhere.test", []byte(strings.Replace(mailFromExample, "example.com", "nowhere.test", 1)), "none", "none", "none", ""},
		{"dmarc p=none", "198.51.100.1", "a@soft.test", []byte(strings.Replace(mailFromExample, "example.com", "none.test", 1)), "softfail", "none", "fail", ""},
		{"spf fail under p=none", "198.51.100.1", "a@none.test", []byte(strings.Replace(mailFromExample, "example.com", "none.test", 1)), "fail", "none", "fail", "550 5.7.1"},
		{"relaxed alignment via parent record", "198.51.100.1", "a@soft.test", good.sign(t, "parent.test", fromParent), "softfail", "pass", "pass", ""},
		{"parent policy quarantine", "198.51.100.1", "a@soft.test", []byte(fromParent), "softfail", "none", "fail", "550 5.7.1"},
		{"dns trouble", "198.51.100.1", "a@flaky.test", []byte(strings.Replace(mailFromExample, "example.com", "flaky.test", 1)), "temperror", "none", "temperror", "451 4.4.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := &smtpd.Envelope{ID: "c1", RemoteAddr: &net.TCPAddr{IP: net.ParseIP(tt.ip), Port: 25}, Helo: "client.test", From: tt.mailFrom}
			for _, mode := range []Mode{Tag, Reject} {
				p := newTestPolicy(t, Config{Verification: mode, Resolver: dns, AuthServID: "mx.test"})
				out, err := p.Data(context.Background(), env, tt.body)
				if mode == Reject && tt.reject != "" {
					if err == nil || !strings.HasPrefix(replyOf(err), tt.reject) {
						t.Fatalf("reject mode: %v, want %s", err, tt.reject)
					}
					continue
				}
				if err != nil {
					t.Fatalf("mode %d: %v", mode, err)
				}
				hdr, _, _ := strings.Cut(string(out), "\r\n")
				for _, want := range []string{"Authentication-Results: mx.test;", "spf=" + tt.spf, "dkim=" + tt.dkim, "dmarc=" + tt.dm} {
					if !strings.Contains(hdr, want) {
						t.Errorf("mode %d: header %q lacks %q", mode, hdr, want)
					}
				}
				if !strings.HasSuffix(string(out), string(tt.body)) {
					t.Errorf("message changed beyond the added header")
				}
			}
		})
	}
}

func replyOf(err error) string {
	if e, ok := err.(*smtpd.Error); ok {
		return e.Error()
	}
	return err.Error()
}

func TestVerificationSkipsAuthenticatedAndOff(t *testing.T) {
	t.Parallel()
	dns := &fakeDNS{txt: map[string][]string{"example.com": {"v=spf1 -all"}}}
	body := []byte(mailFromExample)
	env := &smtpd.Envelope{RemoteAddr: &net.TCPAddr{IP: net.ParseIP("198.51.100.1")}, From: "a@example.com"}
	p := newTestPolicy(t, Config{Verification: Off, Resolver: dns})
	if out, err := p.Data(context.Background(), env, body); err != nil || string(out) != string(body) {
		t.Fatalf("off: %v %q", err, out)
	}
	env.User = "alerts"
	p = newTestPolicy(t, Config{Verification: Reject, Resolver: dns})
	if out, err := p.Data(context.Background(), env, body); err != nil || string(out) != string(body) {
		t.Fatalf("authenticated: %v %q", err, out)
	}
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Mode{"": Off, "off": Off, "tag": Tag, "reject": Reject} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseMode("strict"); err == nil {
		t.Error("ParseMode accepted \"strict\"")
	}
}

// FuzzVerify feeds arbitrary messages through the checks: no panic, and
// the header added is one line.
func FuzzVerify(f *testing.F) {
	k := newDKIMKey(f)
	f.Add([]byte(mailFromExample))
	f.Add(k.sign(f, "example.com", mailFromExample))
	f.Add([]byte("From: a@b, c@d\r\nDKIM-Signature: v=1; d=example.com; s=s1; b=; bh=\r\n\r\n"))
	f.Add([]byte("\r\n\r\n"))
	dns := &fakeDNS{txt: map[string][]string{
		"example.com": {"v=spf1 redirect=example.com"}, "s1._domainkey.example.com": {k.txt},
		"_dmarc.example.com": {"v=DMARC1; p=reject; adkim=s; aspf=s"},
	}}
	p, err := New(Config{Verification: Tag, Resolver: dns})
	if err != nil {
		f.Fatal(err)
	}
	env := &smtpd.Envelope{RemoteAddr: &net.TCPAddr{IP: net.ParseIP("192.0.2.1")}, From: "a@example.com", Helo: "h"}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := p.Data(context.Background(), env, body)
		if err != nil {
			t.Fatal(err)
		}
		hdr, _, _ := strings.Cut(string(out[:len(out)-len(body)]), "\r\n")
		if len(out)-len(body) != len(hdr)+2 {
			t.Fatalf("added header is not one line: %q", out[:len(out)-len(body)])
		}
	})
}
