package vfs

import "sync/atomic"

// RequestCounter is told of the requests a remote backend (object store,
// SFTP, FTP, HTTP) sends to its storage: backend is the Fs.Name, op the
// request kind where the backend names one ("head_object", ...; "" when
// not).
type RequestCounter interface {
	// RequestDone counts one request that finished; err nil: it succeeded.
	RequestDone(backend, op string, err error)
	// RequestSent and RequestFailed count the start and the failure of a
	// request separately, for backends that learn them at different
	// places.
	RequestSent(backend, op string)
	RequestFailed(backend, op string)
}

// RequestCountingFs is an Fs that reports its storage requests.
type RequestCountingFs interface {
	Fs
	CountRequests(RequestCounter)
}

// CountRequests makes f report its requests to c, when f is a backend
// that sends any (local ones do not).
func CountRequests(f Fs, c RequestCounter) {
	if r, ok := f.(RequestCountingFs); ok && c != nil {
		r.CountRequests(c)
	}
}

// Requests is what a backend embeds to be a RequestCountingFs; its zero
// value counts nothing.
type Requests struct {
	c atomic.Pointer[RequestCounter]
}

// CountRequests implements RequestCountingFs.
func (r *Requests) CountRequests(c RequestCounter) { r.c.Store(&c) }

func (r *Requests) counter() RequestCounter {
	if p := r.c.Load(); p != nil {
		return *p
	}
	return nil
}

// Done counts a finished request and returns err.
func (r *Requests) Done(backend, op string, err error) error {
	if c := r.counter(); c != nil {
		c.RequestDone(backend, op, err)
	}
	return err
}

// Sent counts a request that starts.
func (r *Requests) Sent(backend, op string) {
	if c := r.counter(); c != nil {
		c.RequestSent(backend, op)
	}
}

// Failed counts a request (counted by Sent) that failed, and returns err.
func (r *Requests) Failed(backend, op string, err error) error {
	if c := r.counter(); c != nil && err != nil {
		c.RequestFailed(backend, op)
	}
	return err
}
