package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// sent is what the client side knows of one accepted mail.
type sent struct {
	numbers []string
	dataEnd time.Time // when the final dot went out
}

// loader runs the SMTP side: conc sessions sending mails until n are sent
// or the deadline passes.
type loader struct {
	opt     options
	body    []byte
	next    atomic.Int64 // mails handed out
	limiter *rate.Limiter

	mu       sync.Mutex
	accepted []sent
	refused  map[string]int // reply (first three characters) → count
	errors   int
}

func newLoader(opt options) *loader {
	l := &loader{opt: opt, refused: map[string]int{}, body: mailBody(opt.size)}
	if opt.rate > 0 {
		l.limiter = rate.NewLimiter(rate.Limit(opt.rate), 1)
	}
	return l
}

// mailBody is a plain mail whose text is size characters of words.
func mailBody(size int) []byte {
	return []byte("From: bench@example.com\r\nSubject: bench\r\n\r\n" + benchText(size) + "\r\n")
}

func benchText(size int) string {
	return strings.TrimSpace(strings.Repeat("load test words for the sms gateway ", size/36+1)[:size])
}

// number is the i-th destination: unique per mail and recipient, so the SMSC
// side can match each SMS to its mail.
func number(i, r int) string { return fmt.Sprintf("1415%07d", (i*8+r)%10000000) }

func (l *loader) run(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, l.opt.duration)
	defer cancel()
	var wg sync.WaitGroup
	for range l.opt.conc {
		wg.Go(func() { l.session(ctx) })
	}
	wg.Wait()
}

// take hands out the index of the next mail, or -1 when all are taken.
func (l *loader) take(ctx context.Context) int {
	if l.limiter != nil && l.limiter.Wait(ctx) != nil {
		return -1
	}
	i := int(l.next.Add(1)) - 1
	if i >= l.opt.mails || ctx.Err() != nil {
		return -1
	}
	return i
}

// session sends mails until none is left, mail i to gateway i modulo
// their number, over a connection of its own to each gateway.
func (l *loader) session(ctx context.Context) {
	conns := make([]*client, len(l.opt.smtpAddrs))
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.quit()
			}
		}
	}()
	for {
		i := l.take(ctx)
		if i < 0 {
			return
		}
		g := i % len(conns)
		c := conns[g]
		if c == nil {
			var err error
			if c, err = dialClient(ctx, l.opt.smtpAddrs[g], l.opt.pipeline); err != nil {
				l.fail(err)
				continue
			}
		}
		refusal, err := l.send(c, i)
		switch {
		case err != nil:
			l.fail(err)
			c.conn.Close()
			c = nil
		case c.closed:
			c = nil
		case !l.opt.reuse:
			c.quit()
			c = nil
		case refusal:
			if err := c.reset(); err != nil {
				l.fail(err)
				c.conn.Close()
				c = nil
			}
		}
		conns[g] = c
	}
}

// send delivers mail i on c, ending the session with it unless connections
// are reused. A refusal by the gateway is counted and reported, not
// returned as an error, so the session goes on.
func (l *loader) send(c *client, i int) (refused bool, err error) {
	s := sent{}
	var to []string
	for r := range l.opt.rcpts {
		to = append(to, number(i, r)+"@"+l.opt.domain)
	}
	accepted, refusal, err := c.transaction("bench@example.com", to, l.body, func() { s.dataEnd = time.Now() }, !l.opt.reuse)
	if refusal != nil {
		msg := refusal.Error()
		l.mu.Lock()
		l.refused[msg[:min(3, len(msg))]]++
		l.mu.Unlock()
	}
	if len(accepted) > 0 {
		for _, a := range accepted {
			n, _, _ := strings.Cut(a, "@")
			s.numbers = append(s.numbers, n)
		}
		l.mu.Lock()
		l.accepted = append(l.accepted, s)
		l.mu.Unlock()
	}
	return refusal != nil, err
}

func (l *loader) fail(err error) {
	l.mu.Lock()
	l.errors++
	n := l.errors
	l.mu.Unlock()
	if n <= 3 {
		fmt.Printf("smsbench: %v\n", err)
	}
}
