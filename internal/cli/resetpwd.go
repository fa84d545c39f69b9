package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func newResetPwdCommand() *cobra.Command {
	var f commonFlags
	var admin string
	cmd := &cobra.Command{
		Use:   "resetpwd",
		Short: "Reset the password of an admin",
		Long: `Set a new password for an admin, for example when the only admin forgot it.
On a terminal the password is asked twice without echo; otherwise it is read
from the first line of standard input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if admin == "" {
				return errors.New("--admin is required")
			}
			pwd, err := readNewPassword(cmd.InOrStdin(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return withStore(cmd.Context(), &f, func(s *dataprovider.Store) error {
				a, err := s.GetAdmin(cmd.Context(), admin)
				if err != nil {
					return fmt.Errorf("admin %q: %w", admin, err)
				}
				a.Password = pwd
				if err := s.UpdateAdmin(cmd.Context(), &a); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password updated for admin %q\n", admin)
				return nil
			})
		},
	}
	f.register(cmd, "-")
	cmd.Flags().StringVar(&admin, "admin", "", "username of the admin whose password is reset")
	return cmd
}

func readNewPassword(in io.Reader, prompt io.Writer) (string, error) {
	if file, ok := in.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		fmt.Fprint(prompt, "New password: ")
		first, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		fmt.Fprint(prompt, "Confirm password: ")
		second, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords do not match")
		}
		if len(first) == 0 {
			return "", errors.New("the password cannot be empty")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
