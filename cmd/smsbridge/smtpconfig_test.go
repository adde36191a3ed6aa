package main

import (
	"reflect"
	"testing"

	"github.com/smsbridge/smsbridge/configs"
)

// TestSMTPLimitsComeFromTheConfiguration: smtpd has no defaults of its own
// for its limits (zero means none), so every limit it has must be set from
// the configuration, whose defaults are the only ones.
func TestSMTPLimitsComeFromTheConfiguration(t *testing.T) {
	t.Parallel()
	sc, _, err := smtpConfig(configs.Default(), quietLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Delays and waits that are no configuration keys keep smtpd's
	// defaults.
	internal := map[string]bool{"AuthFailDelay": true, "AuthMaxDelay": true, "InFlightWait": true, "DataGrace": true}
	v := reflect.ValueOf(sc)
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.Int, reflect.Int64:
			if internal[name] {
				continue
			}
			if f.Int() == 0 {
				t.Errorf("smtpd.Config.%s is 0: the configuration does not set it", name)
			}
		}
	}
	d := configs.Default().SMTP
	if sc.MaxLineLength != d.MaxLineLength || sc.ReadTimeout != d.ReadTimeout.Duration || sc.DataTimeout != d.DataTimeout.Duration {
		t.Errorf("smtpd gets max line %d, read timeout %v, data timeout %v; the configuration says %d, %v, %v",
			sc.MaxLineLength, sc.ReadTimeout, sc.DataTimeout, d.MaxLineLength, d.ReadTimeout, d.DataTimeout)
	}
}
