package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestParkedReceipts(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	ctx := context.Background()
	rc := func(id string, at time.Duration) ParkedReceipt {
		return ParkedReceipt{Transport: "smsc", ID: id, State: 2, ErrorCode: "000", Done: t0, Parked: t0.Add(at)}
	}
	for i, id := range []string{"c", "a", "b"} {
		if err := db.ParkReceipt(ctx, rc(id, time.Duration(i)*time.Second), nil); err != nil {
			t.Fatal(err)
		}
	}
	// b again, later, pushing a out in the same commit.
	if err := db.ParkReceipt(ctx, rc("b", time.Minute), []ParkedReceipt{{Transport: "smsc", ID: "a"}}); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, path)
	got, err := db.ParkedReceipts()
	want := []ParkedReceipt{rc("c", 0), rc("b", time.Minute)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParkedReceipts after a restart = %+v %v, want %+v", got, err, want)
	}
	if err := db.UnparkReceipts(ctx, []ParkedReceipt{{Transport: "smsc", ID: "c"}, {Transport: "smsc", ID: "nope"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.ParkedReceipts(); !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("after unpark = %+v", got)
	}
	if err := db.ParkReceipt(ctx, ParkedReceipt{Transport: "bad\x00name", ID: "x"}, nil); err == nil {
		t.Error("a transport name with NUL parked")
	}
}
