package dataprovider

import (
	"context"
	"encoding/json"
	"testing"
)

// FuzzUserJSON decodes arbitrary bytes as a user, as the REST API and
// loaddata do, then validates and stores it: nothing may panic, and a
// stored user must read back.
func FuzzUserJSON(f *testing.F) {
	f.Add([]byte(`{"username":"a","status":1,"home_dir":"/a","permissions":{"/":["*"]}}`))
	f.Add([]byte(`{"username":"b","status":1,"home_dir":"/b","permissions":{"/":["list"],"/x/../y":["upload"]},
		"filters":{"file_patterns":[{"path":"/","denied_patterns":["[a-"]}],"allowed_ip":["1.2.3.4/33"]},
		"virtual_folders":[{"name":"f","virtual_path":"/v"}],"groups":[{"name":"g","type":1}]}`))
	f.Add([]byte(`{"username":"c","status":1,"home_dir":"/c","permissions":{"/":["*"]},"filesystem":{"provider":7,
		"ftpconfig":{"endpoint":"h","username":"u","password":{"status":"Plain","payload":"p"}}},"public_keys":["ssh-ed25519 AAAA"]}`))
	f.Add([]byte(`{"username":"d","status":1,"home_dir":"/d","permissions":{"/":["*"]},"filesystem":{"provider":1,
		"s3config":{"bucket":"b","access_key":"k","access_secret":{"status":"Redacted"},"key_prefix":"../x"}}}`))
	f.Add([]byte(`null`))
	s := newTestStore(f, "memory")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		var u User
		if err := json.Unmarshal(data, &u); err != nil {
			return
		}
		if err := s.AddUser(ctx, &u); err != nil {
			return
		}
		got, err := s.GetUser(ctx, u.Username)
		if err != nil {
			t.Fatalf("stored user %q not found: %v", u.Username, err)
		}
		if _, err := s.GetEffectiveUser(ctx, got.Username); err != nil {
			t.Fatalf("effective user: %v", err)
		}
		if err := s.DeleteUser(ctx, got.Username); err != nil {
			t.Fatalf("delete: %v", err)
		}
	})
}

// FuzzRestoreJSON loads arbitrary bytes as a loaddata document: restore
// either succeeds or fails cleanly, and a failure leaves the store as it
// was.
func FuzzRestoreJSON(f *testing.F) {
	f.Add([]byte(referenceDump))
	f.Add([]byte(`{"folders":[{"name":"f","mapped_path":"/f"}],"users":[{"username":"u","status":1,"home_dir":"/u",
		"permissions":{"/":["*"]},"virtual_folders":[{"name":"f","virtual_path":"/f"}]}],"api_keys":[{"id":"k","name":"k","scope":1,"key":"plain"}]}`))
	f.Add([]byte(`{"users":[{"username":"x"}],"roles":[1,2],"configs":{"a":1}}`))
	s := newTestStore(f, "memory")
	ctx := context.Background()
	seed := newUser("seed")
	if err := s.AddUser(ctx, &seed); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b BackupData
		if err := json.Unmarshal(data, &b); err != nil {
			return
		}
		before, err := s.Dump(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Restore(ctx, &b, RestoreModeAddUpdate); err != nil {
			after, _ := s.Dump(ctx)
			if comparable(t, before) != comparable(t, after) {
				t.Fatalf("failed restore changed the store: %v", err)
			}
			return
		}
		// start the next input from a known state
		must(t, s.Reset(ctx))
		must(t, s.Migrate(ctx))
		seed := newUser("seed")
		must(t, s.AddUser(ctx, &seed))
	})
}
