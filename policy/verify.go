package policy

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/mail"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dkim"

	"github.com/smsbridge/smsbridge/smtpd"
)

// Mode is what sender verification does with its verdict.
type Mode int

const (
	Off    Mode = iota // no checks
	Tag                // add Authentication-Results, accept
	Reject             // also refuse failures: 550 5.7.1, 451 4.4.3 on DNS trouble
)

// ParseMode reads the [smtp] sender_verification key.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "off":
		return Off, nil
	case "tag":
		return Tag, nil
	case "reject":
		return Reject, nil
	}
	return Off, fmt.Errorf("sender verification %q is not off, tag or reject", s)
}

// Resolver is the DNS the checks use; *net.Resolver is one. Tests give a
// fake so that they run offline.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

type verifier struct {
	dns    Resolver
	servID string
}

func newVerifier(r Resolver, servID string) *verifier {
	if r == nil {
		r = net.DefaultResolver
	}
	if servID == "" {
		servID = "smsbridge"
	}
	return &verifier{dns: r, servID: servID}
}

// Result is what the checks of one mail found. Values are those of
// RFC 8601: pass, fail, softfail, neutral, none, temperror, permerror.
type Result struct {
	servID     string
	SPF        string
	SPFDomain  string // the MAIL FROM (or HELO) domain checked
	DKIM       string // the best signature's result
	DKIMPass   []string
	DMARC      string
	DMARCRule  string // the policy that applies: none, quarantine, reject
	FromDomain string
}

func (v *verifier) check(ctx context.Context, env *smtpd.Envelope, body []byte) Result {
	r := Result{servID: v.servID}
	r.SPF, r.SPFDomain = v.spf(ctx, env)
	r.DKIM, r.DKIMPass = v.dkim(ctx, body)
	r.FromDomain = headerFromDomain(body)
	r.DMARC, r.DMARCRule = v.dmarc(ctx, r)
	return r
}

func (v *verifier) spf(ctx context.Context, env *smtpd.Envelope) (result, domain string) {
	ip := clientIP(env.RemoteAddr)
	sender := env.From
	if sender == "" {
		sender = "postmaster@" + env.Helo
	}
	_, domain, _ = strings.Cut(sender, "@")
	res, _ := spf.CheckHostWithSender(ip, env.Helo, sender, spf.WithResolver(v.dns), spf.WithContext(ctx))
	return string(res), strings.ToLower(strings.TrimSuffix(domain, "."))
}

func clientIP(a net.Addr) net.IP {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP
	}
	if a == nil {
		return nil
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return nil
	}
	return net.ParseIP(host)
}

// dkim verifies every signature; the result is pass when one passes.
func (v *verifier) dkim(ctx context.Context, body []byte) (string, []string) {
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(body), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) { return v.dns.LookupTXT(ctx, name) },
		// A mail with many signatures must not make us query DNS many times.
		MaxVerifications: 5,
	})
	if err != nil {
		return "permerror", nil
	}
	if len(verifs) == 0 {
		return "none", nil
	}
	best := "fail"
	var passed []string
	for _, vr := range verifs {
		switch {
		case vr.Err == nil:
			passed = append(passed, strings.ToLower(vr.Domain))
		case dkim.IsTempFail(vr.Err) && best == "fail":
			best = "temperror"
		case dkim.IsPermFail(vr.Err) && best == "fail":
			best = "permerror"
		}
	}
	if len(passed) > 0 {
		return "pass", passed
	}
	return best, nil
}

// headerFromDomain is the domain of the From header ("" when there is no
// single readable address).
func headerFromDomain(body []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	list, err := m.Header.AddressList("From")
	if err != nil || len(list) != 1 {
		return ""
	}
	at := strings.LastIndexByte(list[0].Address, '@')
	return strings.ToLower(strings.TrimSuffix(list[0].Address[at+1:], "."))
}
