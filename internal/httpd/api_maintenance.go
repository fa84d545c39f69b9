package httpd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/secretfile"
)

func (s *Server) getVersion(w http.ResponseWriter, _ *http.Request) {
	v := s.version
	if v.Features == nil {
		v.Features = []string{}
	}
	renderJSON(w, http.StatusOK, v)
}

// dataProviderStatus is the "data_provider" member of GET /status.
type dataProviderStatus struct {
	IsActive bool   `json:"is_active"`
	Driver   string `json:"driver"`
	Error    string `json:"error,omitempty"`
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) {
	resp := map[string]any{}
	if s.status != nil {
		for k, v := range s.status.ServicesStatus(r.Context()) {
			resp[k] = v
		}
	}
	for _, name := range []string{"ssh", "ftp", "webdav", "defender", "mfa"} {
		if _, ok := resp[name]; !ok {
			resp[name] = map[string]bool{"is_active": false}
		}
	}
	dp := dataProviderStatus{IsActive: true, Driver: s.driver}
	if err := s.store.CheckAvailability(r.Context()); err != nil {
		s.log.Warn("data provider unavailable", "error", err)
		dp.IsActive = false
		dp.Error = err.Error()
	}
	resp["data_provider"] = dp
	renderJSON(w, http.StatusOK, resp)
}

// dumpData backs up every object. output-data=1 returns the dump as the
// body; otherwise it is written to output-file, a plain file name inside
// backups_path (default backup_<unix time>.json). indent=1 pretty-prints.
func (s *Server) dumpData(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	outputData := q.Get("output-data") == "1"
	indent := q.Get("indent") == "1"
	outputFile := q.Get("output-file")
	var target string
	if !outputData {
		if outputFile == "" {
			outputFile = fmt.Sprintf("backup_%d.json", s.now().Unix())
		}
		if !isPlainFileName(outputFile) {
			sendAPIError(w, r, http.StatusBadRequest, fmt.Errorf("invalid output-file %q: a file name without directories is required", outputFile))
			return
		}
		if s.backupsPath == "" {
			sendAPIError(w, r, http.StatusInternalServerError, errors.New("backups_path is not configured"))
			return
		}
		target = filepath.Join(s.backupsPath, outputFile)
	}
	scopes, err := dataprovider.ParseDumpScopes(q["scopes"])
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	data, err := s.store.Dump(r.Context())
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	dataprovider.FilterDump(data, scopes)
	var body []byte
	if indent {
		body, err = json.MarshalIndent(data, "", "  ")
	} else {
		body, err = json.Marshal(data)
	}
	if err != nil {
		sendAPIError(w, r, http.StatusInternalServerError, fmt.Errorf("encode backup: %w", err))
		return
	}
	if outputData {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="sftpgo-backup-%d.json"`, s.now().Unix()))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	if err := writeFileAtomic(target, body); err != nil {
		s.log.Error("unable to save backup", "file", target, "error", err)
		sendAPIError(w, r, http.StatusInternalServerError, errors.New("unable to save the backup file, see the server log"))
		return
	}
	s.log.Info("backup saved", "file", target)
	sendMessage(w, http.StatusOK, "Data saved")
}

// isPlainFileName rejects anything that could leave the backups directory.
func isPlainFileName(name string) bool {
	return name != "" && name != "." && name != ".." &&
		!strings.ContainsAny(name, `/\`) && filepath.Base(name) == name && !filepath.IsAbs(name)
}

// writeFileAtomic writes through a temporary file so a failed dump never
// leaves a truncated backup behind.
func writeFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	if err := secretfile.MkdirAll(dir); err != nil {
		return err
	}
	// CreateTemp creates the file 0600: a backup holds password hashes
	f, err := os.CreateTemp(dir, ".backup-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// restoreParams reads mode (0 add/update, 1 add only, 2 add/update and
// disconnect updated users) and scan-quota (0 none, 1 every restored user
// and folder, 2 users with a quota limit).
func restoreParams(r *http.Request) (int, int, error) {
	q := r.URL.Query()
	mode, scan := 0, 0
	if v := q.Get("mode"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < dataprovider.RestoreModeAddUpdate || n > dataprovider.RestoreModeDisconnect {
			return 0, 0, fmt.Errorf("invalid mode %q: 0, 1 or 2 required", v)
		}
		mode = n
	}
	for _, name := range []string{"scan-quota", "scan_quota"} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 2 {
				return 0, 0, fmt.Errorf("invalid %s %q: 0, 1 or 2 required", name, v)
			}
			scan = n
		}
	}
	return mode, scan, nil
}

// quotaScanner is the Store's quota scan after a restore.
type quotaScanner interface {
	ScanRestoredQuota(ctx context.Context, data *dataprovider.BackupData, mode int) error
}

// loadDataFromRequest restores the backup in the body. Decoding is
// lenient: dumps from the reference product carry fields we do not model.
func (s *Server) loadDataFromRequest(w http.ResponseWriter, r *http.Request) {
	mode, scan, err := restoreParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	var data dataprovider.BackupData
	if err := decodeJSON(w, r, &data, maxRestoreSize, false); err != nil {
		sendDecodeError(w, r, err)
		return
	}
	s.restore(w, r, &data, mode, scan)
}

// loadDataFromFile restores from input-file: an absolute path, or one
// relative to backups_path that stays inside it.
func (s *Server) loadDataFromFile(w http.ResponseWriter, r *http.Request) {
	mode, scan, err := restoreParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	name := r.URL.Query().Get("input-file")
	if name == "" {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("input-file is required"))
		return
	}
	if !filepath.IsAbs(name) {
		if s.backupsPath == "" || !filepath.IsLocal(name) {
			sendAPIError(w, r, http.StatusBadRequest, fmt.Errorf("invalid input-file %q: an absolute path or a path inside backups_path is required", name))
			return
		}
		name = filepath.Join(s.backupsPath, name)
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			sendAPIError(w, r, http.StatusNotFound, fmt.Errorf("input-file %q does not exist", name))
			return
		}
		sendAPIError(w, r, http.StatusBadRequest, fmt.Errorf("unable to open input-file: %w", err))
		return
	}
	defer f.Close()
	var data dataprovider.BackupData
	dec := json.NewDecoder(io.LimitReader(f, maxRestoreSize))
	if err := dec.Decode(&data); err != nil {
		sendAPIError(w, r, http.StatusBadRequest, jsonError(err))
		return
	}
	s.restore(w, r, &data, mode, scan)
}

func (s *Server) restore(w http.ResponseWriter, r *http.Request, data *dataprovider.BackupData, mode, scan int) {
	if err := s.store.Restore(r.Context(), data, mode); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if qs, ok := s.store.(quotaScanner); ok && scan > 0 {
		if err := qs.ScanRestoredQuota(r.Context(), data, scan); err != nil {
			s.sendStoreError(w, r, err)
			return
		}
	}
	if mode == dataprovider.RestoreModeDisconnect {
		for _, u := range data.Users {
			s.disconnectUser(u.Username)
		}
	}
	s.log.Info("backup restored", "users", len(data.Users), "groups", len(data.Groups),
		"folders", len(data.Folders), "admins", len(data.Admins), "api_keys", len(data.APIKeys), "mode", mode)
	sendMessage(w, http.StatusOK, "Data restored")
}
