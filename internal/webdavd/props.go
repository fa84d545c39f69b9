package webdavd

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/net/webdav"
)

// propsFileName is the dead-properties database in the config dir.
const propsFileName = "webdavd_props.db"

// propStore keeps WebDAV dead properties (those set with PROPPATCH) in a
// bbolt file: one bucket per user, one key per virtual path, the value the
// JSON list of that resource's properties. Properties are kept by the
// server rather than next to the files so they work on every storage
// backend and never show up as extra files over SFTP or FTP; the price is
// that renames or deletions made through other protocols leave them
// behind, so creating a resource through WebDAV clears any stale entry.
type propStore struct {
	db *bolt.DB
}

type storedProp struct {
	Space string `json:"ns,omitempty"`
	Local string `json:"name"`
	Lang  string `json:"lang,omitempty"`
	XML   []byte `json:"xml,omitempty"`
}

func openPropStore(file string) (*propStore, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("webdavd: dead properties dir: %w", err)
	}
	db, err := bolt.Open(file, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("webdavd: open dead properties store %q: %w", file, err)
	}
	return &propStore{db: db}, nil
}

func (s *propStore) Close() error { return s.db.Close() }

func userBucket(user string) []byte { return []byte("u/" + user) }

func decodeProps(v []byte) (map[xml.Name]webdav.Property, error) {
	var list []storedProp
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, err
	}
	m := make(map[xml.Name]webdav.Property, len(list))
	for _, p := range list {
		n := xml.Name{Space: p.Space, Local: p.Local}
		m[n] = webdav.Property{XMLName: n, Lang: p.Lang, InnerXML: p.XML}
	}
	return m, nil
}

func encodeProps(m map[xml.Name]webdav.Property) ([]byte, error) {
	list := make([]storedProp, 0, len(m))
	for n, p := range m {
		list = append(list, storedProp{Space: n.Space, Local: n.Local, Lang: p.Lang, XML: p.InnerXML})
	}
	return json.Marshal(list)
}

// get returns the dead properties of a resource (nil when it has none).
func (s *propStore) get(user, vpath string) (map[xml.Name]webdav.Property, error) {
	var m map[xml.Name]webdav.Property
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(userBucket(user))
		if b == nil {
			return nil
		}
		v := b.Get([]byte(vpath))
		if v == nil {
			return nil
		}
		var err error
		m, err = decodeProps(v)
		return err
	})
	return m, err
}

// children returns the dead properties of the direct members of dir that
// have any, read in one transaction (a Depth 1 PROPFIND asks for all of
// them).
func (s *propStore) children(user, dir string) (map[string]map[xml.Name]webdav.Property, error) {
	out := make(map[string]map[xml.Name]webdav.Property)
	prefix := []byte(dir + "/")
	if dir == "/" {
		prefix = []byte("/")
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(userBucket(user))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			rest := k[len(prefix):]
			if len(rest) == 0 || bytes.IndexByte(rest, '/') >= 0 {
				continue
			}
			m, err := decodeProps(v)
			if err != nil {
				return err
			}
			out[string(k)] = m
		}
		return nil
	})
	return out, err
}

// patch applies PROPPATCH instructions atomically, as
// webdav.DeadPropsHolder.Patch describes: every property set or removed
// gets 200, or nothing changes.
func (s *propStore) patch(user, vpath string, patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	pstat := webdav.Propstat{Status: http.StatusOK}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(userBucket(user))
		if err != nil {
			return err
		}
		m := map[xml.Name]webdav.Property{}
		if v := b.Get([]byte(vpath)); v != nil {
			if m, err = decodeProps(v); err != nil {
				return err
			}
		}
		for _, p := range patches {
			for _, prop := range p.Props {
				pstat.Props = append(pstat.Props, webdav.Property{XMLName: prop.XMLName})
				if p.Remove {
					delete(m, prop.XMLName)
				} else {
					prop.InnerXML = bytes.Clone(prop.InnerXML)
					m[prop.XMLName] = prop
				}
			}
		}
		if len(m) == 0 {
			return b.Delete([]byte(vpath))
		}
		v, err := encodeProps(m)
		if err != nil {
			return err
		}
		return b.Put([]byte(vpath), v)
	})
	if err != nil {
		return nil, err
	}
	return []webdav.Propstat{pstat}, nil
}

// treeKeys returns the keys of vpath and, when deep, of everything below.
func treeKeys(b *bolt.Bucket, vpath string, deep bool) [][]byte {
	var keys [][]byte
	if b.Get([]byte(vpath)) != nil {
		keys = append(keys, []byte(vpath))
	}
	if !deep {
		return keys
	}
	prefix := []byte(vpath + "/")
	if vpath == "/" {
		prefix = []byte("/")
	}
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if string(k) == vpath {
			continue
		}
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// has reports whether vpath (or, when deep, anything below) has
// properties; it lets the common case skip a write transaction.
func (s *propStore) has(user, vpath string, deep bool) bool {
	found := false
	s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(userBucket(user)); b != nil {
			found = len(treeKeys(b, vpath, deep)) > 0
		}
		return nil
	})
	return found
}

// remove deletes the properties of vpath and, when deep, of its subtree.
func (s *propStore) remove(user, vpath string, deep bool) error {
	if !s.has(user, vpath, deep) {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(userBucket(user))
		if b == nil {
			return nil
		}
		for _, k := range treeKeys(b, vpath, deep) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// copyTree copies the properties of src (and, when deep, its subtree) to
// dst, replacing whatever dst had. With move the source entries go away.
func (s *propStore) copyTree(user, src, dst string, deep, move bool) error {
	if !s.has(user, src, deep) && !s.has(user, dst, true) {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(userBucket(user))
		if err != nil {
			return err
		}
		for _, k := range treeKeys(b, dst, true) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		for _, k := range treeKeys(b, src, deep) {
			v := bytes.Clone(b.Get(k))
			nk := dst + string(k[len(src):])
			if src == "/" {
				nk = dst + string(k)
			}
			if err := b.Put([]byte(nk), v); err != nil {
				return err
			}
			if move {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
