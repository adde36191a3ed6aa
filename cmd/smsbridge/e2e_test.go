package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/quotedprintable"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/smtpsink"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// alertBody is 400 characters of text with a few characters GSM-7 has
// outside ASCII (é, £) and an extension character (€).
var alertBody = strings.TrimSpace(strings.Repeat("Disk /var on db-1 is 97% full (café budget £12, €3). ", 8))[:400]

// alertMail is a multipart/alternative mail whose plain part is
// quoted-printable, as mail clients send it.
func alertMail(from string, to []string) []byte {
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(alertBody))
	w.Close()
	return []byte(fmt.Sprintf(strings.ReplaceAll(`From: Monitoring <%s>
To: %s
Subject: Disk alert
Message-ID: <alert-1@monitor.example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

%s
--b1
Content-Type: text/html; charset=utf-8

<html><body><p>%s</p></body></html>
--b1--
`, "\n", "\r\n"), from, strings.Join(to, ", "), qp.String(), alertBody))
}

const smppConfig = `
[smtp]
listen = ["127.0.0.1:0"]
hostname = "gw.test"
domains = ["sms.test"]

[sms]
validity = "1h"

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"
system_id = "user"
password = "secret"
window = 5

[receipts]
mode = "all"
smarthost = "%SINK%"
smarthost_tls = "none"
from = "smsbridge@sms.test"
`

// TestEndToEnd: a real SMTP client sends one mail to three numbers; the SMSC
// gets the right submit_sm PDUs, answers with receipts, and a report mail
// per number reaches the sender through the smarthost.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	endToEnd(t, smppConfig)
}

// endToEnd runs TestEndToEnd's mail through a gateway on config (with
// %SMSC% and %SINK% to fill in).
func endToEnd(t *testing.T, config string) {
	smsc, err := smsctest.Start(smsctest.Options{SystemID: "user", Password: "secret", ReceiptDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	dir := t.TempDir()
	cfg := strings.NewReplacer("%SMSC%", smsc.Addr(), "%SINK%", sink.Addr()).Replace(config)
	addr := startGateway(t, writeConfig(t, dir, cfg))

	to := []string{"4151234567@sms.test", "+14155550100@sms.test", "1-415-555-0101@sms.test"}
	if err := smtp.SendMail(addr, nil, "alerts@example.com", to, alertMail("alerts@example.com", to)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	submits, err := smsc.WaitSubmits(ctx, 9)
	if err != nil {
		t.Fatalf("SMSC got %d submits, want 9: %v", len(submits), err)
	}
	want := "Disk alert\n" + alertBody
	byDest := map[string][]smsctest.Submit{}
	for _, s := range submits {
		byDest[s.Dest] = append(byDest[s.Dest], s)
	}
	for _, dest := range []string{"14151234567", "14155550100", "14155550101"} {
		checkConcatenated(t, dest, byDest[dest], want)
	}

	mails, err := sink.Wait(ctx, 3)
	if err != nil {
		t.Fatalf("sink got %d report mails, want 3: %v", len(mails), err)
	}
	for _, m := range mails {
		if m.From != "" || len(m.To) != 1 || m.To[0] != "alerts@example.com" {
			t.Errorf("report envelope %q → %q, want <> → alerts@example.com", m.From, m.To)
		}
		for _, s := range []string{"Subject: Delivered: Disk alert", "In-Reply-To: <alert-1@monitor.example.com>", "report-type=delivery-status", "Action: delivered"} {
			if !bytes.Contains(m.Data, []byte(s)) {
				t.Errorf("report lacks %q:\n%s", s, m.Data)
			}
		}
	}
}

// checkConcatenated checks the parts to one destination: GSM-7, a UDH with
// one reference, sequence 1..n, texts that reassemble to want.
func checkConcatenated(t *testing.T, dest string, parts []smsctest.Submit, want string) {
	t.Helper()
	if len(parts) != 3 {
		t.Errorf("%s: %d parts, want 3", dest, len(parts))
		return
	}
	texts := make([]string, 4)
	ref := parts[0].UDH
	for _, p := range parts {
		if p.DataCoding != 0 || p.ESMClass&0x40 == 0 || p.DestTON != 1 || p.RegisteredDelivery&1 == 0 {
			t.Errorf("%s: data_coding %d esm_class %#x dest_ton %d registered_delivery %d", dest, p.DataCoding, p.ESMClass, p.DestTON, p.RegisteredDelivery)
		}
		u := p.UDH
		if len(u) != 6 || u[0] != 5 || u[1] != 0 || u[2] != 3 || u[3] != ref[3] || u[4] != 3 || u[5] < 1 || u[5] > 3 {
			t.Errorf("%s: UDH % x", dest, u)
			continue
		}
		texts[u[5]] = p.Text()
	}
	if got := strings.Join(texts, ""); got != want {
		t.Errorf("%s: parts reassemble to\n%q\nwant\n%q", dest, got, want)
	}
}
