package policy

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/dmarc"
)

// maxDMARCWalk bounds the parent domains tried for a DMARC record.
const maxDMARCWalk = 4

// dmarc evaluates the From domain's DMARC policy against the SPF and DKIM
// results. Without the public suffix list, the organizational domain is
// taken to be where the record was found (the DMARCbis tree walk, in
// short): the From domain or its nearest parent with a record.
func (v *verifier) dmarc(ctx context.Context, r Result) (result, rule string) {
	if r.FromDomain == "" {
		return "permerror", ""
	}
	rec, orgDomain, err := v.lookupDMARC(ctx, r.FromDomain)
	switch {
	case errors.Is(err, dmarc.ErrNoPolicy):
		return "none", ""
	case dmarc.IsTempFail(err):
		return "temperror", ""
	case err != nil:
		return "permerror", ""
	}
	rule = string(rec.Policy)
	if orgDomain != r.FromDomain && rec.SubdomainPolicy != "" {
		rule = string(rec.SubdomainPolicy)
	}
	spfOK := r.SPF == "pass" && aligned(r.SPFDomain, r.FromDomain, orgDomain, rec.SPFAlignment)
	dkimOK := false
	for _, d := range r.DKIMPass {
		dkimOK = dkimOK || aligned(d, r.FromDomain, orgDomain, rec.DKIMAlignment)
	}
	if spfOK || dkimOK {
		return "pass", rule
	}
	if r.SPF == "temperror" || r.DKIM == "temperror" {
		return "temperror", rule
	}
	return "fail", rule
}

func (v *verifier) lookupDMARC(ctx context.Context, domain string) (*dmarc.Record, string, error) {
	opts := &dmarc.LookupOptions{LookupTXT: func(name string) ([]string, error) {
		txts, err := v.dns.LookupTXT(ctx, name)
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, nil // no record: not an error
		}
		return txts, err
	}}
	d := domain
	for range maxDMARCWalk {
		rec, err := dmarc.LookupWithOptions(d, opts)
		if !errors.Is(err, dmarc.ErrNoPolicy) {
			return rec, d, err
		}
		_, parent, ok := strings.Cut(d, ".")
		if !ok || !strings.Contains(parent, ".") {
			break
		}
		d = parent
	}
	return nil, "", dmarc.ErrNoPolicy
}

// aligned reports whether an authenticated domain d matches the From
// domain: exactly in strict mode, within the organizational domain in
// relaxed mode (the default).
func aligned(d, from, org string, mode dmarc.AlignmentMode) bool {
	if d == from {
		return true
	}
	if mode == dmarc.AlignmentStrict {
		return false
	}
	within := func(x string) bool { return x == org || strings.HasSuffix(x, "."+org) }
	return within(d) && within(from)
}
