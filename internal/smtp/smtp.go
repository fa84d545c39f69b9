// Package smtp sends e-mail through the server the smtp section of
// sftpgo.json names: password reset codes, event manager actions and the
// smtptest command all go through one Client.
package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	maillog "github.com/wneessen/go-mail/log"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// Config is the smtp section of sftpgo.json.
type Config = config.SMTPConfig

// Authentication mechanisms (smtp.auth_type).
const (
	AuthPlain   = 0
	AuthLogin   = 1
	AuthCRAMMD5 = 2
	AuthXOAUTH2 = 3
)

// Connection security (smtp.encryption).
const (
	EncryptionNone     = 0
	EncryptionTLS      = 1 // implicit TLS from the first byte (port 465)
	EncryptionStartTLS = 2 // plain connection upgraded with STARTTLS, required
)

// DefaultTimeout bounds the dial and every SMTP command of a send.
const DefaultTimeout = 15 * time.Second

// ErrNotConfigured is returned by New when smtp.host is empty: sending
// e-mail is disabled.
var ErrNotConfigured = errors.New("smtp: no SMTP server configured (smtp.host is empty)")

// Attachment is a file sent with a Mail.
type Attachment struct {
	Name string
	Data []byte
}

// Mail is one message. To, Cc and Bcc together must name at least one
// recipient; Bcc recipients get the message without appearing in its
// headers. Body is plain text unless HTML is set.
type Mail struct {
	To          []string
	Cc          []string
	Bcc         []string
	Subject     string
	Body        string
	HTML        bool
	Attachments []Attachment
}

// Option adjusts a Client beyond what the configuration says.
type Option func(*Client)

// WithLogger sets the logger; smtp.debug=1 writes the SMTP conversation
// (credentials redacted) to it.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithRootCAs sets the certificate authorities the server certificate is
// checked against instead of the system pool (private CAs, tests).
func WithRootCAs(pool *x509.CertPool) Option { return func(c *Client) { c.rootCAs = pool } }

// WithTimeout replaces DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// Client sends mail with one configuration. It is safe for concurrent use:
// every Send opens its own connection.
type Client struct {
	cfg     Config
	from    string
	log     *slog.Logger
	rootCAs *x509.CertPool
	timeout time.Duration

	configDir string
	templates map[string]*template.Template
	tokenURL  string
	tokens    *refreshSource // XOAUTH2 access tokens
}

// New checks cfg and returns a Client for it. It does not connect: a
// server that is down is reported by Send.
func New(cfg Config, opts ...Option) (*Client, error) {
	if strings.TrimSpace(cfg.Host) == "" {
		return nil, ErrNotConfigured
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: invalid port %d", cfg.Port)
	}
	switch cfg.AuthType {
	case AuthPlain, AuthLogin, AuthCRAMMD5, AuthXOAUTH2:
	default:
		return nil, fmt.Errorf("smtp: invalid auth_type %d", cfg.AuthType)
	}
	switch cfg.Encryption {
	case EncryptionNone, EncryptionTLS, EncryptionStartTLS:
	default:
		return nil, fmt.Errorf("smtp: invalid encryption %d", cfg.Encryption)
	}
	c := &Client{cfg: cfg, log: slog.Default(), timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	// Many servers refuse a message without From; like SFTPGo, fall back
	// to the login name, which is often an address.
	c.from = cfg.From
	if c.from == "" {
		c.from = cfg.User
	}
	if c.from == "" {
		return nil, errors.New("smtp: from is empty and there is no user to send as")
	}
	var err error
	if c.templates, err = loadTemplates(cfg.TemplatesPath, c.configDir); err != nil {
		return nil, err
	}
	if cfg.AuthType == AuthXOAUTH2 {
		if c.tokens, err = c.oauth2Source(); err != nil {
			return nil, err
		}
	}
	if err := mail.NewMsg().From(c.from); err != nil {
		return nil, fmt.Errorf("smtp: invalid from %q: %w", c.from, err)
	}
	return c, nil
}

// From is the sender address of every message.
func (c *Client) From() string { return c.from }

// Send delivers m. The error says whether the server could not be
// reached, refused the login or refused the message.
func (c *Client) Send(ctx context.Context, m Mail) error {
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return errors.New("smtp: no recipients")
	}
	msg, err := c.message(m)
	if err != nil {
		return err
	}
	password := c.cfg.Password
	if c.tokens != nil {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return fmt.Errorf("smtp: oauth2 access token: %w", err)
		}
		password = tok
	}
	mc, err := mail.NewClient(c.cfg.Host, c.clientOptions(password)...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := mc.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp: send through %s:%d: %w", c.cfg.Host, c.cfg.Port, err)
	}
	return nil
}

