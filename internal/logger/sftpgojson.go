package logger

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// SFTPGo's JSON line: one object per line with the keys in this order:
//
//	{"level":"info","time":"2026-12-03T17:10:06.494","sender":"sftpd",<fields>,"message":"..."}
//
// level is debug, info, warn or error; time has millisecond precision and
// no zone (local time, or UTC with UTCTime), as SFTPGo writes it; sender
// names what wrote the line. The fields follow in the order they were
// added (a logger's With attributes first), the message comes last and
// is left out when empty, as in SFTPGo's transfer and failed-login lines.
const (
	// KeySender is the attribute that names a line's sender. A logger
	// made with With(KeySender, "x") writes "sender":"x"; without one the
	// "component" attribute is the sender, else DefaultSender.
	KeySender = "sender"
	// KeyComponent is the attribute the servers put on their loggers
	// (sftpd, ftpd, webdavd, httpd); in JSON it becomes the sender.
	KeyComponent = "component"
	// DefaultSender is the sender of lines that name none.
	DefaultSender = "service"

	jsonTimeFormat = "2006-01-02T15:04:05.000"
)

// jsonHandler writes SFTPGo-shaped JSON lines. It is safe for concurrent
// use; handlers derived with WithAttrs and WithGroup share its writer.
type jsonHandler struct {
	out   *lockedWriter
	level slog.Leveler
	utc   bool

	sender string // from a With attribute, "" when none
	attrs  []byte // pre-encoded With attributes, each followed by ','
	prefix string // group prefix for keys, "a.b." when inside groups
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) write(b []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.w.Write(b)
	return err
}

func newJSONHandler(w io.Writer, level slog.Leveler, utc bool) *jsonHandler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &jsonHandler{out: &lockedWriter{w: w}, level: level, utc: utc}
}

// Enabled implements slog.Handler.
func (h *jsonHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// WithAttrs implements slog.Handler.
func (h *jsonHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	c := *h
	c.attrs = bytes.Clone(h.attrs)
	for _, a := range as {
		if c.prefix == "" && a.Key == KeySender {
			c.sender = a.Value.Resolve().String()
			continue
		}
		if c.prefix == "" && a.Key == KeyComponent && c.sender == "" {
			c.sender = a.Value.Resolve().String()
			continue
		}
		c.attrs = appendAttr(c.attrs, c.prefix, a)
	}
	return &c
}

// WithGroup implements slog.Handler; group members are written flat, with
// keys "group.key".
func (h *jsonHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// Handle implements slog.Handler.
func (h *jsonHandler) Handle(_ context.Context, r slog.Record) error {
	sender := h.sender
	var fields []byte
	r.Attrs(func(a slog.Attr) bool {
		if h.prefix == "" && a.Key == KeySender {
			sender = a.Value.Resolve().String()
			return true
		}
		fields = appendAttr(fields, h.prefix, a)
		return true
	})
	if sender == "" {
		sender = DefaultSender
	}
	buf := h.begin(r.Level, r.Time, sender)
	buf = append(buf, h.attrs...)
	buf = append(buf, fields...)
	return h.end(buf, r.Message)
}

// writeExact writes a line with exactly the given fields, none of the
// logger's own attributes: the lines other tools parse by position
// (failed logins, transfers) must not vary with the caller's logger.
func (h *jsonHandler) writeExact(level slog.Level, sender, msg string, fields ...slog.Attr) error {
	if !h.Enabled(context.Background(), level) {
		return nil
	}
	buf := h.begin(level, time.Now(), sender)
	for _, a := range fields {
		buf = appendAttr(buf, "", a)
	}
	return h.end(buf, msg)
}

func (h *jsonHandler) begin(level slog.Level, t time.Time, sender string) []byte {
	buf := make([]byte, 0, 256)
	buf = append(buf, `{"level":"`...)
	buf = append(buf, levelName(level)...)
	buf = append(buf, `","time":"`...)
	if t.IsZero() {
		t = time.Now()
	}
	if h.utc {
		t = t.UTC()
	} else {
		t = t.Local()
	}
	buf = t.AppendFormat(buf, jsonTimeFormat)
	buf = append(buf, `","sender":`...)
	buf = appendString(buf, sender)
	return append(buf, ',')
}

func (h *jsonHandler) end(buf []byte, msg string) error {
	if msg != "" {
		buf = append(buf, `"message":`...)
		buf = appendString(buf, msg)
	} else {
		buf = buf[:len(buf)-1] // the last ','
	}
	buf = append(buf, "}\n"...)
	return h.out.write(buf)
}

// levelName is SFTPGo's (zerolog's) name of a level.
func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return "error"
}

// appendAttr appends "key":value, for one attribute (groups flattened).
func appendAttr(buf []byte, prefix string, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		as := v.Group()
		if len(as) == 0 {
			return buf
		}
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, ga := range as {
			buf = appendAttr(buf, p, ga)
		}
		return buf
	}
	if a.Equal(slog.Attr{}) {
		return buf
	}
	key := prefix + a.Key
	switch key {
	case "level", "time", "sender", "message":
		// the line's own keys: a field must not repeat one
		key = "attr." + key
	}
	buf = appendString(buf, key)
	buf = append(buf, ':')
	buf = appendValue(buf, v)
	return append(buf, ',')
}

func appendValue(buf []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(buf, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(buf, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(buf, v.Uint64(), 10)
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendString(buf, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(buf, f, 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(buf, v.Bool())
	case slog.KindDuration:
		return strconv.AppendInt(buf, int64(v.Duration()), 10)
	case slog.KindTime:
		return appendString(buf, v.Time().Format(time.RFC3339Nano))
	}
	switch x := v.Any().(type) {
	case nil:
		return append(buf, "null"...)
	case error:
		return appendString(buf, x.Error())
	case json.Marshaler:
		if b, err := x.MarshalJSON(); err == nil && json.Valid(b) {
			var c bytes.Buffer
			if json.Compact(&c, b) == nil {
				return append(buf, c.Bytes()...)
			}
		}
	case encoding.TextMarshaler:
		if b, err := x.MarshalText(); err == nil {
			return appendString(buf, string(b))
		}
	case fmt.Stringer:
		return appendString(buf, x.String())
	}
	if b, err := json.Marshal(v.Any()); err == nil {
		return append(buf, b...)
	}
	return appendString(buf, fmt.Sprintf("%+v", v.Any()))
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Like zerolog it does not
// escape <, > and &; quotes, backslashes and control characters are
// escaped and invalid UTF-8 is replaced, so a value never ends the
// string, the object or the line.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20 || c == 0x7f:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// valid JSON, but line separators to some readers
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}
