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
	// Format is FormatJSON, FormatText or "" (FormatAuto): SFTPGo's JSON
	// lines in a file, text on stdout or a Writer, as SFTPGo does.
	Format string
	// JSON forces the JSON format whatever Format says.
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

// Log formats.
const (
	FormatAuto = ""
	FormatJSON = "json"
	FormatText = "text"
)

// ParseFormat checks a format name: json, text, or "" / auto.
func ParseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case FormatAuto, "auto":
		return FormatAuto, nil
	case FormatJSON, FormatText:
		return f, nil
	}
	return "", fmt.Errorf("logger: unknown format %q: use json, text or auto", s)
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
	format, err := ParseFormat(opts.Format)
	if err != nil {
		return nil, nil, err
	}
	jsonFormat := opts.JSON || format == FormatJSON
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
		if format == FormatAuto {
			jsonFormat = true
		}
	}
	return slog.New(NewHandler(w, level, opts.UTCTime, jsonFormat)), closer, nil
}

// NewHandler returns the text or JSON handler New uses, writing to w.
// The JSON handler writes SFTPGo's line shape (see sftpgojson.go); the
// text handler is log/slog's key=value format.
func NewHandler(w io.Writer, level slog.Leveler, utc, jsonFormat bool) slog.Handler {
	if jsonFormat {
		return newJSONHandler(w, level, utc)
	}
	ho := &slog.HandlerOptions{Level: level}
	if utc {
		ho.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
				a.Value = slog.TimeValue(a.Value.Time().UTC())
			}
			return a
		}
	}
	return slog.NewTextHandler(w, ho)
}

// Attribute keys and message of the failed-login line.
const (
	LoginFailedMsg = "connection failed"
	// LoginFailedSender is the JSON sender of the failed-login line.
	LoginFailedSender = "connection_failed"
	KeyClientIP       = "client_ip"
	KeyUsername       = "username"
	KeyLoginType      = "login_type"
	KeyProtocol       = "protocol"
	KeyError          = "error"
)

// LoginFailed writes the stable line that intrusion-prevention tools such
// as fail2ban match for a failed login: client_ip, username, login_type,
// protocol and error, always in this order.
//
// With the JSON handler the line is SFTPGo's, byte for byte in shape, so
// SFTPGo's published fail2ban filter matches it unchanged: level debug,
// sender connection_failed, no message, none of the logger's own
// attributes:
//
//	{"level":"debug","time":"2026-12-03T17:10:10.312","sender":"connection_failed","client_ip":"192.0.2.10","username":"alice","login_type":"password","protocol":"SSH","error":"invalid credentials"}
//
// With the text handler it is a warning; pass the server's base logger,
// not one made with With, for exactly:
//
//	time=2026-11-21T10:00:00.000Z level=WARN msg="connection failed" client_ip=192.0.2.10 username=alice login_type=password protocol=SSH error="invalid credentials"
//
// client_ip comes first so a filter can anchor on it before any value a
// client controls; values are quoted and escaped, so a crafted username
// cannot forge another field or line. method is the login method as
// SFTPGo names it (password, publickey, keyboard-interactive,
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
	attrs := []slog.Attr{
		slog.String(KeyClientIP, ip),
		slog.String(KeyUsername, username),
		slog.String(KeyLoginType, method),
		slog.String(KeyProtocol, protocol),
		slog.String(KeyError, msg),
	}
	if h, ok := l.Handler().(*jsonHandler); ok {
		_ = h.writeExact(slog.LevelDebug, LoginFailedSender, "", attrs...)
		return
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, LoginFailedMsg, attrs...)
}

// Fail2banTextRegex is a fail2ban failregex for LoginFailed lines written
// by the text handler. It tolerates attributes a logger made with With
// places before client_ip, and takes them whole, quoted values included,
// so an address inside a crafted username is never picked up.
const Fail2banTextRegex = `^time=\S+ level=WARN msg="connection failed" (?:[a-z_.]+=(?:"(?:[^"\\]|\\.)*"|[^" ]+) )*?client_ip=<HOST> `

// Fail2banJSONRegex is a failregex for LoginFailed lines written by the
// JSON handler, for every login type (SFTPGo's own filter, which also
// matches, counts password logins only). It anchors on the fixed start of
// the line, so nothing a client sends can come before client_ip; the lazy
// gap stands for the time field, which fail2ban cuts out of the line when
// its datepattern finds it.
const Fail2banJSONRegex = `^\{"level":"debug",.*?"sender":"connection_failed","client_ip":"<HOST>",`

// ErrNotRotatable is Rotate's error when the log goes to stdout or to a
// caller's Writer: there is no file to rotate.
var ErrNotRotatable = errors.New("logger: the log is not written to a file, nothing to rotate")

// Rotate rotates the log file of the Closer New returned: the current
// file is renamed with a timestamp (and compressed when configured) and a
// new one is opened, whatever its size.
func Rotate(c io.Closer) error {
	r, ok := c.(interface{ Rotate() error })
	if !ok {
		return ErrNotRotatable
	}
	if err := r.Rotate(); err != nil {
		return fmt.Errorf("logger: rotate: %w", err)
	}
	return nil
}
