package httpd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// userRow is one line of the web admin's users list.
type userRow struct {
	dataprovider.User
	// Storage names where the files are: the home directory for local
	// storage, the bucket or endpoint otherwise.
	Storage string
	// QuotaUsed is the used size (and limit), or "not tracked" when
	// data_provider.track_quota does not track this user.
	QuotaUsed string
}

func (s *Server) userRows(users []dataprovider.User) []userRow {
	out := make([]userRow, 0, len(users))
	for i := range users {
		u := &users[i]
		out = append(out, userRow{User: *u, Storage: storageLabel(u.FsConfig, u.HomeDir), QuotaUsed: s.quotaUsed(u)})
	}
	return out
}

// quotaUsed renders a user's quota usage for the pages.
func (s *Server) quotaUsed(u *dataprovider.User) string {
	if s.common != nil && !s.common.QuotaTracked(u) {
		return "not tracked"
	}
	v := humanSize(u.UsedQuotaSize)
	if u.QuotaSize > 0 {
		v += " / " + humanSize(u.QuotaSize)
	}
	return v
}

// quotaUsage is the edit form's line under the username.
func (s *Server) quotaUsage(u *dataprovider.User) string {
	if s.common != nil && !s.common.QuotaTracked(u) {
		return "Quota usage not tracked (data_provider.track_quota)"
	}
	return humanSize(u.UsedQuotaSize) + " in " + strconv.Itoa(u.UsedQuotaFiles) + " files"
}

// storageLabel says in a few words where a filesystem keeps its files.
func storageLabel(fs dataprovider.Filesystem, local string) string {
	join := func(kind, where, prefix string) string {
		s := kind
		if where != "" {
			s += " " + where
		}
		if prefix = strings.Trim(prefix, "/"); prefix != "" {
			s += "/" + prefix
		}
		return s
	}
	switch fs.Provider {
	case dataprovider.LocalFilesystemProvider:
		return local
	case dataprovider.CryptedFilesystemProvider:
		return "encrypted " + local
	case dataprovider.S3FilesystemProvider:
		return join("S3", fs.S3Config.Bucket, fs.S3Config.KeyPrefix)
	case dataprovider.GCSFilesystemProvider:
		return join("GCS", fs.GCSConfig.Bucket, fs.GCSConfig.KeyPrefix)
	case dataprovider.AzureBlobFilesystemProvider:
		return join("Azure", fs.AzBlobConfig.Container, fs.AzBlobConfig.KeyPrefix)
	case dataprovider.SFTPFilesystemProvider:
		return join("SFTP", fs.SFTPConfig.Endpoint, fs.SFTPConfig.Prefix)
	case dataprovider.HTTPFilesystemProvider:
		return join("HTTP", fs.HTTPConfig.Endpoint, "")
	case dataprovider.FTPFilesystemProvider:
		return join("FTP", fs.FTPConfig.Endpoint, fs.FTPConfig.Prefix)
	}
	return fmt.Sprintf("provider %d", fs.Provider)
}

// folderRow is one line of the folders list: who uses the folder.
type folderRow struct {
	dataprovider.BaseVirtualFolder
	Storage string
	UsedBy  string
}

func folderRows(folders []dataprovider.BaseVirtualFolder) []folderRow {
	out := make([]folderRow, 0, len(folders))
	for _, f := range folders {
		var parts []string
		if n := len(f.Users); n > 0 {
			parts = append(parts, plural(n, "user"))
		}
		if n := len(f.Groups); n > 0 {
			parts = append(parts, plural(n, "group"))
		}
		used := "unused"
		if len(parts) > 0 {
			used = strings.Join(parts, ", ")
		}
		out = append(out, folderRow{BaseVirtualFolder: f, Storage: storageLabel(f.FsConfig, f.MappedPath), UsedBy: used})
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// listScanBatch is how many objects a list page reads at once while it
// searches.
const listScanBatch = 100

// searchOnly returns match when the page searches (q not empty), else
// nil, so collect reads one page instead of scanning.
func searchOnly[T any](q string, match func(T) bool) func(T) bool {
	if q == "" {
		return nil
	}
	return match
}

// connectionsPage searches the connections (username, client address,
// protocol, client version, ID) and cuts page pageNo of them.
func connectionsPage(conns []ConnectionStatus, q string, pageNo int) listPage {
	var match []ConnectionStatus
	for _, c := range conns {
		if containsFold(q, c.Username, c.RemoteAddress, c.Protocol, c.ClientVersion, c.ConnectionID) {
			match = append(match, c)
		}
	}
	lp := listPage{Query: q, Page: pageNo, HasPrev: pageNo > 1, Total: len(match)}
	start := min((pageNo-1)*webPageSize, len(match))
	end := min(start+webPageSize, len(match))
	lp.Items, lp.HasNext = match[start:end], end < len(match)
	return lp
}

// sharesPage searches a user's shares (name, description, paths, ID) and
// cuts page pageNo of them; Items is left for the caller.
func sharesPage(shares []dataprovider.Share, q string, pageNo int) (listPage, []dataprovider.Share) {
	var match []dataprovider.Share
	for _, sh := range shares {
		if containsFold(q, append([]string{sh.Name, sh.Description, sh.ShareID}, sh.Paths...)...) {
			match = append(match, sh)
		}
	}
	lp := listPage{Query: q, Page: pageNo, HasPrev: pageNo > 1, Total: len(match)}
	start := min((pageNo-1)*webPageSize, len(match))
	end := min(start+webPageSize, len(match))
	lp.HasNext = end < len(match)
	return lp, match[start:end]
}
