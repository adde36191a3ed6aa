package configs

import (
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// locator maps keys of a TOML document to the lines they are on. The toml
// package keeps key positions private and, for arrays of tables, only the last
// one, so configuration errors find their line here. It runs only on input the
// toml parser has accepted, so it may be lenient; it must merely never panic
// or loop.
//
// Paths name array-of-tables entries by index ("transports[1].window");
// plain keys do not ("transports.window").
type locator struct {
	lines map[string]int   // path → first line
	plain map[string][]int // plain key → every line, in order
	aot   map[string]int   // array-of-tables path → entries seen so far
}

func newLocator(src string) *locator {
	l := &locator{lines: map[string]int{}, plain: map[string][]int{}, aot: map[string]int{}}
	sc := &scanner{s: src, line: 1}
	sc.run(l)
	return l
}

// line returns the line of path, else of its closest enclosing key or table,
// else 0.
func (l *locator) line(path string) int {
	for path != "" {
		if n, ok := l.lines[path]; ok {
			return n
		}
		path = parentPath(path)
	}
	return 0
}

// plainLines returns the lines where a plain key is written, else the first
// line of its closest enclosing key.
func (l *locator) plainLines(key toml.Key) []int {
	for k := key; len(k) > 0; k = k[:len(k)-1] {
		if ns := l.plain[k.String()]; len(ns) > 0 {
			return ns
		}
	}
	return nil
}

func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		return p[:i]
	}
	return ""
}

func joinPath(prefix string, pieces ...string) string {
	for _, p := range pieces {
		q := toml.Key{p}.String()
		if prefix == "" {
			prefix = q
		} else {
			prefix += "." + q
		}
	}
	return prefix
}

func indexPath(p string, i int) string { return p + "[" + strconv.Itoa(i) + "]" }

// indexed turns table pieces into a path, naming the current entry of every
// array of tables on the way.
func (l *locator) indexed(pieces []string) string {
	path := ""
	for _, p := range pieces {
		path = joinPath(path, p)
		if n, ok := l.aot[path]; ok {
			path = indexPath(path, n-1)
		}
	}
	return path
}

func (l *locator) record(path string, plain []string, line int) {
	if _, ok := l.lines[path]; !ok {
		l.lines[path] = line
	}
	k := toml.Key(plain).String()
	l.plain[k] = append(l.plain[k], line)
}

// header records a [table] or [[array]] header and returns the path of the
// table it opens.
func (l *locator) header(pieces []string, array bool, line int) string {
	if len(pieces) == 0 {
		return ""
	}
	if !array {
		path := l.indexed(pieces)
		l.record(path, pieces, line)
		return path
	}
	base := joinPath(l.indexed(pieces[:len(pieces)-1]), pieces[len(pieces)-1])
	l.aot[base]++
	path := indexPath(base, l.aot[base]-1)
	if _, ok := l.lines[base]; !ok {
		l.lines[base] = line
	}
	l.record(path, pieces, line)
	return path
}
