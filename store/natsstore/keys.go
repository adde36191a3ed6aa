package natsstore

import (
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"

	"github.com/smsbridge/smsbridge/store"
)

// Key layout in the one bucket. A key is a family letter and tokens,
// separated by dots; names (ids, transports, numbers, SIMs, instances)
// are base32hex lower case without padding, "-" for an empty one, and
// indexes are decimal digits, so that any name fits the keys NATS allows.
const (
	famMsg      = "m" // m.<id>: the message record, its commit marker
	famRcpt     = "r" // r.<id>.<rcpt>: a recipient with all its parts
	famOrig     = "o" // o.<id>.<chunk>: the original mail, chunked
	famTID      = "t" // t.<transport>.<network id>: the part an id names
	famMail     = "x" // x.<mail id>: an outbox mail
	famReport   = "y" // y.<id>.<rcpt>.<generation>: a recipient's report mail
	famNotice   = "d" // d.<id>.<rcpt>: a recipient's delay notice mail
	famParked   = "e" // e.<transport>.<network id>: a receipt parked early
	famConv     = "c" // c.<number>: a conversation
	famOptOut   = "n" // n.<number>: an opt-out
	famPolicy   = "p" // p.<instance>: an instance's policy counters
	famQuota    = "q" // q.<sim>.<d|m>.<period>: a SIM's count of a day or month
	famSegments = "g" // g.<set>: an SMPP segment set
	famWatch    = "w" // w.<id>: an integration's watch of a message
	famCallback = "k" // k.<callback id>: a callback owed to a client
	famLive     = "l" // l.<instance>: an instance's liveness
)

var b32 = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

func tok(s string) string {
	if s == "" {
		return "-"
	}
	return b32.EncodeToString([]byte(s))
}

func untok(t string) (string, error) {
	if t == "-" {
		return "", nil
	}
	if t == "" {
		return "", fmt.Errorf("%w: empty key token", store.ErrCorrupt)
	}
	b, err := b32.DecodeString(t)
	if err != nil || len(b) == 0 || b32.EncodeToString(b) != t {
		// Only the one form tok writes names a value: two keys never
		// name the same record.
		return "", fmt.Errorf("%w: key token %q", store.ErrCorrupt, t)
	}
	return string(b), nil
}

func key(family string, tokens ...string) string {
	return family + "." + strings.Join(tokens, ".")
}

func msgKey(id string) string               { return key(famMsg, tok(id)) }
func rcptKey(k store.RcptKey) string        { return key(famRcpt, tok(k.Msg), strconv.Itoa(k.Rcpt)) }
func origKey(id string, chunk int) string   { return key(famOrig, tok(id), strconv.Itoa(chunk)) }
func tidKey(transport, id string) string    { return key(famTID, tok(transport), tok(id)) }
func mailKey(id string) string              { return key(famMail, tok(id)) }
func parkedKey(transport, id string) string { return key(famParked, tok(transport), tok(id)) }
func convKey(number string) string          { return key(famConv, tok(number)) }
func optOutKey(number string) string        { return key(famOptOut, tok(number)) }
func policyKey(instance string) string      { return key(famPolicy, tok(instance)) }
func segKey(set string) string              { return key(famSegments, tok(set)) }
func watchKey(id string) string             { return key(famWatch, tok(id)) }
func callbackKey(id string) string          { return key(famCallback, tok(id)) }
func liveKey(instance string) string        { return key(famLive, tok(instance)) }

func reportKey(k store.RcptKey, gen int) string {
	return key(famReport, tok(k.Msg), strconv.Itoa(k.Rcpt), strconv.Itoa(gen))
}

func noticeKey(k store.RcptKey) string { return key(famNotice, tok(k.Msg), strconv.Itoa(k.Rcpt)) }

func quotaKey(sim string, kind byte, period string) string {
	return key(famQuota, tok(sim), string(kind), period)
}

// parsedKey is a key split into its family and decoded names: names holds
// the decoded name tokens, nums the decimal ones, in order.
type parsedKey struct {
	family string
	names  []string
	nums   []int
}

// shapes gives each family its tokens: 's' a name, 'n' a number, 'r' a
// raw token (the quota's kind and period).
var shapes = map[string]string{
	famMsg: "s", famRcpt: "sn", famOrig: "sn", famTID: "ss", famMail: "s", famReport: "snn", famNotice: "sn",
	famParked: "ss", famConv: "s", famOptOut: "s", famPolicy: "s", famQuota: "srr", famSegments: "s",
	famWatch: "s", famCallback: "s", famLive: "s",
}

// parseKey splits a key of the bucket; raw tokens come back in names.
func parseKey(k string) (parsedKey, error) {
	fam, rest, ok := strings.Cut(k, ".")
	shape, known := shapes[fam]
	if !ok || !known {
		return parsedKey{}, fmt.Errorf("%w: key %q", store.ErrCorrupt, k)
	}
	toks := strings.Split(rest, ".")
	if len(toks) != len(shape) {
		return parsedKey{}, fmt.Errorf("%w: key %q has %d tokens", store.ErrCorrupt, k, len(toks))
	}
	p := parsedKey{family: fam}
	for i, t := range toks {
		switch shape[i] {
		case 's':
			s, err := untok(t)
			if err != nil {
				return parsedKey{}, err
			}
			p.names = append(p.names, s)
		case 'n':
			n, err := strconv.Atoi(t)
			if err != nil || n < 0 || strconv.Itoa(n) != t {
				return parsedKey{}, fmt.Errorf("%w: key %q: index %q", store.ErrCorrupt, k, t)
			}
			p.nums = append(p.nums, n)
		default:
			if t == "" {
				return parsedKey{}, fmt.Errorf("%w: key %q: empty token", store.ErrCorrupt, k)
			}
			p.names = append(p.names, t)
		}
	}
	return p, nil
}
