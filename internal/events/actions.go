package events

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
)

// ErrNotSupported is the error of an action type this build does not run.
var ErrNotSupported = errors.New("action type not supported yet")

// execute runs one action for the event described by p.
func (m *Manager) execute(ctx context.Context, a dataprovider.BaseEventAction, p *Params, rd *renderer) error {
	o := a.Options
	switch a.Type {
	case dataprovider.ActionTypeHTTP:
		return m.runHTTP(ctx, o.HTTPConfig, p, rd)
	case dataprovider.ActionTypeCommand:
		return m.runCommand(ctx, o.CmdConfig, rd)
	case dataprovider.ActionTypeEmail:
		return m.runEmail(ctx, o.EmailConfig, p, rd)
	case dataprovider.ActionTypeFilesystem:
		return m.runFs(ctx, o.FsConfig, p, rd)
	case dataprovider.ActionTypeUserQuotaReset:
		return m.forUsers(ctx, p, func(u dataprovider.User) error { return m.store.ScanUserQuota(ctx, u) })
	case dataprovider.ActionTypeTransferQuotaReset:
		return m.forUsers(ctx, p, func(u dataprovider.User) error {
			return m.store.UpdateUserTransferQuota(ctx, u.Username, 0, 0, true)
		})
	case dataprovider.ActionTypeDataRetentionCheck:
		return m.runRetention(ctx, o.RetentionConfig, p)
	case dataprovider.ActionTypeBackup:
		return m.runBackup(ctx)
	case dataprovider.ActionTypeUserInactivityCheck:
		return m.runInactivity(ctx, o.UserInactivityConfig, p)
	case dataprovider.ActionTypePasswordExpiration:
		return m.runPasswordExpiration(ctx, o.PwdExpirationConfig, p)
	case dataprovider.ActionTypeFolderQuotaReset:
		return m.forFolders(ctx, p, func(f dataprovider.BaseVirtualFolder) error { return m.store.ScanFolderQuota(ctx, f) })
	case dataprovider.ActionTypeIDPAccountCheck:
		return m.runIDPCheck(ctx, o.IDPConfig, p, rd)
	case dataprovider.ActionTypeUserExpiration:
		return m.runUserExpiration(ctx, p)
	case dataprovider.ActionTypeRotateLogs:
		if m.opts.RotateLogs == nil {
			return errors.New("log rotation is not available: the log is not written to a file")
		}
		return m.opts.RotateLogs()
	case dataprovider.ActionTypeMetadataCheck:
		// SFTPGo's metadata check needs a metadata plugin and, without
		// one, does nothing; plugins are not supported here.
		m.log.Info("metadata check: no metadata plugin, nothing to check")
		return nil
	}
	return fmt.Errorf("%w: type %d", ErrNotSupported, a.Type)
}

// ---- HTTP

func isJSONContent(headers []dataprovider.KeyValue) bool {
	for _, h := range headers {
		if strings.EqualFold(h.Key, "Content-Type") && strings.Contains(strings.ToLower(h.Value), "application/json") {
			return true
		}
	}
	return false
}

func (m *Manager) runHTTP(ctx context.Context, c dataprovider.EventActionHTTPConfig, p *Params, rd *renderer) error {
	if m.opts.Runner == nil {
		return errors.New("no HTTP client configured")
	}
	endpoint := rd.render(c.Endpoint, false)
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("invalid endpoint %q: %w", endpoint, err)
	}
	if len(c.QueryParameters) > 0 {
		q := u.Query()
		for _, kv := range c.QueryParameters {
			q.Add(kv.Key, rd.render(kv.Value, false))
		}
		u.RawQuery = q.Encode()
	}
	hdr := http.Header{}
	for _, h := range c.Headers {
		hdr.Set(h.Key, rd.render(h.Value, false))
	}
	if c.Username != "" || !c.Password.IsEmpty() {
		pw, err := m.store.DecryptSecret(c.Password)
		if err != nil {
			return fmt.Errorf("decrypt the password: %w", err)
		}
		req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
		req.SetBasicAuth(rd.render(c.Username, false), pw)
		hdr.Set("Authorization", req.Header.Get("Authorization"))
	}
	var body []byte
	switch {
	case len(c.Parts) > 0:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, part := range c.Parts {
			ph := textproto.MIMEHeader{}
			for _, h := range part.Headers {
				ph.Set(h.Key, rd.render(h.Value, false))
			}
			if part.Filepath != "" {
				if err := m.filePart(ctx, mw, ph, part, p, rd); err != nil {
					return err
				}
				continue
			}
			if ph.Get("Content-Disposition") == "" {
				ph.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, part.Name))
			}
			w, err := mw.CreatePart(ph)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, rd.render(part.Body, isJSONContent(part.Headers))); err != nil {
				return err
			}
		}
		if err := mw.Close(); err != nil {
			return err
		}
		body = buf.Bytes()
		hdr.Set("Content-Type", mw.FormDataContentType())
	case c.Body != "":
		body = []byte(rd.render(c.Body, isJSONContent(c.Headers)))
	}
	// the action's timeout bounds each attempt; the http section's
	// retries apply
	resp, err := m.opts.Runner.HTTP().DoRequest(ctx, hooks.Request{Method: c.Method, URL: u.String(), Body: body,
		Header: hdr, SkipTLSVerify: c.SkipTLSVerify, Timeout: time.Duration(c.Timeout) * time.Second})
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("unexpected status code %d from %s", resp.StatusCode, u.Redacted())
	}
	return nil
}

