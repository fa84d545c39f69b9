// Package logger builds the service's log/slog logger: text or JSON lines
// on stdout or in a size-rotated file, and the one stable "connection
// failed" line that fail2ban-style tools match.
package logger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Options configures New. The zero value logs text at info level to
// stdout with local timestamps.
type Options struct {
	// FilePath is the log file; "" or "-" means stdout.
	FilePath string
	// Level is "debug", "info", "warn" (or "warning") or "error"; "" is info.
	Level string
	// MaxSize is the size in megabytes at which the file is rotated
	// (0: 100 MB, lumberjack's default).
	MaxSize int
	// MaxBackups is how many rotated files to keep (0: all).
	MaxBackups int
	// MaxAge is how many days to keep rotated files (0: forever).
	MaxAge int
	// Compress gzips rotated files.
	Compress bool
	// UTCTime writes timestamps, and names rotated files, in UTC.
	UTCTime bool
	// JSON writes one JSON object per line instead of key=value text.
	JSON bool
	// Writer, when set, receives the log lines instead of FilePath or
	// stdout; New does not close it.
	Writer io.Writer
}

// ParseLevel maps a level name to its slog level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("logger: unknown level %q: use debug, info, warn or error", s)
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// New returns a logger built from opts and the Closer that releases its
// file. Closing stdout or a caller's Writer is a no-op.
func New(opts Options) (*slog.Logger, io.Closer, error) {
	level, err := ParseLevel(opts.Level)
	if err != nil {
		return nil, nil, err
	}
	var (
		w      io.Writer
		closer io.Closer = nopCloser{}
	)
	switch {
	case opts.Writer != nil:
		w = opts.Writer
	case opts.FilePath == "" || opts.FilePath == "-":
		w = os.Stdout
	default:
		if opts.MaxSize < 0 || opts.MaxBackups < 0 || opts.MaxAge < 0 {
			return nil, nil, errors.New("logger: max size, max backups and max age must not be negative")
		}
		// lumberjack opens the file on the first write; open it now so a
		// bad path is reported at startup, not lost later.
		if err := os.MkdirAll(filepath.Dir(opts.FilePath), 0o755); err != nil {
			return nil, nil, fmt.Errorf("logger: %w", err)
		}
		f, err := os.OpenFile(opts.FilePath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("logger: %w", err)
		}
		_ = f.Close()
		lj := &lumberjack.Logger{
			Filename:   opts.FilePath,
			MaxSize:    opts.MaxSize,
			MaxBackups: opts.MaxBackups,
			MaxAge:     opts.MaxAge,
			Compress:   opts.Compress,
			LocalTime:  !opts.UTCTime,
		}
		w, closer = lj, lj
	}
	return slog.New(NewHandler(w, level, opts.UTCTime, opts.JSON)), closer, nil
}

// NewHandler returns the text or JSON handler New uses, writing to w.
func NewHandler(w io.Writer, level slog.Leveler, utc, jsonFormat bool) slog.Handler {
	ho := &slog.HandlerOptions{Level: level}
	if utc {
		ho.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
				a.Value = slog.TimeValue(a.Value.Time().UTC())
			}
			return a
		}
	}
	if jsonFormat {
		return slog.NewJSONHandler(w, ho)
	}
	return slog.NewTextHandler(w, ho)
}

// Attribute keys and message of the failed-login line.
const (
	LoginFailedMsg = "connection failed"
	KeyClientIP    = "client_ip"
	KeyUsername    = "username"
	KeyLoginType   = "login_type"
	KeyProtocol    = "protocol"
	KeyError       = "error"
)

// LoginFailed writes the stable line that intrusion-prevention tools such
// as fail2ban match for a failed login: level WARN, message
// "connection failed", then client_ip, username, login_type, protocol and
// error, always in this order. With the text handler and a logger that
// carries no attributes of its own (pass the server's base logger, not
// one made with With), the line is exactly:
//
//	time=2026-11-21T10:00:00.000Z level=WARN msg="connection failed" client_ip=192.0.2.10 username=alice login_type=password protocol=SSH error="invalid credentials"
//
// client_ip comes first so a filter can anchor on it before any value a
// client controls; values with spaces, quotes, "=" or control characters
// are quoted and escaped by slog, so a crafted username cannot forge
// another field or line. method is the login method as the reference
// product names it (password, publickey, keyboard-interactive,
// publickey+password, publickey+keyboard-interactive, TLSCertificate,
// TLSCertificate+password, IDP, no_auth_tried), protocol one of SSH, FTP,
// DAV, HTTP, HTTPShare, OIDC. err must not contain the password.
func LoginFailed(l *slog.Logger, ip, username, method, protocol string, err error) {
	if l == nil {
		l = slog.Default()
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, LoginFailedMsg,
		slog.String(KeyClientIP, ip),
		slog.String(KeyUsername, username),
		slog.String(KeyLoginType, method),
		slog.String(KeyProtocol, protocol),
		slog.String(KeyError, msg),
	)
}

// Fail2banTextRegex is a fail2ban failregex for LoginFailed lines written
// by the text handler. It tolerates attributes a logger made with With
// places before client_ip, and takes them whole, quoted values included,
// so an address inside a crafted username is never picked up.
const Fail2banTextRegex = `^time=\S+ level=WARN msg="connection failed" (?:[a-z_.]+=(?:"(?:[^"\\]|\\.)*"|[^" ]+) )*?client_ip=<HOST> `

// Fail2banJSONRegex is the failregex for LoginFailed lines written by the
// JSON handler.
const Fail2banJSONRegex = `^\{"time":"[^"]+","level":"WARN","msg":"connection failed",(?:"[a-z_.]+":(?:"(?:[^"\\]|\\.)*"|[^,"{}\[\]]+),)*?"client_ip":"<HOST>"`
