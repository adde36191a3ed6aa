package smtpd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// pacedReader reads a DATA body within its bounds: all of it by end, and,
// after grace from start, at least rate bytes a second on average. It
// works through the connection's read deadline, moved on before each read
// to the moment the body would fall behind.
type pacedReader struct {
	r    io.Reader
	conn interface{ SetReadDeadline(time.Time) error }
	// start is when the body began to be read; end, unless zero, when it
	// must be done.
	start, end time.Time
	rate       int64 // bytes a second; 0: no minimum
	grace      time.Duration
	n          int64 // bytes read so far
}

// errDataTooSlow marks a body that broke its bounds; Data answers it with
// 421 and the connection is closed.
var errDataTooSlow = errors.New("message data too slow")

func (p *pacedReader) Read(b []byte) (int, error) {
	if err := p.conn.SetReadDeadline(p.deadline()); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		err = fmt.Errorf("%w: %d bytes in %v: %w", errDataTooSlow, p.n, time.Since(p.start).Round(time.Millisecond), err)
	}
	return n, err
}

// deadline is the earlier of end and the moment the average rate since
// start, counting the grace, would drop below rate.
func (p *pacedReader) deadline() time.Time {
	d := p.end
	if p.rate > 0 {
		due := p.grace + time.Duration(float64(p.n)/float64(p.rate)*float64(time.Second))
		if t := p.start.Add(due); d.IsZero() || t.Before(d) {
			d = t
		}
	}
	return d
}
