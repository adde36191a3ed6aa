package mailtext

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // organisers' zones must resolve on a host without tzdata

	"github.com/emersion/go-ical"
)

var (
	errNoEvent     = errors.New("no event in the calendar")
	errBadCalendar = errors.New("malformed calendar")
)

// isCalendar reports an iCalendar part: text/calendar, or an .ics file.
func isCalendar(ct, name string) bool {
	return ct == "text/calendar" || ct == "application/ics" ||
		strings.HasSuffix(strings.ToLower(name), ".ics") && (ct == "application/octet-stream" || strings.HasPrefix(ct, "text/"))
}

// calendarText turns an iCalendar invite into one line: what, when in the
// organiser's time zone, where and who organises it. A cancelled or updated
// invite says so first.
func calendarText(data []byte) (string, error) {
	cal, err := decodeCalendar(data)
	if err != nil {
		return "", err
	}
	events := cal.Events()
	if len(events) == 0 {
		return "", errNoEvent
	}
	ev := events[0]
	method := strings.ToUpper(propText(cal.Props, ical.PropMethod))
	status := strings.ToUpper(propText(ev.Props, ical.PropStatus))
	seq, _ := strconv.Atoi(propText(ev.Props, ical.PropSequence))
	var kind string
	switch {
	case method == "CANCEL" || status == "CANCELLED":
		kind = "Cancelled"
	case method == "REPLY":
		kind = "Reply"
	case method == "REQUEST" && seq > 0:
		kind = "Updated invite"
	case method == "REQUEST":
		kind = "Invite"
	default:
		kind = "Event"
	}
	fields := []string{kind + ": " + orDefault(propText(ev.Props, ical.PropSummary), "(no title)")}
	if when := eventWhen(ev.Props, propText(cal.Props, "X-WR-TIMEZONE")); when != "" {
		fields = append(fields, when)
	}
	if where := propText(ev.Props, ical.PropLocation); where != "" {
		fields = append(fields, where)
	}
	if who := organiser(ev.Props.Get(ical.PropOrganizer)); who != "" {
		fields = append(fields, "organiser "+who)
	}
	// The part's charset was decoded before; bytes that are still not
	// UTF-8 (a mislabelled invite) must not reach the SMS encoder.
	return collapseLine(strings.ToValidUTF8(strings.Join(fields, ", "), "\uFFFD")), nil
}

// decodeCalendar parses data with go-ical, whose decoder panics on some
// malformed lines (an empty parameter value at the end of a line, found by
// FuzzCalendarText): a panic there is a broken calendar, not a broken mail.
func decodeCalendar(data []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if p := recover(); p != nil {
			cal, err = nil, fmt.Errorf("%w: %v", errBadCalendar, p)
		}
	}()
	return ical.NewDecoder(bytes.NewReader(data)).Decode()
}

func propText(props ical.Props, name string) string {
	p := props.Get(name)
	if p == nil {
		return ""
	}
	s, err := p.Text()
	if err != nil {
		return strings.TrimSpace(p.Value)
	}
	return strings.TrimSpace(s)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// eventWhen formats the start (and the end when it falls on the same day)
// in the zone the organiser wrote them in. A UTC time is shown in the
// calendar's X-WR-TIMEZONE when it names one; a zone Go does not know
// (Outlook's Windows names) is shown by its name, the time as written.
func eventWhen(props ical.Props, calZone string) string {
	start := props.Get(ical.PropDateTimeStart)
	if start == nil {
		return ""
	}
	if start.ValueType() == ical.ValueDate || len(start.Value) == len("20060102") {
		t, err := start.DateTime(time.UTC)
		if err != nil {
			return ""
		}
		return t.Format("Mon 2 Jan 2006") + " (all day)"
	}
	from, zone := eventTime(start, calZone)
	if from.IsZero() {
		return ""
	}
	s := from.Format("Mon 2 Jan 2006 15:04")
	if end := props.Get(ical.PropDateTimeEnd); end != nil {
		if to, _ := eventTime(end, calZone); !to.IsZero() && to.In(from.Location()).YearDay() == from.YearDay() {
			s += "-" + to.In(from.Location()).Format("15:04")
		}
	}
	if zone == "" {
		zone = from.Format("MST")
	}
	return s + " " + zone
}

// eventTime reads a date-time property; zone is set when the time could
// not be placed in its named zone and is shown as written.
func eventTime(p *ical.Prop, calZone string) (t time.Time, zone string) {
	t, err := p.DateTime(time.UTC)
	if err == nil {
		if strings.HasSuffix(p.Value, "Z") && calZone != "" {
			if loc, err := time.LoadLocation(calZone); err == nil {
				t = t.In(loc)
			}
		}
		return t, ""
	}
	floating := &ical.Prop{Name: p.Name, Params: ical.Params{}, Value: p.Value}
	if t, err = floating.DateTime(time.UTC); err != nil {
		return time.Time{}, ""
	}
	return t, p.Params.Get(ical.PropTimezoneID)
}

// organiser is the organiser's common name, else their address.
func organiser(p *ical.Prop) string {
	if p == nil {
		return ""
	}
	if cn := strings.Trim(p.Params.Get("CN"), `" `); cn != "" {
		return cn
	}
	v := strings.TrimSpace(p.Value)
	if len(v) > len("mailto:") && strings.EqualFold(v[:len("mailto:")], "mailto:") {
		v = v[len("mailto:"):]
	}
	return v
}

// calendarPart renders a calendar part for the walker, warning when it
// cannot be read.
func (w *walker) calendarPart(data []byte, path string) string {
	s, err := calendarText(data)
	if err != nil {
		w.warn("part %s: calendar: %v", path, err)
		return ""
	}
	return s
}
