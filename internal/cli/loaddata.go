package cli

import (
	"github.com/spf13/cobra"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// loadDataFlags are serve's and initprovider's --loaddata-* flags, with
// SFTPGo's names, defaults and environment variables.
type loadDataFlags struct {
	from  string
	mode  int
	scan  int
	clean bool
}

func (l *loadDataFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&l.from, "loaddata-from", envString("SFTPGO_LOADDATA_FROM", ""),
		"load users, groups, folders, admins and the other objects from this dump (absolute path, as written by dumpdata) once the data provider is ready (env SFTPGO_LOADDATA_FROM)")
	fl.IntVar(&l.mode, "loaddata-mode", envInt("SFTPGO_LOADDATA_MODE", 1),
		"0: add new objects and update existing ones; 1: add new objects, leave existing ones alone (env SFTPGO_LOADDATA_MODE)")
	fl.IntVar(&l.scan, "loaddata-scan", envInt("SFTPGO_LOADDATA_QUOTA_SCAN", 0),
		"quota scan after the load: 0 none, 1 every loaded user and folder, 2 only users with a quota limit (env SFTPGO_LOADDATA_QUOTA_SCAN)")
	fl.BoolVar(&l.clean, "loaddata-clean", envBool("SFTPGO_LOADDATA_CLEAN", false),
		"remove the loaddata-from file after a successful load (env SFTPGO_LOADDATA_CLEAN)")
}

func (l *loadDataFlags) options() dataprovider.LoadDataOptions {
	return dataprovider.LoadDataOptions{From: l.from, Mode: l.mode, Scan: l.scan, Clean: l.clean}
}
