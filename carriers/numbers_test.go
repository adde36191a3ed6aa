package carriers

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	us := NumberPolicy{DefaultRegion: "US"}
	strict := NumberPolicy{DefaultRegion: "US", Strict: true}
	tests := []struct {
		name   string
		policy NumberPolicy
		in     string
		want   string // E.164 on success
		reason string // NumberError.Reason on failure
	}{
		{"national", us, "4151234567", "+14151234567", ""},
		{"plus", us, "+14151234567", "+14151234567", ""},
		{"dashes with trunk 1", us, "1-415-123-4567", "+14151234567", ""},
		{"parens", us, "(415)123-4567", "+14151234567", ""},
		{"eleven digits", us, "14151234567", "+14151234567", ""},
		{"dots and spaces", us, " 415.123 4567 ", "+14151234567", ""},
		{"lower-case region", NumberPolicy{DefaultRegion: "us"}, "4151234567", "+14151234567", ""},
		{"00 prefix from US", us, "0044 20 7946 0958", "+442079460958", ""},
		{"011 prefix from US", us, "011 44 20 7946 0958", "+442079460958", ""},
		{"UK mobile", us, "+447911123456", "+447911123456", ""},
		{"UK national", NumberPolicy{DefaultRegion: "GB"}, "07911 123456", "+447911123456", ""},
		{"German mobile", us, "+49 170 1234567", "+491701234567", ""},
		{"German national", NumberPolicy{DefaultRegion: "DE"}, "0170 1234567", "+491701234567", ""},
		{"German 00 prefix", NumberPolicy{DefaultRegion: "DE"}, "0044 20 7946 0958", "+442079460958", ""},
		{"no region needs plus", NumberPolicy{}, "4151234567", "", "national number without a country code"},
		{"no region with plus", NumberPolicy{}, "+4930123456", "+4930123456", ""},
		{"no region with 00", NumberPolicy{}, "004930123456", "+4930123456", ""},

		{"strict rejects test range", strict, "4151234567", "", "not a valid number in US"},
		{"strict accepts valid", strict, "4155550100", "+14155550100", ""},
		{"strict accepts valid UK", strict, "+442079460958", "+442079460958", ""},
		{"strict rejects invalid UK", strict, "+447700900123", "", "not a valid number in GB"},
		{"possible UK without strict", us, "+447700900123", "+447700900123", ""},

		{"letters", us, "alice", "", "not a phone number"},
		{"letters inside", us, "415-CALL-NOW", "", "not a phone number"},
		{"empty", us, "", "", "not a phone number"},
		{"only separators", us, "--", "", "not a phone number"},
		{"plus inside", us, "415+1234567", "", "not a phone number"},
		{"double plus", us, "++14151234567", "", "not a phone number"},
		{"equals encoding", us, "=2B14151234567", "", "not a phone number"},
		{"too short", us, "123", "", "too short"},
		{"local only", us, "1234567", "", "too short"},
		{"too long", us, "+1415123456789012", "", "too long"},
		{"far too long", us, strings.Repeat("1", 100), "", "too long"},
		{"unknown country", us, "+999123456789", "", "unknown country code"},

		{"allowed country", NumberPolicy{DefaultRegion: "US", AllowedCountries: []string{"US", "CA"}}, "+14155550100", "+14155550100", ""},
		{"allowed test range via calling code", NumberPolicy{DefaultRegion: "US", AllowedCountries: []string{"US"}}, "4151234567", "+14151234567", ""},
		{"disallowed country", NumberPolicy{DefaultRegion: "US", AllowedCountries: []string{"US", "CA"}}, "+442079460958", "", "country GB not allowed"},
		{"allowed lower case", NumberPolicy{DefaultRegion: "US", AllowedCountries: []string{"gb"}}, "+442079460958", "+442079460958", ""},
		{"canada is not US", NumberPolicy{DefaultRegion: "US", AllowedCountries: []string{"US"}}, "+16135550100", "", "country CA not allowed"},

		{"premium US 900", us, "+19005551234", "", "premium-rate numbers not allowed"},
		{"premium UK 09", us, "+449012345678", "", "premium-rate numbers not allowed"},
		{"premium allowed", NumberPolicy{DefaultRegion: "US", AllowPremium: true}, "+19005551234", "+19005551234", ""},
		{"shared cost DE 0180", us, "+4918012345", "", "shared-cost numbers not allowed"},
		{"UAN UK 055", us, "+445512345678", "", "UAN numbers not allowed"},
		{"pager UK 076", us, "+447640123456", "", "pager numbers not allowed"},
		{"voicemail DE 0177 99", us, "+49177991234567", "", "voicemail numbers not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.policy.Normalize(tc.in)
			if tc.reason == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			var ne *NumberError
			if !errors.As(err, &ne) {
				t.Fatalf("Normalize(%q) = %q, %v; want NumberError %q", tc.in, got, err, tc.reason)
			}
			if ne.Reason != tc.reason || ne.Input != tc.in || got != "" {
				t.Fatalf("Normalize(%q) = %q, %+v; want reason %q", tc.in, got, ne, tc.reason)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, format string }{
		{"+14155550100", "+1 415-555-0100"},
		{"+14151234567", "+1 415-123-4567"}, // possible, not valid
		{"+16135550100", "+1 613-555-0100"},
		{"+442079460958", "+44 20 7946 0958"},
		{"+491701234567", "+49 170 1234567"},
		{"14151234567", "14151234567"}, // not E.164: unchanged
		{"", ""},
		{"+abc", "+abc"},
	}
	for _, tc := range tests {
		if got := Format(tc.in); got != tc.format {
			t.Errorf("Format(%q) = %q, want %q", tc.in, got, tc.format)
		}
	}
}

func TestNumberErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := NumberPolicy{DefaultRegion: "US"}.Normalize("bob")
	if err == nil || err.Error() != "bob: not a phone number" {
		t.Fatalf("err = %v", err)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"4151234567", "+14151234567", "1-415-123-4567", "(415)123-4567",
		"0044 20 7946 0958", "011 49 170 1234567", "+19005551234", "07911 123456", "++1", "0", "00", "+"} {
		f.Add(s, "US", false)
		f.Add(s, "GB", true)
	}
	f.Fuzz(func(t *testing.T, in, region string, strict bool) {
		p := NumberPolicy{DefaultRegion: region, Strict: strict}
		out, err := p.Normalize(in)
		if err != nil {
			var ne *NumberError
			if !errors.As(err, &ne) || ne.Reason == "" {
				t.Fatalf("Normalize(%q) error %v is not a NumberError with a reason", in, err)
			}
			return
		}
		if !strings.HasPrefix(out, "+") {
			t.Fatalf("Normalize(%q) = %q, no '+'", in, out)
		}
		again, err := p.Normalize(out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", in, out, out, again, err)
		}
		_ = Format(out)
	})
}

