package natsstore

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// Records are JSON: each is small, written whole, and read back once into
// the view, so a self-describing form costs little and eases inspection
// with the nats CLI. JSON holds only valid UTF-8, though, and a string of
// other bytes (a raw 8-bit subject) must come back as it went: a record
// holding one is gob instead, marked by its first byte.

// msgRecord is a message without its recipients: written last by
// Enqueue, it makes the message visible.
type msgRecord struct {
	Received   time.Time
	Expires    time.Time
	Sender     string
	Source     string `json:",omitempty"`
	Subject    string
	MessageID  string
	EnvID      string
	Ret        string
	Header     []byte
	Omitted    string `json:",omitempty"`
	Class      priority.Class
	Campaign   *campaign.Pace `json:",omitempty"`
	Recipients int
	Original   int `json:",omitempty"` // chunks of the original mail
}

// partRecord is a part and the instance that began its attempt.
type partRecord struct {
	store.Part
	Owner string `json:",omitempty"` // who holds it submitting
}

// rcptRecord is one recipient with all its parts: one compare-and-swap
// covers a part's change and the recipient's state it implies.
type rcptRecord struct {
	Address  string
	Number   string
	ORCPT    string
	Notify   store.Notify
	Reported bool
	Delay    bool   `json:",omitempty"` // waiting for a delay notice
	Holder   string `json:",omitempty"` // the instance that reports it (and sends its delay notice)
	Gen      int    `json:",omitempty"` // counts the times it was opened again: one report each
	Parts    []partRecord
}

// pending counts the parts not final.
func (r *rcptRecord) pending() int {
	n := 0
	for i := range r.Parts {
		if !r.Parts[i].State.Final() {
			n++
		}
	}
	return n
}

func (r *rcptRecord) clone() *rcptRecord {
	c := *r
	c.Parts = append([]partRecord(nil), r.Parts...)
	return &c
}

// tidRecord names the part a network id was given to.
type tidRecord struct {
	Msg  string
	Rcpt int
	Part int
}

// mailRecord is an outbox mail and the instance that sends it, with the
// recipient whose report or delay notice it is.
type mailRecord struct {
	store.OutMail
	Holder string         `json:",omitempty"`
	Report *store.RcptKey `json:",omitempty"`
	Delay  *store.RcptKey `json:",omitempty"`
}

// callbackRecord is a callback, the instance that delivers it, and the
// change that queued it.
type callbackRecord struct {
	store.Callback
	Holder string `json:",omitempty"`
	Origin string `json:",omitempty"` // see queueCallbacks
}

// segRecord is a segment set; each segment keeps a digest of its data,
// which outlives the data once the set is closed.
type segRecord struct {
	First    time.Time
	Closed   bool
	Segments []segment
}

type segment struct {
	Seq      int
	ID       string
	Received time.Time
	Digest   []byte
	Data     []byte `json:",omitempty"`
}

// liveRecord is an instance's heartbeat; only its arrival matters.
type liveRecord struct {
	At time.Time
}

// gobMark starts a record in gob; no JSON value starts with it.
const gobMark = 'G'

func encode(v any) []byte {
	if !validStrings(reflect.ValueOf(v)) {
		buf := bytes.NewBuffer([]byte{gobMark})
		if err := gob.NewEncoder(buf).Encode(v); err != nil {
			panic(fmt.Sprintf("natsstore: encoding %T: %v", v, err))
		}
		return buf.Bytes()
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Only values that cannot be JSON (channels, NaN) fail; records hold none.
		panic(fmt.Sprintf("natsstore: encoding %T: %v", v, err))
	}
	return b
}

// validStrings reports whether every string v holds is valid UTF-8.
func validStrings(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return utf8.ValidString(v.String())
	case reflect.Pointer:
		return v.IsNil() || validStrings(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !validStrings(v.Field(i)) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return true // bytes are base64 in JSON
		}
		for i := range v.Len() {
			if !validStrings(v.Index(i)) {
				return false
			}
		}
	}
	return true
}

func decodeRecord[T any](what string, b []byte) (*T, error) {
	v := new(T)
	var err error
	if len(b) > 0 && b[0] == gobMark {
		err = gob.NewDecoder(bytes.NewReader(b[1:])).Decode(v)
	} else {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s record: %v", store.ErrCorrupt, what, err)
	}
	return v, nil
}

func decodeMsg(b []byte) (*msgRecord, error) {
	m, err := decodeRecord[msgRecord]("message", b)
	if err != nil {
		return nil, err
	}
	if m.Recipients < 1 || m.Recipients > 1<<16 || m.Original < 0 || !m.Class.Valid() {
		return nil, fmt.Errorf("%w: message record: %d recipients, %d chunks, class %d", store.ErrCorrupt, m.Recipients, m.Original, m.Class)
	}
	return m, nil
}

func decodeRcpt(b []byte) (*rcptRecord, error) {
	r, err := decodeRecord[rcptRecord]("recipient", b)
	if err != nil {
		return nil, err
	}
	if len(r.Parts) == 0 {
		return nil, fmt.Errorf("%w: recipient record without parts", store.ErrCorrupt)
	}
	for i := range r.Parts {
		if s := r.Parts[i].State; s < store.PartQueued || s > store.PartCancelled {
			return nil, fmt.Errorf("%w: recipient record: part %d in state %d", store.ErrCorrupt, i, s)
		}
	}
	return r, nil
}

func decodeTID(b []byte) (*tidRecord, error) {
	t, err := decodeRecord[tidRecord]("transport id", b)
	if err != nil {
		return nil, err
	}
	if t.Msg == "" || t.Rcpt < 0 || t.Part < 0 {
		return nil, fmt.Errorf("%w: transport id record %+v", store.ErrCorrupt, *t)
	}
	return t, nil
}

func decodeMail(b []byte) (*mailRecord, error) {
	m, err := decodeRecord[mailRecord]("mail", b)
	if err != nil {
		return nil, err
	}
	if m.ID == "" || len(m.To) == 0 {
		return nil, fmt.Errorf("%w: mail record without id or recipients", store.ErrCorrupt)
	}
	return m, nil
}

func decodeCallback(b []byte) (*callbackRecord, error) {
	c, err := decodeRecord[callbackRecord]("callback", b)
	if err != nil {
		return nil, err
	}
	if c.ID == "" {
		return nil, fmt.Errorf("%w: callback record without id", store.ErrCorrupt)
	}
	return c, nil
}

func decodeSegments(b []byte) (*segRecord, error) {
	r, err := decodeRecord[segRecord]("segment set", b)
	if err != nil {
		return nil, err
	}
	for _, g := range r.Segments {
		if g.Seq < 1 || g.Seq > 255 || g.ID == "" {
			return nil, fmt.Errorf("%w: segment set: segment %d %q", store.ErrCorrupt, g.Seq, g.ID)
		}
	}
	return r, nil
}

func decodeCount(b []byte) (int, error) {
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: count %q", store.ErrCorrupt, b)
	}
	return n, nil
}
