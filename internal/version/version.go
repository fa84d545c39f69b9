// Package version holds the build identity, set at link time with
// -ldflags "-X github.com/sftpgo-ng/sftpgo/internal/version.commit=...".
package version

import "fmt"

var (
	version = "0.1.0-dev"
	commit  = ""
	date    = ""
)

// Info describes this build.
type Info struct {
	Version    string   `json:"version"`
	BuildDate  string   `json:"build_date"`
	CommitHash string   `json:"commit_hash"`
	Features   []string `json:"features"`
}

// Get returns the build identity; Features is left for the caller that
// knows what is compiled in (service.Version).
func Get() Info {
	return Info{Version: version, BuildDate: date, CommitHash: commit}
}

// String is the one-line form printed by --version.
func (i Info) String() string {
	s := i.Version
	if i.CommitHash != "" {
		s += "-" + i.CommitHash
	}
	if i.BuildDate != "" {
		s += "-" + i.BuildDate
	}
	return fmt.Sprintf("%s %v", s, i.Features)
}
