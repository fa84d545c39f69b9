// Package email embeds the default templates of the e-mails the server
// sends itself; files with the same names under
// <smtp.templates_path>/email replace them.
package email

import "embed"

// FS holds the *.html e-mail templates.
//
//go:embed *.html
var FS embed.FS
