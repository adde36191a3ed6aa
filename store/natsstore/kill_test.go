package natsstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/store"
)

// childEnv makes the test binary a gateway instance for TestKillProcess:
// "URL PREFIX".
const childEnv = "NATSSTORE_TEST_CHILD"

// runChild is instance a in a process of its own: it begins a part,
// makes a recipient final and queues a mail, says so, and waits to be
// killed.
func runChild() int {
	url, prefix, _ := strings.Cut(os.Getenv(childEnv), " ")
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	nc, err := nats.Connect(url)
	if err != nil {
		return fail(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(err)
	}
	s, err := openOn(js, prefix, "a", 1)
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	m := message()
	m.Recipients = append(m.Recipients, store.Recipient{Number: "+41790000001", Parts: []store.Part{{Text: "z"}}})
	if err := s.Enqueue(ctx, m); err != nil {
		return fail(err)
	}
	if _, err := s.Begin(ctx, []store.PartKey{{Msg: m.ID}}, "smsc", time.Now()); err != nil {
		return fail(err)
	}
	if _, err := s.Finish(ctx, store.PartKey{Msg: m.ID, Rcpt: 1}, store.PartFailed, "no route", time.Now()); err != nil {
		return fail(err)
	}
	mail := &store.OutMail{ID: "ka", To: []string{"alice@example.com"}, Data: []byte("x"), Created: time.Now()}
	if err := s.QueueMail(ctx, mail, store.MailFor{}); err != nil {
		return fail(err)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute) // until killed
	return 1
}

// TestKillProcess: a gateway process killed with SIGKILL while it holds a
// part submitting, a report and a mail; the other instance takes all of
// them over once the lease has passed.
func TestKillProcess(t *testing.T) {
	t.Parallel()
	prefix := freshPrefix()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+shared.srv.ClientURL()+" "+prefix)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line == "ready\n"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the child did not get ready")
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the child did not get ready in 20s")
	}
	b := mustOpen(t, prefix, "b")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	k := store.PartKey{Msg: "m"}
	deadline := time.Now().Add(4 * testLease)
	for {
		m, err := b.Message("m")
		if err == nil && m.Recipients[0].Parts[0].State == store.PartQueued {
			if p := m.Recipients[0].Parts[0]; p.InDoubt != 1 || p.Attempts != 1 {
				t.Errorf("part taken over: %d in doubt, %d attempts; want 1, 1", p.InDoubt, p.Attempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed process's part %v not taken over after %v: %v", k, 4*testLease, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	u, err := b.Unreported(10)
	if err != nil || len(u) != 1 || u[0] != (store.RcptKey{Msg: "m", Rcpt: 1}) {
		t.Errorf("b's Unreported after the kill = %v, %v; want m/1", u, err)
	}
	due, err := b.DueMail(time.Now(), 10)
	if err != nil || len(due) != 1 || due[0].ID != "ka" {
		t.Errorf("b's DueMail after the kill = %+v, %v; want ka", due, err)
	}
	if skipped, err := b.Begin(context.Background(), []store.PartKey{k}, "smsc", time.Now()); err != nil || len(skipped) != 0 {
		t.Errorf("b's Begin of the part taken over: skipped %v, %v", skipped, err)
	}
}
