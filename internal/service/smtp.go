package service

import (
	"errors"
	"log/slog"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/httpd"
	"github.com/sftpgo-ng/sftpgo/internal/smtp"
)

// newMailer builds the SMTP client of the smtp section, or nil when no
// host is configured. A section the client cannot use (e.g. XOAUTH2
// without a refresh token) is logged and leaves e-mail off rather than
// stopping the server: a configuration taken over from SFTPGo must still
// start.
func newMailer(cfg config.SMTPConfig, configDir string, log *slog.Logger) *smtp.Client {
	c, err := smtp.New(cfg, smtp.WithLogger(log), smtp.WithConfigDir(configDir))
	switch {
	case errors.Is(err, smtp.ErrNotConfigured):
		return nil
	case err != nil:
		log.Error("e-mail disabled: the smtp section cannot be used", "error", err)
		return nil
	}
	log.Info("e-mail enabled", "host", cfg.Host, "port", cfg.Port, "encryption", cfg.Encryption)
	return c
}

// httpdMailer keeps a nil client a nil interface, so httpd sees "no
// e-mail" rather than a client it would call.
func httpdMailer(c *smtp.Client) httpd.Mailer {
	if c == nil {
		return nil
	}
	return c
}
