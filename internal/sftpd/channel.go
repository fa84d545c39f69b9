package sftpd

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

// SFTP packet types and the extension this file answers itself.
const (
	fxpInit          = 1
	fxpVersion       = 2
	fxpOpen          = 3
	fxpRead          = 5
	fxpWrite         = 6
	fxpOpendir       = 11
	fxpStatus        = 101
	fxpHandle        = 102
	fxpData          = 103
	fxpExtended      = 200
	fxpExtendedReply = 201
	limitsExtension  = "limits@openssh.com"
	// maxSFTPData is the largest READ reply and WRITE payload we announce
	// with limits@openssh.com: what OpenSSH's sftp-server announces, and
	// what fits in pkg/sftp's 256 KiB packet limit with the headers.
	maxSFTPData = 255 * 1024
	// maxSFTPPacket is the largest packet pkg/sftp accepts.
	maxSFTPPacket = 256 * 1024
	// interceptMax bounds what the reader reads ahead to look at an
	// EXTENDED request; larger ones go to pkg/sftp untouched.
	interceptMax = 4096
	// maxDataRequests bounds the READ and WRITE requests handed to pkg/sftp
	// and not answered yet. pkg/sftp allocates a buffer of the request's
	// size for each (its own pipeline holds a few dozen), so this is what
	// bounds a session's memory when the client stops reading replies or
	// the storage is slow: about maxDataRequests x 255 KiB. Later requests
	// wait in the SSH channel (and then in the client) until replies go out.
	maxDataRequests = 8
	// sshChunk is the SSH channel packet size clients use for sessions
	// (OpenSSH and x/crypto/ssh offer 32 KiB): a reply header is merged
	// with the start of its data up to this size.
	sshChunk = 32 * 1024
)

// sftpExtensions are announced in the VERSION reply: pkg/sftp's own set
// plus limits@openssh.com, which this wrapper answers.
var sftpExtensions = [][2]string{
	{"hardlink@openssh.com", "1"},
	{"posix-rename@openssh.com", "1"},
	{"statvfs@openssh.com", "2"},
	{limitsExtension, "1"},
}

// chunkPool holds the buffers a reply header and the start of its data are
// joined in (shared, so an idle session keeps none).
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, sshChunk); return &b }}

// sftpChannel sits between the SSH channel and pkg/sftp's request server.
//
// Reading, it answers INIT and the limits@openssh.com request itself:
// with limits announced, OpenSSH's client moves 255 KiB per READ and WRITE
// instead of 32 KiB, eight times fewer requests for the same data. Every
// other packet passes through; packet bodies are read straight into
// pkg/sftp's buffer.
//
// Writing, it sends each reply as whole SSH packets: pkg/sftp writes a
// data reply as a 13-byte header and then the data, which the SSH layer
// would turn into a packet of its own (encrypted, MACed and written with
// a system call) for the header alone.
type sftpChannel struct {
	ch io.ReadWriteCloser

	// read side: only pkg/sftp's receiving goroutine
	head [9]byte
	pend []byte // bytes of the current packet read ahead, not yet handed out
	left uint32 // body bytes of the current packet still in the channel

	// READ and WRITE requests in pkg/sftp, by request id
	fmu      sync.Mutex
	freed    *sync.Cond
	inflight map[uint32]int
	ndata    int
	// OPEN and OPENDIR requests in pkg/sftp, by request id (each id once)
	opens   map[uint32]int
	stopped bool // closed or broken: nobody waits any more

	// write side
	wmu    sync.Mutex
	idle   *sync.Cond // signalled when no packet is half written
	wleft  int        // bytes of the packet being written still to come
	held   []byte     // a packet's header, waiting for its data
	heldID uint32     // the request answered by the held packet
	heldRq bool       // the held packet answers a READ or WRITE
	broken error
}

func newSFTPChannel(ch io.ReadWriteCloser) *sftpChannel {
	c := &sftpChannel{ch: ch, inflight: make(map[uint32]int), opens: make(map[uint32]int)}
	c.idle = sync.NewCond(&c.wmu)
	c.freed = sync.NewCond(&c.fmu)
	return c
}

