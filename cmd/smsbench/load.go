package main

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
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
	words := strings.Repeat("load test words for the sms gateway ", size/36+1)[:size]
	return []byte("From: bench@example.com\r\nSubject: bench\r\n\r\n" + strings.TrimSpace(words) + "\r\n")
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

func (l *loader) session(ctx context.Context) {
	var c *smtp.Client
	defer func() {
		if c != nil {
			c.Quit()
		}
	}()
	for {
		i := l.take(ctx)
		if i < 0 {
			return
		}
		if c == nil {
			var err error
			if c, err = l.dial(ctx); err != nil {
				l.fail(err)
				continue
			}
		}
		if err := l.send(c, i); err != nil {
			l.fail(err)
			c.Close()
			c = nil
			continue
		}
		if !l.opt.reuse {
			c.Quit()
			c = nil
		}
	}
}

func (l *loader) dial(ctx context.Context) (*smtp.Client, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", l.opt.smtpAddr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.Hello("smsbench.localhost"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// send delivers mail i on c; a refusal by the gateway is counted, not
// returned, so the session goes on.
func (l *loader) send(c *smtp.Client, i int) error {
	s := sent{}
	if err := c.Mail("bench@example.com"); err != nil {
		return l.refusal(c, err)
	}
	for r := range l.opt.rcpts {
		n := number(i, r)
		if err := c.Rcpt(n + "@" + l.opt.domain); err != nil {
			return l.refusal(c, err)
		}
		s.numbers = append(s.numbers, n)
	}
	w, err := c.Data()
	if err != nil {
		return l.refusal(c, err)
	}
	if _, err := w.Write(l.body); err != nil {
		return err
	}
	s.dataEnd = time.Now()
	if err := w.Close(); err != nil {
		return l.refusal(c, err)
	}
	l.mu.Lock()
	l.accepted = append(l.accepted, s)
	l.mu.Unlock()
	return nil
}

// refusal counts an SMTP error reply and resets the session; other errors
// are returned.
func (l *loader) refusal(c *smtp.Client, err error) error {
	msg := err.Error()
	if len(msg) < 3 || msg[0] < '4' || msg[0] > '5' {
		return err
	}
	l.mu.Lock()
	l.refused[msg[:3]]++
	l.mu.Unlock()
	return c.Reset()
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
