package bridge

import (
	"testing"

	"github.com/smsbridge/smsbridge/bridge/mailtext"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/sms"
)

// TestTextConfig shows the [text] keys reaching the conversion, and
// [sms] cut_after, their old name, still applying beside [text] cut_after.
func TestTextConfig(t *testing.T) {
	t.Parallel()
	c := configs.Default()
	c.SMS.CutAfter = []string{"old"}
	c.Text.CutAfter = []string{"new"}
	c.Text.Drop = []string{"banner"}
	c.Text.URLs, c.Text.Emoji, c.SMS.Unreadable = "drop", "drop", "reject"
	cfg, err := ConfigFrom(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Text.CutAfter) != 2 || cfg.Text.CutAfter[0].String() != "old" || cfg.Text.CutAfter[1].String() != "new" {
		t.Errorf("cut_after = %v, want [old new]", cfg.Text.CutAfter)
	}
	if len(cfg.Text.Drop) != 1 || cfg.Text.URLs != mailtext.URLsDrop {
		t.Errorf("text options = %+v", cfg.Text)
	}
	if cfg.SMS.Emoji != sms.EmojiDrop || cfg.SMS.Unreadable != sms.UnreadableReject {
		t.Errorf("sms options = %+v", cfg.SMS)
	}
}
