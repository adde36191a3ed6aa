package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/store"
)

const queueSynopsis = `[-config FILE] [-json] list [-state STATE] [-since TIME|DURATION] [-to NUMBER] [-limit N] [-before ID]
       smsbridge queue [-config FILE] [-json] show ID | retry ID | cancel ID`

// queueCmd shows and changes the queue: through the running daemon's API
// when it holds the store, else in the store itself.
func queueCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("queue", queueSynopsis, stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded default)")
	asJSON := fs.Bool("json", false, "print JSON (the API's shapes)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{errors.New("queue needs list, show ID, retry ID or cancel ID")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	q, err := openQueue(cfg)
	if err != nil {
		return err
	}
	defer q.close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := runQueue(ctx, q, fs.Args(), stderr)
	if err != nil {
		return asUsage(err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printQueue(stdout, out)
	return nil
}

func runQueue(ctx context.Context, q queueOps, args []string, stderr io.Writer) (any, error) {
	cmd, rest := args[0], args[1:]
	if cmd == "list" {
		v, err := parseListFlags(rest, stderr)
		if err != nil {
			return nil, err
		}
		return q.list(ctx, v)
	}
	if len(rest) != 1 {
		return nil, usageError{fmt.Errorf("queue %s needs one message id", cmd)}
	}
	switch cmd {
	case "show":
		return q.show(ctx, rest[0])
	case "retry":
		return q.retry(ctx, rest[0])
	case "cancel":
		return q.cancel(ctx, rest[0])
	}
	return nil, usageError{fmt.Errorf("queue: unknown command %q (list, show, retry, cancel)", cmd)}
}

// parseListFlags reads list's flags into the API's query parameters.
func parseListFlags(args []string, stderr io.Writer) (url.Values, error) {
	fs := flag.NewFlagSet("queue list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", "", "only messages with a part in `state`: queued, submitting, submitted, delivered, failed, expired, cancelled")
	since := fs.String("since", "", "only messages received since `when`: RFC 3339 time or a duration back from now (24h)")
	to := fs.String("to", "", "only messages to `number`")
	limit := fs.Int("limit", store.DefaultListLimit, "at most `n` messages")
	before := fs.String("before", "", "the next page: messages older than `id` (printed as next)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("queue list takes flags only")}
	}
	v := url.Values{}
	for k, s := range map[string]string{"state": *state, "since": *since, "to": *to, "before": *before} {
		if s != "" {
			v.Set(k, s)
		}
	}
	v.Set("limit", strconv.Itoa(*limit))
	return v, nil
}

// queueOps is the queue as the tool sees it, whoever holds the store.
type queueOps interface {
	list(ctx context.Context, q url.Values) (api.ListView, error)
	show(ctx context.Context, id string) (api.MessageView, error)
	retry(ctx context.Context, id string) (api.RetryView, error)
	cancel(ctx context.Context, id string) (api.CancelView, error)
	close()
}

func openQueue(cfg *configs.Config) (queueOps, error) {
	st, err := openStoreOrDaemon(cfg)
	if errors.Is(err, errDaemonHolds) {
		c, err := newDaemonClient(cfg)
		if err != nil {
			return nil, err
		}
		return remoteQueue{c}, nil
	}
	if err != nil {
		return nil, err
	}
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		st.Close()
		return nil, usageError{err}
	}
	return &localQueue{st: st, numbers: bcfg.Numbers.Normalize, validity: bcfg.Validity}, nil
}
