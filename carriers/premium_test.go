package carriers

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestChargedKindMatchesLibphonenumber: the quick test never lets through a
// number that libphonenumber's type says is premium-like, on the example
// numbers of every type in every region and on random numbers.
func TestChargedKindMatchesLibphonenumber(t *testing.T) {
	var nums []*phonenumbers.PhoneNumber
	types := []phonenumbers.PhoneNumberType{
		phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE,
		phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER,
		phonenumbers.UAN, phonenumbers.VOICEMAIL,
	}
	charged := 0
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range types {
			if n := phonenumbers.GetExampleNumberForType(region, typ); n != nil {
				nums = append(nums, n)
			}
		}
	}
	for code := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(code); n != nil {
			nums = append(nums, n)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	codes := []int{1, 7, 33, 44, 49, 61, 86, 91, 262, 358, 590, 800, 882}
	for range 20000 {
		code := codes[rng.IntN(len(codes))]
		digits := strconv.Itoa(2 + rng.IntN(8))
		for range 5 + rng.IntN(8) {
			digits += strconv.Itoa(rng.IntN(10))
		}
		if n, err := phonenumbers.Parse("+"+strconv.Itoa(code)+digits, "ZZ"); err == nil {
			nums = append(nums, n)
		}
	}
	for _, n := range nums {
		want := premiumKind(phonenumbers.GetNumberType(n))
		if want != "" {
			charged++
		}
		if got := chargedKind(n); got != want {
			t.Errorf("+%d %s: chargedKind %q, libphonenumber's type says %q", n.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(n), got, want)
		}
	}
	if charged < 50 {
		t.Errorf("only %d of %d numbers are premium-like: the test proves little", charged, len(nums))
	}
	t.Logf("%d numbers, %d premium-like", len(nums), charged)
}

// TestPremiumRangesRefused: under the default rules, premium-rate numbers
// are refused in several countries, also with digits too many to be valid
// (the issue's +49 900 12345678), while ordinary numbers of those
// countries, and premium ones with allow_premium, pass.
func TestPremiumRangesRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		number string
		want   string // "" when accepted
	}{
		{"+4990012345678", "premium-rate"},  // DE 0900, one digit too many
		{"+499001234567", "premium-rate"},   // DE 0900
		{"+49900123456789", "premium-rate"}, // DE 0900, two too many
		{"+491801234567", "shared-cost"},    // DE 0180
		{"+4915123456789", ""},              // DE mobile
		{"+390899123456", ""},               // IT fixed line (Genova area 089)
		{"+39899123456", "premium-rate"},    // IT 899
		{"+398991234567", "premium-rate"},   // IT 899, too long
		{"+3290012345", "premium-rate"},     // BE 0900
		{"+32900123457", "premium-rate"},    // BE 0900, too long
		{"+48701234567", "premium-rate"},    // PL 70x
		{"+487012345677", "premium-rate"},   // PL 70x, too long
		{"+43900123456", "premium-rate"},    // AT 0900
		{"+449098790000", "premium-rate"},   // GB 09
		{"+33891123456", "premium-rate"},    // FR 089
		{"+611900123456", "premium-rate"},   // AU 1900
		{"+61190012345678", "premium-rate"}, // AU 1900, too long
		{"+19005550123", "premium-rate"},    // US 900
		{"+14155550123", ""},                // US
		{"+447400123456", ""},               // GB mobile
		{"+33612345678", ""},                // FR mobile
	}
	def := NumberPolicy{DefaultRegion: "US"}
	allow := NumberPolicy{DefaultRegion: "US", AllowPremium: true}
	for _, tt := range tests {
		_, err := def.Normalize(tt.number)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.number, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want refused as %s", tt.number, err, tt.want)
		}
		if tt.want != "" {
			if _, err := allow.Normalize(tt.number); err != nil && strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s with allow_premium: %v", tt.number, err)
			}
		}
	}
}
