package common

import (
	"context"
	"errors"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/hooks"
)

// recHook is an ActionHook recording how it was called.
type recHook struct {
	fire, sync bool
	err        error
	ran, went  []string
}

func (h *recHook) Wants(string) (bool, bool) { return h.fire, h.sync }
func (h *recHook) Run(_ context.Context, ev *hooks.FsEvent) error {
	h.ran = append(h.ran, ev.Action)
	return h.err
}
func (h *recHook) Go(ev *hooks.FsEvent) { h.went = append(h.went, ev.Action) }

func TestJoinActionHooks(t *testing.T) {
	if JoinActionHooks(nil, nil) != nil {
		t.Fatal("no hooks should join to nil")
	}
	one := &recHook{fire: true}
	if JoinActionHooks(nil, one) != ActionHook(one) {
		t.Fatal("a single hook should be returned as is")
	}
	async := &recHook{fire: true}
	sync := &recHook{fire: true, sync: true, err: errors.New("refused")}
	off := &recHook{}
	j := JoinActionHooks(async, sync, off)
	if fire, s := j.Wants("upload"); !fire || !s {
		t.Fatalf("wants: %v %v", fire, s)
	}
	if err := j.Run(context.Background(), &hooks.FsEvent{Action: "upload"}); err == nil || err.Error() != "refused" {
		t.Fatalf("run: %v", err)
	}
	if len(async.went) != 1 || len(async.ran) != 0 || len(sync.ran) != 1 || len(off.ran)+len(off.went) != 0 {
		t.Fatalf("calls: async %v/%v sync %v off %v/%v", async.ran, async.went, sync.ran, off.ran, off.went)
	}
	// pre-* events are synchronous for every hook that wants them
	if err := j.Run(context.Background(), &hooks.FsEvent{Action: "pre-upload"}); err == nil {
		t.Fatal("pre-upload not refused")
	}
	if len(async.ran) != 1 {
		t.Fatalf("pre-upload ran in the background: %v", async.went)
	}
	j.Go(&hooks.FsEvent{Action: "download"})
	if len(async.went) != 2 || len(sync.went) != 1 || len(off.went) != 0 {
		t.Fatalf("go: %v %v %v", async.went, sync.went, off.went)
	}
}
