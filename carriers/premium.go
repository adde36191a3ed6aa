package carriers

import (
	"regexp"
	"slices"
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
