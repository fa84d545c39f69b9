package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sftpgo-ng/sftpgo/internal/smtp"
	"github.com/sftpgo-ng/sftpgo/internal/version"
)

func newSMTPTestCommand() *cobra.Command {
	var f commonFlags
	var recipient string
	cmd := &cobra.Command{
		Use:   "smtptest",
		Short: "Test the SMTP configuration",
		Long: `Send a test e-mail to the given recipient with the smtp section of the
configuration. If the configuration is right the message arrives; otherwise
the command prints why the server refused it and exits with a non-zero status.
Set smtp.debug to 1 to log the SMTP conversation.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if recipient == "" {
				return errors.New("--recipient is required")
			}
			cfg, log, closer, err := f.load()
			if err != nil {
				return err
			}
			defer closer.Close()
			c, err := smtp.New(cfg.SMTP, smtp.WithLogger(log), smtp.WithConfigDir(f.configDir))
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			err = c.Send(ctx, smtp.Mail{
				To:      []string{recipient},
				Subject: "SFTPGo test e-mail",
				Body: fmt.Sprintf("This message was sent by \"sftpgo smtptest\" (SFTPGo %s) through %s:%d to check the SMTP configuration.\n",
					version.Get().Version, cfg.SMTP.Host, cfg.SMTP.Port),
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "test e-mail sent to %s\n", recipient)
			return nil
		},
	}
	f.register(cmd, "-")
	cmd.Flags().StringVar(&recipient, "recipient", "", "e-mail address that receives the test message")
	return cmd
}
