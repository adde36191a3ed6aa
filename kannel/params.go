package kannel

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// undefined is Kannel's SMS_PARAM_UNDEFINED: a number not given.
const undefined = -1

// maxUDH is the most a UDH may hold (Kannel's MAX_SMS_OCTETS).
const maxUDH = 140

// request is one sendsms request, read as smsbox reads it.
type request struct {
	To       []string // the space-separated receivers, in order
	Text     string   // decoded to UTF-8
	From     string
	Coding   int
	DLRMask  int
	DLRURL   string
	Validity int // minutes
	Priority int
}

// refusal is an answer smsbox would give instead of sending.
type refusal struct {
	Status int
	Text   string
}

func (r *refusal) Error() string { return r.Text }

func refuse(status int, text string) *refusal { return &refusal{Status: status, Text: text} }

// fields are where a request's values come from: CGI variables (GET, or a
// form POST) or, for a POST of the text itself, X-Kannel-* headers.
type fields struct {
	get     func(name string) (string, bool)
	body    []byte // the text of a plain POST
	charset string // of a plain POST, from its Content-Type
	plain   bool
}

// readFields reads r as smsbox does: GET's query; a POST of
// application/x-www-form-urlencoded as CGI variables; a POST of text/plain
// or application/octet-stream as the text, its fields in X-Kannel-*
// headers.
func readFields(r *http.Request, maxBody int64) (*fields, error) {
	switch r.Method {
	case http.MethodGet:
		return cgi(r.URL.Query()), nil
	case http.MethodPost:
	default:
		return nil, refuse(http.StatusMethodNotAllowed, "Method not allowed")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, refuse(http.StatusRequestEntityTooLarge, "Request body too large, rejected")
	}
	ctype, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "application/x-www-form-urlencoded", "":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, refuse(http.StatusBadRequest, "Invalid form body, rejected")
		}
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok {
				form[k] = v
			}
		}
		return cgi(form), nil
	case "text/plain", "application/octet-stream":
		h := r.Header
		return &fields{get: func(name string) (string, bool) {
			v, ok := h[http.CanonicalHeaderKey("X-Kannel-"+name)]
			if !ok || len(v) == 0 {
				return "", false
			}
			return v[0], true
		}, body: body, charset: params["charset"], plain: true}, nil
	}
	return nil, refuse(http.StatusBadRequest, "Invalid content-type")
}

func cgi(v url.Values) *fields {
	return &fields{get: func(name string) (string, bool) {
		if s, ok := v[name]; ok && len(s) > 0 {
			return s[0], true
		}
		return "", false
	}}
}

// first returns the first of names given.
func (f *fields) first(names ...string) (string, bool) {
	for _, n := range names {
		if v, ok := f.get(n); ok {
			return v, true
		}
	}
	return "", false
}

func (f *fields) number(names ...string) int {
	v, ok := f.first(names...)
	if !ok {
		return undefined
	}
	return scanInt(v)
}

// credentials are the request's user name and password (CGI variables,
// or X-Kannel-Username and X-Kannel-Password for a plain POST).
func (f *fields) credentials() (user, password string) {
	user, _ = f.first("username", "user")
	password, _ = f.first("password", "pass")
	return user, password
}

// readRequest reads and checks the fields past the credentials, which the
// caller has verified (smsbox answers a bad password before anything
// else), with smsbox's rules and words.
func readRequest(f *fields) (*request, *refusal) {
	req := &request{}
	to, ok := f.get("to")
	if !ok {
		return nil, refuse(http.StatusBadRequest, "Missing receiver number, rejected")
	}
	if to == "" {
		return nil, refuse(http.StatusBadRequest, "Empty receiver number not allowed, rejected")
	}
	req.To = strings.Fields(to)
	req.From, _ = f.get("from")
	udh, _ := f.get("udh")
	charset, _ := f.get("charset")
	text, _ := f.get("text")
	if f.plain {
		text, charset = string(f.body), f.charset
	}
	req.Coding = f.number("coding")
	req.DLRMask = f.number("dlr-mask", "dlrmask")
	req.DLRURL, _ = f.first("dlr-url", "dlrurl")
	req.Validity = f.number("validity")
	req.Priority = f.number("priority")

	switch {
	case udh != "" && len(udh) != int(udh[0])+1:
		return nil, refuse(http.StatusBadRequest, "UDH field misformed, rejected")
	case len(udh) > maxUDH:
		return nil, refuse(http.StatusBadRequest, "UDH field is too long, rejected")
	case udh != "":
		// smsbridge splits and concatenates text itself; a UDH would ask it
		// to send one part of a message split elsewhere as if whole.
		return nil, refuse(http.StatusBadRequest, "UDH is not supported here (send the whole text; it is split as needed), rejected")
	}
	if req.DLRURL != "" && !hasPrefixFold(req.DLRURL, "http://") && !hasPrefixFold(req.DLRURL, "https://") {
		return nil, refuse(http.StatusBadRequest, "DLR-URL field misformed, rejected")
	}
	switch {
	case req.DLRMask < undefined || req.DLRMask > 63:
		return nil, refuse(http.StatusBadRequest, "DLR-Mask field misformed, rejected")
	case req.Coding < undefined || req.Coding > 2:
		return nil, refuse(http.StatusBadRequest, "Coding field misformed, rejected")
	case req.Coding == 1:
		return nil, refuse(http.StatusBadRequest, "8-bit messages (coding=1) are not supported here, rejected")
	case req.Validity < undefined:
		return nil, refuse(http.StatusBadRequest, "Validity field misformed, rejected")
	case req.Priority != undefined && (req.Priority < 0 || req.Priority > 3):
		return nil, refuse(http.StatusBadRequest, "Priority field misformed, rejected")
	}
	var err error
	if req.Text, err = decodeText(text, charset, req.Coding); err != nil {
		return nil, refuse(http.StatusBadRequest, "Charset or body misformed, rejected")
	}
	return req, nil
}

// decodeText turns the text field into UTF-8. Its charset defaults, as in
// Kannel, to UTF-8 for 7-bit coding and UTF-16BE for UCS-2 (coding=2).
func decodeText(text, charset string, coding int) (string, error) {
	if charset == "" {
		charset = "UTF-8"
		if coding == 2 {
			charset = "UTF-16BE"
		}
	}
	if strings.EqualFold(charset, "UTF-8") || strings.EqualFold(charset, "UTF8") {
		if !utf8.ValidString(text) {
			return "", errors.New("text is not UTF-8")
		}
		return text, nil
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return "", fmt.Errorf("charset %q: %w", charset, err)
	}
	out, err := enc.NewDecoder().String(text)
	if err != nil {
		return "", fmt.Errorf("charset %q: %w", charset, err)
	}
	if !utf8.ValidString(out) || strings.ContainsRune(out, utf8.RuneError) {
		return "", fmt.Errorf("charset %q: text does not decode", charset)
	}
	return out, nil
}

// scanInt reads a number as C's sscanf("%d") does: blanks, a sign and the
// digits that follow; anything else leaves it undefined.
func scanInt(s string) int {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n, digits := 0, 0
	for ; digits < len(s) && s[digits] >= '0' && s[digits] <= '9'; digits++ {
		if n > 1<<30 {
			return undefined - 1 // out of every range checked: misformed
		}
		n = n*10 + int(s[digits]-'0')
	}
	if digits == 0 {
		return undefined
	}
	if neg {
		return -n
	}
	return n
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
