package bridge

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/transport"
)

// TestReportSaysWhatWasLeftOut sends a picture with a long caption through
// a one-part limit: the SMS is the cut caption, and the delivered report
// names the picture and the cut instead of a plain "Delivered".
func TestReportSaysWhatWasLeftOut(t *testing.T) {
	t.Parallel()
	var tr *fakeTransport
	tr = newFakeTransport(func(n int, p *transport.Part) (string, error) {
		id := fmt.Sprintf("id-%d", n)
		tr.receipt(id, transport.StateDelivered)
		return id, nil
	})
	mailer := newFakeMailer()
	cfg := testConfig()
	cfg.SMS.MaxParts = 1
	g, _ := startTestGateway(t, cfg, tr, mailer)
	body := "Subject: Broken pipe\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("Water on the floor of room 4. ", 8) + "\r\n" +
		"--b\r\nContent-Type: image/jpeg; name=IMG_0001.JPG\r\nContent-Disposition: attachment; filename=IMG_0001.JPG\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--b--\r\n"
	if _, err := submit(t, g, "ops@example.com", []string{"4151234567@sms.test"}, body); err != nil {
		t.Fatal(err)
	}
	report := mailer.wait(t, 1)[0].Data
	flat := string(bytes.Join(bytes.Fields(report), []byte(" ")))
	for _, want := range []string{"Subject: Delivered: Broken pipe", `left out "IMG_0001.JPG" (image/jpeg)`, "cut to fit 1 SMS parts"} {
		if !strings.Contains(flat, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestHeaderBlockSkipsLeadingBlankLines(t *testing.T) {
	t.Parallel()
	got := headerBlock([]byte("  \r\n\t\r\n\r\nSubject: x\r\nFrom: a@example.com\r\n\r\nbody\r\n"))
	if want := "Subject: x\r\nFrom: a@example.com\r\n"; string(got) != want {
		t.Errorf("headerBlock = %q, want %q", got, want)
	}
}
