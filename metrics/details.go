package metrics

import (
	"encoding/json"
	"strings"
)

// ModemDetails is what metrics read from a modem transport's
// TransportStatus.Details. The convention, for whoever fills Details:
//
//	"modems":        a slice with one entry per modem, struct or map, with the
//	                 fields Device, Up, RSSI, SentToday, SentMonth (as
//	                 transport/modem.Status has them);
//	"daily_limit", "monthly_limit": the SIM limits (numbers).
//
// Keys match whatever their case or underscores ("sent_today" = "SentToday").
type ModemDetails struct {
	Modems       []ModemDetail
	DailyLimit   int
	MonthlyLimit int
}

// ModemDetail is one modem's state.
type ModemDetail struct {
	Device    string
	Up        bool
	RSSI      int
	SentToday int
	SentMonth int
}

// ReadModemDetails reads the convention above; a transport without it has
// no modems.
func ReadModemDetails(details map[string]any) ModemDetails {
	var md ModemDetails
	top := normalized(details)
	md.DailyLimit = intOf(top["dailylimit"])
	md.MonthlyLimit = intOf(top["monthlylimit"])
	raw, ok := top["modems"]
	if !ok {
		return md
	}
	// A JSON round trip turns any slice of structs or maps into maps.
	b, err := json.Marshal(raw)
	if err != nil {
		return md
	}
	var entries []map[string]any
	if json.Unmarshal(b, &entries) != nil {
		return md
	}
	for _, e := range entries {
		n := normalized(e)
		device, _ := n["device"].(string)
		up, _ := n["up"].(bool)
		md.Modems = append(md.Modems, ModemDetail{Device: device, Up: up, RSSI: intOf(n["rssi"]),
			SentToday: intOf(n["senttoday"]), SentMonth: intOf(n["sentmonth"])})
	}
	return md
}

func normalized(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[strings.ToLower(strings.ReplaceAll(k, "_", ""))] = v
	}
	return out
}

func intOf(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}
