package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/priority"
)

const sendSynopsis = "[-config FILE] [-from ADDRESS] [-priority CLASS] -to NUMBER[,NUMBER…] TEXT…"

// sendCmd queues one text as SMS without a mail: through the running
// daemon's API when it holds the store, else straight into the store (the
// next `smsbridge serve` sends it).
func sendCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("send", sendSynopsis, stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded default)")
	to := fs.String("to", "", "destination `numbers`, comma-separated: any common form, or alias names")
	from := fs.String("from", "", "mail `address` told about delivery (per [receipts] mode); none by default")
	class := priority.Normal
	fs.TextVar(&class, "priority", priority.Normal, "`class` of the text: urgent, normal or bulk")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if *to == "" || strings.TrimSpace(text) == "" {
		fs.Usage()
		return usageError{errors.New("send needs -to and a text")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	numbers := strings.Split(*to, ",")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, via, err := sendText(ctx, cfg, numbers, *from, text, class)
	if err != nil {
		return asUsage(err)
	}
	fmt.Fprintf(stdout, "queued as %s %s\n", id, via)
	return nil
}

func sendText(ctx context.Context, cfg *configs.Config, to []string, from, text string, class priority.Class) (id, via string, err error) {
	st, err := openStoreOrDaemon(cfg)
	if errors.Is(err, errDaemonHolds) {
		c, err := newDaemonClient(cfg)
		if err != nil {
			return "", "", err
		}
		var m api.MessageView
		err = c.do(ctx, "POST", "/api/v1/messages", map[string]any{"to": to, "text": text, "from": from, "priority": class}, &m)
		return m.ID, "by the running smsbridge", err
	}
	if err != nil {
		return "", "", err
	}
	defer st.Close()
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		return "", "", usageError{err}
	}
	lanes, err := buildLanes(cfg, quietLogger(), st)
	if err != nil {
		return "", "", usageError{err}
	}
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: lanes, Mailer: buildMailer(cfg), Logger: quietLogger()})
	if err != nil {
		return "", "", usageError{err}
	}
	numbers, err := gw.ResolveNumbers(to)
	if err != nil {
		return "", "", err
	}
	id, err = gw.SendClassText(ctx, "cli", from, numbers, text, class)
	return id, "in " + cfg.Store.Path + "; smsbridge serve sends it", err
}
