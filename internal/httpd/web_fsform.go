package httpd

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// The storage section of the user, group and folder forms is described by
// a table: the same definitions render the inputs, fill them from a
// stored filesystem and read them back, through the model's JSON names.

type fsFieldDef struct {
	Key   string // JSON path below the filesystem object
	Label string
	// Kind: text, number, size, bool, secret, secretarea, list, select.
	Kind    string
	Help    string
	Options []option
}

type fsProviderDef struct {
	Value  int
	Label  string
	Fields []fsFieldDef
}

func opt(pairs ...string) []option {
	var out []option
	for _, p := range pairs {
		v, l, _ := strings.Cut(p, "|")
		out = append(out, option{Value: v, Label: l})
	}
	return out
}

var fsProviders = []fsProviderDef{
	{Value: 0, Label: "Local disk"},
	{Value: 4, Label: "Local disk, encrypted", Fields: []fsFieldDef{
		{Key: "cryptconfig.passphrase", Label: "Passphrase", Kind: "secret", Help: "Keys every file; losing it loses the data."},
	}},
	{Value: 1, Label: "Amazon S3 (or compatible)", Fields: []fsFieldDef{
		{Key: "s3config.bucket", Label: "Bucket", Kind: "text"},
		{Key: "s3config.region", Label: "Region", Kind: "text"},
		{Key: "s3config.access_key", Label: "Access key", Kind: "text"},
		{Key: "s3config.access_secret", Label: "Access secret", Kind: "secret"},
		{Key: "s3config.role_arn", Label: "Role ARN", Kind: "text"},
		{Key: "s3config.endpoint", Label: "Endpoint", Kind: "text", Help: "For S3-compatible servers, e.g. https://minio.example.com:9000"},
		{Key: "s3config.key_prefix", Label: "Key prefix", Kind: "text", Help: "Confines the user to this prefix, e.g. users/alice/"},
		{Key: "s3config.storage_class", Label: "Storage class", Kind: "text"},
		{Key: "s3config.acl", Label: "ACL", Kind: "text"},
		{Key: "s3config.sse_customer_key", Label: "SSE customer key", Kind: "secret"},
		{Key: "s3config.upload_part_size", Label: "Upload part size (MB)", Kind: "number"},
		{Key: "s3config.upload_concurrency", Label: "Upload concurrency", Kind: "number"},
		{Key: "s3config.upload_part_max_time", Label: "Upload part max time (s)", Kind: "number"},
		{Key: "s3config.download_part_size", Label: "Download part size (MB)", Kind: "number"},
		{Key: "s3config.download_concurrency", Label: "Download concurrency", Kind: "number"},
		{Key: "s3config.download_part_max_time", Label: "Download part max time (s)", Kind: "number"},
		{Key: "s3config.force_path_style", Label: "Path-style addressing", Kind: "bool"},
		{Key: "s3config.skip_tls_verify", Label: "Skip TLS verification", Kind: "bool"},
	}},
	{Value: 2, Label: "Google Cloud Storage", Fields: []fsFieldDef{
		{Key: "gcsconfig.bucket", Label: "Bucket", Kind: "text"},
		{Key: "gcsconfig.key_prefix", Label: "Key prefix", Kind: "text"},
		{Key: "gcsconfig.credentials", Label: "Service account JSON", Kind: "secretarea"},
		{Key: "gcsconfig.automatic_credentials", Label: "Credentials", Kind: "select", Options: opt("0|From the JSON above", "1|Automatic (environment)")},
		{Key: "gcsconfig.storage_class", Label: "Storage class", Kind: "text"},
		{Key: "gcsconfig.acl", Label: "ACL", Kind: "text"},
		{Key: "gcsconfig.upload_part_size", Label: "Upload part size (MB)", Kind: "number"},
		{Key: "gcsconfig.upload_part_max_time", Label: "Upload part max time (s)", Kind: "number"},
	}},
	{Value: 3, Label: "Azure Blob Storage", Fields: []fsFieldDef{
		{Key: "azblobconfig.container", Label: "Container", Kind: "text"},
		{Key: "azblobconfig.account_name", Label: "Account name", Kind: "text"},
		{Key: "azblobconfig.account_key", Label: "Account key", Kind: "secret"},
		{Key: "azblobconfig.sas_url", Label: "Shared access signature URL", Kind: "secret"},
		{Key: "azblobconfig.endpoint", Label: "Endpoint", Kind: "text"},
		{Key: "azblobconfig.key_prefix", Label: "Key prefix", Kind: "text"},
		{Key: "azblobconfig.access_tier", Label: "Access tier", Kind: "select", Options: opt("|Default", "Hot|Hot", "Cool|Cool", "Archive|Archive")},
		{Key: "azblobconfig.upload_part_size", Label: "Upload part size (MB)", Kind: "number"},
		{Key: "azblobconfig.upload_concurrency", Label: "Upload concurrency", Kind: "number"},
		{Key: "azblobconfig.download_part_size", Label: "Download part size (MB)", Kind: "number"},
		{Key: "azblobconfig.download_concurrency", Label: "Download concurrency", Kind: "number"},
		{Key: "azblobconfig.use_emulator", Label: "Emulator (path-style URLs)", Kind: "bool"},
	}},
	{Value: 5, Label: "Remote SFTP server", Fields: []fsFieldDef{
		{Key: "sftpconfig.endpoint", Label: "Endpoint", Kind: "text", Help: "host:port"},
		{Key: "sftpconfig.username", Label: "Username", Kind: "text"},
		{Key: "sftpconfig.password", Label: "Password", Kind: "secret"},
		{Key: "sftpconfig.private_key", Label: "Private key (PEM)", Kind: "secretarea"},
		{Key: "sftpconfig.key_passphrase", Label: "Private key passphrase", Kind: "secret"},
		{Key: "sftpconfig.fingerprints", Label: "Host key fingerprints", Kind: "list", Help: "One SHA256 fingerprint per line; empty accepts any host key."},
		{Key: "sftpconfig.prefix", Label: "Remote directory", Kind: "text"},
		{Key: "sftpconfig.buffer_size", Label: "Buffer size (MB)", Kind: "number"},
		{Key: "sftpconfig.equality_check_mode", Label: "Same storage when", Kind: "select", Options: opt("0|Endpoint and username match", "1|Endpoint matches")},
		{Key: "sftpconfig.disable_concurrent_reads", Label: "Disable concurrent reads", Kind: "bool"},
	}},
	{Value: 6, Label: "HTTP storage", Fields: []fsFieldDef{
		{Key: "httpconfig.endpoint", Label: "Endpoint URL", Kind: "text", Help: "Base URL of the storage API, e.g. https://storage.example.com/api/v1; for a unix socket http://unix?socket_path=%2Frun%2Ffs.sock&api_prefix=%2Fapi%2Fv1"},
		{Key: "httpconfig.username", Label: "Username", Kind: "text", Help: "With a password: HTTP Basic authentication."},
		{Key: "httpconfig.password", Label: "Password", Kind: "secret"},
		{Key: "httpconfig.api_key", Label: "API key", Kind: "secret", Help: "Sent in the X-API-KEY header."},
		{Key: "httpconfig.skip_tls_verify", Label: "Skip TLS verification", Kind: "bool", Help: "Accepts any certificate: for tests only."},
		{Key: "httpconfig.equality_check_mode", Label: "Same storage when", Kind: "select", Options: opt("0|Endpoint and username match", "1|Endpoint matches"), Help: "Kept for SFTPGo compatibility; renames across storages are refused regardless."},
	}},
	{Value: 7, Label: "Remote FTP server", Fields: []fsFieldDef{
		{Key: "ftpconfig.endpoint", Label: "Endpoint", Kind: "text", Help: "host[:21]"},
		{Key: "ftpconfig.username", Label: "Username", Kind: "text"},
		{Key: "ftpconfig.password", Label: "Password", Kind: "secret"},
		{Key: "ftpconfig.tls_mode", Label: "TLS", Kind: "select", Options: opt("0|None", "1|Explicit (AUTH TLS)", "2|Implicit")},
		{Key: "ftpconfig.skip_tls_verify", Label: "Skip TLS verification", Kind: "bool"},
		{Key: "ftpconfig.prefix", Label: "Remote directory", Kind: "text"},
	}},
}

