// Command sftpgo is the file transfer server: SFTP/SCP, FTP/FTPS, WebDAV
// and HTTP over one storage abstraction.
package main

import (
	"os"

	"github.com/sftpgo-ng/sftpgo/internal/cli"
)

func main() {
	if err := cli.NewRootCommand().Execute(); err != nil {
		os.Exit(1)
	}
}
