package store

import (
	"context"
	"reflect"
	"testing"
)

// TestReceiptInText reads the receipt state of records from before
// Part.Receipt out of their status text, as the bridge wrote it.
func TestReceiptInText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		state  PartState
		status string
		want   string
	}{
		{PartDelivered, "stat:DELIVRD err:000", "DELIVRD"},
		{PartDelivered, "stat:DELIVRD", "DELIVRD"},
		{PartFailed, "the network could not deliver the message (stat:UNDELIV err:001)", "UNDELIV"},
		{PartFailed, "the network rejected the message (stat:REJECTD)", "REJECTD"},
		{PartExpired, "the network could not reach the phone before the message expired (stat:EXPIRED err:000)", "EXPIRED"},
		{PartFailed, "ESME_RINVDSTADR: invalid destination", ""},
		{PartExpired, "no delivery receipt before the validity period ended", ""},
		{PartDelivered, "", ""},
		{PartQueued, "stat:UNDELIV err:001", ""}, // a part sent again has no receipt yet
		{PartCancelled, "stat:DELIVRD", ""},
	} {
		if got := receiptInText(c.state, c.status); got != c.want {
			t.Errorf("receiptInText(%v, %q) = %q, want %q", c.state, c.status, got, c.want)
		}
	}
}

// A part record written before Part.Receipt existed (versions 1 and 2,
// the state only in the text) reads with its Receipt; written again, it
// keeps it in the field.
func TestOldPartRecordReceipt(t *testing.T) {
	t.Parallel()
	for _, inDoubt := range []int{0, 1} { // record versions 1 and 2
		old := samplePart()
		old.State, old.InDoubt = PartQueued, inDoubt
		old.Error = "the network could not deliver the message (stat:UNDELIV err:001)"
		b := encodePart(&old) // queued: written in the old layout
		if want := []byte{recordV1, recordV2}[inDoubt]; b[0] != want {
			t.Fatalf("record version %d, want %d", b[0], want)
		}
		b[1] = byte(PartFailed) // the state follows the version byte
		old.State = PartFailed
		p, err := decodePart(b)
		if err != nil || p.Receipt != "UNDELIV" {
			t.Fatalf("old record v%d: Receipt %q, %v", b[0], p.Receipt, err)
		}
		again := encodePart(&p)
		if again[0] != recordV3 {
			t.Errorf("rewritten as version %d, want %d", again[0], recordV3)
		}
		p.Error = "edited"
		if got, err := decodePart(encodePart(&p)); err != nil || !reflect.DeepEqual(got, p) {
			t.Errorf("version 3 round trip: %+v %v", got, err)
		}
		// A new record whose text looks like a receipt's, without one.
		p.Receipt, p.Error = "", old.Error
		if got, err := decodePart(encodePart(&p)); err != nil || got.Receipt != "" {
			t.Errorf("no receipt, receipt-like text: Receipt %q, %v", got.Receipt, err)
		}
	}
}

// FinishReceipt keeps the receipt's state in the part; a part sent again
// loses it until its next receipt.
func TestFinishReceipt(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	mustEnqueue(t, db, testMessage("F", 1, 2, t0))
	if _, err := db.FinishReceipt(ctx, PartKey{"F", 0, 0}, PartFailed, "UNDELIV", "the network could not deliver the message", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Finish(ctx, PartKey{"F", 0, 1}, PartFailed, "no route", t0); err != nil {
		t.Fatal(err)
	}
	m, err := db.Message("F")
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{m.Recipients[0].Parts[0].Receipt, m.Recipients[0].Parts[1].Receipt}; !reflect.DeepEqual(got, []string{"UNDELIV", ""}) {
		t.Errorf("receipts %q, want UNDELIV and none", got)
	}
	if _, err := db.Resend(ctx, "F", t0.Add(24*60*60e9), t0); err != nil {
		t.Fatal(err)
	}
	if m, err = db.Message("F"); err != nil {
		t.Fatal(err)
	}
	if p := m.Recipients[0].Parts[0]; p.State != PartQueued || p.Receipt != "" {
		t.Errorf("sent again: state %v receipt %q, want queued without one", p.State, p.Receipt)
	}
	checkIndexes(t, db)
}
