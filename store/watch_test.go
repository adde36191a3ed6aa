package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchAndCallbacks: a watch is stored with its message, told events
// are kept, and callbacks are queued, retried and removed durably.
func TestWatchAndCallbacks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Millisecond)
	m := &Message{ID: NewID(), Received: now, Recipients: []Recipient{
		{Number: "+1", Reported: true, Parts: []Part{{Text: "a", Seq: 1, Total: 1}}},
		{Number: "+2", Reported: true, Parts: []Part{{Text: "a", Seq: 1, Total: 1}}},
	}}
	if err := db.EnqueueWatched(ctx, m, Watch{Owner: "kannel", Data: []byte("d")}); err != nil {
		t.Fatal(err)
	}
	if err := db.EnqueueWatched(ctx, m, Watch{Owner: "kannel"}); !errors.Is(err, ErrExists) {
		t.Errorf("second enqueue: %v, want ErrExists", err)
	}
	other := &Message{ID: NewID(), Received: now, Recipients: []Recipient{{Number: "+3", Parts: []Part{{Text: "b"}}}}}
	if err := db.EnqueueWatched(ctx, other, Watch{Owner: "esme"}); err != nil {
		t.Fatal(err)
	}
	ws, err := db.Watches("kannel", "", 10)
	if err != nil || len(ws) != 1 || ws[0].Msg != m.ID || string(ws[0].Data) != "d" || len(ws[0].Told) != 2 {
		t.Fatalf("watches = %+v, %v", ws, err)
	}
	if ws, _ := db.Watches("kannel", m.ID, 10); len(ws) != 0 {
		t.Errorf("watches after %s = %+v", m.ID, ws)
	}
	calls := []Callback{{ID: m.ID + ".1", Owner: "kannel", Data: []byte("u1"), Created: now}, {ID: m.ID + ".2", Owner: "kannel", Data: []byte("u2"), Created: now}}
	if err := db.Tell(ctx, m.ID, []uint8{8, 0}, false, calls); err != nil {
		t.Fatal(err)
	}
	if err := db.Tell(ctx, m.ID, []uint8{8, 0}, false, calls[:1]); !errors.Is(err, ErrExists) {
		t.Errorf("telling a callback twice: %v, want ErrExists", err)
	}
	if err := db.CallbackRetry(ctx, calls[0].ID, now.Add(time.Hour), "500"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ws, err = db.Watches("kannel", "", 10)
	if err != nil || len(ws) != 1 || ws[0].Told[0] != 8 {
		t.Fatalf("watches after reopening = %+v, %v", ws, err)
	}
	due, err := db.DueCallbacks("kannel", now, 10)
	if err != nil || len(due) != 1 || due[0].ID != calls[1].ID || string(due[0].Data) != "u2" {
		t.Fatalf("due = %+v, %v", due, err)
	}
	if next, ok, err := db.NextCallback("kannel"); err != nil || !ok || !next.Equal(now) {
		t.Errorf("next = %v %v %v", next, ok, err)
	}
	if due, _ := db.DueCallbacks("esme", now.Add(2*time.Hour), 10); len(due) != 0 {
		t.Errorf("another owner's callbacks: %+v", due)
	}
	later, err := db.DueCallbacks("kannel", now.Add(2*time.Hour), 10)
	if err != nil || len(later) != 2 || later[1].Attempts != 1 || later[1].Error != "500" {
		t.Fatalf("due later = %+v, %v", later, err)
	}
	for _, c := range later {
		if err := db.CallbackDone(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := db.NextCallback("kannel"); ok {
		t.Error("callbacks left after all were done")
	}
	if err := db.Tell(ctx, m.ID, nil, true, nil); err != nil {
		t.Fatal(err)
	}
	if ws, _ := db.Watches("kannel", "", 10); len(ws) != 0 {
		t.Errorf("watch left after done: %+v", ws)
	}
	if err := db.Tell(ctx, m.ID, nil, true, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("telling a removed watch: %v, want ErrNotFound", err)
	}
}

func FuzzDecodeWatchAndCallback(f *testing.F) {
	f.Add(encodeWatch(&Watch{Owner: "kannel", Data: []byte("u=x"), Told: []uint8{1, 0x88}}))
	f.Add(encodeCallback(&Callback{Owner: "kannel", Data: []byte("http://x/"), Created: time.Unix(1, 0), Attempts: 3, Error: "e"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if w, err := decodeWatch(b); err == nil {
			if w2, err := decodeWatch(encodeWatch(&w)); err != nil || w2.Owner != w.Owner || string(w2.Data) != string(w.Data) || string(w2.Told) != string(w.Told) {
				t.Fatalf("watch round trip: %+v, %+v, %v", w, w2, err)
			}
		}
		if c, err := decodeCallback(b); err == nil {
			if c2, err := decodeCallback(encodeCallback(&c)); err != nil || c2.Owner != c.Owner || string(c2.Data) != string(c.Data) || c2.Attempts != c.Attempts || c2.Error != c.Error {
				t.Fatalf("callback round trip: %+v, %+v, %v", c, c2, err)
			}
		}
	})
}
