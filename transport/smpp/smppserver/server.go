// Package smppserver lets ESMEs bind to smsbridge as to an SMSC (SMPP 3.4:
// transmitter, receiver or transceiver) and submit SMS that go through the
// gateway's queue, routes and limits. submit_sm is answered only once the
// message is stored; a receipt asked for (registered_delivery) is stored
// for the ESME that submitted and sent to it as deliver_sm when it is
// bound to receive, removed only on its deliver_sm_resp.
package smppserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

const (
	// systemID is what smsbridge answers binds with.
	systemID = "smsbridge"
	// watchOwner names the server's watches; a receipt's callback owner is
	// watchOwner + ":" + the ESME's system_id.
	watchOwner  = "smpp"
	source      = "smpp" // names submits in metrics and logs
	readTimeout = 2 * time.Minute
	// respTimeout bounds the wait for a deliver_sm_resp; the receipt is
	// offered again later.
	respTimeout   = 10 * time.Second
	receiptRetry  = 30 * time.Second
	receiptPoll   = time.Second
	receiptWindow = 10 // deliver_sm unanswered at once per session
	followEvery   = 2 * time.Second
)

// Gateway is what the server needs of the bridge (*bridge.Gateway).
type Gateway interface {
	NormalizeNumber(s string) (string, error)
	SendFollowed(ctx context.Context, source string, numbers []string, text string, f bridge.Followed) (string, error)
}

// Store is what the server needs of the store (*store.DB): receipts and
// SMS from phones for ESMEs as callbacks, and the segments of concatenated
// submits until their message is complete.
type Store interface {
	Watches(owner, after string, limit int) ([]store.Watch, error)
	Message(id string) (*store.Message, error)
	Tell(ctx context.Context, msg string, told []uint8, done bool, calls []store.Callback) error
	DueCallbacks(owner string, now time.Time, limit int) ([]store.Callback, error)
	CallbackDone(ctx context.Context, id string) error
	CallbackRetry(ctx context.Context, id string, next time.Time, reason string) error
	QueueCallbacks(ctx context.Context, calls []store.Callback) error

	PutSegment(ctx context.Context, s store.Segment) (store.SegmentSet, error)
	CloseSegments(ctx context.Context, set string, m *store.Message, w store.Watch, calls []store.Callback) error
	StaleSegments(before time.Time, limit int) ([]store.SegmentSet, error)
}

// Options configure a Server; Gateway, Store and Verify are required.
type Options struct {
	Gateway Gateway
	Store   Store
	// Verify says whether password is system_id's.
	Verify func(systemID, password string) bool
	// Rate bounds each system_id's submit_sm a second (0: no bound); over
	// it submit_sm is answered ESME_RTHROTTLED.
	Rate float64
	// Window bounds the submit_sm a bind has unanswered at once (at least
	// 1); one more is answered ESME_RTHROTTLED at once.
	Window int
	// SegmentTTL is how long the segments of a concatenated submit may
	// take to come; 0: sets never expire.
	SegmentTTL time.Duration
	// AllowUser, when not nil, takes one message of the user's own limits
	// (mails_per_minute); its refusals wrap policy.ErrRateLimit. The
	// message's parts are charged through bridge.Followed.User.
	AllowUser func(systemID string) error
	// Source, when not nil, is the SMS source a system_id's submit_sm with
	// source_addr from is sent with, or an error refusing it
	// (ESME_RINVSRCADR). Nil: the route's or transport's.
	Source func(systemID, from string) (string, error)
	// Inbox, when not nil, is the system_id that SMS from phones to a
	// number go to (deliver_sm), if any.
	Inbox  func(to string) (systemID string, ok bool)
	Logger *slog.Logger
}

// Server serves SMPP binds.
type Server struct {
	opt  Options
	log  *slog.Logger
	kick chan struct{}

	mu     sync.Mutex
	limits map[string]*rate.Limiter
	turns  map[string]chan struct{} // by system_id: see pushReceipts
}

// New returns a Server for opt.
func New(opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	opt.Window = max(opt.Window, 1)
	return &Server{opt: opt, log: opt.Logger.With("component", "smpp-server"), kick: make(chan struct{}, 1),
		limits: map[string]*rate.Limiter{}, turns: map[string]chan struct{}{}}
}

