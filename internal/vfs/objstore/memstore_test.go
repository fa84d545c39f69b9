package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// memStore is an in-memory Store with the quirks of a real one: a part
// minimum, pages, ETags, and hooks to inject failures.
type memStore struct {
	feat Features

	mu      sync.Mutex
	objects map[string]memObject
	uploads map[int]*memUpload
	nextID  int

	// failPart, when set, is called for every part; an error fails it.
	failPart func(n int) error
	// failGet, when set, is called for every Get.
	failGet func(off int64) error
	// inFlight and maxInFlight count concurrent Part calls.
	inFlight, maxInFlight atomic.Int32
	// partDelay slows parts down so concurrency shows.
	partDelay time.Duration
	gets      atomic.Int32
}

type memObject struct {
	data  []byte
	mtime time.Time
	etag  string
}

type memUpload struct {
	key   string
	mtime time.Time
	parts map[int][]byte
}

func newMemStore() *memStore {
	return &memStore{
		feat:    Features{MinPartSize: 64 << 10, MaxParts: 10000, ListModTime: true},
		objects: map[string]memObject{},
		uploads: map[int]*memUpload{},
	}
}

func (m *memStore) Features() Features { return m.feat }

func (m *memStore) put(key string, data []byte, mtime time.Time) {
	sum := md5.Sum(data)
	m.objects[key] = memObject{data: data, mtime: mtime, etag: fmt.Sprintf("%x", sum)}
}

func (m *memStore) Head(ctx context.Context, key string) (Object, error) {
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[key]
	if !ok {
		return Object{}, fs.ErrNotExist
	}
	sum := md5.Sum(o.data)
	return Object{Key: key, Size: int64(len(o.data)), ModTime: o.mtime, ETag: o.etag, MD5: sum[:]}, nil
}

func (m *memStore) List(ctx context.Context, prefix, delim, token string, max int) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var page Page
	seen := map[string]bool{}
	count := 0
	for _, k := range keys {
		if k <= token {
			continue
		}
		entry, isPrefix := k, false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry, isPrefix = k[:len(prefix)+i+1], true
			}
		}
		if seen[entry] || entry <= token {
			continue
		}
		if count == max {
			page.Next = prev(page)
			return page, nil
		}
		seen[entry] = true
		count++
		if isPrefix {
			page.Prefixes = append(page.Prefixes, entry)
			continue
		}
		o := m.objects[k]
		page.Objects = append(page.Objects, Object{Key: k, Size: int64(len(o.data)), ModTime: o.mtime, ETag: o.etag})
	}
	return page, nil
}

// prev is the continuation token: the largest entry handed out. A prefix
// token skips every key under it.
func prev(p Page) string {
	last := ""
	for _, o := range p.Objects {
		last = max(last, o.Key)
	}
	for _, cp := range p.Prefixes {
		last = max(last, cp+"\xff")
	}
	return last
}

func (m *memStore) Get(ctx context.Context, key string, off, length int64, etag string) (io.ReadCloser, error) {
	m.gets.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.failGet != nil {
		if err := m.failGet(off); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[key]
	if !ok {
		return nil, fs.ErrNotExist
	}
	if etag != "" && etag != o.etag {
		return nil, ErrChanged
	}
	end := int64(len(o.data))
	if length >= 0 {
		end = min(end, off+length)
	}
	if off > end {
		off = end
	}
	return io.NopCloser(&ctxReader{ctx: ctx, r: bytes.NewReader(o.data[off:end])}), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (m *memStore) Put(ctx context.Context, key string, data []byte, mtime time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(key, slices.Clone(data), mtime)
	return nil
}

func (m *memStore) NewUpload(ctx context.Context, key string, mtime time.Time) (Upload, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	u := &memUpload{key: key, mtime: mtime, parts: map[int][]byte{}}
	m.uploads[m.nextID] = u
	return &memUploadHandle{m: m, id: m.nextID}, nil
}

func (m *memStore) pendingUploads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.uploads)
}

type memUploadHandle struct {
	m  *memStore
	id int
}

func (h *memUploadHandle) Part(ctx context.Context, n int, data []byte) error {
	m := h.m
	cur := m.inFlight.Add(1)
	defer m.inFlight.Add(-1)
	for {
		old := m.maxInFlight.Load()
		if cur <= old || m.maxInFlight.CompareAndSwap(old, cur) {
			break
		}
	}
	if m.partDelay > 0 {
		select {
		case <-time.After(m.partDelay):
		case <-ctx.Done():
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.failPart != nil {
		if err := m.failPart(n); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.uploads[h.id]
	if !ok {
		return fmt.Errorf("upload %d: %w", h.id, fs.ErrNotExist)
	}
	u.parts[n] = slices.Clone(data)
	return nil
}

func (h *memUploadHandle) Complete(ctx context.Context, n int, _ []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m := h.m
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.uploads[h.id]
	if !ok {
		return fs.ErrNotExist
	}
	var all []byte
	for i := 1; i <= n; i++ {
		p, ok := u.parts[i]
		if !ok {
			return fmt.Errorf("part %d missing", i)
		}
		if i < n && int64(len(p)) < m.feat.MinPartSize {
			return fmt.Errorf("part %d too small: %d", i, len(p))
		}
		all = append(all, p...)
	}
	delete(m.uploads, h.id)
	m.put(u.key, all, u.mtime)
	return nil
}

func (h *memUploadHandle) Abort(context.Context) error {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	delete(h.m.uploads, h.id)
	return nil
}

func (m *memStore) Copy(ctx context.Context, src Object, dst string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[src.Key]
	if !ok {
		return fs.ErrNotExist
	}
	m.objects[dst] = o
	return nil
}

func (m *memStore) SetModTime(ctx context.Context, obj Object, mtime time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[obj.Key]
	if !ok {
		return fs.ErrNotExist
	}
	o.mtime = mtime
	m.objects[obj.Key] = o
	return nil
}

func (m *memStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

func (m *memStore) Close() error { return nil }

func (m *memStore) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []string
	for k := range m.objects {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var _ = strconv.Itoa
