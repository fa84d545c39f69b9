package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// folderRetention is one path of a data retention check: files older
// than Retention hours are removed (0 keeps the path's files).
type folderRetention struct {
	Path                  string `json:"path"`
	Retention             int    `json:"retention"`
	DeleteEmptyDirs       bool   `json:"delete_empty_dirs,omitempty"`
	IgnoreUserPermissions bool   `json:"ignore_user_permissions,omitempty"`
}

type retentionConfig struct {
	Folders []folderRetention `json:"folders"`
}

// runRetention runs a data retention check (action type 8) for the
// event's user or the users the rule's names select.
func (m *Manager) runRetention(ctx context.Context, raw json.RawMessage, p *Params) error {
	var cfg retentionConfig
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return fmt.Errorf("retention_config: %w", err)
		}
	}
	if len(cfg.Folders) == 0 {
		return errors.New("retention_config: no folders")
	}
	for i := range cfg.Folders {
		cfg.Folders[i].Path = dataprovider.CleanVirtualPath(cfg.Folders[i].Path)
	}
	// the most specific path first
	sort.Slice(cfg.Folders, func(i, j int) bool { return len(cfg.Folders[i].Path) > len(cfg.Folders[j].Path) })
	return m.forUsers(ctx, p, func(u dataprovider.User) error {
		if !m.retentionStart(u.Username, cfg.Folders) {
			return fmt.Errorf("a data retention check of user %q is already running", u.Username)
		}
		defer m.retentionDone(u.Username)
		conn, err := m.userFs(ctx, u.Username)
		if err != nil {
			return err
		}
		defer conn.Close()
		rc := &retentionRun{ctx: ctx, conn: conn, user: u, folders: cfg.Folders, now: m.clock.Now()}
		for _, f := range cfg.Folders {
			if err := rc.walk(f.Path); err != nil {
				return err
			}
		}
		m.log.Info("data retention check done", "username", u.Username, "deleted_files", rc.files, "deleted_size", rc.size)
		return nil
	})
}

// RetentionCheck is a data retention check running on this node, as GET
// /api/v2/retention/users/checks lists it.
type RetentionCheck struct {
	Username  string            `json:"username"`
	Folders   []folderRetention `json:"folders"`
	StartTime int64             `json:"start_time"`
}

// retentionStart registers a running check; false if one of the same
// user runs.
func (m *Manager) retentionStart(username string, folders []folderRetention) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.retention == nil {
		m.retention = map[string]RetentionCheck{}
	}
	if _, ok := m.retention[username]; ok {
		return false
	}
	m.retention[username] = RetentionCheck{Username: username, Folders: folders, StartTime: m.clock.Now().UnixMilli()}
	return true
}

func (m *Manager) retentionDone(username string) {
	m.mu.Lock()
	delete(m.retention, username)
	m.mu.Unlock()
}

// RetentionChecks lists the data retention checks running on this node.
func (m *Manager) RetentionChecks() []RetentionCheck {
	m.mu.RLock()
	out := make([]RetentionCheck, 0, len(m.retention))
	for _, c := range m.retention {
		out = append(out, c)
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out
}

type retentionRun struct {
	ctx     context.Context
	conn    FsConn
	user    dataprovider.User
	folders []folderRetention
	now     time.Time
	seen    map[string]bool
	files   int
	size    int64
}

// rule returns the retention that applies in dir: the longest
// configured path containing it.
func (r *retentionRun) rule(dir string) folderRetention {
	for _, f := range r.folders {
		if f.Path == "/" || dir == f.Path || strings.HasPrefix(dir, f.Path+"/") {
			return f
		}
	}
	return folderRetention{}
}

func (r *retentionRun) walk(dir string) error {
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[dir] {
		return nil
	}
	r.seen[dir] = true
	list, err := r.conn.ReadDir(r.ctx, dir)
	if err != nil {
		return fmt.Errorf("retention check of %q: %w", dir, err)
	}
	f := r.rule(dir)
	for _, fi := range list {
		p := path.Join(dir, fi.Name())
		if fi.IsDir() {
			if err := r.walk(p); err != nil {
				return err
			}
			sub := r.rule(p)
			if sub.DeleteEmptyDirs && sub.Retention > 0 && r.allowed(dataprovider.PermDeleteDirs, sub, dir) {
				if rest, err := r.conn.ReadDir(r.ctx, p); err == nil && len(rest) == 0 {
					_ = r.conn.RemoveAll(r.ctx, p)
				}
			}
			continue
		}
		if f.Retention <= 0 || !fi.ModTime().Before(r.now.Add(-time.Duration(f.Retention)*time.Hour)) {
			continue
		}
		if !r.allowed(dataprovider.PermDeleteFiles, f, dir) {
			continue
		}
		if err := r.conn.RemoveAll(r.ctx, p); err != nil {
			return fmt.Errorf("retention check: delete %q: %w", p, err)
		}
		r.files++
		r.size += fi.Size()
	}
	return nil
}

func (r *retentionRun) allowed(perm string, f folderRetention, dir string) bool {
	return f.IgnoreUserPermissions || r.user.HasAnyPerm([]string{dataprovider.PermDelete, perm}, dir)
}