// Kick tells the server a part changed: receipts may be due.
func (s *Server) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Serve accepts binds on l until ctx is done; sessions end with it.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() { <-ctx.Done(); l.Close() }()
	wg.Go(func() { s.follow(ctx) })
	if s.opt.SegmentTTL > 0 {
		wg.Go(func() { s.sweepSegments(ctx) })
	}
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("smpp server: %w", err)
		}
		sess := &session{srv: s, nc: c, acks: map[uint32]chan uint32{}, window: make(chan struct{}, s.opt.Window)}
		wg.Go(func() { sess.serve(ctx) })
	}
}

// allow takes one submit of system_id's rate.
func (s *Server) allow(id string) bool {
	if s.opt.Rate <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limits[id]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.opt.Rate), max(1, int(s.opt.Rate)))
		s.limits[id] = l
	}
	return l.Allow()
}

// session is one ESME connection.
type session struct {
	srv *Server
	nc  net.Conn
	wmu sync.Mutex

	mu   sync.Mutex
	kind uint32 // the bind command id; 0 before the bind
	id   string // the ESME's system_id
	seq  uint32
	acks map[uint32]chan uint32 // deliver_sm seq → its resp's status
	// window holds a token for each submit_sm being answered.
	window chan struct{}
}

func (c *session) serve(ctx context.Context) {
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel() // ends the receipt pusher and closes the connection
		wg.Wait()
	}()
	go func() { <-sctx.Done(); c.nc.Close() }()
	r := bufio.NewReader(c.nc)
	for {
		c.nc.SetReadDeadline(time.Now().Add(readTimeout))
		p, err := pdu.Read(r)
		if err != nil {
			return
		}
		switch p.ID {
		case pdu.BindReceiver, pdu.BindTransmitter, pdu.BindTransceiver:
			if c.bind(p) && p.ID != pdu.BindTransmitter {
				wg.Go(func() { c.pushReceipts(sctx) })
			}
		case pdu.EnquireLink:
			c.reply(p, pdu.StatusOK, nil)
		case pdu.Unbind:
			c.reply(p, pdu.StatusOK, nil)
			return
		case pdu.SubmitSM:
			select {
			case c.window <- struct{}{}:
				wg.Go(func() {
					defer func() { <-c.window }()
					c.submit(sctx, p)
				})
			default:
				c.reply(p, pdu.StatusThrottled, nil)
			}
		case pdu.DeliverSMResp:
			c.acked(p)
		case pdu.EnquireLinkResp, pdu.UnbindResp, pdu.GenericNack:
		default:
			if p.IsResponse() {
				continue
			}
			c.reply(pdu.PDU{ID: pdu.GenericNack, Seq: p.Seq}, pdu.StatusInvCmdID, nil)
		}
	}
}

func (c *session) write(p pdu.PDU) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(respTimeout))
	_, err := c.nc.Write(p.Bytes())
	return err
}

// reply answers request p; a generic_nack keeps its own id.
func (c *session) reply(p pdu.PDU, status uint32, body []byte) {
	id := p.ID | 0x80000000
	if err := c.write(pdu.PDU{ID: id, Status: status, Seq: p.Seq, Body: body}); err != nil {
		c.nc.Close()
	}
}

func (c *session) bind(p pdu.PDU) bool {
	c.mu.Lock()
	already := c.kind != 0
	c.mu.Unlock()
	if already {
		c.reply(p, pdu.StatusAlyBnd, nil)
		return false
	}
	b, err := pdu.DecodeBind(p.Body)
	if err != nil {
		c.reply(p, pdu.StatusInvCmdLen, nil)
		return false
	}
	if !c.srv.opt.Verify(b.SystemID, b.Password) {
		c.srv.log.Info("smpp bind refused", "system_id", b.SystemID, "remote", c.nc.RemoteAddr().String())
		c.reply(p, pdu.StatusInvPaswd, nil)
		return false
	}
	c.mu.Lock()
	c.kind, c.id = p.ID, b.SystemID
	c.mu.Unlock()
	c.srv.log.Info("smpp bound", "system_id", b.SystemID, "as", bindName(p.ID), "remote", c.nc.RemoteAddr().String())
	c.reply(p, pdu.StatusOK, pdu.EncodeCString(systemID))
	return true
}

func bindName(id uint32) string {
	switch id {
	case pdu.BindReceiver:
		return "receiver"
	case pdu.BindTransmitter:
		return "transmitter"
	}
	return "transceiver"
}

