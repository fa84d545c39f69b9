package objstore

import (
	"strconv"
	"strings"
	"time"
)

// MetaModTime is the metadata key that keeps a file's modification time.
// It is a valid name on every store (Azure wants a C# identifier).
const MetaModTime = "mtime"

// FormatModTime encodes a modification time for MetaModTime: RFC 3339
// with nanoseconds, in UTC.
func FormatModTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ModTime returns the time kept under MetaModTime (looked up without
// regard to case, as stores differ), or fallback. Besides RFC 3339 it
// reads seconds since the epoch with a fraction, as other tools write.
func ModTime(meta map[string]string, fallback time.Time) time.Time {
	for k, v := range meta {
		if !strings.EqualFold(k, MetaModTime) {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			sec := int64(f)
			return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
		}
	}
	return fallback
}

// ModTimePtr is ModTime for stores whose metadata values are pointers.
func ModTimePtr(meta map[string]*string, fallback time.Time) time.Time {
	m := make(map[string]string, len(meta))
	for k, v := range meta {
		if v != nil {
			m[k] = *v
		}
	}
	return ModTime(m, fallback)
}
