package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/logger"
	"github.com/sftpgo-ng/sftpgo/internal/service"
)

// portableFlags describe the one account and the listeners of portable mode.
type portableFlags struct {
	directory, username, password, startDir, fsProvider, passphrase string
	publicKeys, permissions, sshCommands, allowed, denied           []string
	sftpPort, ftpPort, webdavPort                                   int
	logFile, logLevel, logFormat                                    string
	logUTC                                                          bool
	configDir, configFile                                           string
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newPortableCommand() *cobra.Command {
	var f portableFlags
	cmd := &cobra.Command{
		Use:   "portable",
		Short: "Serve one directory with a single throw-away account",
		Long: `Share a directory over SFTP (and optionally FTP and WebDAV) with one account
that exists only while the command runs: an in-memory data provider, no web
interface. Port 0 picks a free port, a negative port disables the protocol.
Without --password and --public-key a random password is generated and printed.

As in SFTPGo, the configuration file of --config-dir (if any) and the
SFTPGO_ environment variables apply too; the port flags set the first binding
of each protocol, whose other settings (the address, for example) come from
there: SFTPGO_SFTPD__BINDINGS__0__ADDRESS=127.0.0.1 sftpgo portable ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPortable(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.directory, "directory", "d", ".", "directory to serve")
	fl.StringVarP(&f.username, "username", "u", "", "account name; empty for a generated one")
	fl.StringVarP(&f.password, "password", "p", "", "account password")
	fl.StringSliceVarP(&f.publicKeys, "public-key", "k", nil, "authorized public key (repeatable)")
	fl.StringSliceVarP(&f.permissions, "permissions", "g", []string{"list", "download"}, "permissions on the directory, \"*\" for all")
	fl.IntVarP(&f.sftpPort, "sftpd-port", "s", 0, "SFTP port: 0 any free port, negative disables")
	fl.IntVar(&f.ftpPort, "ftpd-port", -1, "FTP port: 0 any free port, negative disables")
	fl.IntVar(&f.webdavPort, "webdav-port", -1, "WebDAV port: 0 any free port, negative disables")
	fl.StringVarP(&f.configDir, "config-dir", "c", envString("SFTPGO_CONFIG_DIR", "."),
		"directory of the optional configuration file; host keys are kept there when it is given (env SFTPGO_CONFIG_DIR)")
	fl.StringVar(&f.configFile, "config-file", envString("SFTPGO_CONFIG_FILE", ""),
		"configuration file name or path relative to the config dir (env SFTPGO_CONFIG_FILE)")
	fl.StringSliceVar(&f.sshCommands, "ssh-commands", []string{"md5sum", "sha1sum", "sha256sum", "cd", "pwd", "scp"}, "SSH commands to enable, \"*\" for all")
	fl.StringVar(&f.startDir, "start-directory", "", "initial directory after login")
	fl.StringSliceVar(&f.allowed, "allowed-patterns", nil, "only file names matching these patterns are accessible")
	fl.StringSliceVar(&f.denied, "denied-patterns", nil, "file names matching these patterns are not accessible")
	fl.StringVarP(&f.fsProvider, "fs-provider", "f", "osfs", "storage: osfs (local) or cryptfs (encrypted local)")
	fl.StringVar(&f.passphrase, "crypto-passphrase", "", "passphrase for cryptfs")
	fl.StringVarP(&f.logFile, "log-file-path", "l", "", "log file; empty or \"-\" logs to stdout")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.BoolVar(&f.logUTC, "log-utc-time", false, "log timestamps in UTC")
	fl.StringVar(&f.logFormat, "log-format", "auto", "log format: json, text, or auto (json in a log file, text on stdout)")
	return cmd
}

// portableConfig turns the flags into a configuration over base (the
// loaded configuration file and environment): in-memory provider, no
// HTTP, only the requested protocols, each on the first binding base
// defines for it, with the port of its flag.
func portableConfig(f *portableFlags, base config.Config) config.Config {
	cfg := base
	sftpB := firstOr(base.SFTPD.Bindings, config.Default().SFTPD.Bindings[0])
	ftpB := firstOr(base.FTPD.Bindings, config.Default().FTPD.Bindings[0])
	davB := firstOr(base.WebDAVD.Bindings, config.Default().WebDAVD.Bindings[0])
	cfg.DataProvider = config.Default().DataProvider
	cfg.DataProvider.Driver = "memory"
	cfg.DataProvider.Name = ""
	cfg.DataProvider.CreateDefaultAdmin = false
	for i := range cfg.HTTPD.Bindings {
		cfg.HTTPD.Bindings[i].Port = 0
	}
	cfg.SFTPD.Bindings = nil
	cfg.FTPD.Bindings = nil
	cfg.WebDAVD.Bindings = nil
	// Port 0 in a binding means "off", so a free port is chosen here.
	pick := func(p int, addr string) int {
		if p != 0 {
			return p
		}
		l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
		if err != nil {
			return -1
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	if p := pick(f.sftpPort, sftpB.Address); p > 0 {
		sftpB.Port = p
		cfg.SFTPD.Bindings = []config.SFTPDBinding{sftpB}
		cfg.SFTPD.EnabledSSHCommands = f.sshCommands
	}
	if p := pick(f.ftpPort, ftpB.Address); p > 0 {
		ftpB.Port = p
		cfg.FTPD.Bindings = []config.FTPDBinding{ftpB}
	}
	if p := pick(f.webdavPort, davB.Address); p > 0 {
		davB.Port = p
		cfg.WebDAVD.Bindings = []config.WebDAVDBinding{davB}
	}
	return cfg
}

// firstOr returns the first binding of list, or def when there is none.
func firstOr[T any](list []T, def T) T {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// portableUser builds the one account.
func portableUser(f *portableFlags, home string) dataprovider.User {
	u := dataprovider.User{
		Username:    f.username,
		Password:    f.password,
		PublicKeys:  f.publicKeys,
		Status:      dataprovider.StatusEnabled,
		HomeDir:     home,
		Permissions: map[string][]string{"/": f.permissions},
	}
	u.Filters.StartDirectory = f.startDir
	if len(f.allowed) > 0 || len(f.denied) > 0 {
		u.Filters.FilePatterns = []dataprovider.PatternsFilter{{Path: "/", AllowedPatterns: f.allowed, DeniedPatterns: f.denied}}
	}
	if f.fsProvider == "cryptfs" {
		u.FsConfig.Provider = dataprovider.CryptedFilesystemProvider
		u.FsConfig.CryptConfig.Passphrase = kms.NewPlainSecret(f.passphrase)
	}
	return u
}

func runPortable(cmd *cobra.Command, f *portableFlags) error {
	if f.fsProvider != "osfs" && f.fsProvider != "cryptfs" {
		return fmt.Errorf("--fs-provider %q: use osfs or cryptfs", f.fsProvider)
	}
	if f.fsProvider == "cryptfs" && f.passphrase == "" {
		return errors.New("--fs-provider cryptfs needs --crypto-passphrase")
	}
	if f.sftpPort < 0 && f.ftpPort < 0 && f.webdavPort < 0 {
		return errors.New("every protocol is disabled: set --sftpd-port, --ftpd-port or --webdav-port")
	}
	home, err := filepath.Abs(f.directory)
	if err != nil {
		return err
	}
	if st, err := os.Stat(home); err != nil || !st.IsDir() {
		return fmt.Errorf("--directory %q is not a directory", f.directory)
	}
	if f.username == "" {
		f.username = "user-" + randomToken(3)
	}
	generated := false
	if f.password == "" && len(f.publicKeys) == 0 {
		f.password, generated = randomToken(8), true
	}
	base, err := config.Load(f.configDir, f.configFile)
	if err != nil {
		return err
	}
	// Host keys and the local KMS key persist between runs, so clients do
	// not see a new host key every time: in the config dir when one is
	// given, else in the user's cache.
	stateDir := f.configDir
	if !cmd.Flags().Changed("config-dir") && os.Getenv("SFTPGO_CONFIG_DIR") == "" {
		if stateDir, err = os.UserCacheDir(); err != nil {
			stateDir = os.TempDir()
		}
		stateDir = filepath.Join(stateDir, "sftpgo-portable")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return err
	}
	logPath := f.logFile
	if logPath == "" {
		logPath = "-"
	}
	l, closer, err := logger.New(logger.Options{FilePath: logPath, Level: f.logLevel, UTCTime: f.logUTC, Format: f.logFormat})
	if err != nil {
		return err
	}
	defer closer.Close()
	cfg := portableConfig(f, base)
	if err := cfg.Validate(); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	return service.Run(cmd.Context(), cfg, stateDir, l, service.Options{
		Users: []dataprovider.User{portableUser(f, home)},
		Started: func(addrs map[string][]net.Addr) {
			printPortable(out, f, home, generated, addrs)
		},
	})
}

func printPortable(out io.Writer, f *portableFlags, home string, generated bool, addrs map[string][]net.Addr) {
	fmt.Fprintf(out, "Serving %s as user %q", home, f.username)
	if generated {
		fmt.Fprintf(out, " with password %q", f.password)
	}
	fmt.Fprintf(out, ", permissions %s\n", strings.Join(f.permissions, ","))
	names := make([]string, 0, len(addrs))
	for n := range addrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, a := range addrs[n] {
			fmt.Fprintf(out, "  %s listening on %s\n", n, a)
		}
	}
}
