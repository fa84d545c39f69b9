package common

import "sync"

// quotaScopes holds, for each quota scope (a user's home quota or a
// virtual folder with a quota of its own) that has uploads in flight in
// this process, the bytes and files those uploads have claimed. Every
// write of every transfer of the scope, on any connection and protocol,
// charges the scope before writing, so concurrent uploads cannot together
// go past the limit the store only learns about when they close.
type quotaScopes struct {
	mu sync.Mutex
	m  map[string]*quotaScope
}

// quotaScope is the in-flight state of one scope; guarded by
// quotaScopes.mu.
type quotaScope struct {
	key        string
	limitSize  int64
	limitFiles int
	// used and usedFiles are the stored usage, read when the scope was
	// first opened and kept current by this process's own updates.
	used      int64
	usedFiles int
	// inflight and inflightFiles are claimed by open transfers.
	inflight      int64
	inflightFiles int
	refs          int
}

// scopeKey names the quota scope that applies at loc: a folder with its
// own quota, else the user's.
func (c *BaseConnection) scopeKey(loc *location) string {
	if loc.folder != nil && !folderIncluded(loc.folder) {
		return "f:" + loc.folder.Name
	}
	return "u:" + c.User.Username
}

// acquire opens (or joins) the scope at key. used/usedFiles seed a new
// scope; limits are refreshed from the caller, which read them last.
// newFile claims one file of the files quota; it fails when none is left.
func (q *quotaScopes) acquire(key string, limitSize int64, limitFiles int, used int64, usedFiles int, newFile bool) (*quotaScope, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.m == nil {
		q.m = make(map[string]*quotaScope)
	}
	s, ok := q.m[key]
	if !ok {
		s = &quotaScope{key: key, used: used, usedFiles: usedFiles}
		q.m[key] = s
	}
	s.limitSize, s.limitFiles = limitSize, limitFiles
	if newFile && limitFiles > 0 && s.usedFiles+s.inflightFiles+1 > limitFiles {
		if s.refs == 0 {
			delete(q.m, key)
		}
		return nil, newErrQuota("denying write due to files quota limit")
	}
	if newFile {
		s.inflightFiles++
	}
	s.refs++
	return s, nil
}

// reserve claims n more bytes in s, failing when the scope's usage plus
// what every open transfer claimed would pass the size limit.
func (q *quotaScopes) reserve(s *quotaScope, n int64) error {
	if n <= 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if s.limitSize > 0 && s.used+s.inflight+n > s.limitSize {
		return errQuota()
	}
	s.inflight += n
	return nil
}

// release gives back what a transfer claimed; the last one out drops the
// scope, so the next upload reads the usage from the store again.
func (q *quotaScopes) release(s *quotaScope, bytes int64, file bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s.inflight -= bytes
	if file {
		s.inflightFiles--
	}
	s.refs--
	if s.refs <= 0 {
		delete(q.m, s.key)
	}
}

// adjust records a usage change made by this process in a live scope.
// It is called after the store is updated and before the transfer that
// made it releases its claim, so a check in between counts it twice at
// worst, never zero times.
func (q *quotaScopes) adjust(key string, size int64, files int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s, ok := q.m[key]; ok {
		s.used += size
		s.usedFiles += files
	}
}

// inflightOf returns the bytes and files claimed in the scope at key.
func (q *quotaScopes) inflightOf(key string) (int64, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s, ok := q.m[key]; ok {
		return s.inflight, s.inflightFiles
	}
	return 0, 0
}
