package configs

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

//go:embed default.toml
var defaultTOML []byte

// Default returns the embedded default configuration (default.toml): SMTP on
// 127.0.0.1:2525 for sms.localhost, data in ./smsbridge-data, the simulator.
// Each call returns a new Config.
func Default() *Config {
	c, err := Parse(defaultTOML, "default.toml")
	if err != nil {
		// The file is part of the binary and parsed by the tests.
		panic(fmt.Sprintf("configs: embedded default: %v", err))
	}
	c.File = ""
	return c
}

// Load reads and parses the configuration file at path. Of a file larger
// than MaxFileBytes no more is read.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Error{File: path, Msg: "cannot read: " + msg, cause: err}
	}
	return Parse(data, path)
}

// readFile reads path up to one byte over MaxFileBytes, enough for Parse
// to refuse it.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
}

// Parse decodes data, named name in messages, fills defaults and validates.
// Errors are *Error values (several joined with errors.Join) that say where.
// On success the default region is upper case and alias numbers are E.164.
func Parse(data []byte, name string) (*Config, error) {
	src := string(data)
	if err := checkShape(src, name); err != nil {
		return nil, err
	}
	var raw map[string]any
	if _, err := toml.Decode(src, &raw); err != nil {
		return nil, syntaxError(name, err)
	}
	loc := newLocator(src)
	c := defaults()
	md, err := toml.Decode(src, c)
	if err != nil {
		return nil, typeError(name, src, loc, err)
	}
	if err := unknownKeys(name, md, loc); err != nil {
		return nil, err
	}
	c.File = name
	applyTransportDefaults(c, raw)
	applyClusterDefaults(c, raw)
	c.derive()
	if err := c.Validate(); err != nil {
		for _, e := range configErrors(err) {
			e.Line = loc.line(e.path)
		}
		return nil, err
	}
	c.normalizeAliases()
	return c, nil
}

func syntaxError(name string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: name, Line: pe.Position.Line, Msg: pe.Message, cause: err}
	}
	return &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: "), cause: err}
}

// lastKeyRE takes a decode error apart: the toml package reports type
// mismatches as plain errors of the form
// `toml: line N (last key "k"): message`.
var lastKeyRE = regexp.MustCompile(`^toml: (?:line \d+ )?\(last key ("(?:[^"\\]|\\.)*")\): (.*)$`)

var typeRE = regexp.MustCompile(`^incompatible types: TOML value has type (\S+); destination has type (\S+)$`)

// tomlType names a type the way the TOML spec does.
func tomlType(t string) string {
	switch t {
	case "int64":
		return "integer"
	case "float64":
		return "float"
	case "slice":
		return "array"
	case "map", "map[string]interface {}":
		return "table"
	case "bool":
		return "boolean"
	}
	return t
}

// typeError turns a decode error (a value of the wrong type, a bad duration)
// into an *Error at the key's line.
func typeError(name, src string, loc *locator, err error) error {
	key, msg := "", strings.TrimPrefix(err.Error(), "toml: ")
	var pe toml.ParseError
	if errors.As(err, &pe) {
		key, msg = pe.LastKey, pe.Message
	} else if m := lastKeyRE.FindStringSubmatch(err.Error()); m != nil {
		if k, uerr := strconv.Unquote(m[1]); uerr == nil {
			key, msg = k, m[2]
		}
	}
	if m := typeRE.FindStringSubmatch(msg); m != nil {
		msg = "wrong type: want " + tomlType(m[2]) + ", got " + tomlType(m[1])
	}
	if key == "" {
		return &Error{File: name, Msg: msg, cause: err}
	}
	path := entryPath(src, key)
	return &Error{File: name, Line: loc.line(path), Key: plainKey(path), Msg: msg, path: path, cause: err}
}

// unknownKeys reports every key the Config has no field for, at each line
// where it is written. Keys inside an unknown table are not repeated.
func unknownKeys(name string, md toml.MetaData, loc *locator) error {
	var errs []error
	seen := map[string]bool{}
	for _, k := range md.Undecoded() {
		ks := k.String()
		if seen[ks] || len(k) > 1 && seen[k[:len(k)-1].String()] {
			seen[ks] = true
			continue
		}
		seen[ks] = true
		lines := loc.plainLines(k)
		if len(lines) == 0 {
			lines = []int{0}
		}
		for _, n := range lines {
			errs = append(errs, &Error{File: name, Line: n, Key: ks, Msg: "unknown key"})
		}
	}
	return errors.Join(errs...)
}

// applyTransportDefaults fills each [[transports]] entry's unset keys; raw is
// the generic decoding, which tells which keys each entry wrote.
func applyTransportDefaults(c *Config, raw map[string]any) {
	for i := range c.Transports {
		entry := rawEntry(raw["transports"], i)
		transportDefaults(&c.Transports[i], func(key string) bool {
			_, ok := entry[key]
			return ok
		})
	}
}

// rawEntry is entry i of an array of tables, written [[x]] or inline.
func rawEntry(v any, i int) map[string]any {
	switch a := v.(type) {
	case []map[string]any:
		if i < len(a) {
			return a[i]
		}
	case []any:
		if i < len(a) {
			m, _ := a[i].(map[string]any)
			return m
		}
	}
	return nil
}
