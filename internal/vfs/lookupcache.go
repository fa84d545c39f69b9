package vfs

import (
	"context"
	"sync"
)

// A LookupCache remembers, for the span of one client request, what a
// backend learnt about paths, so that the checks of one operation (the
// protocol's stat, the permission and quota checks, the backend's own
// "is it a directory?") cost one round trip to an object store instead of
// one each. It lives in a context: WithLookupCache starts one, and
// backends that use it (objstore) read it with LookupCacheFrom.
//
// It never outlives the request, so it needs no expiry; a backend forgets
// its entries whenever it changes something through that context.
type LookupCache struct {
	mu sync.Mutex
	m  map[lookupKey]any
}

type lookupKey struct {
	owner any
	key   string
}

type lookupCacheCtxKey struct{}

// WithLookupCache returns ctx with a new, empty LookupCache, or ctx itself
// when it carries one already (an operation inside a request shares the
// request's).
func WithLookupCache(ctx context.Context) context.Context {
	if LookupCacheFrom(ctx) != nil {
		return ctx
	}
	return context.WithValue(ctx, lookupCacheCtxKey{}, &LookupCache{m: make(map[lookupKey]any)})
}

// LookupCacheFrom returns ctx's LookupCache, nil when there is none. The
// methods of a nil *LookupCache do nothing.
func LookupCacheFrom(ctx context.Context) *LookupCache {
	c, _ := ctx.Value(lookupCacheCtxKey{}).(*LookupCache)
	return c
}

// Get returns what owner stored under key.
func (c *LookupCache) Get(owner any, key string) (any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[lookupKey{owner, key}]
	return v, ok
}

// Put stores v under (owner, key).
func (c *LookupCache) Put(owner any, key string, v any) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[lookupKey{owner, key}] = v
}

// Forget drops everything owner stored.
func (c *LookupCache) Forget(owner any) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.owner == owner {
			delete(c.m, k)
		}
	}
}

// ShareLookupCache returns ctx carrying the LookupCache of from, if any:
// for work that outlives a request (an upload's writer lives on the
// session's context) but starts with what the request learnt.
func ShareLookupCache(ctx, from context.Context) context.Context {
	c := LookupCacheFrom(from)
	if c == nil || LookupCacheFrom(ctx) == c {
		return ctx
	}
	return context.WithValue(ctx, lookupCacheCtxKey{}, c)
}
