package mailtext

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestZZStress(t *testing.T) {
	if os.Getenv("STRESS") == "" {
		t.Skip()
	}
	files, _ := filepath.Glob("testdata/golden/*.eml")
	var seeds [][]byte
	for _, f := range files {
		b, _ := os.ReadFile(f)
		seeds = append(seeds, b)
	}
	rng := rand.New(rand.NewSource(1))
	deadline := time.Now().Add(60 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		in := append([]byte(nil), seeds[rng.Intn(len(seeds))]...)
		for k := rng.Intn(8); k >= 0; k-- {
			switch rng.Intn(4) {
			case 0:
				if len(in) > 0 {
					in[rng.Intn(len(in))] = byte(rng.Intn(256))
				}
			case 1:
				if len(in) > 2 {
					i := rng.Intn(len(in))
					j := i + rng.Intn(len(in)-i)
					in = append(in[:i], in[j:]...)
				}
			case 2:
				o := seeds[rng.Intn(len(seeds))]
				i := rng.Intn(len(o))
				j := i + rng.Intn(len(o)-i)
				p := rng.Intn(len(in) + 1)
				in = append(in[:p], append(append([]byte(nil), o[i:j]...), in[p:]...)...)
			case 3:
				tok := []string{"<", ">", "\"", "--", "=", "\r\n", "<a href='", "<!--", "boundary=", "\n\n"}[rng.Intn(10)]
				p := rng.Intn(len(in) + 1)
				in = append(in[:p], append([]byte(tok), in[p:]...)...)
			}
		}
		done := make(chan struct{})
		go func() { Extract(bytes.NewReader(in), Options{}); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			os.WriteFile("/tmp/hang.eml", in, 0o644)
			t.Fatalf("hang after %d", n)
		}
	}
}
