package bridge

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
	"unicode"

	"github.com/smsbridge/smsbridge/carriers"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// Keywords are the answers to the words phones send to manage their
// subscription. An empty answer sends no SMS.
type Keywords struct {
	StopReply  string
	StartReply string
	HelpReply  string
}

type keyword uint8

const (
	noKeyword keyword = iota
	keywordStop
	keywordStart
	keywordHelp
)

// parseKeyword recognises a message that is only a keyword, as carriers do:
// case, surrounding space and punctuation do not matter.
func parseKeyword(text string) keyword {
	word := strings.ToUpper(strings.TrimFunc(text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }))
	switch word {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT":
		return keywordStop
	case "START", "UNSTOP":
		return keywordStart
	case "HELP", "INFO":
		return keywordHelp
	}
	return noKeyword
}

// inbound turns an SMS from a phone into mail (two-way), or answers a
// keyword. It runs on the receipt matcher's goroutine, so SMS from phones
// are handled in the order they came. An error means the SMS was not kept
// (the opt-out or the mail it becomes is not on disk): the network should
// send it again. A keyword's answer that cannot be sent is only logged.
func (m *receiptMatcher) inbound(ctx context.Context, in transport.Inbound) error {
	g := m.g
	from, err := g.conf().Numbers.Normalize(in.From)
	if err != nil {
		from = in.From // keep what the network said; the mail still says who wrote
	}
	log := g.log.With("transport", in.Transport, "from", from)
	switch parseKeyword(in.Text) {
	case keywordStop:
		if err := g.st.OptOut(context.WithoutCancel(ctx), from, g.now()); err != nil {
			log.Error("recording opt-out", "err", err)
			return fmt.Errorf("recording opt-out: %w", err)
		}
		log.Info("number opted out (STOP)")
		g.keywordReply(ctx, from, g.conf().Keywords.StopReply)
		return g.notifyKeyword(ctx, from, in, "replied STOP (%q): mail to this number is refused from now on, until it replies START.")
	case keywordStart:
		if err := g.st.OptIn(context.WithoutCancel(ctx), from); err != nil {
			log.Error("recording opt-in", "err", err)
			return fmt.Errorf("recording opt-in: %w", err)
		}
		log.Info("number opted in (START)")
		g.keywordReply(ctx, from, g.conf().Keywords.StartReply)
		return g.notifyKeyword(ctx, from, in, "replied START (%q): it receives SMS again.")
	case keywordHelp:
		log.Info("HELP received")
		g.keywordReply(ctx, from, g.conf().Keywords.HelpReply)
		return nil
	default:
		return g.forwardInbound(ctx, from, in)
	}
}

// keywordReply answers a keyword by SMS. It goes out even to a number that
// just opted out: the confirmation is the one message STOP asks for.
func (g *Gateway) keywordReply(ctx context.Context, number, text string) {
	if text == "" {
		return
	}
	if _, err := g.SendText(ctx, "keyword", "", []string{number}, text); err != nil {
		g.log.Error("answering keyword", "to", number, "err", err)
	}
}

// notifyKeyword tells the last sender to the number what it asked for.
func (g *Gateway) notifyKeyword(ctx context.Context, from string, in transport.Inbound, format string) error {
	in.Text = fmt.Sprintf(format, strings.TrimSpace(in.Text))
	return g.forwardInbound(ctx, from, in)
}

// forwardInbound mails an SMS to whoever last wrote to the number, within
// ConversationTTL, else to InboundDefaultTo, threaded under that mail. It
// fails only when the mail could not be queued.
func (g *Gateway) forwardInbound(ctx context.Context, from string, in transport.Inbound) error {
	conv, ok, err := g.st.Conversation(from)
	if err != nil {
		g.log.Error("looking up conversation", "from", from, "err", err)
	}
	to := ""
	if ok && (g.conf().ConversationTTL <= 0 || g.now().Sub(conv.Updated) <= g.conf().ConversationTTL) {
		to = conv.Sender
	} else {
		conv = store.Conversation{}
	}
	if to == "" {
		to = g.conf().InboundDefaultTo
	}
	if to == "" {
		g.log.Warn("SMS from a phone with nobody to mail it to: no conversation and no [inbound] default_to; dropped",
			"from", from, "transport", in.Transport)
		return nil
	}
	mail, msgID := g.inboundMail(from, to, conv, in)
	if err := g.outbox.queue(ctx, &mailout.Mail{From: "", To: []string{to}, Data: mail}, store.MailFor{}); err != nil {
		g.log.Error("queuing mail for an SMS from a phone; not acknowledged, so that the network sends it again", "from", from, "err", err)
		return fmt.Errorf("queuing its mail: %w", err)
	}
	// The next SMS from this phone threads under this mail.
	conv.Sender, conv.MessageID, conv.Updated = to, msgID, g.now()
	if err := g.st.SetConversation(context.WithoutCancel(ctx), from, conv); err != nil {
		g.log.Error("recording conversation", "from", from, "err", err)
	}
	g.log.Info("SMS from a phone mailed", "from", from, "to", to)
	return nil
}

// inboundMail writes the mail for an SMS: From the number at the first SMS
// domain, so replying to it sends SMS back.
func (g *Gateway) inboundMail(from, to string, conv store.Conversation, in transport.Inbound) ([]byte, string) {
	domain := g.conf().Hostname
	if len(g.conf().Domains) > 0 {
		domain = g.conf().Domains[0]
	}
	var tok [12]byte
	rand.Read(tok[:])
	msgID := "<" + hex.EncodeToString(tok[:]) + "@" + g.conf().Hostname + ">"
	subject := "SMS from " + carriers.Format(from)
	if conv.Subject != "" {
		subject = "Re: " + strings.TrimPrefix(conv.Subject, "Re: ")
	}
	received := in.Received
	if received.IsZero() {
		received = g.now()
	}
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("From: %s <%s@%s>", mime.QEncoding.Encode("utf-8", `"`+carriers.Format(from)+`"`), strings.TrimPrefix(from, "+"), domain)
	w("To: %s", to)
	w("Subject: %s", mime.QEncoding.Encode("utf-8", subject))
	w("Date: %s", received.Format(time.RFC1123Z))
	w("Message-ID: %s", msgID)
	if conv.MessageID != "" {
		w("In-Reply-To: %s", conv.MessageID)
		w("References: %s", conv.MessageID)
	}
	w("X-SMS-Transport: %s", in.Transport)
	w("MIME-Version: 1.0")
	w("Content-Type: text/plain; charset=utf-8")
	w("Content-Transfer-Encoding: quoted-printable")
	w("")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(in.Text, "\n", "\r\n")))
	qp.Close()
	w("")
	return b.Bytes(), msgID
}
