package events

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
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
		start := time.Now()
		var werr error
		for _, f := range cfg.Folders {
			if werr = rc.walk(f.Path); werr != nil {
				break
			}
		}
		p.addRetentionReport(rc.report(time.Since(start), werr))
		if werr != nil {
			return werr
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
	// byFolder are the deletions per configured path
	byFolder map[string]*folderDeletions
}

type folderDeletions struct {
	files int
	size  int64
}

// retentionReport is what one user's check did, for {{RetentionReports}}.
type retentionReport struct {
	username string
	csv      []byte
}

// report renders the run as CSV: one line per configured path.
func (r *retentionRun) report(elapsed time.Duration, err error) retentionReport {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"username", "path", "retention_hours", "deleted_files", "deleted_size", "elapsed_ms", "error"})
	for _, f := range r.folders {
		d := r.byFolder[f.Path]
		if d == nil {
			d = &folderDeletions{}
		}
		e := ""
		if err != nil {
			e = err.Error()
		}
		_ = w.Write([]string{r.user.Username, f.Path, strconv.Itoa(f.Retention), strconv.Itoa(d.files),
			strconv.FormatInt(d.size, 10), strconv.FormatInt(elapsed.Milliseconds(), 10), e})
	}
	w.Flush()
	return retentionReport{username: r.user.Username, csv: b.Bytes()}
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
		if r.byFolder == nil {
			r.byFolder = map[string]*folderDeletions{}
		}
		d := r.byFolder[f.Path]
		if d == nil {
			d = &folderDeletions{}
			r.byFolder[f.Path] = d
		}
		d.files++
		d.size += fi.Size()
	}
	return nil
}

func (r *retentionRun) allowed(perm string, f folderRetention, dir string) bool {
	return f.IgnoreUserPermissions || r.user.HasAnyPerm([]string{dataprovider.PermDelete, perm}, dir)
}

// retentionReports collects the reports of a rule's retention checks;
// the rule's later actions attach them.
type retentionReports struct {
	mu      sync.Mutex
	reports []retentionReport
}

// retentionReportsPlaceholder, as an e-mail attachment or the file path
// of a multipart HTTP part, attaches the reports of the rule's retention
// checks as a zip of one CSV file per user.
const retentionReportsPlaceholder = "{{RetentionReports}}"

func (p *Params) addRetentionReport(r retentionReport) {
	if p.reports == nil {
		return
	}
	p.reports.mu.Lock()
	p.reports.reports = append(p.reports.reports, r)
	p.reports.mu.Unlock()
}

// retentionZip is the zip of the reports collected so far.
func (p *Params) retentionZip() ([]byte, error) {
	var list []retentionReport
	if p.reports != nil {
		p.reports.mu.Lock()
		list = append(list, p.reports.reports...)
		p.reports.mu.Unlock()
	}
	if len(list) == 0 {
		return nil, errors.New("no data retention report: no retention check ran before this action in the rule")
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, r := range list {
		w, err := zw.Create(r.username + ".csv")
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(r.csv); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
