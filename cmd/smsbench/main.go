// Command smsbench loads a running smsbridge through its whole path: many
// SMTP sessions send mail, a built-in SMSC takes the SMS (and can send
// receipts), and the figures that matter are printed: mails/s accepted, SMS
// parts/s at the SMSC, receipts/s, latency from the end of DATA to the last
// submit_sm of that mail, and the gateway's CPU and peak RSS.
//
// Every run is bounded by -n and -duration.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	smtpAddrs []string // the gateways' SMTP addresses: mail i goes to smtpAddrs[i%len]
	smscAddr  string
	mode      string // with | off | drain
	domain    string
	conc      int
	mails     int
	duration  time.Duration
	size      int
	rcpts     int
	reuse     bool
	pipeline  bool
	rate      float64
	receipts  bool
	pids      []int // the gateways' process ids: their CPU times are summed
	settle    time.Duration
	asJSON    bool

	priorityProbe bool
	probeRate     float64
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opt, err := parseFlags(args, stderr)
	if err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := bench(ctx, opt)
	if err != nil {
		fmt.Fprintln(stderr, "smsbench:", err)
		return 1
	}
	if opt.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		res.print(stdout)
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("smsbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	smtp := listFlag{def: "127.0.0.1:2525"}
	fs.Var(&smtp, "smtp", "the gateway's SMTP `address`; repeated or comma-separated for several gateways, which get the mails in turn (default 127.0.0.1:2525)")
	fs.StringVar(&o.smscAddr, "smsc", "127.0.0.1:2775", "listen `address` of the built-in SMSC; the gateway's smpp transport points here (\"\" = the gateway uses another SMSC: no SMSC figures)")
	fs.StringVar(&o.mode, "mode", "with", "\"with\": the SMSC is up during the run; \"off\": no SMSC, mails only queue (an outage); \"drain\": send nothing, start the SMSC and measure how the queue drains")
	fs.StringVar(&o.domain, "domain", "sms.test", "SMS `domain` of the gateway")
	fs.IntVar(&o.conc, "c", 50, "concurrent SMTP sessions")
	fs.IntVar(&o.mails, "n", 10000, "mails to send in all")
	fs.DurationVar(&o.duration, "duration", time.Minute, "stop sending after this long")
	fs.IntVar(&o.size, "size", 100, "characters of text per mail")
	fs.IntVar(&o.rcpts, "rcpts", 1, "recipients per mail")
	fs.BoolVar(&o.reuse, "reuse", false, "send many mails per SMTP connection (default: a new connection per mail)")
	fs.BoolVar(&o.pipeline, "pipelining", true, "use PIPELINING when the server offers it, as Postfix does: MAIL, RCPT and DATA in one write, QUIT after the final dot")
	fs.Float64Var(&o.rate, "rate", 0, "mails per second in all (0 = as fast as the gateway takes them)")
	fs.BoolVar(&o.receipts, "receipts", false, "the SMSC sends a DELIVRD receipt for every SMS that asks for one")
	var pids listFlag
	fs.Var(&pids, "pid", "the gateway's process `id`, for its CPU time and peak RSS; repeated or comma-separated for several gateways, whose figures are summed")
	fs.DurationVar(&o.settle, "settle", 30*time.Second, "after sending, wait at most this long for SMS still on their way")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object")
	fs.BoolVar(&o.priorityProbe, "priority-probe", false, "queue -n bulk mails (Precedence: bulk) of -rcpts numbers with the SMSC down, start it, and send urgent mails at -probe-rate while the backlog drains: urgent latency and the drain rate")
	fs.Float64Var(&o.probeRate, "probe-rate", 5, "urgent mails per second during -priority-probe (0 = none: the drain alone)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: smsbench [flags]\n\nLoads a running smsbridge over SMTP and measures its whole path.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.smtpAddrs = smtp.values()
	for _, s := range pids.values() {
		pid, err := strconv.Atoi(s)
		if err != nil || pid <= 0 {
			fs.Usage()
			return o, fmt.Errorf("bad -pid %q", s)
		}
		o.pids = append(o.pids, pid)
	}
	badMode := o.mode != "with" && o.mode != "off" && o.mode != "drain"
	if badMode || o.conc < 1 || o.mails < 1 || o.size < 1 || o.rcpts < 1 || o.probeRate < 0 || fs.NArg() > 0 || (o.priorityProbe && o.smscAddr == "") {
		fs.Usage()
		return o, fmt.Errorf("bad flags")
	}
	return o, nil
}

// listFlag is a flag given several times or with comma-separated values;
// def stands when it is not given.
type listFlag struct {
	def  string
	list []string
}

func (f *listFlag) String() string {
	if f == nil {
		return ""
	}
	return strings.Join(f.list, ",")
}

func (f *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v == "" {
			return fmt.Errorf("empty value in %q", s)
		}
		f.list = append(f.list, v)
	}
	return nil
}

func (f *listFlag) values() []string {
	if len(f.list) == 0 && f.def != "" {
		return []string{f.def}
	}
	return f.list
}
