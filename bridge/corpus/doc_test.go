// Package corpus_test checks the whole conversion of mail into SMS, as the
// gateway does it (bridge.ConfigFrom, then Config.Convert: mailtext.Extract
// and sms.Build), on a corpus of mails from real clients and systems. Each
// testdata/NAME.eml has its expected result in NAME.golden.json, in all
// four encodings; NAME.sms.toml, when present, holds [sms] settings for it.
// testdata/SOURCES.md says where every mail comes from.
//
//	go test ./bridge/corpus                # compare
//	go test ./bridge/corpus -update        # rewrite the golden files
package corpus_test