func (c *Client) message(m Mail) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(c.from); err != nil {
		return nil, fmt.Errorf("smtp: from %q: %w", c.from, err)
	}
	for _, set := range []struct {
		name  string
		addrs []string
		fn    func(...string) error
	}{{"to", m.To, msg.To}, {"cc", m.Cc, msg.Cc}, {"bcc", m.Bcc, msg.Bcc}} {
		if len(set.addrs) == 0 {
			continue
		}
		if err := set.fn(set.addrs...); err != nil {
			return nil, fmt.Errorf("smtp: %s: %w", set.name, err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	ct := mail.TypeTextPlain
	if m.HTML {
		ct = mail.TypeTextHTML
	}
	msg.SetBodyString(ct, m.Body)
	for _, a := range m.Attachments {
		if a.Name == "" {
			return nil, errors.New("smtp: attachment without a name")
		}
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data))
	}
	return msg, nil
}

func (c *Client) clientOptions(password string) []mail.Option {
	opts := []mail.Option{
		mail.WithPort(c.cfg.Port),
		mail.WithTimeout(c.timeout),
		mail.WithTLSConfig(&tls.Config{
			ServerName: c.cfg.Host,
			RootCAs:    c.rootCAs,
			MinVersion: tls.VersionTLS12,
		}),
	}
	switch c.cfg.Encryption {
	case EncryptionTLS:
		opts = append(opts, mail.WithSSL())
	case EncryptionStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	// As SFTPGo: an empty domain says "localhost" (not the host name,
	// which go-mail would send).
	helo := c.cfg.Domain
	if helo == "" {
		helo = "localhost"
	}
	opts = append(opts, mail.WithHELO(helo))
	// Leaving both user and password empty sends without authentication.
	if c.cfg.User != "" || password != "" {
		opts = append(opts, mail.WithSMTPAuth(c.authType()),
			mail.WithUsername(c.cfg.User), mail.WithPassword(password))
	}
	if c.cfg.Debug == 1 {
		opts = append(opts, mail.WithLogger(slogAdapter{c.log}), mail.WithDebugLog())
	}
	return opts
}

// authType maps auth_type onto go-mail's mechanisms. Without encryption
// the administrator chose to send credentials in clear (SFTPGo allows
// it), so the mechanisms that would refuse an unencrypted link are
// replaced by their explicit variants.
func (c *Client) authType() mail.SMTPAuthType {
	clear := c.cfg.Encryption == EncryptionNone
	switch c.cfg.AuthType {
	case AuthLogin:
		if clear {
			return mail.SMTPAuthLoginNoEnc
		}
		return mail.SMTPAuthLogin
	case AuthCRAMMD5:
		return mail.SMTPAuthCramMD5
	case AuthXOAUTH2:
		return mail.SMTPAuthXOAUTH2
	default:
		if clear {
			return mail.SMTPAuthPlainNoEnc
		}
		return mail.SMTPAuthPlain
	}
}

// slogAdapter writes go-mail's debug log (client and server lines) to slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) line(lv slog.Level, l maillog.Log) {
	dir := "client"
	if l.Direction == maillog.DirServerToClient {
		dir = "server"
	}
	a.l.Log(context.Background(), lv, "smtp debug", "from", dir,
		"line", strings.TrimSpace(fmt.Sprintf(l.Format, l.Messages...)))
}

func (a slogAdapter) Debugf(l maillog.Log) { a.line(slog.LevelInfo, l) }
func (a slogAdapter) Infof(l maillog.Log)  { a.line(slog.LevelInfo, l) }
func (a slogAdapter) Warnf(l maillog.Log)  { a.line(slog.LevelWarn, l) }
func (a slogAdapter) Errorf(l maillog.Log) { a.line(slog.LevelError, l) }
