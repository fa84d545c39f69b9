package dataprovider

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"

	"github.com/sftpgo-ng/sftpgo/internal/secretfile"
)

// The bolt driver keeps the memory driver's maps and logic and writes
// every committed change to a bbolt file: one bucket per object kind with
// the JSON document under its key, plus a meta bucket with the schema
// version and the id counters. The whole file is read at start.
type boltStore struct {
	db *bbolt.DB
}

var (
	boltKinds      = []string{"users", "groups", "folders", "admins", "apiKeys", "shares", "sections"}
	boltMetaBucket = []byte("meta")
)

// boltAPIKey keeps the id, which is not part of an APIKey's JSON form.
type boltAPIKey struct {
	ID  int64  `json:"id"`
	Key APIKey `json:"key"`
}

func openBolt(file string, log *slog.Logger) (*memDriver, error) {
	secretfile.Warn(log, "the bolt database file is", file)
	if err := secretfile.MkdirAll(filepath.Dir(file)); err != nil {
		return nil, fmt.Errorf("dataprovider: open bolt %s: %w", file, err)
	}
	db, err := bbolt.Open(file, secretfile.FileMode, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("dataprovider: open bolt %s: %w", file, err)
	}
	state := newMemState()
	err = db.View(func(tx *bbolt.Tx) error { return loadBolt(tx, state) })
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("dataprovider: load bolt %s: %w", file, err)
	}
	return &memDriver{state: state, backend: &boltStore{db: db}}, nil
}

func loadBolt(tx *bbolt.Tx, s *memState) error {
	if meta := tx.Bucket(boltMetaBucket); meta != nil {
		if v := meta.Get([]byte("version")); v != nil {
			if err := json.Unmarshal(v, &s.version); err != nil {
				return err
			}
		}
		if v := meta.Get([]byte("last_id")); v != nil {
			if err := json.Unmarshal(v, &s.lastID); err != nil {
				return err
			}
		}
	}
	for _, kind := range boltKinds {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			continue
		}
		err := b.ForEach(func(k, v []byte) error {
			key := string(k)
			var err error
			switch kind {
			case "users":
				var u User
				err = json.Unmarshal(v, &u)
				s.users[key] = u
			case "groups":
				var g Group
				err = json.Unmarshal(v, &g)
				s.groups[key] = g
			case "folders":
				var f BaseVirtualFolder
				err = json.Unmarshal(v, &f)
				s.folders[key] = f
			case "admins":
				var a Admin
				err = json.Unmarshal(v, &a)
				s.admins[key] = a
			case "apiKeys":
				var bk boltAPIKey
				err = json.Unmarshal(v, &bk)
				bk.Key.ID = bk.ID
				s.apiKeys[key] = bk.Key
			case "shares":
				var sh Share
				err = json.Unmarshal(v, &sh)
				s.shares[key] = sh
			case "sections":
				s.sections[key] = append([]byte(nil), v...)
			}
			if err != nil {
				return fmt.Errorf("%s %q: %w", kind, key, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// value returns the stored form of one key, nil when it was deleted.
func boltValue(s *memState, kind, key string) ([]byte, error) {
	var v any
	var ok bool
	switch kind {
	case "users":
		v, ok = s.users[key]
	case "groups":
		v, ok = s.groups[key]
	case "folders":
		v, ok = s.folders[key]
	case "admins":
		v, ok = s.admins[key]
	case "apiKeys":
		var k APIKey
		if k, ok = s.apiKeys[key]; ok {
			v = boltAPIKey{ID: k.ID, Key: k}
		}
	case "shares":
		v, ok = s.shares[key]
	case "sections":
		b, found := s.sections[key]
		if !found {
			return nil, nil
		}
		return b, nil
	}
	if !ok {
		return nil, nil
	}
	return json.Marshal(v)
}

func (b *boltStore) persist(s *memState) error {
	return b.db.Update(func(tx *bbolt.Tx) error {
		for kind, keys := range s.dirty {
			bucket, err := tx.CreateBucketIfNotExists([]byte(kind))
			if err != nil {
				return err
			}
			for key := range keys {
				v, err := boltValue(s, kind, key)
				if err != nil {
					return err
				}
				if v == nil {
					err = bucket.Delete([]byte(key))
				} else {
					err = bucket.Put([]byte(key), v)
				}
				if err != nil {
					return err
				}
			}
		}
		meta, err := tx.CreateBucketIfNotExists(boltMetaBucket)
		if err != nil {
			return err
		}
		version, _ := json.Marshal(s.version)
		ids, _ := json.Marshal(s.lastID)
		if err := meta.Put([]byte("version"), version); err != nil {
			return err
		}
		return meta.Put([]byte("last_id"), ids)
	})
}

func (b *boltStore) reset() error {
	return b.db.Update(func(tx *bbolt.Tx) error {
		for _, name := range append(boltKinds, string(boltMetaBucket)) {
			if tx.Bucket([]byte(name)) == nil {
				continue
			}
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *boltStore) close() error { return b.db.Close() }
