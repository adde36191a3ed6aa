package mailtext

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExtract checks that no input panics and that the output keeps its
// promises: valid UTF-8, bounded, no empty line, no surrounding space.
func FuzzExtract(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	f.Add([]byte("Subject: x\n\n<p>"), uint8(1))
	cut := []*regexp.Regexp{regexp.MustCompile(`(?i)disclaimer`)}
	f.Fuzz(func(t *testing.T, mail []byte, mode uint8) {
		opt := Options{Subject: SubjectMode(mode % 2)}
		if mode&2 != 0 {
			opt.CutAfter = cut
		}
		if mode&4 != 0 {
			opt.Drop, opt.URLs = cut, URLMode(1+mode>>3%2) // short or drop
		}
		res, err := Extract(bytes.NewReader(mail), opt)
		if err != nil {
			return
		}
		for what, s := range map[string]string{"Text": res.Text, "Subject": res.Subject} {
			if !utf8.ValidString(s) {
				t.Errorf("%s is not valid UTF-8: %q", what, s)
			}
		}
		if len(res.Text) > maxTextBytes+maxSubjectBytes+1 {
			t.Errorf("Text is %d bytes", len(res.Text))
		}
		if strings.Contains(res.Text, "\n\n") || strings.TrimSpace(res.Text) != res.Text {
			t.Errorf("Text has empty lines or surrounding space: %q", res.Text)
		}
		if len(res.Warnings) > maxWarnings {
			t.Errorf("%d warnings", len(res.Warnings))
		}
	})
}

// FuzzCalendarText checks that no iCalendar input panics and that a line
// made from one is one line of valid UTF-8.
func FuzzCalendarText(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/calendar_*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if i := bytes.Index(b, []byte("BEGIN:VCALENDAR")); i >= 0 {
			f.Add(b[i:])
		}
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20240101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := calendarText(data)
		if err != nil {
			return
		}
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n") {
			t.Errorf("calendarText = %q: not one valid line", s)
		}
	})
}