// filePart adds a part holding a file of the event's user (the body is
// built in memory: attachments up to maxAttachmentSize).
func (m *Manager) filePart(ctx context.Context, mw *multipart.Writer, ph textproto.MIMEHeader, part dataprovider.HTTPPart, p *Params, rd *renderer) error {
	if strings.TrimSpace(part.Filepath) == retentionReportsPlaceholder {
		data, err := p.retentionZip()
		if err != nil {
			return fmt.Errorf("part %q: %w", part.Name, err)
		}
		if ph.Get("Content-Disposition") == "" {
			ph.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="retention-reports.zip"`, part.Name))
		}
		if ph.Get("Content-Type") == "" {
			ph.Set("Content-Type", "application/zip")
		}
		w, err := mw.CreatePart(ph)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	if p.Username == "" {
		return errors.New("file parts need a user: only filesystem events have one")
	}
	conn, err := m.userFs(ctx, p.Username)
	if err != nil {
		return err
	}
	defer conn.Close()
	vpath := dataprovider.CleanVirtualPath(rd.render(part.Filepath, false))
	r, err := conn.OpenRead(ctx, vpath)
	if err != nil {
		return fmt.Errorf("part %q: %w", part.Name, err)
	}
	defer r.Close()
	if ph.Get("Content-Disposition") == "" {
		ph.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, part.Name, path.Base(vpath)))
	}
	if ph.Get("Content-Type") == "" {
		ph.Set("Content-Type", "application/octet-stream")
	}
	w, err := mw.CreatePart(ph)
	if err != nil {
		return err
	}
	n, err := io.Copy(w, io.LimitReader(r, maxAttachmentSize+1))
	if err != nil {
		return fmt.Errorf("part %q: %w", part.Name, err)
	}
	if n > maxAttachmentSize {
		return fmt.Errorf("part %q: %q is larger than %d bytes", part.Name, vpath, maxAttachmentSize)
	}
	return nil
}

// ---- command

func (m *Manager) runCommand(ctx context.Context, c dataprovider.EventActionCommandConfig, rd *renderer) error {
	if !m.store.EventCommandAllowed(c.Cmd) {
		return fmt.Errorf("command %q is not in common.event_manager.enabled_commands", c.Cmd)
	}
	timeout := time.Duration(c.Timeout) * time.Second
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = rd.render(a, false)
	}
	cmd := exec.CommandContext(ctx, c.Cmd, args...)
	cmd.Env = []string{}
	for _, kv := range c.EnvVars {
		v := kv.Value
		if v == "$" {
			if strings.HasPrefix(kv.Key, "SFTPGO_") {
				continue
			}
			v = os.Getenv(kv.Key)
		} else {
			v = rd.render(v, false)
		}
		cmd.Env = append(cmd.Env, kv.Key+"="+v)
	}
	setProcessGroup(cmd)
	cmd.WaitDelay = 500 * time.Millisecond
	var stderr bytes.Buffer
	cmd.Stderr = &limitWriter{w: &stderr, n: 4096}
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("command %s timed out after %s", c.Cmd, timeout)
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("command %s: %w: %s", c.Cmd, err, msg)
		}
		return fmt.Errorf("command %s: %w", c.Cmd, err)
	}
	return nil
}

type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}

// ---- e-mail

const maxAttachmentSize = 10 << 20

func (m *Manager) runEmail(ctx context.Context, c dataprovider.EventActionEmailConfig, p *Params, rd *renderer) error {
	if m.opts.Mailer == nil {
		return errors.New("no SMTP server configured")
	}
	mail := Mail{Subject: rd.render(c.Subject, false), Body: rd.render(c.Body, false), HTML: c.ContentType == 1}
	for _, r := range c.Recipients {
		mail.To = append(mail.To, rd.render(r, false))
	}
	for _, r := range c.Bcc {
		mail.Bcc = append(mail.Bcc, rd.render(r, false))
	}
	var files []string
	for _, a := range c.Attachments {
		if strings.TrimSpace(a) == retentionReportsPlaceholder {
			data, err := p.retentionZip()
			if err != nil {
				return err
			}
			mail.Attachments = append(mail.Attachments, Attachment{Name: "retention-reports.zip", Data: data})
			continue
		}
		files = append(files, a)
	}
	if len(files) > 0 {
		if p.Username == "" {
			return errors.New("attachments need a user: only filesystem events have one")
		}
		conn, err := m.userFs(ctx, p.Username)
		if err != nil {
			return err
		}
		defer conn.Close()
		for _, a := range files {
			vpath := dataprovider.CleanVirtualPath(rd.render(a, false))
			r, err := conn.OpenRead(ctx, vpath)
			if err != nil {
				return fmt.Errorf("attachment %q: %w", vpath, err)
			}
			data, err := io.ReadAll(io.LimitReader(r, maxAttachmentSize+1))
			r.Close()
			if err != nil {
				return fmt.Errorf("attachment %q: %w", vpath, err)
			}
			if len(data) > maxAttachmentSize {
				return fmt.Errorf("attachment %q is larger than %d bytes", vpath, maxAttachmentSize)
			}
			mail.Attachments = append(mail.Attachments, Attachment{Name: path.Base(vpath), Data: data})
		}
	}
	return m.opts.Mailer.Send(ctx, mail)
}

// ---- users and folders the quota actions apply to

// forUsers runs fn for the event's user, or, for schedules and on-demand
// runs, for every user whose name matches the rule's name conditions
// (SFTPGo applies those actions to the users the conditions select).
func (m *Manager) forUsers(ctx context.Context, p *Params, fn func(dataprovider.User) error) error {
	if p.Username != "" {
		u, err := m.store.GetUser(ctx, p.Username)
		if err != nil {
			return err
		}
		return fn(u)
	}
	if p.ObjectType == dataprovider.ObjectTypeUser && p.ObjectName != "" {
		u, err := m.store.GetUser(ctx, p.ObjectName)
		if err != nil {
			return err
		}
		return fn(u)
	}
	users, err := m.store.ListUsers(ctx, 0, 0, "ASC")
	if err != nil {
		return err
	}
	var errs []error
	for _, u := range users {
		if !dataprovider.MatchPatterns(p.names, u.Username) {
			continue
		}
		if err := fn(u); err != nil {
			errs = append(errs, fmt.Errorf("user %q: %w", u.Username, err))
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) forFolders(ctx context.Context, p *Params, fn func(dataprovider.BaseVirtualFolder) error) error {
	if p.ObjectType == dataprovider.ObjectTypeFolder && p.ObjectName != "" {
		f, err := m.store.GetFolder(ctx, p.ObjectName)
		if err != nil {
			return err
		}
		return fn(f)
	}
	folders, err := m.store.ListFolders(ctx, 0, 0, "ASC")
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range folders {
		if !dataprovider.MatchPatterns(p.names, f.Name) {
			continue
		}
		if err := fn(f); err != nil {
			errs = append(errs, fmt.Errorf("folder %q: %w", f.Name, err))
		}
	}
	return errors.Join(errs...)
}

// ---- filesystem

func (m *Manager) userFs(ctx context.Context, username string) (FsConn, error) {
	if m.opts.Fs == nil {
		return nil, errors.New("no file access for event actions")
	}
	u, err := m.store.GetUser(ctx, username)
	if err != nil {
		return nil, err
	}
	return m.opts.Fs(ctx, u)
}

func (m *Manager) runFs(ctx context.Context, c dataprovider.EventActionFilesystemConfig, p *Params, rd *renderer) error {
	if p.Username == "" {
		if p.ObjectType == dataprovider.ObjectTypeUser && p.ObjectName != "" {
			return m.runFsAs(ctx, p.ObjectName, c, rd)
		}
		return m.forUsers(ctx, p, func(u dataprovider.User) error { return m.runFsAs(ctx, u.Username, c, rd) })
	}
	return m.runFsAs(ctx, p.Username, c, rd)
}

func (m *Manager) runFsAs(ctx context.Context, username string, c dataprovider.EventActionFilesystemConfig, rd *renderer) error {
	conn, err := m.userFs(ctx, username)
	if err != nil {
		return err
	}
	defer conn.Close()
	vp := func(s string) string { return dataprovider.CleanVirtualPath(rd.render(s, false)) }
	switch c.Type {
	case dataprovider.FsActionRename:
		for _, r := range c.Renames {
			src, dst := vp(r.Key), vp(r.Value)
			if err := mkdirAll(ctx, conn, path.Dir(dst)); err != nil {
				return err
			}
			if err := conn.Rename(ctx, src, dst); err != nil {
				return fmt.Errorf("rename %q to %q: %w", src, dst, err)
			}
		}
	case dataprovider.FsActionDelete:
		for _, d := range c.Deletes {
			if err := conn.RemoveAll(ctx, vp(d)); err != nil {
				return fmt.Errorf("delete %q: %w", vp(d), err)
			}
		}
	case dataprovider.FsActionMkdirs:
		for _, d := range c.MkDirs {
			if err := mkdirAll(ctx, conn, vp(d)); err != nil {
				return err
			}
		}
	case dataprovider.FsActionExist:
		for _, e := range c.Exist {
			if _, err := conn.Stat(ctx, vp(e)); err != nil {
				return fmt.Errorf("check %q: %w", vp(e), err)
			}
		}
	case dataprovider.FsActionCopy:
		for _, r := range c.Copy {
			src, dst := vp(r.Key), vp(r.Value)
			if strings.HasSuffix(r.Value, "/") {
				dst = path.Join(dst, path.Base(src))
			}
			if err := mkdirAll(ctx, conn, path.Dir(dst)); err != nil {
				return err
			}
			if err := conn.Copy(ctx, src, dst); err != nil {
				return fmt.Errorf("copy %q to %q: %w", src, dst, err)
			}
		}
	case dataprovider.FsActionCompress:
		paths := make([]string, len(c.Compress.Paths))
		for i, s := range c.Compress.Paths {
			paths[i] = vp(s)
		}
		return compress(ctx, conn, vp(c.Compress.Name), paths)
	default:
		return fmt.Errorf("%w: filesystem action %d", ErrNotSupported, c.Type)
	}
	return nil
}

// mkdirAll creates dir and its missing parents.
func mkdirAll(ctx context.Context, conn FsConn, dir string) error {
	if dir == "/" || dir == "." || dir == "" {
		return nil
	}
	if fi, err := conn.Stat(ctx, dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%q exists and is not a directory", dir)
		}
		return nil
	}
	if err := mkdirAll(ctx, conn, path.Dir(dir)); err != nil {
		return err
	}
	if err := conn.Mkdir(ctx, dir); err != nil {
		if fi, serr := conn.Stat(ctx, dir); serr == nil && fi.IsDir() {
			return nil
		}
		return fmt.Errorf("mkdir %q: %w", dir, err)
	}
	return nil
}

// compress writes the files and directories of paths into the zip
// archive name, entries named relative to their common parent.
func compress(ctx context.Context, conn FsConn, name string, paths []string) error {
	if err := mkdirAll(ctx, conn, path.Dir(name)); err != nil {
		return err
	}
	w, err := conn.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("create %q: %w", name, err)
	}
	zw := zip.NewWriter(w)
	var add func(vpath, entry string) error
	add = func(vpath, entry string) error {
		if vpath == name {
			return nil
		}
		fi, err := conn.Stat(ctx, vpath)
		if err != nil {
			return fmt.Errorf("compress %q: %w", vpath, err)
		}
		if fi.IsDir() {
			if _, err := zw.CreateHeader(&zip.FileHeader{Name: entry + "/", Modified: fi.ModTime()}); err != nil {
				return err
			}
			list, err := conn.ReadDir(ctx, vpath)
			if err != nil {
				return err
			}
			for _, e := range list {
				if err := add(path.Join(vpath, e.Name()), entry+"/"+e.Name()); err != nil {
					return err
				}
			}
			return nil
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: entry, Method: zip.Deflate, Modified: fi.ModTime()})
		if err != nil {
			return err
		}
		r, err := conn.OpenRead(ctx, vpath)
		if err != nil {
			return fmt.Errorf("compress %q: %w", vpath, err)
		}
		defer r.Close()
		_, err = io.Copy(fw, r)
		return err
	}
	for _, p := range paths {
		if err := add(p, path.Base(p)); err != nil {
			w.Abort(err)
			_ = w.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		w.Abort(err)
		_ = w.Close()
		return err
	}
	return w.Close()
}

// ---- backup

// runBackup writes a dump, as dumpdata does, to backups_path as
// backup_<weekday>_<hour>.json: a week of hourly backups at most, each
// overwriting the one of a week before.
func (m *Manager) runBackup(ctx context.Context) error {
	dir := m.opts.BackupsPath
	if dir == "" {
		return errors.New("no data_provider.backups_path configured")
	}
	data, err := m.store.Dump(ctx)
	if err != nil {
		return err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	now := m.clock.Now()
	name := filepath.Join(dir, fmt.Sprintf("backup_%d_%d.json", now.Weekday(), now.Hour()))
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
