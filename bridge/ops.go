package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// What the operator's tools (the HTTP API, `smsbridge send` and `queue`)
// need of the gateway besides SendText: the recipient rules of mail for
// numbers given directly, and cancelling or hurrying a message.

var (
	// ErrBadRecipient wraps why a number or alias cannot be sent to.
	ErrBadRecipient = errors.New("bad recipient")
	// ErrOptedOut: every number asked for replied STOP.
	ErrOptedOut = errors.New("opted out")
)

// CancelReason is the status text of a part an operator cancelled.
const CancelReason = "cancelled by an operator"

// NormalizeNumber turns a number in any common form into E.164 under the
// configured number policy (region, strictness, allowed countries).
func (g *Gateway) NormalizeNumber(s string) (string, error) {
	n, err := g.conf().Numbers.Normalize(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("%w: %s: %s", ErrBadRecipient, s, numberReason(err))
	}
	return n, nil
}

// ResolveNumbers applies the recipient rules of mail to a list of numbers,
// alias names and addresses (number@domain for a served domain): each
// becomes E.164 numbers, duplicates dropped, order kept. Numbers that
// replied STOP are dropped; an entry left with none is ErrOptedOut.
func (g *Gateway) ResolveNumbers(to []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, entry := range to {
		numbers, err := g.resolveOne(entry)
		if err != nil {
			return nil, err
		}
		for _, n := range numbers {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no recipient given", ErrBadRecipient)
	}
	return out, nil
}

func (g *Gateway) resolveOne(entry string) ([]string, error) {
	numbers, err := g.resolveEntry(entry)
	if err != nil {
		return nil, err
	}
	kept, _, err := g.optedIn(numbers)
	if err != nil {
		return nil, fmt.Errorf("checking opt-outs: %w", err)
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("%w: %s replied STOP to this gateway", ErrOptedOut, entry)
	}
	return kept, nil
}

// resolveEntry is the numbers one entry of a list names, opted out or not.
func (g *Gateway) resolveEntry(entry string) ([]string, error) {
	local := strings.TrimSpace(entry)
	if strings.Contains(local, "@") {
		l, domain, ok := splitAddress(local)
		if !ok || !g.servesDomain(domain) {
			return nil, fmt.Errorf("%w: %s: not an address of an SMS domain served here", ErrBadRecipient, entry)
		}
		local = l
	}
	numbers, _, err := g.lookup(local)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrBadRecipient, local, numberReason(err))
	}
	return numbers, nil
}

// CancelMessage cancels the parts of message id still waiting in the queue;
// parts already handed to the network cannot be called back. It returns
// how many parts it cancelled (store.ErrNotFound for no such message).
// Recipients that are final now get their report as usual.
func (g *Gateway) CancelMessage(ctx context.Context, id string) (int, error) {
	n, done, err := g.st.CancelQueued(ctx, id, CancelReason, g.now())
	if err != nil {
		return 0, err
	}
	for range n {
		g.obs.PartFinal(store.PartCancelled)
	}
	if n > 0 {
		g.log.Info("message cancelled", "msg_id", id, "parts", n, "recipients_final", len(done))
	}
	if len(done) > 0 {
		g.reports.kick()
	}
	return n, nil
}

// RetryMessage makes the queued parts of message id due now, skipping their
// backoff, and sends its failed and expired parts again with a fresh
// validity (the operator fixed a route, a credit); their recipients are
// reported again. It returns how many parts are queued.
func (g *Gateway) RetryMessage(ctx context.Context, id string) (int, error) {
	now := g.now()
	n, err := g.st.RetryQueued(ctx, id, now)
	if err != nil {
		return 0, err
	}
	again, err := g.st.Resend(ctx, id, g.expiry(now), now)
	if err != nil {
		return 0, err
	}
	if n+again > 0 {
		g.log.Info("message retried now", "msg_id", id, "parts", n+again, "sent_again", again)
		g.dispatch.kick()
	}
	return n + again, nil
}

// expiry is the end of the validity of a message queued at now; zero for
// none.
func (g *Gateway) expiry(now time.Time) time.Time {
	if v := g.conf().Validity; v > 0 {
		return now.Add(v)
	}
	return time.Time{}
}

// RouteOf names the transport a number is sent through first: the first of
// its route, or of all transports when no routes are configured; "" when
// no route matches.
func (g *Gateway) RouteOf(number string) string {
	if len(g.conf().Routes) == 0 {
		return g.order[0]
	}
	r, ok := g.conf().Routes.Match(number)
	if !ok || len(r.Transports) == 0 {
		return ""
	}
	return r.Transports[0]
}
