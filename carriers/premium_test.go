package carriers

import (
	"math/rand/v2"
	"strconv"
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