// Read hands pkg/sftp the client's packets, minus those answered here.
func (c *sftpChannel) Read(p []byte) (int, error) {
	for {
		if len(c.pend) > 0 {
			n := copy(p, c.pend)
			c.pend = c.pend[n:]
			return n, nil
		}
		if c.left > 0 {
			if uint32(len(p)) > c.left {
				p = p[:c.left]
			}
			n, err := c.ch.Read(p)
			c.left -= uint32(n)
			if err == io.EOF && c.left > 0 {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		if err := c.nextPacket(); err != nil {
			return 0, err
		}
	}
}

// nextPacket reads the next packet's length and type and either answers
// the packet or arranges for Read to pass it on.
func (c *sftpChannel) nextPacket() error {
	if n, err := io.ReadFull(c.ch, c.head[:5]); err != nil {
		if n > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	length := binary.BigEndian.Uint32(c.head[:4])
	typ := c.head[4]
	if (typ == fxpRead || typ == fxpWrite || typ == fxpOpen || typ == fxpOpendir) && length >= 5 && length <= maxSFTPPacket {
		if _, err := io.ReadFull(c.ch, c.head[5:9]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		id := binary.BigEndian.Uint32(c.head[5:9])
		if typ == fxpOpen || typ == fxpOpendir {
			c.opening(id)
		} else {
			c.acquire(id)
		}
		c.pend = c.head[:9]
		c.left = length - 5
		return nil
	}
	if length == 0 || length > maxSFTPPacket || (typ != fxpInit && typ != fxpExtended) || length-1 > interceptMax {
		// pkg/sftp reads (and rejects, when invalid) the rest itself
		c.pend = c.head[:5]
		if length > 0 {
			c.left = length - 1
		}
		return nil
	}
	pkt := make([]byte, 4+length) // rare: once per session, or per extension call
	copy(pkt, c.head[:])
	if _, err := io.ReadFull(c.ch, pkt[5:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	body := pkt[5:]
	switch typ {
	case fxpInit:
		return c.send(versionPacket())
	case fxpExtended:
		if id, name, ok := extendedName(body); ok && name == limitsExtension {
			return c.send(limitsPacket(id))
		}
	}
	c.pend = pkt
	return nil
}

// opening counts an OPEN or OPENDIR request id in until its reply. A
// request id still in use by an unanswered request is waited for first,
// so every reply is counted against the one request it answers.
func (c *sftpChannel) opening(id uint32) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	for (c.inflight[id] > 0 || c.opens[id] > 0) && !c.stopped {
		c.freed.Wait()
	}
	c.opens[id] = 1
}

// acquire waits until fewer than maxDataRequests READ/WRITE requests are
// in pkg/sftp and no OPEN or OPENDIR is unanswered, then counts request id
// in.
//
// pkg/sftp registers a handle before its open has finished and serves
// READ and WRITE on other goroutines than opens: a client that sends a
// READ or WRITE for a handle it has not been given yet (only a hostile or
// broken one can) would race with the open inside pkg/sftp. Waiting for
// the opens costs well-behaved clients at most the time of an open that
// overlaps their data requests.
func (c *sftpChannel) acquire(id uint32) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	for (c.ndata >= maxDataRequests || len(c.opens) > 0) && !c.stopped {
		c.freed.Wait()
	}
	c.inflight[id]++
	c.ndata++
}

// answered counts out the request a reply for id answers, if it is an
// OPEN, OPENDIR, READ or WRITE in pkg/sftp.
func (c *sftpChannel) answered(id uint32) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	if _, ok := c.opens[id]; ok {
		// no READ or WRITE enters pkg/sftp while an open is unanswered,
		// so id is not also a data request's
		delete(c.opens, id)
		c.freed.Broadcast()
		return
	}
	n, ok := c.inflight[id]
	if !ok {
		return
	}
	if n <= 1 {
		delete(c.inflight, id)
	} else {
		c.inflight[id] = n - 1
	}
	c.ndata--
	// Broadcast: an open waiting for this id may wait next to readers
	c.freed.Broadcast()
}

// stop releases the reader from waiting for replies that may never be
// written.
func (c *sftpChannel) stop() {
	c.fmu.Lock()
	c.stopped = true
	c.fmu.Unlock()
	c.freed.Broadcast()
}

// replyID returns the request id of a reply that may answer a READ,
// WRITE, OPEN or OPENDIR (STATUS, DATA or HANDLE), given the packet's
// first bytes.
func replyID(p []byte) (uint32, bool) {
	if len(p) < 9 || (p[4] != fxpStatus && p[4] != fxpData && p[4] != fxpHandle) {
		return 0, false
	}
	return binary.BigEndian.Uint32(p[5:9]), true
}

// extendedName parses the request id and name of an EXTENDED request.
func extendedName(body []byte) (uint32, string, bool) {
	if len(body) < 8 {
		return 0, "", false
	}
	id := binary.BigEndian.Uint32(body)
	n := binary.BigEndian.Uint32(body[4:])
	if uint64(n) > uint64(len(body)-8) {
		return 0, "", false
	}
	return id, string(body[8 : 8+n]), true
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// versionPacket is the reply to INIT: version 3 and our extensions.
func versionPacket() []byte {
	b := make([]byte, 4, 128)
	b = append(b, fxpVersion)
	b = binary.BigEndian.AppendUint32(b, 3)
	for _, e := range sftpExtensions {
		b = appendString(b, e[0])
		b = appendString(b, e[1])
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// limitsPacket answers limits@openssh.com: the largest packet, READ and
// WRITE we take, and no limit on open handles (0).
func limitsPacket(id uint32) []byte {
	b := make([]byte, 4, 4+1+4+4*8)
	b = append(b, fxpExtendedReply)
	b = binary.BigEndian.AppendUint32(b, id)
	b = binary.BigEndian.AppendUint64(b, maxSFTPPacket)
	b = binary.BigEndian.AppendUint64(b, maxSFTPData)
	b = binary.BigEndian.AppendUint64(b, maxSFTPData)
	b = binary.BigEndian.AppendUint64(b, 0)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// send writes a whole packet of ours between pkg/sftp's packets.
func (c *sftpChannel) send(pkt []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for c.wleft > 0 && c.broken == nil {
		c.idle.Wait()
	}
	if c.broken != nil {
		return c.broken
	}
	_, err := c.ch.Write(pkt)
	if err != nil {
		c.fail(err)
	}
	return err
}

// fail records a write error; nothing more is written after it.
func (c *sftpChannel) fail(err error) {
	if c.broken == nil {
		c.broken = err
	}
	c.idle.Broadcast()
	c.stop()
}

// Write takes pkg/sftp's packets, each in one or two calls (header, then
// data), and sends each packet as whole SSH packets.
func (c *sftpChannel) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.broken != nil {
		return 0, c.broken
	}
	if c.wleft == 0 {
		if len(p) < 4 {
			// not the start of a packet as pkg/sftp writes them: pass it on
			return c.write(p)
		}
		total := 4 + int(binary.BigEndian.Uint32(p))
		id, reply := replyID(p)
		if len(p) >= total || len(p) > 64 {
			n, err := c.write(p)
			if reply {
				c.answered(id) // written or failed, the buffer is free
			}
			return n, err
		}
		// a header: hold it for the data that follows
		c.held = append(c.held[:0], p...)
		c.heldID, c.heldRq = id, reply
		c.wleft = total - len(p)
		return len(p), nil
	}
	// the data of the packet whose header is held
	n := min(len(p), c.wleft) // pkg/sftp never writes past a packet
	if c.heldRq && n == c.wleft {
		defer c.answered(c.heldID)
		c.heldRq = false
	}
	if len(c.held) == 0 {
		if _, err := c.write(p[:n]); err != nil {
			return 0, err
		}
	} else {
		first := min(n, sshChunk-len(c.held))
		bp := chunkPool.Get().(*[]byte)
		chunk := append(append((*bp)[:0], c.held...), p[:first]...)
		c.held = c.held[:0]
		_, err := c.write(chunk)
		chunkPool.Put(bp)
		if err != nil {
			return 0, err
		}
		if first < n {
			if _, err := c.write(p[first:n]); err != nil {
				return first, err
			}
		}
	}
	c.wleft -= n
	if c.wleft == 0 {
		c.idle.Broadcast()
	}
	if n < len(p) {
		m, err := c.write(p[n:])
		return n + m, err
	}
	return n, nil
}

func (c *sftpChannel) write(p []byte) (int, error) {
	n, err := c.ch.Write(p)
	if err != nil {
		c.fail(err)
	}
	return n, err
}

// Close closes the channel and wakes anyone waiting to write or to read.
func (c *sftpChannel) Close() error {
	c.wmu.Lock()
	c.fail(errors.New("sftp channel closed"))
	c.wmu.Unlock()
	return c.ch.Close()
}
