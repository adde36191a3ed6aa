package bridge

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-message/textproto"

	"github.com/smsbridge/smsbridge/carriers"
	"github.com/smsbridge/smsbridge/internal/mailfmt"
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
		// Keep what the network said, on one line: the mail still says who
		// wrote, and a hostile SMSC's line breaks stay out of it.
		from = mailfmt.Text(in.From)
	}
	log := g.log.With("transport", in.Transport, "from", from)
	if g.handoff != nil {
		// An ESME's number: its application answers keywords itself.
		if taken, err := g.handoff.TakeInbound(ctx, from, in); taken || err != nil {
			if err != nil {
				log.Error("handing an SMS from a phone on; not acknowledged, so that the network sends it again", "err", err)
			}
			return err
		}
	}
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
	rcpt, err := mailfmt.ParseUnquoted(to)
	if to != "" && err != nil {
		// A sender kept before MAIL FROM was checked as it is now.
		g.log.Warn("the last sender to the number cannot be written as an address; mailing [inbound] default_to instead",
			"from", from, "err", err)
		to = ""
	}
	if to == "" {
		to = g.conf().InboundDefaultTo
		rcpt, _ = mailfmt.ParseUnquoted(to) // validated with the configuration
	}
	if to == "" {
		g.log.Warn("SMS from a phone with nobody to mail it to: no conversation and no [inbound] default_to; dropped",
			"from", from, "transport", in.Transport)
		return nil
	}
	mail, msgID := g.inboundMail(from, rcpt, conv, in)
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
// domain, so replying to it sends SMS back. Its header is written by
// go-message from values made safe by mailfmt.
func (g *Gateway) inboundMail(from string, to mailfmt.Address, conv store.Conversation, in transport.Inbound) ([]byte, string) {
	domain := g.conf().Hostname
	if len(g.conf().Domains) > 0 {
		domain = g.conf().Domains[0]
	}
	var tok [12]byte
	rand.Read(tok[:])
	msgID := hex.EncodeToString(tok[:]) + "@" + g.conf().Hostname
	subject := "SMS from " + carriers.Format(from)
	if conv.Subject != "" {
		subject = "Re: " + strings.TrimPrefix(conv.Subject, "Re: ")
	}
	received := in.Received
	if received.IsZero() {
		received = g.now()
	}
	var h mailfmt.Fields
	h.AddAddress("From", carriers.Format(from), phoneAddress(from, domain))
	h.AddAddress("To", "", to)
	h.AddText("Subject", subject)
	h.Add("Date", received.Format(time.RFC1123Z))
	h.AddMsgID("Message-ID", msgID)
	if id, ok := mailfmt.MsgID(conv.MessageID); ok {
		h.AddMsgID("In-Reply-To", id)
		h.AddMsgID("References", id)
	}
	h.Add("X-SMS-Transport", mailfmt.Text(in.Transport))
	h.Add("MIME-Version", "1.0")
	h.Add("Content-Type", "text/plain; charset=utf-8")
	h.Add("Content-Transfer-Encoding", "quoted-printable")
	var b bytes.Buffer
	// Into a buffer, go-message's writer fails only on a line break in a
	// value, which mailfmt.Fields never holds.
	_ = textproto.WriteHeader(&b, h.Header().Header)
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(in.Text, "\n", "\r\n")))
	qp.Close()
	b.WriteString("\r\n")
	return b.Bytes(), "<" + msgID + ">"
}

// phoneAddress is the address a reply to an SMS goes to: the number at the
// SMS domain. A sender that is no number and cannot be an address's local
// part (an SMSC's odd source address) gets one that says so; its text is
// still in the display name.
func phoneAddress(from, domain string) mailfmt.Address {
	if a, err := mailfmt.ParseUnquoted(strings.TrimPrefix(from, "+") + "@" + domain); err == nil {
		return a
	}
	return mailfmt.Address{Local: "unknown-sender", Domain: domain}
}
