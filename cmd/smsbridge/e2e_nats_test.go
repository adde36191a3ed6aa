package main

import (
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/internal/jstest"
)

// TestEndToEndNATS: TestEndToEnd's mail, receipts and reports with the
// queue on JetStream: a gateway running its own node (a one-node
// [cluster]), and a gateway connected to a NATS server ([nats]).
func TestEndToEndNATS(t *testing.T) {
	t.Parallel()
	onStore := func(more string) string {
		return strings.Replace(smppConfig, "[store]\n", "[store]\nbackend = \"nats\"\n", 1) + more
	}
	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		endToEnd(t, onStore("\n[cluster]\nname = \"e2e\"\nlisten = \"127.0.0.1:0\"\nclient_listen = \"127.0.0.1:0\"\nreplicas = 1\ninstance = \"gw1\"\n"))
	})
	t.Run("nats", func(t *testing.T) {
		t.Parallel()
		endToEnd(t, onStore("\n[nats]\nurls = [\""+jstest.Start(t)+"\"]\nreplicas = 1\ninstance = \"gw1\"\n"))
	})
}
