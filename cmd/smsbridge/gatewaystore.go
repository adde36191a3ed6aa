package main

import (
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/console"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/transport/modem"
	"github.com/smsbridge/smsbridge/transport/smpp/smppserver"
)

// gatewayStore is everything serve hands the store to: the bridge, the
// API and console, the scrape, the modems' SIM counts, the SMPP server
// and the policy's daily counters. Both backends (bbolt's *store.DB and
// the JetStream store) are one.
type gatewayStore interface {
	bridge.Store
	bridge.WatchStore
	api.Queue
	console.Store
	metrics.Queue
	modem.Quota
	smppserver.Store
	countersBlob
	WriteFailure() (since time.Time, err error)
	Close() error
}
