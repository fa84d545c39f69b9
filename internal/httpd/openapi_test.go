package httpd

import (
	"log/slog"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"gopkg.in/yaml.v3"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/openapi"
)

type specDoc struct {
	Servers []struct {
		URL string `yaml:"url"`
	} `yaml:"servers"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Schemas map[string]specSchema `yaml:"schemas"`
	} `yaml:"components"`
}

type specSchema struct {
	Ref        string                `yaml:"$ref"`
	Properties map[string]specSchema `yaml:"properties"`
	AllOf      []specSchema          `yaml:"allOf"`
}

func loadSpec(t *testing.T) specDoc {
	t.Helper()
	var doc specDoc
	if err := yaml.Unmarshal(openapi.Spec, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

var paramRe = regexp.MustCompile(`\{[^}]*\}`)

// normRoute makes "GET /api/v2/users/{username}/" comparable with the
// spec's "GET /api/v2/users/{}".
func normRoute(method, path string) string {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	return strings.ToUpper(method) + " " + paramRe.ReplaceAllString(path, "{}")
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// TestRoutesMatchSpec fails when a route is registered but not described
// in openapi.yaml, or described but not registered.
func TestRoutesMatchSpec(t *testing.T) {
	doc := loadSpec(t)
	base := "/api/v2"
	if len(doc.Servers) > 0 {
		base = doc.Servers[0].URL
	}
	spec := map[string]bool{}
	for p, item := range doc.Paths {
		prefix := base
		if srv, ok := item["servers"]; ok {
			var servers []struct {
				URL string `yaml:"url"`
			}
			if err := srv.Decode(&servers); err != nil || len(servers) == 0 {
				t.Fatalf("path %s: bad servers", p)
			}
			prefix = strings.TrimSuffix(servers[0].URL, "/")
		}
		for key := range item {
			if slices.Contains(httpMethods, key) {
				spec[normRoute(key, prefix+p)] = true
			}
		}
	}

	srv, err := newServer(Options{Logger: slog.New(slog.DiscardHandler), Config: config.HTTPDConfig{OpenAPIPath: "openapi"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	err = chi.Walk(srv.router(config.HTTPDBinding{EnableRESTAPI: true}).(chi.Routes),
		func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
			routes[normRoute(method, route)] = true
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) < 30 {
		t.Fatalf("only %d routes walked", len(routes))
	}
	var missing, extra []string
	for r := range routes {
		if !spec[r] {
			missing = append(missing, r)
		}
	}
	for r := range spec {
		if !routes[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes not in openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("openapi.yaml paths with no route:\n  %s", strings.Join(extra, "\n  "))
	}
}

// jsonFields lists the JSON names of a struct's fields, embedded structs
// flattened.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func schemaProps(doc specDoc, s specSchema) []string {
	if s.Ref != "" {
		return schemaProps(doc, doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")])
	}
	var out []string
	for k := range s.Properties {
		out = append(out, k)
	}
	for _, sub := range s.AllOf {
		out = append(out, schemaProps(doc, sub)...)
	}
	sort.Strings(out)
	return out
}

// TestSchemasMatchModel keeps the spec's object schemas in step with the
// JSON field names of the Go types the API encodes.
func TestSchemasMatchModel(t *testing.T) {
	doc := loadSpec(t)
	for name, v := range map[string]any{
		"User":                        dataprovider.User{},
		"UserFilters":                 dataprovider.UserFilters{},
		"Admin":                       dataprovider.Admin{},
		"AdminFilters":                dataprovider.AdminFilters{},
		"Group":                       dataprovider.Group{},
		"GroupUserSettings":           dataprovider.GroupUserSettings{},
		"BaseVirtualFolder":           dataprovider.BaseVirtualFolder{},
		"VirtualFolder":               dataprovider.VirtualFolder{},
		"APIKey":                      dataprovider.APIKey{},
		"FilesystemConfig":            dataprovider.Filesystem{},
		"S3Config":                    dataprovider.S3Config{},
		"GCSConfig":                   dataprovider.GCSConfig{},
		"AzureBlobFsConfig":           dataprovider.AzBlobConfig{},
		"CryptFsConfig":               dataprovider.CryptConfig{},
		"SFTPFsConfig":                dataprovider.SFTPConfig{},
		"HTTPFsConfig":                dataprovider.HTTPConfig{},
		"FTPFsConfig":                 dataprovider.FTPConfig{},
		"Secret":                      struct{ Status, Payload, Key, AdditionalData, Mode any }{},
		"BackupData":                  dataprovider.BackupData{},
		"Share":                       dataprovider.Share{},
		"ConnectionStatus":            ConnectionStatus{},
		"Transfer":                    Transfer{},
		"VersionInfo":                 VersionInfo{},
		"AdminProfile":                adminProfile{},
		"PwdChange":                   pwdChange{},
		"QuotaUsage":                  quotaUsage{},
		"TransferQuotaUsage":          transferQuotaUsage{},
		"ApiResponse":                 apiResponse{},
		"GroupMapping":                dataprovider.GroupMapping{},
		"PatternsFilter":              dataprovider.PatternsFilter{},
		"TOTPConfig":                  dataprovider.TOTPConfig{},
		"BaseEventAction":             dataprovider.BaseEventAction{},
		"EventAction":                 dataprovider.EventAction{},
		"EventRule":                   dataprovider.EventRule{},
		"EventConditions":             dataprovider.EventConditions{},
		"EventConditionOptions":       dataprovider.EventConditionOptions{},
		"EventActionHTTPConfig":       dataprovider.EventActionHTTPConfig{},
		"EventActionFilesystemConfig": dataprovider.EventActionFilesystemConfig{},
		"RecoveryCode":                dataprovider.RecoveryCode{},
		"DirEntry":                    dirEntry{},
		"UserProfile":                 userProfile{},
		"FileMetadata":                fileMetadata{},
	} {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		want := jsonFields(reflect.TypeOf(v))
		if name == "Secret" {
			want = []string{"additional_data", "key", "mode", "payload", "status"}
		}
		if got := schemaProps(doc, s); !slices.Equal(got, want) {
			t.Errorf("schema %s properties\n  spec:  %v\n  model: %v", name, got, want)
		}
	}
}
