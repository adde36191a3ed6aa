package transport

import "errors"

// ErrCannotFollow is returned (wrapped) by Send when a part of a
// concatenated message cannot leave the way its other parts did (the SIM
// they went through reached its limit, say): sent any other way, the phone
// could not put the message together. The dispatcher then sends the whole
// message again, one way.
var ErrCannotFollow = errors.New("cannot send this part the way the other parts of its message went")

// CannotFollow reports whether err says the part cannot follow the others.
func CannotFollow(err error) bool { return errors.Is(err, ErrCannotFollow) }
