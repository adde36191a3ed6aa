package credentials

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestVerify(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 72)
	longHash, err := bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	a := New([]User{{Name: "app", PasswordHash: string(hash)}, {Name: "long", PasswordHash: string(longHash)}})
	cases := []struct {
		name, password string
		want           bool
	}{
		{"app", "s3cret", true},
		{"app", "s3cret", true}, // remembered
		{"app", "S3cret", false},
		{"app", "", false},
		{"nobody", "s3cret", false},
		{"long", long, true},
		{"long", long + "y", false}, // bcrypt would take only the first 72 bytes
	}
	for _, c := range cases {
		if got := a.Verify(c.name, c.password); got != c.want {
			t.Errorf("Verify(%q, %q) = %v, want %v", c.name, c.password, got, c.want)
		}
	}
	var none *Accounts
	if New(nil) != nil || none.Verify("app", "s3cret") {
		t.Error("no users verified someone")
	}
}
