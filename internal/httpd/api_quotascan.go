package httpd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Quota scans (POST /quotas/users/{username}/scan and
// /quotas/folders/{name}/scan) recount the used quota of a user or a
// folder in the background; GET .../scans lists those running on this
// node. Local and encrypted local storage are walked; for other storages
// the scan is refused, as the store cannot walk them.

// quotaScanStore is the part of the store quota scans use.
type quotaScanStore interface {
	ScanUserQuota(ctx context.Context, u dataprovider.User) error
	ScanFolderQuota(ctx context.Context, f dataprovider.BaseVirtualFolder) error
}

var _ quotaScanStore = (*dataprovider.Store)(nil)

// quotaScan is one running scan as the API lists it.
type quotaScan struct {
	Username  string `json:"username,omitempty"`
	Name      string `json:"name,omitempty"`
	StartTime int64  `json:"start_time"`
}

// quotaScans tracks the running scans; the zero value is ready.
type quotaScans struct {
	mu      sync.Mutex
	users   map[string]int64
	folders map[string]int64
	wg      sync.WaitGroup
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
}

func (q *quotaScans) init() {
	q.once.Do(func() {
		q.ctx, q.cancel = context.WithCancel(context.Background())
		q.users, q.folders = map[string]int64{}, map[string]int64{}
	})
}

// start runs fn in the background unless a scan of the same key runs.
func (q *quotaScans) start(folder bool, key string, log func(error), fn func(ctx context.Context) error) bool {
	q.init()
	q.mu.Lock()
	m := q.users
	if folder {
		m = q.folders
	}
	if _, running := m[key]; running || q.ctx.Err() != nil {
		q.mu.Unlock()
		return false
	}
	m[key] = time.Now().UnixMilli()
	q.wg.Add(1)
	q.mu.Unlock()
	go func() {
		defer q.wg.Done()
		err := fn(q.ctx)
		q.mu.Lock()
		delete(m, key)
		q.mu.Unlock()
		if err != nil {
			log(err)
		}
	}()
	return true
}

func (q *quotaScans) list(folder bool) []quotaScan {
	q.init()
	q.mu.Lock()
	defer q.mu.Unlock()
	out := []quotaScan{}
	if folder {
		for k, v := range q.folders {
			out = append(out, quotaScan{Name: k, StartTime: v})
		}
	} else {
		for k, v := range q.users {
			out = append(out, quotaScan{Username: k, StartTime: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username+out[i].Name < out[j].Username+out[j].Name })
	return out
}

// stop cancels the running scans and waits for them (or ctx).
func (q *quotaScans) stop(ctx context.Context) {
	q.init()
	q.mu.Lock()
	q.cancel()
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// scannable tells whether the store can walk a storage for a quota scan.
func scannable(p dataprovider.FilesystemProvider) bool {
	return p == dataprovider.LocalFilesystemProvider || p == dataprovider.CryptedFilesystemProvider
}

var errScanRunning = errors.New("another scan is already in progress")

func (s *Server) quotaScanStore(w http.ResponseWriter, r *http.Request) (quotaScanStore, bool) {
	st, ok := s.store.(quotaScanStore)
	if !ok {
		sendAPIError(w, r, http.StatusNotImplemented, errors.New("quota scans are not supported by this data provider"))
	}
	return st, ok
}

func (s *Server) startUserQuotaScan(w http.ResponseWriter, r *http.Request) {
	st, ok := s.quotaScanStore(w, r)
	if !ok {
		return
	}
	u, err := s.getRepairableUser(r, urlParam(r, "username"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if !scannable(u.FsConfig.Provider) {
		sendAPIError(w, r, http.StatusBadRequest, fmt.Errorf("quota scans walk local and encrypted local storage only; set the used quota with PUT /quotas/users/%s/usage", u.Username))
		return
	}
	logErr := func(err error) { s.log.Warn("quota scan failed", "user", u.Username, "error", err) }
	if !s.scans.start(false, u.Username, logErr, func(ctx context.Context) error { return st.ScanUserQuota(ctx, u) }) {
		sendAPIError(w, r, http.StatusConflict, errScanRunning)
		return
	}
	sendMessage(w, http.StatusAccepted, "Scan started")
}

func (s *Server) startFolderQuotaScan(w http.ResponseWriter, r *http.Request) {
	st, ok := s.quotaScanStore(w, r)
	if !ok {
		return
	}
	f, err := s.store.GetFolder(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if !scannable(f.FsConfig.Provider) {
		sendAPIError(w, r, http.StatusBadRequest, fmt.Errorf("quota scans walk local and encrypted local storage only; set the used quota with PUT /quotas/folders/%s/usage", f.Name))
		return
	}
	logErr := func(err error) { s.log.Warn("quota scan failed", "folder", f.Name, "error", err) }
	if !s.scans.start(true, f.Name, logErr, func(ctx context.Context) error { return st.ScanFolderQuota(ctx, f) }) {
		sendAPIError(w, r, http.StatusConflict, errScanRunning)
		return
	}
	sendMessage(w, http.StatusAccepted, "Scan started")
}

func (s *Server) getUserQuotaScans(w http.ResponseWriter, _ *http.Request) {
	renderJSON(w, http.StatusOK, s.scans.list(false))
}

func (s *Server) getFolderQuotaScans(w http.ResponseWriter, _ *http.Request) {
	renderJSON(w, http.StatusOK, s.scans.list(true))
}
