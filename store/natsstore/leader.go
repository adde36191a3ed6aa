package natsstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// leaderReader reads a key's last value from the bucket stream's leader.
// kv.Get is a direct get, which any replica may answer, one still
// catching up after a restart among them: it would say that a record is
// gone that is there, and the view would then hide a record that no later
// write brings back.
type leaderReader struct {
	nc      *nats.Conn
	subject string // the stream's message-get API subject
	prefix  string // the bucket's subject prefix, "$KV.<bucket>."
}

func newLeaderReader(js jetstream.JetStream, bucket string) leaderReader {
	o := js.Options()
	api := jetstream.DefaultAPIPrefix
	switch {
	case o.Domain != "":
		api = "$JS." + o.Domain + ".API."
	case o.APIPrefix != "":
		api = strings.TrimSuffix(o.APIPrefix, ".") + "."
	}
	return leaderReader{nc: js.Conn(), subject: api + "STREAM.MSG.GET.KV_" + bucket, prefix: "$KV." + bucket + "."}
}

// entry is a key's last value as the leader has it.
type entry struct {
	val     []byte
	rev     uint64
	created time.Time
}

// get returns k's last value, or jetstream.ErrKeyNotFound when it has
// none or jetstream.ErrKeyDeleted when its last change deleted it.
func (l leaderReader) get(ctx context.Context, k string) (entry, error) {
	req, err := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{l.prefix + k})
	if err != nil {
		return entry{}, err
	}
	msg, err := l.nc.RequestWithContext(ctx, l.subject, req)
	if err != nil {
		return entry{}, fmt.Errorf("read %s from the leader: %w", k, err)
	}
	var resp struct {
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
		Message *struct {
			Seq    uint64    `json:"seq"`
			Header []byte    `json:"hdrs"`
			Data   []byte    `json:"data"`
			Time   time.Time `json:"time"`
		} `json:"message"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return entry{}, fmt.Errorf("read %s from the leader: %w", k, err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrCode == int(jetstream.JSErrCodeMessageNotFound):
		return entry{}, jetstream.ErrKeyNotFound
	case resp.Error != nil:
		return entry{}, fmt.Errorf("read %s from the leader: %s (%d)", k, resp.Error.Description, resp.Error.ErrCode)
	case resp.Message == nil:
		return entry{}, fmt.Errorf("read %s from the leader: %w", k, jetstream.ErrInvalidJetStreamResponse)
	}
	m := resp.Message
	if len(m.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(m.Header)
		if err != nil {
			return entry{}, fmt.Errorf("read %s from the leader: %w", k, err)
		}
		if op := h.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
			return entry{rev: m.Seq, created: m.Time}, jetstream.ErrKeyDeleted
		}
	}
	return entry{val: m.Data, rev: m.Seq, created: m.Time}, nil
}
