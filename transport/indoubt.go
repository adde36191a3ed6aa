package transport

// SubmitHandler is implemented by handlers that want to hear what a
// transport learns about a submit after its Send returned or while it
// waits: a Handler given to Run that also implements it is told. Like
// Handler's, its methods must not block for long.
type SubmitHandler interface {
	// SubmitInDoubt: the submit of part key (Part.Key) got no answer in
	// the transport's response time; the transport keeps waiting for it
	// while its link is up.
	SubmitInDoubt(transport, key string)
	// LateSubmit: the network accepted part key under id after Send had
	// returned an in-doubt error for that submit, so the part may have been
	// sent again meanwhile. done is called once the id is recorded.
	LateSubmit(transport, key, id string, done func(error))
}
