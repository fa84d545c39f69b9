package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies runs systemd's own checker on init/sftpgo.service
// with ExecStart pointing at the built binary.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze")
	unit, err := os.ReadFile("../../init/sftpgo.service")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(unit), "ExecStart=/usr/bin/sftpgo", "ExecStart="+binary(t), 1)
	if text == string(unit) {
		t.Fatal("the unit has no ExecStart=/usr/bin/sftpgo line")
	}
	p := filepath.Join(t.TempDir(), "sftpgo.service")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", p).CombinedOutput()
	// systemd-analyze reports unknown users only on a real boot; anything
	// it prints here is a mistake in the unit.
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestDockerfileLint checks the Dockerfile for what a linter (hadolint)
// would flag and for what our image promises, since no container engine
// runs here: pinned base images, a build image recent enough for go.mod,
// apt without recommends and without lists left behind, exec-form
// ENTRYPOINT/CMD, a non-root USER and a HEALTHCHECK in the final stage
// running a subcommand the binary has, and COPY sources that exist.
func TestDockerfileLint(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var goVersion string
	for _, l := range strings.Split(string(goMod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			goVersion = strings.TrimSpace(v)
		}
	}
	type instr struct{ cmd, args string }
	var instrs []instr
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if more, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(more + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		instrs = append(instrs, instr{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	known := map[string]bool{"FROM": true, "RUN": true, "COPY": true, "ENV": true, "USER": true, "EXPOSE": true,
		"HEALTHCHECK": true, "ENTRYPOINT": true, "CMD": true, "WORKDIR": true, "ARG": true, "LABEL": true, "VOLUME": true}
	stages := map[string]bool{}
	lastFrom := -1
	for i, in := range instrs {
		if !known[in.cmd] {
			t.Errorf("unknown or unwanted instruction %s", in.cmd)
		}
		switch in.cmd {
		case "FROM":
			lastFrom = i
			f := strings.Fields(in.args)
			image := f[0]
			if !strings.Contains(image, ":") || strings.HasSuffix(image, ":latest") {
				t.Errorf("FROM %s: pin a tag", image)
			}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stages[f[2]] = true
			}
			if v, ok := strings.CutPrefix(image, "golang:"); ok {
				v, _, _ = strings.Cut(v, "-")
				want := goVersion
				if n := strings.Count(v, "."); n < strings.Count(want, ".") {
					// golang:1.26 is the newest 1.26.x
					want = strings.Join(strings.Split(want, ".")[:n+1], ".")
				}
				if versionLess(v, want) {
					t.Errorf("build image Go %s is older than go.mod's %s", v, goVersion)
				}
			}
		case "RUN":
			if strings.Contains(in.args, "apt-get install") {
				for _, want := range []string{"-y", "--no-install-recommends", "rm -rf /var/lib/apt/lists"} {
					if !strings.Contains(in.args, want) {
						t.Errorf("RUN apt-get install without %q", want)
					}
				}
			}
		case "COPY":
			f := strings.Fields(in.args)
			if from, ok := strings.CutPrefix(f[0], "--from="); ok {
				if !stages[from] {
					t.Errorf("COPY --from=%s: no such stage", from)
				}
				continue
			}
			for _, src := range f[:len(f)-1] {
				if src == "." {
					continue
				}
				if _, err := os.Stat(filepath.Join("../..", src)); err != nil {
					t.Errorf("COPY %s: %v", src, err)
				}
			}
		case "ENTRYPOINT", "CMD":
			if !strings.HasPrefix(in.args, "[") {
				t.Errorf("%s %s: use the exec (JSON) form so signals reach the server", in.cmd, in.args)
			}
		}
	}
	final := instrs[lastFrom+1:]
	var user, health string
	for _, in := range final {
		switch in.cmd {
		case "USER":
			user = in.args
		case "HEALTHCHECK":
			health = in.args
		}
	}
	if user == "" || user == "root" || user == "0" || strings.HasPrefix(user, "0:") {
		t.Errorf("final stage runs as %q, want a non-root USER", user)
	}
	_, hc, ok := strings.Cut(health, "CMD ")
	if !ok {
		t.Fatalf("final stage has no HEALTHCHECK CMD (%q)", health)
	}
	var argv []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(hc)), &argv); err != nil || len(argv) < 2 || argv[0] != "sftpgo" {
		t.Fatalf("HEALTHCHECK CMD %s: want [\"sftpgo\", SUBCOMMAND, ...]: %v", hc, err)
	}
	if out, err := exec.Command(binary(t), argv[1], "--help").CombinedOutput(); err != nil {
		t.Errorf("the healthcheck's subcommand %q: %v\n%s", argv[1], err, out)
	}
}

// versionLess compares dotted versions numerically ("1.9" < "1.26").
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}
