package main

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// TestSMPPCodingWholePath: the transport's gsm7_coding, ascii_coding and
// bind keys reach the wire: data_coding, octets, and the binds opened.
func TestSMPPCodingWholePath(t *testing.T) {
	t.Parallel()
	body := "Disk [db-1] at 97%, see wiki."
	cases := []struct {
		name, encoding, keys string
		dc                   uint8
		want                 func(text string) []byte
	}{
		{"gsm7 packed", "gsm7", `gsm7_coding = "packed"`, 0, func(s string) []byte {
			septets, _ := sms.EncodeGSM7(s)
			if len(septets)%8 == 7 { // 31 here: a CR fills the spare bits
				septets = append(septets, '\r')
			}
			return sms.PackSeptets(septets)
		}},
		{"ascii as ia5", "ascii", `ascii_coding = "ia5"`, 1, func(s string) []byte { return []byte(s) }},
		{"ascii as latin1", "ascii", `ascii_coding = "latin1"`, 3, func(s string) []byte { return []byte(s) }},
		{"ascii as gsm7, two binds", "ascii", "ascii_coding = \"gsm7\"\nbind = \"transmitter+receiver\"", 0, func(s string) []byte {
			septets, _ := sms.EncodeGSM7(s)
			return septets
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			smsc, err := smsctest.Start(smsctest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer smsc.Close()
			cfg := fmt.Sprintf(`
[smtp]
listen = ["127.0.0.1:0"]
hostname = "gw.test"
domains = ["sms.test"]

[sms]
encoding = %q
subject = "ignore"

[store]
path = "%%DIR%%/data/smsbridge.db"

[[transports]]
name = "smsc"
type = "smpp"
address = %q
%s

[receipts]
mode = "none"
maildir = "%%DIR%%/mail"
`, c.encoding, smsc.Addr(), c.keys)
			addr := startGateway(t, writeConfig(t, t.TempDir(), cfg))
			mail := "From: a@example.com\r\nTo: 4151234567@sms.test\r\nSubject: x\r\n\r\n" + body + "\r\n"
			if err := smtp.SendMail(addr, nil, "a@example.com", []string{"4151234567@sms.test"}, []byte(mail)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			subs, err := smsc.WaitSubmits(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			s := subs[0]
			if want := c.want(body); s.DataCoding != c.dc || string(s.ShortMessage) != string(want) {
				t.Errorf("data_coding %d message % x\nwant %d % x", s.DataCoding, s.ShortMessage, c.dc, want)
			}
			want := 1 + strings.Count(c.keys, "+receiver")
			waitFor(t, 3*time.Second, fmt.Sprint(want, " binds"), func() bool { return smsc.Bound() == want })
		})
	}
}
