package bridge

// Mail is what Submit takes besides the mail itself: who sends it and for
// whom, as the SMTP transaction declared it.
type Mail struct {
	ConnID     string // the SMTP connection, for logs
	User       string // authenticated SMTP user; "" if none
	From       string // envelope sender; "" for the null sender
	Ret        string // DSN RET: "", "HDRS" or "FULL"
	EnvID      string // DSN ENVID
	Recipients []MailRecipient
}

// MailRecipient is one accepted recipient with the numbers Recipient
// resolved it to.
type MailRecipient struct {
	Address string
	Numbers []string
	Notify  []string // DSN NOTIFY values in upper case; nil when none given
	ORCPT   string   // DSN original recipient, "addr-type;address"
}
