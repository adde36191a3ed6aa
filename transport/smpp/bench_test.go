package smpp

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// BenchmarkSubmit measures submits per second against smsctest over
// loopback with as many senders as the window allows.
func BenchmarkSubmit(b *testing.B) {
	for _, window := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			srv := startServer(b, smsctest.Options{})
			cfg := testConfig(srv.Addr())
			cfg.Window = window
			tr := startTransport(b, cfg, newRecorder())
			waitUp(b, tr)
			p := gsmPart(b, "+14155550100", "benchmark")
			ctx := ctxTimeout(b, time.Minute)
			var left atomic.Int64
			left.Store(int64(b.N))
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range window {
				wg.Go(func() {
					for left.Add(-1) >= 0 {
						if _, err := tr.Send(ctx, p); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
		})
	}
}

// BenchmarkParseReceipt is the text of every delivery receipt read.
func BenchmarkParseReceipt(b *testing.B) {
	const text = "id:0123456789 sub:001 dlvrd:001 submit date:2611261530 done date:2611261531 stat:DELIVRD err:000 text:load test words"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReceipt(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverSM is the work the read loop does for each deliver_sm
// from the SMSC: decoding the frame's body and reading it as a receipt or
// as one part of a concatenated inbound SMS.
func BenchmarkDeliverSM(b *testing.B) {
	receipt := &pdu.SM{ESMClass: esmReceipt, Source: "14155550100", SourceTON: 1,
		ShortMessage: []byte("id:0123456789 sub:001 dlvrd:001 submit date:2611261530 done date:2611261531 stat:DELIVRD err:000 text:load test words"),
		TLVs:         []pdu.TLV{{Tag: pdu.TagReceiptedMessageID, Value: []byte("0123456789\x00")}, pdu.Uint8TLV(pdu.TagMessageState, 2)}}
	part := &pdu.SM{ESMClass: esmUDHI, Source: "14155550100", SourceTON: 1, Dest: "ACME", DataCoding: dcUCS2,
		ShortMessage: append(sms.UDH(7, 2, 1), 0, 'h', 0, 'i')}
	for name, sm := range map[string]*pdu.SM{"receipt": receipt, "part": part} {
		body, err := sm.Encode()
		if err != nil {
			b.Fatal(err)
		}
		p := pdu.PDU{ID: pdu.DeliverSM, Seq: 1, Body: body}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			r := newReassembler(time.Minute)
			now := time.Now()
			for b.Loop() {
				got, err := readDeliver(p)
				if err != nil {
					b.Fatal(err)
				}
				if got.ESMClass&esmReceiptMask == esmReceipt {
					if _, _, err := receiptOf(got); err != nil {
						b.Fatal(err)
					}
				} else {
					r.add(got, now)
					r.expire(now.Add(time.Hour))
				}
			}
		})
	}
}
