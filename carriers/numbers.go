// Package carriers knows about destinations: phone numbers (parsed and checked
// with libphonenumber's metadata), the table of carrier email-to-SMS gateway
// domains, and the routes that pick a transport for a number.
package carriers

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxInput bounds what is handed to the parser: no E.164 number with any
// international prefix and separators comes near it.
const maxInput = 64

// NumberPolicy normalizes and checks destination numbers.
type NumberPolicy struct {
	DefaultRegion    string   // region for national numbers, e.g. "US"
	Strict           bool     // require a valid number per the numbering plan; else possible is enough
	AllowedCountries []string // region codes; empty = any
	// AllowPremium permits premium-rate, shared-cost, UAN, voicemail and pager
	// numbers. Only valid numbers have a known type, so only they are refused.
	AllowPremium bool

	cache *NumberCache // set by Cached
}

// NumberError says why a local part is not an acceptable number. Reason is
// meant for the client (an SMTP reply), so it never holds internals.
type NumberError struct {
	Input  string
	Reason string
}

func (e *NumberError) Error() string { return e.Input + ": " + e.Reason }

// Normalize parses local, the local part of an address ("4151234567",
// "+14151234567", "1-415-123-4567", "(415)123-4567", "0044 20 7946 0958"),
// and returns it in E.164 form ("+14151234567") or a *NumberError.
func (p NumberPolicy) Normalize(local string) (string, error) {
	n, ok := p.cache.get(p, local)
	if !ok {
		n = p.normalize(local)
		p.cache.put(p, local, n)
	}
	if n.reason != "" {
		return "", &NumberError{Input: local, Reason: n.reason}
	}
	return n.e164, nil
}

func (p NumberPolicy) normalize(local string) normalized {
	fail := func(reason string) normalized { return normalized{reason: reason} }
	digits, plus, reason := cleanNumber(local)
	if reason != "" {
		return fail(reason)
	}
	region := strings.ToUpper(p.DefaultRegion)
	num, reason := parseNumber(digits, plus, region)
	if reason != "" {
		return fail(reason)
	}
	if reason := p.check(num); reason != "" {
		return fail(reason)
	}
	out := e164(num)
	if !stable(num, out) {
		return fail("not a possible number")
	}
	return normalized{e164: out}
}

// stable reports whether an E.164 result parses back to itself. The parser
// strips a national prefix even after a country code ("+27 0…"), so a national
// part that still starts with it would shrink on every pass; such numbers are
// not real and are refused rather than stored in a form that changes. Only a
// national part that starts with its country's trunk prefix can shrink, so
// only those are parsed again (parsing is the costly part of accepting mail).
func stable(num *phonenumbers.PhoneNumber, out string) bool {
	cc := int(num.GetCountryCode())
	trunk := phonenumbers.GetNddPrefixForRegion(phonenumbers.GetRegionCodeForCountryCode(cc), true)
	if trunk != "" && !strings.HasPrefix(phonenumbers.GetNationalSignificantNumber(num), trunk) {
		return true
	}
	again, err := phonenumbers.Parse(out, "ZZ")
	return err == nil && e164(again) == out
}

// e164 formats by hand: phonenumbers.Format returns the raw input instead for
// numbers whose national part is all zeros.
func e164(num *phonenumbers.PhoneNumber) string {
	return "+" + strconv.Itoa(int(num.GetCountryCode())) + phonenumbers.GetNationalSignificantNumber(num)
}

// cleanNumber keeps the digits of s, dropping the usual separators, and says
// whether it started with "+". Anything else (letters, a "+" inside) is refused.
func cleanNumber(s string) (digits string, plus bool, reason string) {
	s = strings.TrimSpace(s)
	if len(s) > maxInput {
		return "", false, "too long"
	}
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		plus, s = true, rest
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == '.' || r == ' ' || r == '(' || r == ')':
		default:
			return "", false, "not a phone number"
		}
	}
	if b.Len() == 0 {
		return "", false, "not a phone number"
	}
	return b.String(), plus, ""
}

