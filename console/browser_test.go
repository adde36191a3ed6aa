package console

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

var screenshots = flag.Bool("screenshots", false, "write screenshots of each console page to docs/console/")

// browser starts headless Chromium with a fresh profile, or skips the test
// when it is not installed (scripts/test installs Debian's chromium).
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium; scripts/test installs it): the browser tests need it")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		// The network is closed: nothing but the console may be reached.
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}

// tab drives one browser tab over the console of g.
type tab struct {
	t   *testing.T
	ctx context.Context
	g   *gateway
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// open loads a console page and waits for its heading.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.g.URL+path), chromedp.WaitVisible(chromedp.CSS("h1")))
}

// submit clicks a button and waits for the page the form leads to.
func (b *tab) submit(selector string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(selector)))); err != nil {
		b.t.Fatalf("clicking %s: %v", selector, err)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("h1")))
}

func (b *tab) text(selector string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", selector, err)
	}
	return s
}

func (b *tab) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// waitText reloads the page until selector's text holds want.
func (b *tab) waitText(selector, want string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := b.text(selector)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s says %q, not %q", selector, got, want)
		}
		time.Sleep(200 * time.Millisecond)
		b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1")))
	}
}

func (b *tab) login(user, secret string) {
	b.t.Helper()
	b.open(Prefix)
	if !strings.HasSuffix(b.location(), Prefix+"login") {
		b.t.Fatalf("without a session the console is at %s", b.location())
	}
	if user != "" {
		b.do(chromedp.SendKeys(chromedp.CSS(`input[name="user"]`), user))
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), secret))
	b.submit(`form button[type="submit"]`)
	if got := b.text("h1"); got != "Overview" {
		b.t.Fatalf("after login: %q at %s", got, b.location())
	}
}

// shoot writes the page as docs/console/name.png when -screenshots is set.
func (b *tab) shoot(name string) {
	b.t.Helper()
	if !*screenshots {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	dir := filepath.Join("..", "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// TestBrowserOperator drives the console in Chromium as an operator would:
// log in, see the transport go down when the SMSC stops and up again, send
// an SMS from the form (the counter counting as it is typed) and find it
// at the SMSC, retry a message whose submit failed for now and one that
// failed for good, log out.
func TestBrowserOperator(t *testing.T) {
	ctx := browser(t)
	g := startGateway(t)
	b := &tab{t: t, ctx: ctx, g: g}

	b.login(operatorName, operatorPass)
	if got := b.text("section table tbody tr .badge"); got != "up" {
		t.Fatalf("the transport is %q", got)
	}

	// The SMSC stops: the overview says the transport is down.
	if err := g.SMSC.Close(); err != nil {
		t.Fatal(err)
	}
	b.waitText("section table tbody tr .badge", "down")
	g.restartSMSC(t)
	b.waitText("section table tbody tr .badge", "up")

	// Send from the form.
	b.open(Prefix + "send")
	b.do(chromedp.SendKeys(chromedp.CSS(`textarea[name="to"]`), "07700 900123"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="text"]`), "Disk full on db1 ☃"))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("count").textContent.includes("ucs2 · 1 part")`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the counter says %q: %v", b.text("#count"), err)
	}
	b.submit(`form.send button[type="submit"]`)
	if h := b.text("h1"); !strings.HasPrefix(h, "Message ") {
		t.Fatalf("after send: %q", h)
	}
	subs, err := g.SMSC.WaitSubmits(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if subs[0].Dest != "447700900123" || subs[0].DataCoding != 0x08 {
		t.Errorf("the SMSC got %+v", subs[0])
	}
	b.waitText("dl.facts", "delivered")

	// A submit fails for now; the retry button sends it at once, not after
	// the backoff of ten minutes.
	g.SMSC.SetReject(0x08) // ESME_RSYSERR: temporary
	id := g.send(t, "+447700900124", "Retry me", "")
	if _, err := g.SMSC.WaitSubmits(ctx, 2); err != nil {
		t.Fatal(err)
	}
	g.SMSC.SetReject(0)
	b.open(Prefix + "messages/" + id)
	b.waitText("section.recipient table", "ESME_RSYSERR")
	b.submit(`form[action$="/retry"] button`)
	if got := b.text(".notice"); !strings.Contains(got, "due now") {
		t.Errorf("after retry: %q", got)
	}
	if _, err := g.SMSC.WaitSubmits(ctx, 3); err != nil {
		t.Fatal(err)
	}
	b.waitText("dl.facts", "delivered")

	// A message the SMSC refused for good has failed; once the operator
	// has fixed the cause, Retry now sends it again.
	g.SMSC.SetReject(0x0B) // ESME_RINVDSTADR: permanent
	failed := g.send(t, "+447700900125", "Refused, then fixed", "")
	g.waitMessage(t, failed, "failed")
	g.SMSC.SetReject(0)
	b.open(Prefix + "messages/" + failed)
	if got := b.text("dl.facts"); !strings.Contains(got, "failed") {
		t.Fatalf("the failed message shows %q", got)
	}
	b.submit(`form[action$="/retry"] button`)
	if _, err := g.SMSC.WaitSubmits(ctx, 5); err != nil {
		t.Fatal(err)
	}
	b.waitText("dl.facts", "delivered")

	// Log out: the console is closed again.
	b.submit(`form.logout button`)
	if !strings.HasSuffix(b.location(), Prefix+"login") {
		t.Errorf("after logout at %s", b.location())
	}
	b.open(Prefix + "messages")
	if !strings.HasSuffix(b.location(), Prefix+"login") {
		t.Errorf("after logout the messages are at %s", b.location())
	}
}
