package policy

import (
	"github.com/emersion/go-msgauth/authres"

	"github.com/smsbridge/smsbridge/smtpd"
)

// header is the Authentication-Results field (RFC 8601) for r, CRLF-ended.
func (r Result) header() string {
	results := []authres.Result{
		&authres.SPFResult{Value: authres.ResultValue(r.SPF), From: r.SPFDomain},
		&authres.DKIMResult{Value: authres.ResultValue(r.DKIM), Domain: first(r.DKIMPass)},
		&authres.DMARCResult{Value: authres.ResultValue(r.DMARC), From: r.FromDomain},
	}
	return "Authentication-Results: " + authres.Format(r.servID, results) + "\r\n"
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// refusal is the reply that reject mode gives, or nil to accept: a DMARC
// failure under a quarantine or reject policy, or an SPF failure that DMARC
// does not override, is refused; DNS trouble that leaves the verdict open
// is a temporary failure.
func (r Result) refusal() error {
	switch {
	case r.DMARC == "fail" && r.DMARCRule != "none" && r.DMARCRule != "":
		return smtpd.Errorf(550, [3]int{5, 7, 1}, "Rejected by the DMARC policy of %s", r.FromDomain)
	case r.SPF == "fail" && r.DMARC != "pass":
		return smtpd.Errorf(550, [3]int{5, 7, 1}, "SPF check failed: the client may not send for %s", r.SPFDomain)
	case r.DMARC == "temperror" || (r.SPF == "temperror" && r.DMARC != "pass"):
		return smtpd.Errorf(451, [3]int{4, 4, 3}, "Sender verification failed temporarily (DNS), try again later")
	}
	return nil
}
