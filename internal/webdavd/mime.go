package webdavd

import (
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// mimeTypes guesses content types from file extensions only: sniffing
// would mean reading every file a PROPFIND lists. Custom mappings win over
// the system tables; lookups are cached (cache.mime_types) because
// mime.TypeByExtension takes a global lock and PROPFIND asks once per
// entry.
type mimeTypes struct {
	custom  map[string]string
	enabled bool
	max     int

	mu    sync.RWMutex
	cache map[string]string
}

const defaultContentType = "application/octet-stream"

func newMimeTypes(cfg config.MimeTypesCacheConfig) *mimeTypes {
	m := &mimeTypes{custom: make(map[string]string), enabled: cfg.Enabled && cfg.MaxSize > 0,
		max: cfg.MaxSize, cache: make(map[string]string)}
	for _, cm := range cfg.CustomMappings {
		ext := strings.ToLower(strings.TrimSpace(cm.Ext))
		if ext == "" || cm.Mime == "" {
			continue
		}
		if !strings.HasPrefix(ext, ".") {
			ext = "." + ext
		}
		m.custom[ext] = cm.Mime
	}
	return m
}

func (m *mimeTypes) typeOf(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		return defaultContentType
	}
	if t, ok := m.custom[ext]; ok {
		return t
	}
	if m.enabled {
		m.mu.RLock()
		t, ok := m.cache[ext]
		m.mu.RUnlock()
		if ok {
			return t
		}
	}
	t := mime.TypeByExtension(ext)
	if t == "" {
		t = defaultContentType
	}
	if m.enabled {
		m.mu.Lock()
		if len(m.cache) < m.max {
			m.cache[ext] = t
		}
		m.mu.Unlock()
	}
	return t
}
