// Package openapi embeds the REST API description, served by httpd at
// /openapi/openapi.yaml.
package openapi

import _ "embed"

// Spec is openapi.yaml (OpenAPI 3.0.3).
//
//go:embed openapi.yaml
var Spec []byte