// submit stores one submit_sm and answers it with the message id.
func (c *session) submit(ctx context.Context, p pdu.PDU) {
	c.mu.Lock()
	kind, id := c.kind, c.id
	c.mu.Unlock()
	if kind != pdu.BindTransmitter && kind != pdu.BindTransceiver {
		c.reply(p, pdu.StatusInvBnd, nil)
		return
	}
	if !c.srv.allow(id) {
		c.reply(p, pdu.StatusThrottled, nil)
		return
	}
	sm, err := pdu.ReadSM(p)
	if err != nil {
		c.reply(p, pdu.StatusInvCmdLen, nil)
		return
	}
	body, cc, status := smBody(sm)
	if status != pdu.StatusOK {
		c.reply(p, status, nil)
		return
	}
	number, err := c.srv.opt.Gateway.NormalizeNumber(sm.Dest)
	if err != nil {
		c.reply(p, pdu.StatusInvDstAdr, nil)
		return
	}
	from, err := c.srv.source(id, sm)
	if err != nil {
		c.srv.log.Info("smpp source_addr refused", "system_id", id, "source_addr", sm.Source, "err", err)
		c.reply(p, pdu.StatusInvSrcAdr, nil)
		return
	}
	if cc.Total > 1 {
		c.segment(ctx, p, sm, body, cc, number, from)
		return
	}
	text, status := decodeBody(sm.DataCoding, body)
	if status != pdu.StatusOK {
		c.reply(p, status, nil)
		return
	}
	if err := c.srv.allowUser(id); err != nil {
		c.reply(p, limitStatus(err), nil)
		return
	}
	f := bridge.Followed{UCS2: sm.DataCoding == codingUCS2, Source: from, User: id, Class: classOf(sm.PriorityFlag)}
	if sm.RegisteredDelivery&0x03 != 0 {
		f.Owner, f.Data = watchOwner, follow{ESME: id, Source: sm.Source, Dest: sm.Dest, FailureOnly: sm.RegisteredDelivery&0x03 == 2}.encode()
	}
	msgID, err := c.srv.opt.Gateway.SendFollowed(ctx, source, []string{number}, text, f)
	if err != nil {
		if limitStatus(err) == pdu.StatusSysErr {
			c.srv.log.Error("smpp submit not stored", "system_id", id, "err", err)
		}
		c.reply(p, limitStatus(err), nil)
		return
	}
	c.reply(p, pdu.StatusOK, pdu.EncodeCString(msgID))
}

// source is the SMS source of a submit_sm of system_id: its source_addr
// (international numbers with their '+') when Options.Source allows it.
func (s *Server) source(id string, sm *pdu.SM) (string, error) {
	if s.opt.Source == nil {
		return "", nil
	}
	from := sm.Source
	if sm.SourceTON == tonInternational && from != "" && strings.Trim(from, "0123456789") == "" {
		from = "+" + from
	}
	return s.opt.Source(id, from)
}

func (s *Server) allowUser(id string) error {
	if s.opt.AllowUser == nil {
		return nil
	}
	return s.opt.AllowUser(id)
}

// limitStatus answers a message the gateway did not store: over the
// user's mails_per_minute ESME_RTHROTTLED (slow down and send it again
// soon: Kannel and Jasmin retry it after their throttling wait), over its
// parts_per_day ESME_RMSGQFUL (nothing more is taken for this ESME today:
// both keep the message queued and retry later, as for an SMSC's full
// queue), text that cannot be sent ESME_RINVMSGLEN, and anything else
// ESME_RSYSERR.
func limitStatus(err error) uint32 {
	switch {
	case err == nil:
		return pdu.StatusOK
	case errors.Is(err, policy.ErrRateLimit):
		return pdu.StatusThrottled
	case errors.Is(err, policy.ErrDailyLimit):
		return pdu.StatusMsgQFul
	case errors.Is(err, bridge.ErrTextRefused):
		return pdu.StatusInvMsgLen
	}
	return pdu.StatusSysErr
}

// classOf maps priority_flag (0, the default, up to 3) onto smsbridge's
// classes: above the default is urgent, as for Kannel's sendsms priority
// (which Kannel sends as priority_flag).
func classOf(flag byte) priority.Class {
	if flag > 0 {
		return priority.Urgent
	}
	return priority.Normal
}

func (c *session) acked(p pdu.PDU) {
	c.mu.Lock()
	ch := c.acks[p.Seq]
	delete(c.acks, p.Seq)
	c.mu.Unlock()
	if ch != nil {
		ch <- p.Status
	}
}
