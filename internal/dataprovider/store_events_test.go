package dataprovider

import (
	"context"
	"sync"
	"testing"
)

// Object changes reach OnObjectChange listeners with the admin the
// context names; WithoutObjectActions silences them.
func TestObjectChangeNotifications(t *testing.T) {
	s := newTestStore(t, "memory")
	var mu sync.Mutex
	var got []ObjectChange
	s.OnObjectChange(func(ch ObjectChange) {
		mu.Lock()
		got = append(got, ch)
		mu.Unlock()
	})
	ctx := WithActor(context.Background(), Actor{Username: "boss", IP: "10.0.0.1"})
	u := newUser("watched")
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	u.QuotaFiles = 3
	u.Password = ""
	if err := s.UpdateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUserQuota(ctx, "watched", 10, 1, false); err != nil {
		t.Fatal(err)
	}
	quiet := newUser("quiet")
	if err := s.AddUser(WithoutObjectActions(ctx), &quiet); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "watched"); err != nil {
		t.Fatal(err)
	}
	g := Group{Name: "team"}
	if err := s.AddGroup(ctx, &g); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGroup(ctx, "team"); err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, typ, name string }{
		{ObjectActionAdd, ObjectTypeUser, "watched"},
		{ObjectActionUpdate, ObjectTypeUser, "watched"},
		{ObjectActionDelete, ObjectTypeUser, "watched"},
		{ObjectActionAdd, ObjectTypeGroup, "team"},
		{ObjectActionDelete, ObjectTypeGroup, "team"},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("got %d notifications, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		ch := got[i]
		if ch.Action != w.action || ch.ObjectType != w.typ || ch.ObjectName != w.name || ch.Actor.Username != "boss" {
			t.Errorf("#%d: %s %s %s by %q, want %v", i, ch.Action, ch.ObjectType, ch.ObjectName, ch.Actor.Username, w)
		}
	}
	if u, ok := got[1].Object.(User); !ok || u.QuotaFiles != 3 {
		t.Errorf("update carries %#v", got[1].Object)
	}
	if u, ok := got[2].Object.(User); !ok || u.Username != "watched" {
		t.Errorf("delete carries %#v", got[2].Object)
	}
}

// The first upload and the first download are recorded once each.
func TestMarkFirstTransfer(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := newUser("firsts")
		if err := s.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false} {
			first, err := s.MarkFirstTransfer(ctx, "firsts", true)
			if err != nil || first != want {
				t.Fatalf("upload #%d: first %v, err %v", i, first, err)
			}
		}
		if first, err := s.MarkFirstTransfer(ctx, "firsts", false); err != nil || !first {
			t.Fatalf("first download: %v %v", first, err)
		}
		got, err := s.GetUser(ctx, "firsts")
		if err != nil || got.FirstUpload == 0 || got.FirstDownload == 0 {
			t.Fatalf("stored: %d %d %v", got.FirstUpload, got.FirstDownload, err)
		}
		// an update through the API keeps them
		got.Password = ""
		if err := s.UpdateUser(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.GetUser(ctx, "firsts"); again.FirstUpload != got.FirstUpload {
			t.Fatalf("update reset first_upload: %d", again.FirstUpload)
		}
	})
}
