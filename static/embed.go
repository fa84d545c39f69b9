// Package static embeds the CSS, JavaScript and images of the web UIs,
// served by httpd under /static.
package static

import "embed"

// FS holds css/, js/ and img/.
//
//go:embed css js img
var FS embed.FS
