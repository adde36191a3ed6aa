package mailout

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/smsbridge/smsbridge/internal/mailfmt"
)

// Maildir delivers into a Maildir (new/, cur/, tmp/), the format every local
// mail reader understands. The envelope is recorded in Return-Path and
// Delivered-To headers, as local delivery agents do.
type Maildir struct {
	Dir string
}

// Deliver writes the mail to tmp/, syncs it and renames it into new/, so a
// reader never sees a partial file and a crash never loses an acknowledged one.
func (md *Maildir) Deliver(ctx context.Context, m *Mail) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	head, err := envelopeHeader(m)
	if err != nil {
		return err
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(md.Dir, sub), 0o700); err != nil {
			return &Error{Err: fmt.Errorf("maildir: %w", err)}
		}
	}
	name, err := uniqueName()
	if err != nil {
		return &Error{Err: err}
	}
	tmp := filepath.Join(md.Dir, "tmp", name)
	if err := writeSynced(tmp, head, m.Data); err != nil {
		os.Remove(tmp)
		return &Error{Err: fmt.Errorf("maildir: %w", err)}
	}
	if err := os.Rename(tmp, filepath.Join(md.Dir, "new", name)); err != nil {
		os.Remove(tmp)
		return &Error{Err: fmt.Errorf("maildir: %w", err)}
	}
	return syncDir(filepath.Join(md.Dir, "new"))
}

// envelopeHeader is the Return-Path and Delivered-To fields that go before
// the mail's own header, without the empty line that would end a header.
func envelopeHeader(m *Mail) ([]byte, error) {
	from, to, err := envelope(m)
	if err != nil {
		return nil, err
	}
	var h mailfmt.Fields
	h.Add("Return-Path", "<"+from+">")
	for _, addr := range to {
		h.Add("Delivered-To", addr)
	}
	var b bytes.Buffer
	if err := textproto.WriteHeader(&b, h.Header().Header); err != nil {
		return nil, &Error{Permanent: true, Err: fmt.Errorf("maildir: %w", err)}
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\r\n")), nil
}

func writeSynced(path string, head, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(head); err != nil {
		return err
	}
	if _, err := f.Write(mailfmt.CRLF(data)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return &Error{Err: fmt.Errorf("maildir: %w", err)}
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return &Error{Err: fmt.Errorf("maildir: sync %s: %w", dir, err)}
	}
	return nil
}

// uniqueName follows the Maildir convention time.unique.host.
func uniqueName() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	now := time.Now()
	return strconv.FormatInt(now.Unix(), 10) + ".M" + strconv.Itoa(now.Nanosecond()/1000) +
		"P" + strconv.Itoa(os.Getpid()) + "R" + hex.EncodeToString(b[:]) + "." + sanitizeHost(host), nil
}

// sanitizeHost replaces the characters Maildir reserves in file names.
func sanitizeHost(h string) string {
	out := make([]byte, 0, len(h))
	for i := 0; i < len(h); i++ {
		switch h[i] {
		case '/':
			out = append(out, `\057`...)
		case ':':
			out = append(out, `\072`...)
		default:
			out = append(out, h[i])
		}
	}
	return string(out)
}
