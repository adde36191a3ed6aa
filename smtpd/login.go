package smtpd

import "errors"

// loginServer is the server side of the obsolete but still common LOGIN
// SASL mechanism (Outlook uses it), which go-sasl leaves out on purpose:
// the server asks "Username:" then "Password:", each answer in base64
// (go-smtp does the encoding).
type loginServer struct {
	step  int
	name  string
	check func(name, password string) error
}

var errLoginSequence = errors.New("unexpected LOGIN response")

// Next implements sasl.Server. A client may send its user name as the
// initial response (AUTH LOGIN dXNlcg==), skipping the first prompt.
func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		if response != nil {
			l.name, l.step = string(response), 2
			return []byte("Password:"), false, nil
		}
		l.step = 1
		return []byte("Username:"), false, nil
	case 1:
		l.name, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.name, string(response))
	}
	return nil, false, errLoginSequence
}
