package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newPingCommand() *cobra.Command {
	var f commonFlags
	cmd := &cobra.Command{
		Use:   "ping",
		Short: "Check that a running server answers its health check",
		Long: `Ask the first HTTP binding of the configuration for /healthz and exit with
status 0 when it answers "ok". Handy as a container health check.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, closer, err := f.load()
			if err != nil {
				return err
			}
			defer closer.Close()
			for _, b := range cfg.HTTPD.Bindings {
				if b.Port <= 0 {
					continue
				}
				host := b.Address
				if host == "" || host == "0.0.0.0" || host == "::" {
					host = "127.0.0.1"
				}
				scheme := "http"
				if b.EnableHTTPS {
					scheme = "https"
				}
				url := fmt.Sprintf("%s://%s/healthz", scheme, net.JoinHostPort(host, strconv.Itoa(b.Port)))
				client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
					// The health check talks to this machine's own listener,
					// whose certificate need not name 127.0.0.1.
					TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec
				}}
				resp, err := client.Get(url)
				if err != nil {
					return fmt.Errorf("ping %s: %w", url, err)
				}
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
					return fmt.Errorf("ping %s: status %d", url, resp.StatusCode)
				}
				fmt.Fprintln(cmd.OutOrStdout(), "ok")
				return nil
			}
			return errors.New("ping: no HTTP binding is configured")
		},
	}
	f.register(cmd, "-")
	return cmd
}
