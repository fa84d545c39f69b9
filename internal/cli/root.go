// Package cli builds the sftpgo command tree: it parses flags, loads the
// configuration and hands over to the service package.
package cli

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/logger"
	"github.com/sftpgo-ng/sftpgo/internal/service"
)

// commonFlags are shared by every command that loads the configuration.
// Each flag can also come from an environment variable, as in the
// reference product (SFTPGO_CONFIG_DIR, SFTPGO_LOG_LEVEL, ...).
type commonFlags struct {
	configDir     string
	configFile    string
	logFilePath   string
	logLevel      string
	logMaxSize    int
	logMaxBackups int
	logMaxAge     int
	logCompress   bool
	logUTCTime    bool
	logFormat     string
}

func envString(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return def
}

func (f *commonFlags) register(cmd *cobra.Command, defaultLogFile string) {
	fl := cmd.Flags()
	fl.StringVarP(&f.configDir, "config-dir", "c", envString("SFTPGO_CONFIG_DIR", "."),
		"directory holding the configuration file, the SQLite database and the host keys (env SFTPGO_CONFIG_DIR)")
	fl.StringVarP(&f.configFile, "config-file", "f", envString("SFTPGO_CONFIG_FILE", ""),
		"configuration file name or path relative to the config dir; default sftpgo.{json,yaml,toml} (env SFTPGO_CONFIG_FILE)")
	fl.StringVarP(&f.logFilePath, "log-file-path", "l", envString("SFTPGO_LOG_FILE_PATH", defaultLogFile),
		"log file path, relative to the config dir; empty or \"-\" logs to stdout (env SFTPGO_LOG_FILE_PATH)")
	fl.StringVar(&f.logLevel, "log-level", envString("SFTPGO_LOG_LEVEL", "debug"),
		"log level: debug, info, warn, error (env SFTPGO_LOG_LEVEL)")
	fl.IntVarP(&f.logMaxSize, "log-max-size", "s", envInt("SFTPGO_LOG_MAX_SIZE", 10),
		"maximum size in megabytes of the log file before it is rotated (env SFTPGO_LOG_MAX_SIZE)")
	fl.IntVarP(&f.logMaxBackups, "log-max-backups", "b", envInt("SFTPGO_LOG_MAX_BACKUPS", 5),
		"maximum number of rotated log files to keep (env SFTPGO_LOG_MAX_BACKUPS)")
	fl.IntVarP(&f.logMaxAge, "log-max-age", "a", envInt("SFTPGO_LOG_MAX_AGE", 28),
		"maximum number of days to keep rotated log files (env SFTPGO_LOG_MAX_AGE)")
	fl.BoolVarP(&f.logCompress, "log-compress", "z", envBool("SFTPGO_LOG_COMPRESS", false),
		"gzip rotated log files (env SFTPGO_LOG_COMPRESS)")
	fl.BoolVar(&f.logUTCTime, "log-utc-time", envBool("SFTPGO_LOG_UTC_TIME", false),
		"log timestamps in UTC (env SFTPGO_LOG_UTC_TIME)")
	fl.StringVar(&f.logFormat, "log-format", envString("SFTPGO_LOG_FORMAT", "auto"),
		"log format: json (SFTPGo's JSON lines), text, or auto: json in a log file, text on stdout (env SFTPGO_LOG_FORMAT)")
}

// load reads the configuration and sets up logging.
func (f *commonFlags) load() (config.Config, *slog.Logger, io.Closer, error) {
	cfg, err := config.Load(f.configDir, f.configFile)
	if err != nil {
		return cfg, nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, nil, err
	}
	path := f.logFilePath
	if path != "" && path != "-" && !filepath.IsAbs(path) {
		path = filepath.Join(f.configDir, path)
	}
	l, closer, err := logger.New(logger.Options{
		FilePath:   path,
		Level:      f.logLevel,
		MaxSize:    f.logMaxSize,
		MaxBackups: f.logMaxBackups,
		MaxAge:     f.logMaxAge,
		Compress:   f.logCompress,
		UTCTime:    f.logUTCTime,
		Format:     f.logFormat,
	})
	if err != nil {
		return cfg, nil, nil, err
	}
	for _, w := range cfg.Warnings() {
		l.Warn(w)
	}
	return cfg, l, closer, nil
}

// NewRootCommand builds the sftpgo command tree.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "sftpgo",
		Short:         "Full-featured SFTP, FTP/S, WebDAV and HTTP file transfer server",
		Version:       service.Version().String(),
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.SetVersionTemplate("SFTPGo {{.Version}}\n")
	root.AddCommand(newServeCommand(), newInitProviderCommand(), newRevertProviderCommand(),
		newResetProviderCommand(), newResetPwdCommand(), newPingCommand(), newGenCommand(),
		newPortableCommand())
	root.AddCommand(newSMTPTestCommand())
	root.AddCommand(newACMECommand())
	return root
}
