package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsbridge/smsbridge/transport"
)

var (
	descModemUnacked = desc("modem_unacknowledged_total",
		"+CMT or +CDS acknowledgements (+CNMA) the modem did not take, having given up waiting.", "transport", "device")
	descModemIndicationsOff = desc("modem_indications_off_total",
		"Times the SIM poll found the modem's new-message indications (+CNMI) off and turned them on again.", "transport", "device")
)

// collectModems reports a modem transport's modems and SIM limits.
func (c *collector) collectModems(ch chan<- prometheus.Metric, name string, ms *transport.ModemsStatus) {
	for _, mo := range ms.Modems {
		gauge(ch, descModemUp, boolValue(mo.Up), name, mo.Device)
		gauge(ch, descModemSignal, float64(mo.RSSI), name, mo.Device)
		gauge(ch, descSIMSent, float64(mo.SentToday), name, mo.Device, "day")
		gauge(ch, descSIMSent, float64(mo.SentMonth), name, mo.Device, "month")
		ch <- prometheus.MustNewConstMetric(descModemUnacked, prometheus.CounterValue, float64(mo.Unacknowledged), name, mo.Device)
		ch <- prometheus.MustNewConstMetric(descModemIndicationsOff, prometheus.CounterValue, float64(mo.IndicationsOff), name, mo.Device)
	}
	if len(ms.Modems) > 0 {
		gauge(ch, descSIMLimit, float64(ms.DailyLimit), name, "day")
		gauge(ch, descSIMLimit, float64(ms.MonthlyLimit), name, "month")
	}
}
