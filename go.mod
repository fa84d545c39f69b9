module github.com/sftpgo-ng/sftpgo

go 1.26.8
