package service

import (
	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/version"
)

// driverFeatures maps data provider drivers to the feature names SFTPGo
// prints for them.
var driverFeatures = map[string]string{"postgresql": "pgsql"}

// Features lists what this binary has built in, in --version form
// ("+sqlite", "+s3", ...): the data provider drivers and the storage
// backends, as the packages that implement them report.
func Features() []string {
	var out []string
	for _, d := range dataprovider.Drivers() {
		if f, ok := driverFeatures[d]; ok {
			d = f
		}
		out = append(out, "+"+d)
	}
	for _, b := range common.StorageBackends() {
		if b.Provider == 0 {
			continue // local storage is always there
		}
		out = append(out, "+"+b.Feature)
	}
	return append(out, "+portable")
}

// Version is this build's identity with its feature list.
func Version() version.Info {
	v := version.Get()
	v.Features = Features()
	return v
}
