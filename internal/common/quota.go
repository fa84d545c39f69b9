package common

import (
	"context"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// folderIncluded reports whether a virtual folder's usage counts in the
// user's quota (its quota fields are -1).
func folderIncluded(f *dataprovider.VirtualFolder) bool {
	return f.QuotaSize == -1 && f.QuotaFiles == -1
}

// tracked reports whether usage at loc is tracked (and its quota
// enforced) under data_provider.track_quota.
func (c *BaseConnection) tracked(loc *location) bool {
	switch c.srv.deps.TrackQuota {
	case TrackQuotaDisabled:
		return false
	case TrackQuotaRestricted:
		if loc.folder != nil && !folderIncluded(loc.folder) {
			return loc.folder.QuotaSize > 0 || loc.folder.QuotaFiles > 0
		}
		return c.User.HasQuotaRestrictions()
	}
	return true
}

// quotaFor returns the limits and the current usage that apply at loc,
// reading the usage from the store so concurrent sessions are counted.
func (c *BaseConnection) quotaFor(ctx context.Context, loc *location) (limitSize int64, limitFiles int, usedSize int64, usedFiles int) {
	if c.srv.deps.TrackQuota == TrackQuotaDisabled {
		return 0, 0, 0, 0
	}
	if loc.folder != nil && !folderIncluded(loc.folder) {
		f := loc.folder
		limitSize, limitFiles = max(f.QuotaSize, 0), max(f.QuotaFiles, 0)
		if limitSize == 0 && limitFiles == 0 {
			return 0, 0, 0, 0
		}
		usedSize, usedFiles = f.UsedQuotaSize, f.UsedQuotaFiles
		if bf, err := c.srv.deps.Store.GetFolder(ctx, f.Name); err == nil {
			usedSize, usedFiles = bf.UsedQuotaSize, bf.UsedQuotaFiles
		} else {
			c.log.Debug("unable to read folder quota", "folder", f.Name, "error", err)
		}
		return
	}
	u := &c.User
	limitSize, limitFiles = u.QuotaSize, u.QuotaFiles
	if limitSize <= 0 && limitFiles <= 0 {
		return 0, 0, 0, 0
	}
	usedSize, usedFiles = u.UsedQuotaSize, u.UsedQuotaFiles
	if su, err := c.srv.deps.Store.GetUser(ctx, u.Username); err == nil {
		usedSize, usedFiles = su.UsedQuotaSize, su.UsedQuotaFiles
	} else {
		c.log.Debug("unable to read user quota", "error", err)
	}
	return
}

// sizeLimit checks the quota before a write at loc and returns the
// largest final size the file may reach (-1: unlimited). existing is the
// size of the file already there (0 if none); isNew means a new file that
// counts against the files quota.
func (c *BaseConnection) sizeLimit(ctx context.Context, loc *location, existing int64, isNew bool) (int64, error) {
	limitSize, limitFiles, usedSize, usedFiles := c.quotaFor(ctx, loc)
	// what uploads still open in this process have claimed counts too
	inflight, inflightFiles := c.srv.quota.inflightOf(c.scopeKey(loc))
	usedSize += inflight
	usedFiles += inflightFiles
	if isNew && limitFiles > 0 && usedFiles >= limitFiles {
		return 0, newErrQuota("denying write due to files quota limit")
	}
	if limitSize <= 0 {
		return -1, nil
	}
	remaining := limitSize - usedSize
	if remaining <= 0 {
		return 0, newErrQuota("denying write due to space limit")
	}
	return existing + remaining, nil
}

// claimQuota joins the transfer to its quota scope when a size or files
// limit applies at its location, claiming a file of the files quota for
// a new file and the declared size (when known) up front.
func (c *BaseConnection) claimQuota(ctx context.Context, t *Transfer, declared int64) error {
	limitSize, limitFiles, usedSize, usedFiles := c.quotaFor(ctx, t.loc)
	if limitSize <= 0 && limitFiles <= 0 {
		return nil
	}
	newFile := !t.existed
	s, err := c.srv.quota.acquire(c.scopeKey(t.loc), limitSize, limitFiles, usedSize, usedFiles, newFile)
	if err != nil {
		return err
	}
	t.scope, t.claimedFile = s, newFile
	if declared > 0 {
		if err := t.claim(declared); err != nil {
			c.releaseQuota(t)
			return err
		}
	}
	return nil
}

// releaseQuota gives back the transfer's claim; called once usage has
// been recorded.
func (c *BaseConnection) releaseQuota(t *Transfer) {
	t.claimMu.Lock()
	defer t.claimMu.Unlock()
	if t.scope == nil {
		return
	}
	c.srv.quota.release(t.scope, t.claimed, t.claimedFile)
	t.scope, t.claimed, t.claimedFile = nil, 0, false
}

// claim makes sure the transfer has claimed room for a file of size end
// in its quota scope before it is written.
func (t *Transfer) claim(end int64) error {
	t.claimMu.Lock()
	defer t.claimMu.Unlock()
	if t.scope == nil {
		return nil
	}
	need := end - t.existing
	if need <= t.claimed {
		return nil
	}
	if err := t.conn.srv.quota.reserve(t.scope, need-t.claimed); err != nil {
		return err
	}
	t.claimed = need
	return nil
}

// updateQuota records a change of usage for the storage at loc.
func (c *BaseConnection) updateQuota(loc *location, size int64, files int) {
	if (size == 0 && files == 0) || !c.tracked(loc) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := c.srv.deps.Store
	if loc.folder != nil {
		if err := st.UpdateFolderQuota(ctx, loc.folder.Name, size, files, false); err != nil {
			c.log.Warn("unable to update folder quota", "folder", loc.folder.Name, "error", err)
		}
		if !folderIncluded(loc.folder) {
			c.srv.quota.adjust(c.scopeKey(loc), size, files)
			return
		}
	}
	if err := st.UpdateUserQuota(ctx, c.User.Username, size, files, false); err != nil {
		c.log.Warn("unable to update user quota", "error", err)
	}
	c.srv.quota.adjust(c.scopeKey(loc), size, files)
}

// transferAllowance returns how many more bytes the user may upload and
// download under its data transfer limits (-1: unlimited), or a quota
// error when none is left.
func (c *BaseConnection) transferAllowance(ctx context.Context, upload bool) (int64, error) {
	u := &c.User
	ul, dl, total := u.UploadDataTransfer, u.DownloadDataTransfer, u.TotalDataTransfer
	host := hostOf(c.remoteAddr)
	for _, l := range u.Filters.DataTransferLimits {
		if matchSource(host, l.Sources) {
			ul, dl, total = l.UploadDataTransfer, l.DownloadDataTransfer, l.TotalDataTransfer
			break
		}
	}
	if ul <= 0 && dl <= 0 && total <= 0 {
		return -1, nil
	}
	usedUL, usedDL := u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer
	if su, err := c.srv.deps.Store.GetUser(ctx, u.Username); err == nil {
		usedUL, usedDL = su.UsedUploadDataTransfer, su.UsedDownloadDataTransfer
	}
	const mb = 1024 * 1024
	limited, allow := false, int64(0)
	consider := func(limitMB, used int64) {
		if limitMB <= 0 {
			return
		}
		left := limitMB*mb - used
		if !limited || left < allow {
			allow = left
		}
		limited = true
	}
	consider(total, usedUL+usedDL)
	if upload {
		consider(ul, usedUL)
	} else {
		consider(dl, usedDL)
	}
	if !limited {
		return -1, nil
	}
	if allow <= 0 {
		return 0, newErrQuota("data transfer quota exceeded")
	}
	return allow, nil
}

func newErrQuota(msg string) error { return &Error{msg: msg, kind: errQuota().(*Error).kind} }
