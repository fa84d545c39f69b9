package common_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"sync"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
)

// recordActions is a common.actions hook that keeps the download events.
type recordActions struct {
	mu     sync.Mutex
	events []hooks.FsEvent
}

func (r *recordActions) Wants(action string) (bool, bool) {
	return action == common.ActionDownload || action == common.ActionPreDownload, false
}

func (r *recordActions) Run(_ context.Context, ev *hooks.FsEvent) error { r.Go(ev); return nil }

func (r *recordActions) Go(ev *hooks.FsEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, *ev)
}

func (r *recordActions) downloads() []hooks.FsEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hooks.FsEvent
	for _, e := range r.events {
		if e.Action == common.ActionDownload {
			out = append(out, e)
		}
	}
	return out
}

// TestMetadataRead: with common.metadata.read 1 a download from S3
// reports the object's metadata to the actions (SFTPGO_ACTION_METADATA);
// with 0 it does not ask for it.
func TestMetadataRead(t *testing.T) {
	cloudtest.ClearAWSEnv()
	s3srv := cloudtest.StartS3(t)
	data := make([]byte, 64<<10)
	rand.Read(data)
	for _, read := range []int{0, 1} {
		rec := &recordActions{}
		e := newCloudEnvCommon(t, config.CommonConfig{Metadata: config.MetadataConfig{Read: read}},
			func(d *common.Deps) { d.Actions = rec })
		user := map[string]any{
			"username": "meta", "password": cloudPassword, "status": 1,
			"permissions": map[string]any{"/": []string{"*"}},
			"filesystem": map[string]any{"provider": 1, "s3config": map[string]any{
				"bucket": s3srv.Bucket, "region": cloudtest.S3Region, "endpoint": s3srv.Endpoint(), "force_path_style": true,
				"access_key": cloudtest.S3AccessKey, "access_secret": map[string]any{"status": "Plain", "payload": cloudtest.S3Secret},
				"key_prefix": "meta/",
			}},
		}
		e.apiJSON(t, http.MethodPost, "/api/v2/users", user, nil, http.StatusCreated)
		cl := e.sftpClient(t, "meta")
		if err := sftpPut(cl, "/f.bin", data); err != nil {
			t.Fatal(err)
		}
		if _, err := sftpGet(cl, "/f.bin"); err != nil {
			t.Fatal(err)
		}
		cl.Close()
		dl := rec.downloads()
		if len(dl) != 1 {
			t.Fatalf("read %d: %d download events", read, len(dl))
		}
		// our uploads keep the modification time in the object's metadata
		if read == 1 && dl[0].Metadata["mtime"] == "" && dl[0].Metadata["Mtime"] == "" {
			t.Errorf("metadata.read 1: download event has no metadata: %v", dl[0].Metadata)
		}
		if read == 0 && dl[0].Metadata != nil {
			t.Errorf("metadata.read 0: download event has metadata %v", dl[0].Metadata)
		}
	}
}
