package storetest_test

import (
	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/console"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/store/storetest"
	"github.com/smsbridge/smsbridge/transport/modem"
)

// The suite's Backend holds every consumer's interface, so that what it
// checks is all a backend is used for; bbolt's DB is one.
var (
	_ bridge.Store      = storetest.Backend(nil)
	_ api.Queue         = storetest.Backend(nil)
	_ console.Store     = storetest.Backend(nil)
	_ metrics.Queue     = storetest.Backend(nil)
	_ modem.Quota       = storetest.Backend(nil)
	_ storetest.Backend = (*store.DB)(nil)
)
