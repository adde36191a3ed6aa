package corpus_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
)

// newsletter builds an HTML-only mail of about size bytes.
func newsletter(size int) []byte {
	var sb strings.Builder
	sb.WriteString("From: news@example.org\r\nSubject: Weekly news\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><head><style>td{font:12px Arial}</style></head><body><table>")
	for i := 0; sb.Len() < size; i++ {
		fmt.Fprintf(&sb, "<tr><td><h2>Item %d &amp; more</h2><p style=\"margin:0\">Caf&eacute; news %d, "+
			"<a href=\"https://example.org/n/%d\">read it</a>.</p><ul><li>one</li><li>two&nbsp;three</li></ul></td></tr>\r\n", i, i, i)
	}
	sb.WriteString("</table></body></html>\r\n")
	return []byte(sb.String())
}

// withAttachments builds a short text mail followed by attachments of
// about size bytes in all, base64-encoded as clients send them.
func withAttachments(size int) []byte {
	var sb strings.Builder
	sb.WriteString("From: scanner@example.org\r\nSubject: Scans\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n" +
		"--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scans you asked for are attached.\r\n")
	raw := make([]byte, 57*1000)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	for n := 0; sb.Len() < size; n++ {
		fmt.Fprintf(&sb, "--sep\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=scan%d.pdf\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", n)
		enc := base64.StdEncoding.EncodeToString(raw)
		for i := 0; i < len(enc); i += 76 {
			sb.WriteString(enc[i:min(i+76, len(enc))] + "\r\n")
		}
	}
	sb.WriteString("--sep--\r\n")
	return []byte(sb.String())
}

// BenchmarkConvert measures the whole conversion, mail to SMS parts.
func BenchmarkConvert(b *testing.B) {
	for _, c := range []struct {
		name string
		mail []byte
	}{
		{"html20KB", newsletter(20 << 10)},
		{"attachments1MB", withAttachments(1 << 20)},
	} {
		for _, mode := range []string{"gsm7", "auto"} {
			cfg := configs.Default()
			cfg.SMS.Encoding = mode
			bc, err := bridge.ConfigFrom(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(c.name+"/"+mode, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.mail)))
				for b.Loop() {
					if _, _, err := bc.Convert(c.mail); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
