package config

import "fmt"

// obsoleteKeys are keys that default sftpgo.json files of SFTPGo 2.4 to
// 2.7 carry and SFTPGo itself no longer has, and that we do not hold
// either. A file or SFTPGO_ variable setting one still loads, with one
// warning per key, because refusing it would stop an installation taken
// over unchanged. The value says which releases had it and what replaced
// it. Keys of older releases that changed meaning (ports, paths) are
// errors instead: see removedKeys.
var obsoleteKeys = map[string]string{
	"common.data_retention_hook":                            "SFTPGo 2.4 to 2.6; data retention is an event manager action",
	"common.defender.safelist":                              "SFTPGo 2.4; replaced by IP lists (/api/v2/iplists)",
	"common.defender.safelist_file":                         "SFTPGo 2.4; replaced by IP lists (/api/v2/iplists)",
	"common.defender.blocklist":                             "SFTPGo 2.4; replaced by IP lists (/api/v2/iplists)",
	"common.defender.blocklist_file":                        "SFTPGo 2.4; replaced by IP lists (/api/v2/iplists)",
	"common.whitelist_file":                                 "SFTPGo 2.4; replaced by IP lists and common.allowlist_status",
	"common.rate_limiters[].allow_list":                     "SFTPGo 2.4; replaced by IP lists (/api/v2/iplists)",
	"sftpd.moduli":                                          "SFTPGo 2.4 and 2.5; Diffie-Hellman group exchange uses built-in groups",
	"sftpd.min_dh_group_exchange_key_size":                  "SFTPGo 2.6; Diffie-Hellman group exchange offers the built-in 2048-bit group only",
	"sftpd.banner":                                          "SFTPGo 2.4 and 2.5; the SSH version string comes from common.server_version",
	"httpd.bindings[].web_client_integrations":              "SFTPGo 2.4 and 2.5; removed without replacement",
	"httpd.bindings[].security.expect_ct_header":            "SFTPGo 2.4 and 2.5; browsers ignore Expect-CT",
	"httpd.bindings[].branding.web_admin.login_image_path":  "SFTPGo 2.4 and 2.5; removed with the old web UI",
	"httpd.bindings[].branding.web_client.login_image_path": "SFTPGo 2.4 and 2.5; removed with the old web UI",
}

// notes collects the loader's warnings, one per key.
type notes struct {
	list []string
	seen map[string]bool
}

func (nt *notes) add(key, msg string) {
	if nt.seen == nil {
		nt.seen = map[string]bool{}
	}
	if nt.seen[key] {
		return
	}
	nt.seen[key] = true
	nt.list = append(nt.list, msg)
}

// obsolete reports whether the file key path is obsolete, noting it.
func (nt *notes) obsolete(path string, pos [2]int) bool {
	g := genericPath(path)
	why, ok := obsoleteKeys[g]
	if !ok {
		return false
	}
	where := ""
	if pos[0] > 0 {
		where = fmt.Sprintf(" (line %d, column %d)", pos[0], pos[1])
	}
	nt.add(g, fmt.Sprintf("config key %q%s is obsolete and ignored: %s", path, where, why))
	return true
}

// obsoleteEnv is obsolete for the environment variable name.
func (nt *notes) obsoleteEnv(path, name string) bool {
	g := genericPath(path)
	why, ok := obsoleteKeys[g]
	if !ok {
		return false
	}
	nt.add(g, fmt.Sprintf("environment variable %s sets config key %q, which is obsolete and ignored: %s", name, path, why))
	return true
}
