package cli

import (
	"github.com/spf13/cobra"
	"time"

	logpkg "github.com/sftpgo-ng/sftpgo/internal/logger"
	"github.com/sftpgo-ng/sftpgo/internal/service"
)

func newServeCommand() *cobra.Command {
	var f commonFlags
	var graceTime int
	var ld loadDataFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Start the server with the configured protocols",
		Long: "Start the SFTP, FTP/S, WebDAV and HTTP services configured in sftpgo.json\n" +
			"(or sftpgo.yaml / sftpgo.toml) inside the config dir. Every configuration key\n" +
			"can be overridden with an environment variable: `SFTPGO_`, the section, two\n" +
			"underscores and the key, upper case, e.g. `SFTPGO_SFTPD__BINDINGS__0__PORT`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, closer, err := f.load()
			if err != nil {
				return err
			}
			defer closer.Close()
			logger.Info("starting", "version", service.Version().String(), "config_dir", f.configDir)
			return service.Run(cmd.Context(), cfg, f.configDir, logger,
				service.Options{GraceTime: time.Duration(graceTime) * time.Second, LoadData: ld.options(),
					RotateLog: func() error { return logpkg.Rotate(closer) }})
		},
	}
	f.register(cmd, "sftpgo.log")
	ld.register(cmd)
	cmd.Flags().IntVar(&graceTime, "grace-time", envInt("SFTPGO_GRACE_TIME", 30),
		"seconds SIGTERM waits for open transfers to finish; new connections and logins are refused meanwhile; 0 stops at once (env SFTPGO_GRACE_TIME)")
	return cmd
}
