package carriers

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// libphonenumber finds a number's type by first finding its region, which
// tries every region of the calling code in turn (25 for +1) with a full
// type check each, a dozen regular expressions apiece; a number valid in
// none pays for all of them. Almost no number is premium, so a cheap test
// comes first: one expression per calling code, the union of its
// territories' patterns for the kinds premiumKind refuses. Only a number
// that matches it has its exact type worked out.

var everyNumber = regexp.MustCompile("")

var (
	chargedMu     sync.Mutex
	chargedByCode = map[int32]*regexp.Regexp{} // nil: the code has none of those kinds
)

// maybeCharged is false for every number GetNumberType would find
// premium-rate, shared-cost, UAN, voicemail or pager.
func maybeCharged(num *phonenumbers.PhoneNumber) bool {
	re := chargedFor(num.GetCountryCode())
	return re != nil && re.MatchString(phonenumbers.GetNationalSignificantNumber(num))
}

// chargedFor builds a calling code's expression on first use, so that a
// start does not pay for every code.
func chargedFor(code int32) *regexp.Regexp {
	chargedMu.Lock()
	defer chargedMu.Unlock()
	if re, ok := chargedByCode[code]; ok {
		return re
	}
	var patterns []string
	if coll, err := phonenumbers.MetadataCollection(); err == nil {
		for _, md := range coll.GetMetadata() {
			if md.GetCountryCode() != code {
				continue
			}
			for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetPremiumRate(), md.GetSharedCost(), md.GetUan(), md.GetVoicemail(), md.GetPager()} {
				if p := d.GetNationalNumberPattern(); p != "" && !slices.Contains(patterns, p) {
					patterns = append(patterns, p)
				}
			}
		}
	}
	var re *regexp.Regexp
	if len(patterns) > 0 {
		var err error
		if re, err = regexp.Compile("^(?:(?:" + strings.Join(patterns, ")|(?:") + "))$"); err != nil {
			re = everyNumber // the exact check for every number, never a pass
		}
	}
	chargedByCode[code] = re
	return re
}

// chargedPrefixKind names the premium-like kind of the longest number that
// num's digits begin with, when num itself has no type: +49 900 1234567 is
// premium-rate, and so is +49 900 12345678, which is too long to be valid
// yet reaches the same line on networks that drop extra digits. A number
// of a known type (a valid mobile) is never refused for its prefix.
func chargedPrefixKind(num *phonenumbers.PhoneNumber) string {
	re := chargedFor(num.GetCountryCode())
	if re == nil {
		return ""
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	code := strconv.Itoa(int(num.GetCountryCode()))
	for n := len(nsn) - 1; n >= 2; n-- {
		if !re.MatchString(nsn[:n]) {
			continue
		}
		prefix, err := phonenumbers.Parse("+"+code+nsn[:n], "ZZ")
		if err != nil {
			continue
		}
		if kind := premiumKind(phonenumbers.GetNumberType(prefix)); kind != "" {
			if phonenumbers.GetNumberType(num) != phonenumbers.UNKNOWN {
				return ""
			}
			return kind
		}
	}
	return ""
}
