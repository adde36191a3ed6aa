package store

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"time"
)

// Key layout. Every key that names a message starts with msgKey: one length
// byte and the id, so a message's recipients and parts are one prefix scan
// whatever bytes the id holds. Indexes sort by an 8-byte time first.
const (
	maxIDLen      = 255
	maxRecipients = math.MaxUint16 + 1
	maxParts      = math.MaxUint16 + 1
	timeKeyLen    = 8
)

func msgKey(id string) []byte {
	k := make([]byte, 0, 1+len(id))
	k = append(k, byte(len(id)))
	return append(k, id...)
}

func rcptKeyBytes(k RcptKey) []byte {
	b := make([]byte, 0, 3+len(k.Msg))
	b = append(b, byte(len(k.Msg)))
	b = append(b, k.Msg...)
	return binary.BigEndian.AppendUint16(b, uint16(k.Rcpt))
}

func partKeyBytes(k PartKey) []byte {
	b := make([]byte, 0, 5+len(k.Msg))
	b = append(b, byte(len(k.Msg)))
	b = append(b, k.Msg...)
	b = binary.BigEndian.AppendUint16(b, uint16(k.Rcpt))
	return binary.BigEndian.AppendUint16(b, uint16(k.Part))
}

func parsePartKey(b []byte) (PartKey, error) {
	if len(b) < 1 || len(b) != 1+int(b[0])+4 {
		return PartKey{}, fmt.Errorf("%w: part key %x", ErrCorrupt, b)
	}
	n := int(b[0])
	return PartKey{
		Msg:  string(b[1 : 1+n]),
		Rcpt: int(binary.BigEndian.Uint16(b[1+n:])),
		Part: int(binary.BigEndian.Uint16(b[3+n:])),
	}, nil
}

func parseRcptKey(b []byte) (RcptKey, error) {
	if len(b) < 1 || len(b) != 1+int(b[0])+2 {
		return RcptKey{}, fmt.Errorf("%w: recipient key %x", ErrCorrupt, b)
	}
	n := int(b[0])
	return RcptKey{Msg: string(b[1 : 1+n]), Rcpt: int(binary.BigEndian.Uint16(b[1+n:]))}, nil
}

// validPartKey rejects keys that cannot name a stored part, so a bad key
// from a caller is ErrNotFound rather than a truncated lookup.
func validPartKey(k PartKey) bool {
	return validID(k.Msg) && k.Rcpt >= 0 && k.Rcpt < maxRecipients && k.Part >= 0 && k.Part < maxParts
}

func validRcptKey(k RcptKey) bool {
	return validID(k.Msg) && k.Rcpt >= 0 && k.Rcpt < maxRecipients
}

func validID(id string) bool { return id != "" && len(id) <= maxIDLen }

// timeKey is an order-preserving 8-byte form of t: big-endian nanoseconds
// with the sign bit flipped, so byte order is time order.
func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, timeKeyLen), uint64(unixNano(t))^(1<<63))
}

func timeFromKey(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63))).UTC()
}

// timedKey is a time followed by another key: the form of every time index.
func timedKey(t time.Time, rest []byte) []byte {
	return append(timeKey(t), rest...)
}

var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// unixNano clamps t to the range int64 nanoseconds can hold (1678–2262),
// where time.UnixNano is otherwise undefined.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return minTime.UnixNano()
	case t.After(maxTime):
		return maxTime.UnixNano()
	}
	return t.UnixNano()
}

// NewID returns a unique, time-ordered queue id of 16 characters from
// [0-9A-Za-z]: 8 for the milliseconds since 1970 (ordered until year 8888),
// 2 counting the ids made in that millisecond, 6 random. Ids from one
// process sort in the order they were made as plain strings, so listings
// "newest first" stay in order for mail accepted in the same millisecond;
// the random part keeps ids of two processes (serve and a local send)
// apart.
func NewID() string {
	ms, seq := idClock.next(uint64(time.Now().UnixMilli()))
	var b [16]byte
	for i := 7; i >= 0; i-- {
		b[i] = idAlphabet[ms%62]
		ms /= 62
	}
	b[8], b[9] = idAlphabet[seq/62], idAlphabet[seq%62]
	var rnd [8]byte
	for n := 10; n < len(b); {
		// Rejection sampling keeps each character uniform: 248 = 4*62.
		_, _ = rand.Read(rnd[:]) // since Go 1.24 it crashes rather than fail
		for _, c := range rnd {
			if c < 248 && n < len(b) {
				b[n] = idAlphabet[c%62]
				n++
			}
		}
	}
	return string(b[:])
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idSeqs is how many ids one millisecond holds; past that the clock of ids
// runs ahead of the wall clock until it catches up.
const idSeqs = 62 * 62

// idClock makes (millisecond, sequence) pairs that only go forward, even
// when the wall clock steps back.
var idClock monotonicIDs

type monotonicIDs struct {
	mu     sync.Mutex
	lastMS uint64
	seq    uint64
}

func (c *monotonicIDs) next(now uint64) (ms, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case now > c.lastMS:
		c.lastMS, c.seq = now, 0
	case c.seq+1 < idSeqs:
		c.seq++
	default:
		c.lastMS, c.seq = c.lastMS+1, 0
	}
	return c.lastMS, c.seq
}
