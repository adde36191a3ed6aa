package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/bridge/smtpbackend"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/sms"
)

// previewResult is the JSON form of preview, a stable contract (SPEC.md).
type previewResult struct {
	Text      string   `json:"text"`
	Encoding  string   `json:"encoding"`
	Parts     []string `json:"parts"`
	Segments  int      `json:"segments"`
	Truncated bool     `json:"truncated"`
}

func preview(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("preview", "[-config FILE] [-json] [-user NAME] [-from ADDRESS] [FILE.eml]", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded default)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	user := fs.String("user", "", "SMTP user `name` the mail would come from, for [priority] rules")
	from := fs.String("from", "", "envelope sender `address`, for [priority] rules")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{fmt.Errorf("preview takes at most one file")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		return usageError{err}
	}
	data, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		return err
	}
	res, msg, err := bcfg.Convert(data)
	if err != nil {
		return smtpbackend.Reply(err) // what SMTP would answer the mail
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	out := previewResult{Text: msg.Text, Encoding: msg.Encoding.String(), Segments: msg.Segments(), Truncated: msg.Truncated}
	for _, p := range msg.Parts {
		out.Parts = append(out.Parts, p.Text)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "class:    %s\n", bcfg.MailClass(data, priority.Origin{User: *user, Sender: *from}))
	printPreview(stdout, out, msg)
	return nil
}

func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "" || path == "-" {
		return io.ReadAll(stdin)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func printPreview(w io.Writer, out previewResult, msg sms.Message) {
	fmt.Fprintf(w, "encoding: %s\nsegments: %d\n", out.Encoding, out.Segments)
	if out.Truncated {
		fmt.Fprintln(w, "truncated: yes (max_parts reached)")
	}
	for i, p := range msg.Parts {
		fmt.Fprintf(w, "--- part %d/%d ---\n%s\n", i+1, len(msg.Parts), p.Text)
	}
}
