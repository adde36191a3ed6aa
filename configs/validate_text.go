package configs

import "regexp"

func (cfg *Config) validateText(c *checker) {
	t := cfg.Text
	c.oneOf("text.urls", t.URLs, "keep", "short", "drop")
	c.oneOf("text.emoji", t.Emoji, "words", "drop")
	for _, rules := range []struct {
		key   string
		exprs []string
	}{{"text.cut_after", t.CutAfter}, {"text.drop", t.Drop}} {
		for _, expr := range rules.exprs {
			if _, err := regexp.Compile(expr); err != nil {
				c.addErr(rules.key, err, "bad regular expression: %v", err)
			}
		}
	}
}
