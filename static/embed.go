// Package static embeds the CSS, JavaScript and images of the web UIs,
// served by httpd under /static.
package static

import "embed"

// FS holds css/, js/ and img/.
//
//go:embed css js img
var FS embed.FS

// OpenAPIViewer holds swagger-ui/: our page and start script around the
// swagger-ui-dist bundle vendored unchanged from npm (see its VERSION
// file), served under /openapi/swagger-ui/ when render_openapi is on.
//
//go:embed openapi/swagger-ui
var OpenAPIViewer embed.FS
