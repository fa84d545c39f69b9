package ftpd

import (
	"bytes"
	"crypto/md5"  //nolint:gosec
	"crypto/sha1" //nolint:gosec
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func writeHome(t testing.TB, e *env, user, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(e.home(user), filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func featLines(msg string) map[string]bool {
	out := map[string]bool{}
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, " ") {
			out[strings.TrimSpace(l)] = true
		}
	}
	return out
}

func TestFEAT(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	feats := featLines(r.expect(211, "FEAT"))
	for _, want := range []string{"UTF8", "SIZE", "MDTM", "REST STREAM", "EPRT", "EPSV", "MLSD", "MLST", "MFMT",
		"AUTH TLS", "PBSZ", "PROT", "XCRC", "MD5", "XMD5", "XSHA1", "XSHA256", "XSHA512", "COMB", "AVBL"} {
		if !feats[want] {
			t.Errorf("FEAT lacks %s: %v", want, feats)
		}
	}
	hashLine := ""
	for f := range feats {
		if strings.HasPrefix(f, "HASH ") || strings.Contains(f, "SHA-256") {
			hashLine = f
		}
	}
	for _, algo := range []string{"SHA-256*", "SHA-512", "SHA-1", "MD5", "CRC32"} {
		if !strings.Contains(hashLine, algo) {
			t.Errorf("HASH feature %q lacks %s", hashLine, algo)
		}
	}
	r.expect(200, "OPTS UTF8 ON")
	if msg := r.expect(215, "SYST"); !strings.Contains(msg, "UNIX") {
		t.Errorf("SYST: %q", msg)
	}
	r.expect(200, "NOOP")
	r.expect(221, "QUIT")
}

func TestFEATWithoutTLSAndExtensions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.CertificateFile, c.CertificateKeyFile = "", ""
		c.HASHSupport, c.CombineSupport = 0, 0
	}})
	e.addUser(t, "alice", nil)
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	feats := featLines(r.expect(211, "FEAT"))
	for _, absent := range []string{"AUTH TLS", "COMB", "XSHA256", "XCRC"} {
		if feats[absent] {
			t.Errorf("FEAT lists %s", absent)
		}
	}
	r.expect(550, "AUTH TLS")
	r.expect(502, "COMB a b")
	r.expect(502, "XSHA256 f")
}

func TestMLSDAndMLST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	writeHome(t, e, "alice", "dir/a.bin", make([]byte, 1234))
	os.MkdirAll(filepath.Join(e.home("alice"), "dir", "sub"), 0o755)
	c := e.login(t, 0, "alice")
	entries, err := c.List("dir")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, en := range entries {
		got[en.Name] = fmt.Sprintf("%v/%d", en.Type, en.Size)
	}
	if got["a.bin"] != "file/1234" || !strings.HasPrefix(got["sub"], "folder") {
		t.Fatalf("MLSD entries: %v", got)
	}
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	msg := r.expect(250, "MLST dir/a.bin")
	if !strings.Contains(msg, "Type=file;Size=1234;") {
		t.Fatalf("MLST: %q", msg)
	}
	dc, _ := r.pasv()
	r.expect(150, "MLSD dir")
	listing, _ := io.ReadAll(dc)
	r.want(226)
	if !strings.Contains(string(listing), "Type=dir;") || !strings.Contains(string(listing), "Size=1234;") {
		t.Fatalf("MLSD listing: %q", listing)
	}
}

func TestHashCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	data := randomBytes(t, 100000)
	writeHome(t, e, "alice", "d/f.bin", data)
	crc := crc32.ChecksumIEEE(data)
	crcHex := hex.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	md := md5.Sum(data)  //nolint:gosec
	s1 := sha1.Sum(data) //nolint:gosec
	s256 := sha256.Sum256(data)
	s512 := sha512.Sum512(data)
	want := map[string]string{
		"CRC32": crcHex, "MD5": hex.EncodeToString(md[:]), "SHA-1": hex.EncodeToString(s1[:]),
		"SHA-256": hex.EncodeToString(s256[:]), "SHA-512": hex.EncodeToString(s512[:]),
	}
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	r.expect(250, "CWD d")
	// HASH with the default algorithm, then each one selected with OPTS
	if msg := r.expect(213, "HASH f.bin"); !strings.Contains(msg, "SHA-256 0-100000 "+want["SHA-256"]+" f.bin") {
		t.Fatalf("HASH: %q", msg)
	}
	for algo, digest := range want {
		r.expect(200, "OPTS HASH %s", algo)
		if msg := r.expect(213, "HASH /d/f.bin"); !strings.Contains(msg, digest) {
			t.Errorf("HASH %s: %q, want %s", algo, msg, digest)
		}
	}
	for cmd, algo := range map[string]string{"XCRC": "CRC32", "MD5": "MD5", "XMD5": "MD5", "XSHA1": "SHA-1", "XSHA": "SHA-1", "XSHA256": "SHA-256", "XSHA512": "SHA-512"} {
		if msg := r.expect(250, "%s f.bin", cmd); !strings.Contains(msg, want[algo]) {
			t.Errorf("%s: %q, want %s", cmd, msg, want[algo])
		}
	}
	part := sha256.Sum256(data[10:500])
	if msg := r.expect(250, "XSHA256 f.bin 10 500"); !strings.Contains(msg, hex.EncodeToString(part[:])) {
		t.Errorf("partial XSHA256: %q", msg)
	}
	r.expect(550, "HASH missing.bin")
}

