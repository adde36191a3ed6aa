package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/jstest"
)

// TestToolsOnAnyInstance: two gateways share one queue on a NATS server.
// A message sent through one is shown, listed by state, time and number,
// and counted in the metrics by the other.
func TestToolsOnAnyInstance(t *testing.T) {
	t.Parallel()
	url := jstest.Start(t)
	gateway := func(instance string) (config, api string) {
		api = freePort(t)
		text := strings.ReplaceAll(opsConfig, "%LISTEN%", api)
		text = strings.Replace(text, "[store]\n", "[store]\nbackend = \"nats\"\n", 1) +
			fmt.Sprintf("[nats]\nurls = [%q]\nreplicas = 1\ninstance = %q\n", url, instance)
		config = writeConfig(t, t.TempDir(), text)
		startGateway(t, config)
		return config, api
	}
	cfgA, _ := gateway("gwA")
	cfgB, apiB := gateway("gwB")

	out, code := runCmd(t, send, "-config", cfgA, "-to", "4151234567", "from A")
	m := queuedID.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "by the running smsbridge") {
		t.Fatalf("send through A: %d %q", code, out)
	}
	id := m[1]
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, code := runCmd(t, queue, "-config", cfgB, "show", id)
		if code == 0 && strings.Contains(out, "receipt DELIVRD") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B never shows A's message delivered: %d %q", code, out)
		}
	}
	for _, args := range [][]string{
		{"list", "-state", "delivered", "-since", "1h"},
		{"list", "-to", "+14151234567"},
	} {
		if out, code := runCmd(t, queue, append([]string{"-config", cfgB}, args...)...); code != 0 || !strings.Contains(out, id) {
			t.Errorf("queue %v on B: %d %q", args, code, out)
		}
	}
	if out, code := runCmd(t, queue, "-config", cfgB, "list", "-state", "queued"); code != 0 || strings.Contains(out, id) {
		t.Errorf("queue list -state queued on B lists a delivered message: %d %q", code, out)
	}

	req, _ := http.NewRequest("GET", "http://"+apiB+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer t0k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := `smsbridge_parts{state="delivered"} 1`; !strings.Contains(string(body), want) {
		t.Errorf("B's /metrics (%s) lacks %s", resp.Status, want)
	}
}
