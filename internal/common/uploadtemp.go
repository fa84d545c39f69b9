package common

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// uploadTempPrefix starts the name of the temp file an atomic upload
// (upload_mode 1 and 2) writes before it is renamed into place.
const uploadTempPrefix = ".sftpgo-upload."

// staleUploadAge is how long a temp upload file may go unmodified before
// the periodic sweep takes it for an orphan of this process.
const staleUploadAge = 24 * time.Hour

// uploadTempName is the backend path of the temp file for target.
func uploadTempName(target string) string {
	return path.Join(path.Dir(target), uploadTempPrefix+randomSuffix()+"."+path.Base(target))
}

// isUploadTemp reports whether a file name is an upload temp file; such
// names are never shown to users.
func isUploadTemp(name string) bool { return strings.HasPrefix(name, uploadTempPrefix) }

// tempJanitor removes upload temp files left behind by a process that
// died mid-upload (kill -9, power loss): they are invisible to users and
// quotas, so nothing else ever would. Each local root is swept the first
// time this process opens it (and the users base dir at start), then
// every sweep interval.
type tempJanitor struct {
	queue  chan string
	done   chan struct{}
	start  time.Time
	active sync.Map // host path of temp files of open uploads -> struct{}

	mu     sync.Mutex
	sweeps map[string]int // root -> sweeps done (tests wait on it)
}

func newTempJanitor() *tempJanitor {
	// file times come from the kernel's coarse clock, which may lag
	// time.Now: a margin keeps a file written right after start
	start := time.Now().Add(-2 * time.Second)
	return &tempJanitor{queue: make(chan string, 256), done: make(chan struct{}), start: start, sweeps: map[string]int{}}
}

// trackRoot asks for root to be swept (once, then periodically).
func (s *Server) trackRoot(root string) {
	select {
	case s.temps.queue <- root:
	default:
		// the janitor is busy; the root is seen again at the next login
	}
}

func (s *Server) runJanitor(interval time.Duration) {
	j := s.temps
	defer close(j.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	known := map[string]bool{}
	for {
		select {
		case <-s.stop:
			return
		case root := <-j.queue:
			if known[root] {
				continue
			}
			known[root] = true
			s.sweepRoot(root)
		case <-t.C:
			for root := range known {
				s.sweepRoot(root)
			}
		}
	}
}

// sweepRoot removes, under root, upload temp files last modified before
// this process started or longer than staleUploadAge ago, except those of
// uploads open now. Removal goes through an os.Root so a directory
// swapped for a symlink during the walk cannot redirect it.
func (s *Server) sweepRoot(root string) {
	j := s.temps
	key := root
	defer func() {
		j.mu.Lock()
		j.sweeps[key]++
		j.mu.Unlock()
	}()
	cutoff := time.Now().Add(-staleUploadAge)
	if j.start.After(cutoff) {
		cutoff = j.start
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		if !os.IsNotExist(err) {
			s.log.Debug("upload temp sweep: unable to open root", "root", root, "error", err)
		}
		return
	}
	defer r.Close()
	removed := 0
	err = fs.WalkDir(r.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		select {
		case <-s.stop:
			return fs.SkipAll
		default:
		}
		if err != nil || d.IsDir() || !d.Type().IsRegular() || !isUploadTemp(d.Name()) {
			return nil
		}
		if _, busy := j.active.Load(filepath.Join(root, filepath.FromSlash(p))); busy {
			return nil
		}
		fi, err := d.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			return nil
		}
		if err := r.Remove(p); err != nil {
			s.log.Warn("unable to remove an orphaned upload temp file", "root", root, "path", p, "error", err)
			return nil
		}
		removed++
		return nil
	})
	if err != nil {
		s.log.Debug("upload temp sweep", "root", root, "error", err)
	}
	if removed > 0 {
		s.log.Info("removed orphaned upload temp files", "root", root, "count", removed)
	}
}

// sweepCount returns how many sweeps of root completed.
func (j *tempJanitor) sweepCount(root string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sweeps[root]
}