func TestHashNeedsDownloadPermission(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "bob", func(u *dataprovider.User) {
		u.Permissions["/"] = []string{dataprovider.PermListItems, dataprovider.PermUpload}
	})
	writeHome(t, e, "bob", "f.bin", []byte("secret"))
	r := dialRaw(t, e.addrs[0])
	r.login("bob")
	r.expect(550, "XSHA256 f.bin")
}

func TestWildcardListing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	for _, n := range []string{"a1.txt", "a2.txt", "b.txt", "a3.log", "c[1].txt"} {
		writeHome(t, e, "alice", "d/"+n, []byte(n))
	}
	c := e.login(t, 0, "alice")
	cases := []struct {
		arg  string
		want string
	}{
		{"d/a*.txt", "d/a1.txt d/a2.txt"},
		{"d/a?.*", "d/a1.txt d/a2.txt d/a3.log"},
		{"d/[ab]*.txt", "d/a1.txt d/a2.txt d/b.txt"},
		{"d/*.none", ""},
	}
	for _, tc := range cases {
		names, err := c.NameList(tc.arg)
		if err != nil {
			t.Fatalf("NLST %s: %v", tc.arg, err)
		}
		sort.Strings(names)
		if strings.Join(names, " ") != tc.want {
			t.Errorf("NLST %s = %q, want %q", tc.arg, names, tc.want)
		}
	}
	// a literal name with wildcard characters is a file, not a pattern
	names, err := c.NameList("d/c[1].txt")
	if err != nil || len(names) != 1 || names[0] != "d/c[1].txt" {
		t.Errorf("NLST of a literal name: %q, %v", names, err)
	}
	if err := c.ChangeDir("d"); err != nil {
		t.Fatal(err)
	}
	names, err = c.NameList("*.log")
	if err != nil || strings.Join(names, " ") != "a3.log" {
		t.Errorf("NLST *.log in /d: %q, %v", names, err)
	}
	// LIST (with ls options) filters the same way
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	dc, _ := r.pasv()
	r.expect(150, "LIST -la d/b*")
	listing, _ := io.ReadAll(dc)
	r.want(226)
	lines := strings.Split(strings.TrimSpace(string(listing)), "\r\n")
	if len(lines) != 1 || !strings.HasSuffix(lines[0], " b.txt") {
		t.Errorf("LIST -la d/b*: %q", listing)
	}
	// CWD does not accept a pattern
	r.expect(550, "CWD d/a*")
}

func TestAvailableSpace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "quota", func(u *dataprovider.User) { u.QuotaSize = 10000; u.QuotaFiles = 5 })
	e.addUser(t, "free", nil)
	c := e.login(t, 0, "quota")
	if err := c.Stor("f.bin", bytes.NewReader(make([]byte, 3000))); err != nil {
		t.Fatal(err)
	}
	r := dialRaw(t, e.addrs[0])
	r.login("quota")
	for _, cmd := range []string{"AVBL", "AVLB", "AVBL /", "avlb ."} {
		if msg := r.expect(213, "%s", cmd); strings.TrimSpace(msg) != "7000" {
			t.Errorf("%s = %q, want 7000", cmd, msg)
		}
	}
	r.expect(550, "AVBL f.bin")
	// the library answers a refused ALLO with 550
	if msg := r.expect(550, "ALLO 8000"); !strings.Contains(msg, "not enough space") {
		t.Errorf("ALLO 8000: %q", msg)
	}
	r.expect(200, "ALLO 6000")
	if err := c.Stor("big.bin", bytes.NewReader(make([]byte, 8000))); err == nil || !strings.Contains(err.Error(), "552") {
		t.Fatalf("upload over quota: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.home("quota"), "big.bin")); !os.IsNotExist(err) {
		t.Fatalf("the upload over quota was left behind: %v", err)
	}
	r2 := dialRaw(t, e.addrs[0])
	r2.login("free")
	msg := r2.expect(213, "AVBL")
	if n, err := strconv.ParseInt(strings.TrimSpace(msg), 10, 64); err != nil || n <= 0 {
		t.Errorf("AVBL without quota = %q: want the free disk space", msg)
	}
}

func TestSiteCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{common: config.CommonConfig{SymlinkMode: 1}, ftpd: func(c *config.FTPDConfig) {}})
	e.addUser(t, "alice", nil)
	p := writeHome(t, e, "alice", "d/f.txt", []byte("x"))
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	r.expect(200, "SITE CHMOD 600 d/f.txt")
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after SITE CHMOD 600: %v", fi.Mode())
	}
	r.expect(501, "SITE CHMOD 99x d/f.txt")
	r.expect(200, "SITE SYMLINK d/f.txt link.txt")
	target, err := os.Readlink(filepath.Join(e.home("alice"), "link.txt"))
	if err != nil || filepath.Base(target) != "f.txt" {
		t.Fatalf("symlink: %q, %v", target, err)
	}
	r.expect(502, "SITE CHOWN 0 d/f.txt")
	r.expect(502, "SITE RMDIR d")
	if _, err := os.Stat(p); err != nil {
		t.Fatal("SITE RMDIR removed files")
	}

	off := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.EnableSite = false }})
	off.addUser(t, "alice", nil)
	r2 := dialRaw(t, off.addrs[0])
	r2.login("alice")
	if code, _ := r2.cmd("SITE CHMOD 600 x"); code < 500 {
		t.Fatalf("SITE with enable_site false: %d", code)
	}
}

func TestSiteNeedsPermission(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "bob", func(u *dataprovider.User) {
		u.Permissions["/"] = []string{dataprovider.PermListItems, dataprovider.PermDownload}
	})
	p := writeHome(t, e, "bob", "f.txt", []byte("x"))
	r := dialRaw(t, e.addrs[0])
	r.login("bob")
	r.expect(550, "SITE CHMOD 600 f.txt")
	r.expect(550, "SITE SYMLINK f.txt l")
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Fatal("mode changed without permission")
	}
}

func TestCOMB(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	c := e.login(t, 0, "alice")
	parts := [][]byte{randomBytes(t, 70000), randomBytes(t, 1), randomBytes(t, 33333)}
	var all []byte
	for i, p := range parts {
		if err := c.Stor(fmt.Sprintf("part%d", i), bytes.NewReader(p)); err != nil {
			t.Fatal(err)
		}
		all = append(all, p...)
	}
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	r.expect(250, `COMB "final file" part0 part1 part2`)
	got, err := os.ReadFile(filepath.Join(e.home("alice"), "final file"))
	if err != nil || sum(got) != sum(all) {
		t.Fatalf("combined file differs: %v (%d bytes)", err, len(got))
	}
	for i := range parts {
		if _, err := os.Stat(filepath.Join(e.home("alice"), fmt.Sprintf("part%d", i))); !os.IsNotExist(err) {
			t.Errorf("part%d left behind", i)
		}
	}
	r.expect(501, "COMB onlyone")
}

func TestMFMTAndMDTM(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	p := writeHome(t, e, "alice", "f.txt", []byte("x"))
	c := e.login(t, 0, "alice")
	when := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := c.SetTime("f.txt", when); err != nil {
		t.Fatalf("MFMT: %v", err)
	}
	if fi, _ := os.Stat(p); !fi.ModTime().Equal(when) {
		t.Fatalf("mtime after MFMT = %v", fi.ModTime())
	}
	got, err := c.GetTime("f.txt")
	if err != nil || !got.Equal(when) {
		t.Fatalf("MDTM = %v, %v", got, err)
	}
}