// parseNumber turns digits into a number. Without a "+", the region's own
// international prefix (011 in North America) is recognised by the parser;
// "00" is taken as international everywhere, since no national number starts
// with it where 00 is not the international prefix already.
func parseNumber(digits string, plus bool, region string) (*phonenumbers.PhoneNumber, string) {
	if plus {
		return parseWith("+"+digits, "ZZ")
	}
	if region == "" || phonenumbers.GetCountryCodeForRegion(region) == 0 {
		if rest, ok := strings.CutPrefix(digits, "00"); ok {
			return parseWith("+"+rest, "ZZ")
		}
		return nil, "national number without a country code"
	}
	num, reason := parseWith(digits, region)
	if rest, ok := strings.CutPrefix(digits, "00"); ok && fromDefaultCountry(num) {
		return parseWith("+"+rest, region)
	}
	return num, reason
}

func fromDefaultCountry(num *phonenumbers.PhoneNumber) bool {
	return num != nil && num.GetCountryCodeSource() == phonenumbers.PhoneNumber_FROM_DEFAULT_COUNTRY
}

func parseWith(s, region string) (*phonenumbers.PhoneNumber, string) {
	num, err := phonenumbers.ParseAndKeepRawInput(s, region)
	switch {
	case err == nil:
		return num, ""
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return nil, "unknown country code"
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return nil, "too short"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return nil, "too long"
	default:
		return nil, "not a phone number"
	}
}

// check applies the policy to a parsed number and returns a reason to refuse
// it, or "".
func (p NumberPolicy) check(num *phonenumbers.PhoneNumber) string {
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "too short"
	case phonenumbers.TOO_LONG:
		return "too long"
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "unknown country code"
	default:
		return "not a possible number"
	}
	// Validity and the region are costly to work out: only when asked for.
	if p.Strict && !phonenumbers.IsValidNumber(num) {
		return "not a valid number in " + regionOf(num)
	}
	if len(p.AllowedCountries) > 0 {
		region := regionOf(num)
		if !slices.ContainsFunc(p.AllowedCountries, func(c string) bool { return strings.EqualFold(c, region) }) {
			return "country " + region + " not allowed"
		}
	}
	if !p.AllowPremium {
		// An invalid number has no known type (UNKNOWN); one that begins
		// with a premium-like number is dialled as that number by many
		// networks, extra digits ignored.
		if kind := chargedKind(num); kind != "" {
			return kind + " numbers not allowed"
		}
		if kind := chargedPrefixKind(num); kind != "" {
			return kind + " numbers not allowed (the number begins with one)"
		}
	}
	return ""
}

// regionOf is the number's region, or for a number the plan does not know
// (possible but not valid) the main region of its calling code, so that
// allowed_countries = ["US"] still admits test ranges such as 415-123-xxxx.
func regionOf(num *phonenumbers.PhoneNumber) string {
	if r := phonenumbers.GetRegionCodeForNumber(num); isRegion(r) {
		return r
	}
	if r := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())); isRegion(r) {
		return r
	}
	return "unknown"
}

func isRegion(r string) bool { return len(r) == 2 && r != "ZZ" }

// chargedKind names num's kind when it is one that costs the sender (or
// reaches no phone), or returns "".
func chargedKind(num *phonenumbers.PhoneNumber) string {
	if !maybeCharged(num) {
		return ""
	}
	return premiumKind(phonenumbers.GetNumberType(num))
}

func premiumKind(t phonenumbers.PhoneNumberType) string {
	switch t {
	case phonenumbers.PREMIUM_RATE:
		return "premium-rate"
	case phonenumbers.SHARED_COST:
		return "shared-cost"
	case phonenumbers.UAN:
		return "UAN"
	case phonenumbers.VOICEMAIL:
		return "voicemail"
	case phonenumbers.PAGER:
		return "pager"
	}
	return ""
}

// Format returns an E.164 number in international human form
// ("+1 415-123-4567"); input it cannot parse is returned unchanged.
func Format(e164 string) string {
	num, err := parseE164(e164)
	if err != nil {
		return e164
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

func parseE164(s string) (*phonenumbers.PhoneNumber, error) {
	if !strings.HasPrefix(s, "+") || len(s) > maxInput {
		return nil, errors.New("not an E.164 number")
	}
	return phonenumbers.Parse(s, "ZZ")
}

// KnownRegion reports whether code is a region of the numbering plan ("US",
// "GB"), case-insensitively; non-geographic "001" is not one.
func KnownRegion(code string) bool {
	code = strings.ToUpper(code)
	return isRegion(code) && phonenumbers.GetCountryCodeForRegion(code) != 0
}