// storedMark is set next to a secret input when a value is stored, so the
// form says "leave empty to keep".
const storedMark = "__stored"

// getPath reads a dotted path from decoded JSON.
func getPath(m map[string]any, key string) (any, bool) {
	var cur any = m
	for _, part := range strings.Split(key, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func setPath(m map[string]any, key string, val any) {
	parts := strings.Split(key, ".")
	for _, part := range parts[:len(parts)-1] {
		next, ok := m[part].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[part] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = val
}

// fsToForm writes a filesystem's values into v under prefix.
func fsToForm(prefix string, fsys dataprovider.Filesystem, v url.Values) {
	v.Set(prefix+".provider", strconv.Itoa(int(fsys.Provider)))
	b, _ := json.Marshal(fsys)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, pd := range fsProviders {
		if pd.Value != int(fsys.Provider) {
			continue
		}
		for _, f := range pd.Fields {
			name := prefix + "." + f.Key
			val, ok := getPath(m, f.Key)
			if !ok {
				continue
			}
			switch f.Kind {
			case "secret", "secretarea":
				if sec, ok := val.(map[string]any); ok && (sec["status"] != nil && sec["status"] != "") {
					v.Set(name+storedMark, "1")
				}
			case "bool":
				if b, _ := val.(bool); b {
					v.Set(name, "1")
				}
			case "list":
				if list, ok := val.([]any); ok {
					parts := make([]string, 0, len(list))
					for _, x := range list {
						parts = append(parts, toString(x))
					}
					v.Set(name, strings.Join(parts, "\n"))
				}
			default:
				v.Set(name, toString(val))
			}
		}
	}
}

func toString(x any) string {
	switch t := x.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case nil:
		return ""
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// formToFs reads the storage section under prefix; stored is the current
// configuration, whose secrets an empty input keeps.
func formToFs(p *formParser, prefix string, stored dataprovider.Filesystem) dataprovider.Filesystem {
	provider := p.int(prefix + ".provider")
	m := map[string]any{"provider": provider}
	sb, _ := json.Marshal(stored)
	var storedMap map[string]any
	_ = json.Unmarshal(sb, &storedMap)
	for _, pd := range fsProviders {
		if pd.Value != provider {
			continue
		}
		for _, f := range pd.Fields {
			name := prefix + "." + f.Key
			raw := p.v.Get(name)
			switch f.Kind {
			case "bool":
				setPath(m, f.Key, p.bool(name))
			case "number", "select":
				if strings.TrimSpace(raw) == "" {
					continue
				}
				n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
				if err != nil {
					p.errors[name] = "must be a whole number"
					continue
				}
				setPath(m, f.Key, n)
			case "list":
				setPath(m, f.Key, p.lines(name))
			case "secret", "secretarea":
				if strings.TrimSpace(raw) != "" {
					setPath(m, f.Key, map[string]any{"status": "Plain", "payload": raw})
				} else if val, ok := getPath(storedMap, f.Key); ok && int(stored.Provider) == provider {
					if sec, ok := val.(map[string]any); ok && sec["status"] != nil && sec["status"] != "" {
						setPath(m, f.Key, map[string]any{"status": "Redacted"})
					}
				}
			default:
				if s := strings.TrimSpace(raw); s != "" {
					setPath(m, f.Key, s)
				}
			}
		}
	}
	var out dataprovider.Filesystem
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &out); err != nil {
		p.errors[prefix+".provider"] = "invalid storage settings: " + err.Error()
	}
	return out
}

// fsFieldNames lists every input name of the storage section, for error
// placement.
func fsFieldNames(prefix string) []string {
	out := []string{prefix + ".provider"}
	for _, pd := range fsProviders {
		for _, f := range pd.Fields {
			out = append(out, prefix+"."+f.Key)
		}
	}
	return out
}
