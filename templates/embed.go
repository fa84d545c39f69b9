// Package templates embeds the HTML templates of the web admin, the web
// client and the public share pages, so the binary carries them.
package templates

import "embed"

// FS holds layout/*.html, admin/*.html, client/*.html and the
// translations i18n/*.json.
//
//go:embed layout/*.html admin/*.html client/*.html i18n/*.json
var FS embed.FS
