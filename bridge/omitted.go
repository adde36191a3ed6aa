package bridge

import (
	"fmt"
	"strings"

	"github.com/smsbridge/smsbridge/bridge/mailtext"
	"github.com/smsbridge/smsbridge/sms"
)

// omitted says, for the sender's report, what of the mail its SMS does not
// carry: the parts the text leaves out and the end cut by max_parts.
// Quotes, signatures and boilerplate are not counted: dropping them is
// the conversion's purpose.
func omitted(res *mailtext.Result, msg sms.Message) string {
	what := append([]string(nil), res.Omitted...)
	if msg.Truncated {
		what = append(what, fmt.Sprintf("the end of the text, cut to fit %d SMS parts", len(msg.Parts)))
	}
	return strings.Join(what, "; ")
}
