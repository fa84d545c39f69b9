package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sftpgo-ng/sftpgo/internal/acme"
)

func newACMECommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acme",
		Short: "Obtain TLS certificates from ACME-based CAs like Let's Encrypt",
		Args:  cobra.NoArgs,
	}
	var f commonFlags
	run := &cobra.Command{
		Use:   "run",
		Short: "Register your account and obtain certificates",
		Long: `Register the ACME account (once) and obtain the certificate of acme.domains,
then exit. Run it the first time and whenever the domains change; the serve
command renews the certificate before it expires (and obtains it at start when
it is missing). Account and certificates are kept in acme.certs_path.
A CA with a private root: name its PEM file in LEGO_CA_CERTIFICATES.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, closer, err := f.load()
			if err != nil {
				return err
			}
			defer closer.Close()
			if !acme.Enabled(cfg.ACME) {
				return errors.New("acme: no domains configured (acme.domains)")
			}
			m, err := acme.New(acme.Options{Config: cfg.ACME, ConfigDir: f.configDir, Logger: logger})
			if err != nil {
				return err
			}
			changed, err := m.Obtain(cmd.Context())
			if err != nil {
				return err
			}
			certFile, keyFile := m.Files()
			if changed {
				fmt.Fprintf(cmd.OutOrStdout(), "certificate obtained: %s, %s\n", certFile, keyFile)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "certificate %s is valid and not due for renewal\n", certFile)
			}
			return nil
		},
	}
	f.register(run, "-")
	cmd.AddCommand(run)
	return cmd
}
