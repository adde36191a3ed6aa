package metrics_test

import (
	"context"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/smsbridge/smsbridge/priority"
)

func TestMetricsByClass(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.sim.open.Store(false)
	ctx := context.Background()
	if _, err := f.gw.SendClassText(ctx, "api", "", []string{"+14151234567", "+14151234568"}, "otp 1234", priority.Urgent); err != nil {
		t.Fatal(err)
	}
	if _, err := f.gw.SendClassText(ctx, "api", "", []string{"+14151234569"}, "newsletter", priority.Bulk); err != nil {
		t.Fatal(err)
	}
	fams := waitFor(t, f, "the queue by class", func(fams map[string]*dto.MetricFamily) bool {
		return value(fams, "smsbridge_class_queue_depth", "class=urgent") == 2
	})
	for class, want := range map[string]float64{"urgent": 2, "normal": 0, "bulk": 1} {
		if got := value(fams, "smsbridge_class_queue_depth", "class="+class); got != want {
			t.Errorf("queue depth of %s = %v, want %v", class, got, want)
		}
	}
	if age := value(fams, "smsbridge_class_queue_oldest_seconds", "class=bulk"); age < 0 || age > 60 {
		t.Errorf("oldest bulk: %v s", age)
	}
	if age := value(fams, "smsbridge_class_queue_oldest_seconds", "class=normal"); age != 0 {
		t.Errorf("oldest normal with none queued: %v s", age)
	}
	f.sim.open.Store(true)
	f.gw.Kick()
	fams = waitFor(t, f, "latency by class", func(fams map[string]*dto.MetricFamily) bool {
		return value(fams, "smsbridge_class_end_to_end_seconds", "class=urgent") == 2 &&
			value(fams, "smsbridge_class_end_to_end_seconds", "class=bulk") == 1
	})
	if got := value(fams, "smsbridge_class_queue_depth", "class=urgent"); got != 0 {
		t.Errorf("urgent depth after sending: %v", got)
	}
}
