package vfs

import "context"

// MetadataFs is implemented by backends that keep user metadata with a
// file (object stores). common.metadata.read uses it to hand a
// download's metadata to the actions and events.
type MetadataFs interface {
	// Metadata returns the file's user metadata (nil when it has none).
	Metadata(ctx context.Context, name string) (map[string]string, error)
}
