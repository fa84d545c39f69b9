package events

import (
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
)

func TestFsConditions(t *testing.T) {
	user := &dataprovider.User{Username: "alice", Role: "ops", Groups: []dataprovider.GroupMapping{{Name: "devs"}, {Name: "eu"}}}
	ev := func(mod func(*hooks.FsEvent)) *hooks.FsEvent {
		e := &hooks.FsEvent{Action: "upload", Username: "alice", VirtualPath: "/in/a.csv", FileSize: 100, Protocol: "SFTP",
			Status: 1, Role: "ops"}
		if mod != nil {
			mod(e)
		}
		return e
	}
	pat := func(p string, inv bool) []dataprovider.ConditionPattern {
		return []dataprovider.ConditionPattern{{Pattern: p, InverseMatch: inv}}
	}
	for _, tc := range []struct {
		name string
		opts dataprovider.EventConditionOptions
		ev   *hooks.FsEvent
		want bool
	}{
		{"no conditions", dataprovider.EventConditionOptions{}, ev(nil), true},
		{"name", dataprovider.EventConditionOptions{Names: pat("al*", false)}, ev(nil), true},
		{"other name", dataprovider.EventConditionOptions{Names: pat("bob", false)}, ev(nil), false},
		{"inverse name", dataprovider.EventConditionOptions{Names: pat("al*", true)}, ev(nil), false},
		{"group", dataprovider.EventConditionOptions{GroupNames: pat("dev*", false)}, ev(nil), true},
		{"no such group", dataprovider.EventConditionOptions{GroupNames: pat("hr", false)}, ev(nil), false},
		{"role", dataprovider.EventConditionOptions{RoleNames: pat("ops", false)}, ev(nil), true},
		{"other role", dataprovider.EventConditionOptions{RoleNames: pat("adm", false)}, ev(nil), false},
		{"path", dataprovider.EventConditionOptions{FsPaths: pat("/in/*.csv", false)}, ev(nil), true},
		{"path is whole", dataprovider.EventConditionOptions{FsPaths: pat("*.csv", false)}, ev(nil), false},
		{"inverse path", dataprovider.EventConditionOptions{FsPaths: pat("/in/*", true)}, ev(nil), false},
		{"protocol", dataprovider.EventConditionOptions{Protocols: []string{"FTP", "SFTP"}}, ev(nil), true},
		{"other protocol", dataprovider.EventConditionOptions{Protocols: []string{"FTP"}}, ev(nil), false},
		{"status", dataprovider.EventConditionOptions{EventStatuses: []int{2, 3}}, ev(nil), false},
		{"error status", dataprovider.EventConditionOptions{EventStatuses: []int{2}}, ev(func(e *hooks.FsEvent) { e.Status = 2 }), true},
		{"min size", dataprovider.EventConditionOptions{MinFileSize: 101}, ev(nil), false},
		{"max size", dataprovider.EventConditionOptions{MaxFileSize: 100}, ev(nil), true},
		{"size ignored for mkdir", dataprovider.EventConditionOptions{MinFileSize: 101}, ev(func(e *hooks.FsEvent) { e.Action = "mkdir" }), true},
		{"own moves ignored", dataprovider.EventConditionOptions{}, ev(func(e *hooks.FsEvent) { e.Protocol = ProtocolEventAction }), false},
		{"own moves asked for", dataprovider.EventConditionOptions{Protocols: []string{ProtocolEventAction}},
			ev(func(e *hooks.FsEvent) { e.Protocol = ProtocolEventAction }), true},
	} {
		c := dataprovider.EventConditions{FsEvents: []string{tc.ev.Action}, Options: tc.opts}
		if got := matchFsConditions(c, tc.ev, user); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestRenderPlaceholders(t *testing.T) {
	p := &Params{Name: "a\"b", VirtualPath: "/d/f.txt", VirtualTargetPath: "/e/g.txt", FileSize: 3,
		Object: map[string]string{"k": "v"}, Metadata: map[string]string{"m": "1"}}
	rd := newRenderer(p)
	for in, want := range map[string]string{
		"{{.Name}}":                        `a"b`,
		"{{.VirtualDirPath}}/{{.Ext}}":     "/d/.txt",
		"{{.TargetName}} {{.ObjectName}}":  "g.txt f.txt",
		"{{.EscapedVirtualPath}}":          "%2Fd%2Ff.txt",
		"{{.ObjectData}}":                  `{"k":"v"}`,
		"{{Name}} stays":                   "{{Name}} stays",
		"{{.Unknown}}x":                    "x",
		"no placeholder":                   "no placeholder",
		"{{.FileSize}} {{.StatusString}}.": "3 .",
	} {
		if got := rd.render(in, false); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
	if got := rd.render(`{"n":"{{.Name}}","o":{{.ObjectData}},"m":{{.Metadata}}}`, true); got != `{"n":"a\"b","o":{"k":"v"},"m":{"m":"1"}}` {
		t.Errorf("JSON: %s", got)
	}
}
