package store

import (
	"context"
	"strings"
	"time"
)

// FinishReceipt is Finish for a part that a delivery receipt made final:
// receipt is the state the network gave (DELIVRD, UNDELIV…), kept in
// Part.Receipt.
func (db *DB) FinishReceipt(ctx context.Context, k PartKey, state PartState, receipt, reason string, now time.Time) (rcptDone bool, err error) {
	return db.finish(ctx, k, state, receipt, reason, now)
}

// receiptInText reads the receipt state of a part record from before
// Part.Receipt: the bridge wrote it into the status text as "stat:XXXXXXX"
// when a receipt made the part final. Records written since carry it.
func receiptInText(state PartState, status string) string {
	if state != PartDelivered && state != PartFailed && state != PartExpired {
		return ""
	}
	_, rest, ok := strings.Cut(status, "stat:")
	if !ok {
		return ""
	}
	stat, _, _ := strings.Cut(rest, " ")
	return strings.TrimRight(stat, ")")
}
