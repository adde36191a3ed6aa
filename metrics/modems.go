package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsbridge/smsbridge/transport"
)

// collectModems reports a modem transport's modems and SIM limits.
func (c *collector) collectModems(ch chan<- prometheus.Metric, name string, ms *transport.ModemsStatus) {
	for _, mo := range ms.Modems {
		gauge(ch, descModemUp, boolValue(mo.Up), name, mo.Device)
		gauge(ch, descModemSignal, float64(mo.RSSI), name, mo.Device)
		gauge(ch, descSIMSent, float64(mo.SentToday), name, mo.Device, "day")
		gauge(ch, descSIMSent, float64(mo.SentMonth), name, mo.Device, "month")
	}
	if len(ms.Modems) > 0 {
		gauge(ch, descSIMLimit, float64(ms.DailyLimit), name, "day")
		gauge(ch, descSIMLimit, float64(ms.MonthlyLimit), name, "month")
	}
}
