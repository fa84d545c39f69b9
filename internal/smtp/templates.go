package smtp

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/templates/email"
)

// Template file names under templates/email.
const passwordResetTemplate = "reset-password.html"

// WithConfigDir sets the directory a relative smtp.templates_path is
// resolved against (the --config-dir).
func WithConfigDir(dir string) Option { return func(c *Client) { c.configDir = dir } }

// PasswordResetData is what the password reset template sees.
type PasswordResetData struct {
	Username string
	Code     string
	Admin    bool          // an administrator's account, not a user's
	ValidFor time.Duration // how long the code works
}

// ValidMinutes is ValidFor in whole minutes, for the template.
func (d PasswordResetData) ValidMinutes() int { return int(d.ValidFor / time.Minute) }

// loadTemplates parses the e-mail templates: the embedded defaults, each
// replaced by a file of the same name in <templates_path>/email when one
// exists.
func loadTemplates(templatesPath, configDir string) (map[string]*template.Template, error) {
	dir := ""
	if templatesPath != "" {
		dir = filepath.Join(config.ResolvePath(configDir, templatesPath), "email")
	}
	out := map[string]*template.Template{}
	for _, name := range []string{passwordResetTemplate} {
		src, err := fs.ReadFile(email.FS, name)
		if err != nil {
			return nil, err
		}
		if dir != "" {
			b, err := os.ReadFile(filepath.Join(dir, name))
			switch {
			case err == nil:
				src = b
			case !errors.Is(err, fs.ErrNotExist):
				return nil, fmt.Errorf("smtp: template %s: %w", name, err)
			}
		}
		t, err := template.New(name).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("smtp: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// PasswordReset renders the password reset message for data: the subject
// (the template's "subject" block, or a default) and an HTML body.
func (c *Client) PasswordReset(data PasswordResetData) (subject, body string, err error) {
	t := c.templates[passwordResetTemplate]
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", "", fmt.Errorf("smtp: render %s: %w", passwordResetTemplate, err)
	}
	subject = "Password reset code"
	if st := t.Lookup("subject"); st != nil {
		var s bytes.Buffer
		if err := st.Execute(&s, data); err != nil {
			return "", "", fmt.Errorf("smtp: render %s subject: %w", passwordResetTemplate, err)
		}
		// html/template escapes for HTML; a subject is plain text.
		subject = strings.TrimSpace(html.UnescapeString(s.String()))
	}
	return subject, strings.TrimSpace(b.String()), nil
}