func TestUploadResumeAndAppend(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	c := e.login(t, 0, "alice")
	data := randomBytes(t, 200000)
	if err := c.Stor("f.bin", bytes.NewReader(data[:50000])); err != nil {
		t.Fatal(err)
	}
	// REST 40000 + STOR: overwrite from 40000
	if err := c.StorFrom("f.bin", bytes.NewReader(data[40000:150000]), 40000); err != nil {
		t.Fatalf("STOR from offset: %v", err)
	}
	if err := c.Append("f.bin", bytes.NewReader(data[150000:])); err != nil {
		t.Fatalf("APPE: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(e.home("alice"), "f.bin"))
	if sum(got) != sum(data) {
		t.Fatalf("resumed upload differs (%d bytes)", len(got))
	}
	// beyond the end is refused
	if err := c.StorFrom("f.bin", bytes.NewReader([]byte("x")), 300000); err == nil {
		t.Fatal("STOR beyond the end of the file was accepted")
	}
	// REST on a missing file
	if err := c.StorFrom("missing.bin", bytes.NewReader([]byte("x")), 10); err == nil {
		t.Fatal("STOR from offset on a missing file was accepted")
	}
	// partial download with REST
	resp, err := c.RetrFrom("f.bin", 199990)
	if err != nil {
		t.Fatal(err)
	}
	tailBytes, _ := io.ReadAll(resp)
	resp.Close()
	if !bytes.Equal(tailBytes, data[199990:]) {
		t.Fatalf("RETR from 199990: %d bytes", len(tailBytes))
	}
}

func TestASCIITransfers(t *testing.T) {
	t.Parallel()
	for _, ignore := range []int{0, 1} {
		t.Run(fmt.Sprintf("ignore%d", ignore), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].IgnoreASCIITransferType = ignore }})
			e.addUser(t, "alice", nil)
			writeHome(t, e, "alice", "unix.txt", []byte("a\nb\n"))
			c := e.login(t, 0, "alice")
			if err := c.Type(ftp.TransferTypeASCII); err != nil {
				t.Fatal(err)
			}
			if err := c.Stor("dos.txt", strings.NewReader("x\r\ny\r\n")); err != nil {
				t.Fatal(err)
			}
			stored, _ := os.ReadFile(filepath.Join(e.home("alice"), "dos.txt"))
			got, err := retr(c, "unix.txt")
			if err != nil {
				t.Fatal(err)
			}
			if ignore == 1 {
				if string(stored) != "x\r\ny\r\n" || string(got) != "a\nb\n" {
					t.Fatalf("ignored TYPE A changed data: stored %q, sent %q", stored, got)
				}
				return
			}
			if string(stored) != "x\ny\n" || string(got) != "a\r\nb\r\n" {
				t.Fatalf("TYPE A conversion: stored %q, sent %q", stored, got)
			}
		})
	}
}

func TestDisabledCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.DisabledCommands = []string{"port", "SYST", "STAT", "MLSD", "MLST", "MFMT", "HASH", "COMB", "SITE"}
	}})
	e.addUser(t, "alice", nil)
	writeHome(t, e, "alice", "f.txt", []byte("x"))
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	feats := featLines(r.expect(211, "FEAT"))
	for _, absent := range []string{"MLSD", "MLST", "MFMT", "COMB", "XSHA256"} {
		if feats[absent] {
			t.Errorf("FEAT lists disabled %s", absent)
		}
	}
	for _, cmd := range []string{"PORT 127,0,0,1,4,1", "SYST", "STAT", "STAT f.txt", "MLSD", "MLST f.txt",
		"MFMT 20200101000000 f.txt", "HASH f.txt", "XSHA256 f.txt", "XCRC f.txt", "COMB a b", "SITE CHMOD 600 f.txt"} {
		if code, msg := r.cmd("%s", cmd); code != 502 {
			t.Errorf("%s: %d %s, want 502", cmd, code, msg)
		}
	}
	// EPRT is still allowed when only PORT is disabled
	r.expect(200, "EPRT |1|127.0.0.1|1025|")
}

func TestSTATAndSYST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	writeHome(t, e, "alice", "f.txt", []byte("hello"))
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	if msg := r.expect(211, "STAT"); !strings.Contains(msg, "Logged in as alice") {
		t.Errorf("STAT: %q", msg)
	}
	if msg := r.expect(213, "STAT f.txt"); !strings.Contains(msg, "f.txt") || !strings.Contains(msg, " 5 ") {
		t.Errorf("STAT f.txt: %q", msg)
	}
	r.expect(215, "SYST")
	r.expect(200, "ALLO 10")
	r.expect(257, "PWD")
}

func TestCOMBNeedsLocalStorage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "crypt", func(u *dataprovider.User) {
		u.FsConfig = dataprovider.Filesystem{
			Provider:    dataprovider.CryptedFilesystemProvider,
			CryptConfig: dataprovider.CryptConfig{Passphrase: kms.NewPlainSecret("a long test passphrase")},
		}
	})
	c := e.login(t, 0, "crypt")
	data := randomBytes(t, 10000)
	for _, p := range []string{"p1", "p2"} {
		if err := c.Stor(p, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := retr(c, "p1"); err != nil || sum(got) != sum(data) {
		t.Fatalf("encrypted round trip: %v", err)
	}
	r := dialRaw(t, e.addrs[0])
	r.login("crypt")
	if msg := r.expect(550, "COMB final p1 p2"); !strings.Contains(msg, "local storage") {
		t.Fatalf("COMB on encrypted storage: %q", msg)
	}
	if names, _ := c.NameList("/"); len(names) != 2 {
		t.Fatalf("files after a refused COMB: %v", names)
	}
}
