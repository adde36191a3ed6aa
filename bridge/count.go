package bridge

import "github.com/smsbridge/smsbridge/sms"

// CountText is text as SendText would send it under the configuration in
// force: its encoding and parts, for a sender to see before sending.
func (g *Gateway) CountText(text string) (sms.Message, error) { return sms.Build(text, g.conf().SMS) }
