package mailtext

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// htmlMail builds a newsletter-like HTML mail of about size bytes.
func htmlMail(size int) []byte {
	var sb strings.Builder
	sb.WriteString("From: news@example.org\r\nSubject: Weekly news\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><head><style>td{font:12px Arial}</style></head><body><table>")
	for i := 0; sb.Len() < size; i++ {
		fmt.Fprintf(&sb, "<tr><td class=\"item\"><h2>Item %d &amp; more</h2>"+
			"<p style=\"margin:0\">Caf&eacute; news number %d, read it <a href=\"https://example.org/n/%d\">here</a>.</p>"+
			"<ul><li>point one</li><li>point&nbsp;two</li></ul></td></tr>\r\n", i, i, i)
	}
	sb.WriteString("</table></body></html>\r\n")
	return []byte(sb.String())
}

// bigAttachmentMail builds a short text mail with a base64 attachment of
// attachSize raw bytes.
func bigAttachmentMail(attachSize int) []byte {
	return attachmentMail(attachSize, false)
}

// attachmentMail puts the attachment before the text when first is set, so
// that the whole attachment must be scanned for the next boundary.
func attachmentMail(attachSize int, first bool) []byte {
	payload := bytes.Repeat([]byte{0x00, 0x7f, 0xff, 0x10, 0x20, 0x42, 0x99}, attachSize/7+1)[:attachSize]
	enc := base64.StdEncoding.EncodeToString(payload)
	const textPart = "--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"The scan you asked for is attached.\r\n"
	var sb strings.Builder
	sb.WriteString("From: scanner@example.org\r\nSubject: Scan\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n")
	if !first {
		sb.WriteString(textPart)
	}
	sb.WriteString("--sep\r\nContent-Type: application/pdf\r\n" +
		"Content-Disposition: attachment; filename=scan.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		sb.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	sb.WriteString(enc + "\r\n")
	if first {
		sb.WriteString(textPart)
	}
	sb.WriteString("--sep--\r\n")
	return []byte(sb.String())
}

func BenchmarkExtract(b *testing.B) {
	cases := []struct {
		name string
		mail []byte
	}{
		{"html20KB", htmlMail(20 << 10)},
		{"attachment1MB", attachmentMail(750<<10, false)}, // ~1 MB once base64-encoded
		{"attachment1MBFirst", attachmentMail(750<<10, true)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.mail)))
			for b.Loop() {
				if _, err := Extract(bytes.NewReader(c.mail), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