func TestKnownRegion(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{"US": true, "us": true, "GB": true, "DE": true, "AC": true,
		"ZZ": false, "XX": false, "001": false, "": false, "USA": false} {
		if got := KnownRegion(code); got != want {
			t.Errorf("KnownRegion(%q) = %v, want %v", code, got, want)
		}
	}
}

// TestCachedAnswersAsUncached: a cached policy answers as the plain one, the
// second time too, errors included; a copy with other fields does not use
// the answers of the first.
func TestCachedAnswersAsUncached(t *testing.T) {
	plain := NumberPolicy{DefaultRegion: "US"}
	cached := plain.Cached()
	inputs := []string{"4155550100", "+14155550100", "1-415-555-0100", "(415)555-0100", "19005550123", "12", "+999123", "abc", "0044 20 7946 0958"}
	for range 2 {
		for _, in := range inputs {
			want, wantErr := plain.Normalize(in)
			got, err := cached.Normalize(in)
			if got != want || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Errorf("Normalize(%q): cached %q, %v; plain %q, %v", in, got, err, want, wantErr)
			}
		}
	}
	premium := cached
	premium.AllowPremium = true
	if _, err := premium.Normalize("19005550123"); err != nil {
		t.Errorf("a copy allowing premium numbers used the cached refusal: %v", err)
	}
	if _, err := cached.Normalize("19005550123"); err == nil {
		t.Error("the cached policy lost its refusal of a premium number")
	}
}
