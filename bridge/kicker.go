package bridge

// kicker wakes a loop that sleeps until there may be work for it. Kicks
// that come while the loop is busy fold into one: the loop looks at all the
// work when it wakes.
type kicker chan struct{}

func newKicker() kicker { return make(kicker, 1) }

func (k kicker) kick() {
	select {
	case k <- struct{}{}:
	default:
	}
}
