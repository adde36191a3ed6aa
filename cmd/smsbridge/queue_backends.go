package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/store"
)

// remoteQueue goes through the running daemon's API.
type remoteQueue struct{ c *daemonClient }

func (r remoteQueue) list(ctx context.Context, q url.Values) (v api.ListView, err error) {
	return v, r.c.do(ctx, "GET", "/api/v1/messages?"+q.Encode(), nil, &v)
}

func (r remoteQueue) show(ctx context.Context, id string) (v api.MessageView, err error) {
	return v, r.c.do(ctx, "GET", "/api/v1/messages/"+url.PathEscape(id), nil, &v)
}

func (r remoteQueue) retry(ctx context.Context, id string) (v api.RetryView, err error) {
	return v, r.c.do(ctx, "POST", "/api/v1/messages/"+url.PathEscape(id)+"/retry", nil, &v)
}

func (r remoteQueue) cancel(ctx context.Context, id string) (v api.CancelView, err error) {
	return v, r.c.do(ctx, "DELETE", "/api/v1/messages/"+url.PathEscape(id), nil, &v)
}

func (remoteQueue) close() {}

// localStore is what the queue commands need of the store (*store.DB)
// while no daemon runs.
type localStore interface {
	bridge.OperatorStore
	List(q store.ListQuery) ([]store.Summary, string, error)
	Message(id string) (*store.Message, error)
	Close() error
}

// localQueue works on the store itself while no daemon runs.
type localQueue struct {
	st       localStore
	numbers  func(string) (string, error)
	validity time.Duration // of parts sent again
}

func (l *localQueue) list(_ context.Context, v url.Values) (api.ListView, error) {
	q, err := l.query(v)
	if err != nil {
		return api.ListView{}, usageError{err}
	}
	list, next, err := l.st.List(q)
	if err != nil {
		return api.ListView{}, err
	}
	out := api.ListView{Messages: []api.SummaryView{}, Next: next}
	for _, s := range list {
		out.Messages = append(out.Messages, api.ViewSummary(s))
	}
	return out, nil
}

// query reads the same parameters the API does, with the same meaning.
func (l *localQueue) query(v url.Values) (store.ListQuery, error) {
	q := store.ListQuery{Before: v.Get("before")}
	var err error
	if s := v.Get("state"); s != "" {
		if q.State, err = store.ParsePartState(s); err != nil {
			return q, err
		}
	}
	if s := v.Get("since"); s != "" {
		if d, derr := time.ParseDuration(s); derr == nil && d >= 0 {
			q.Since = time.Now().Add(-d)
		} else if q.Since, err = time.Parse(time.RFC3339, s); err != nil {
			return q, fmt.Errorf("-since %q: a time (RFC 3339) or a duration (24h)", s)
		}
	}
	if s := v.Get("to"); s != "" {
		if q.To, err = l.numbers(s); err != nil {
			return q, fmt.Errorf("-to: %w", err)
		}
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > store.MaxListLimit {
			return q, fmt.Errorf("-limit must be from 1 to %d", store.MaxListLimit)
		}
	}
	return q, nil
}

func (l *localQueue) show(_ context.Context, id string) (api.MessageView, error) {
	m, err := l.st.Message(id)
	if err != nil {
		return api.MessageView{}, err
	}
	return api.ViewMessage(m), nil
}

func (l *localQueue) retry(ctx context.Context, id string) (api.RetryView, error) {
	now := time.Now()
	n, err := l.st.RetryQueued(ctx, id, now)
	if err != nil {
		return api.RetryView{}, err
	}
	var expires time.Time
	if l.validity > 0 {
		expires = now.Add(l.validity)
	}
	again, err := l.st.Resend(ctx, id, expires, now)
	if err != nil {
		return api.RetryView{}, err
	}
	if n+again == 0 {
		return api.RetryView{}, usageError{fmt.Errorf("nothing of %s is waiting in the queue, failed or expired", id)}
	}
	return api.RetryView{ID: id, Queued: n + again}, nil
}

func (l *localQueue) cancel(ctx context.Context, id string) (api.CancelView, error) {
	n, _, err := l.st.CancelQueued(ctx, id, bridge.CancelReason, time.Now())
	if err != nil {
		return api.CancelView{}, err
	}
	if n == 0 {
		return api.CancelView{}, usageError{fmt.Errorf("nothing of %s is waiting in the queue: it was sent or is final", id)}
	}
	m, err := l.st.Message(id)
	if err != nil {
		return api.CancelView{}, err
	}
	return api.CancelView{Cancelled: n, Message: api.ViewMessage(m)}, nil
}

func (l *localQueue) close() { l.st.Close() }
