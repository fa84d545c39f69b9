package httpd

import "github.com/sftpgo-ng/sftpgo/internal/dataprovider"

// The web forms do not show every field the REST API accepts (the ones
// kept for SFTPGo compatibility without effect yet). Saving a form must
// not drop what an API client stored there: these carry them over from
// the stored object.

// keepHiddenFilters copies into f the filters the form has no input for.
func keepHiddenFilters(f *dataprovider.UserFilters, stored dataprovider.UserFilters) {
	f.ExternalAuthCacheTime = stored.ExternalAuthCacheTime
}

// keepHiddenFs copies into fs the storage fields the form has no input
// for, when the backend did not change.
func keepHiddenFs(fs *dataprovider.Filesystem, stored dataprovider.Filesystem) {
	if fs.Provider != stored.Provider {
		return
	}
	fs.OSConfig = stored.OSConfig
	fs.CryptConfig.ReadBufferSize = stored.CryptConfig.ReadBufferSize
	fs.CryptConfig.WriteBufferSize = stored.CryptConfig.WriteBufferSize
	fs.S3Config.SessionToken = stored.S3Config.SessionToken
}
