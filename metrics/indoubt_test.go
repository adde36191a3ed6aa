package metrics_test

import "testing"

func TestInDoubtCounters(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.m.SubmitInDoubt("smsc")
	f.m.SubmitInDoubt("smsc")
	f.m.InDoubtResend("smsc")
	f.m.DuplicateDetected("gsm")
	fams := f.scrape(t)
	for _, c := range []struct {
		name      string
		transport string
		want      float64
	}{
		{"smsbridge_submits_in_doubt_total", "smsc", 2},
		{"smsbridge_in_doubt_resends_total", "smsc", 1},
		{"smsbridge_duplicates_detected_total", "gsm", 1},
	} {
		if got := value(fams, c.name, "transport="+c.transport); got != c.want {
			t.Errorf("%s{transport=%q} = %v, want %v", c.name, c.transport, got, c.want)
		}
	}
}
