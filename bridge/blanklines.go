package bridge

import "bytes"

// skipLeadingBlankLines drops the white-space-only lines data starts with.
func skipLeadingBlankLines(data []byte) []byte {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 || len(bytes.TrimSpace(data[:i])) > 0 {
			return data
		}
		data = data[i+1:]
	}
}
