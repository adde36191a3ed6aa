// Package api is smsbridge's HTTP interface: a JSON API under /api/v1 to
// send SMS, follow, list, cancel and retry messages and see the
// transports; /metrics for Prometheus; /healthz and /readyz for
// supervisors. Errors are JSON of one shape:
// {"error": {"code": "...", "message": "..."}}.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/internal/httpserve"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

const (
	maxBodyBytes = 1 << 20
	// DefaultMaxRecipients bounds the numbers of one POST when Options
	// leaves it zero.
	DefaultMaxRecipients = 100
)

// Gateway is what the API needs of the bridge (*bridge.Gateway).
type Gateway interface {
	SendClassText(ctx context.Context, source, from string, numbers []string, text string, class priority.Class) (string, error)
	SendCampaign(ctx context.Context, source, from string, to []string, text string, p campaign.Pace) (string, error)
	ResolveNumbers(to []string) ([]string, error)
	NormalizeNumber(s string) (string, error)
	CancelMessage(ctx context.Context, id string) (int, error)
	RetryMessage(ctx context.Context, id string) (int, error)
	Transports() []bridge.TransportStatus
}

// Queue is what the API reads of the store (*store.DB).
type Queue interface {
	Message(id string) (*store.Message, error)
	List(q store.ListQuery) ([]store.Summary, string, error)
	Stats() (map[store.PartState]int, error)
	Campaigns(limit int) ([]store.CampaignSummary, error)
	Campaign(id string) (store.CampaignSummary, error)
}

// BindHolders tells which gateway holds each bind slot of an SMPP
// transport, slot → instance (*cluster.BindLeases).
type BindHolders interface {
	Holders(ctx context.Context, transport string) (map[int]string, error)
}

// Options configure a Server. Gateway and Queue are required.
type Options struct {
	Gateway Gateway
	Queue   Queue
	// Tokens are the bearer tokens /api/v1 accepts. With none, the API
	// answers only clients from Trusted networks.
	Tokens []string
	// ReadOnlyTokens may only read: GET and HEAD of the API, the web
	// console without its forms.
	ReadOnlyTokens []string
	Trusted        []netip.Prefix
	// Metrics is served at /metrics when not nil; Throughput adds each
	// transport's submits per second to /api/v1/transports.
	Metrics    http.Handler
	Throughput func(transport string) float64
	// BindHolders, when the gateways share SMPP binds by leases, adds to
	// each SMPP transport in /api/v1/transports who holds which bind.
	BindHolders BindHolders
	// PublicMetrics serves /metrics to anyone; otherwise it takes a token
	// or a trusted client, as /api/v1 does.
	PublicMetrics bool
	// MaxRecipients bounds the numbers of one POST; 0 means DefaultMaxRecipients.
	MaxRecipients int
	Logger        *slog.Logger
	Now           func() time.Time // the clock; time.Now when nil
}

// Server serves the API. It is safe for concurrent use; Reload may be
// called while it serves.
type Server struct {
	opt  Options
	auth authenticator
	mux  *http.ServeMux
	log  *slog.Logger
}

// New checks opt and builds the routes.
func New(opt Options) (*Server, error) {
	if opt.Gateway == nil || opt.Queue == nil {
		return nil, errors.New("api: a gateway and a queue are required")
	}
	if opt.MaxRecipients <= 0 {
		opt.MaxRecipients = DefaultMaxRecipients
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{opt: opt, mux: http.NewServeMux(), log: opt.Logger.With("component", "http")}
	s.auth.set(opt.Tokens, opt.ReadOnlyTokens, opt.Trusted)
	s.routes()
	return s, nil
}

// Reload replaces the accepted tokens and trusted networks (SIGHUP).
func (s *Server) Reload(tokens, readOnlyTokens []string, trusted []netip.Prefix) {
	s.auth.set(tokens, readOnlyTokens, trusted)
	s.log.Info("API access reloaded", "tokens", len(tokens), "read_only_tokens", len(readOnlyTokens), "trusted_networks", len(trusted))
}

// Handler is the whole HTTP interface.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Serve answers on l until ctx is done, then lets requests under way
// finish (up to a few seconds) and returns nil.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.log.Info("listening for HTTP", "addr", l.Addr().String())
	if err := httpserve.Serve(ctx, l, s.Handler(), s.log); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	return nil
}
