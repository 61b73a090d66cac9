package cluster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Every record on a cluster stream is a frame:
//
//	u32be n | u8 type | payload (n-1 bytes) | u32be CRC-32C of type+payload
//
// Effect payloads are the canonical effect encoding (internal/effect).
const (
	frameHello     byte = 1 // control stream opener: hello
	frameHelloAck  byte = 2 // reply to hello
	frameHeartbeat byte = 3
	frameEffect    byte = 4
	frameFetch     byte = 5 // fetch stream opener: origin, from, to
	frameFetchEnd  byte = 6 // status, next seq
	frameMessage   byte = 7 // pub/sub message stream: kind, channel, message (pubsub.go)
	frameXfer      byte = 8 // state transfer stream opener: the asker's applied frontier (xfer.go)
	frameXferData  byte = 9 // a chunk of the snapshot file
	frameXferEnd   byte = 10
	frameDigest    byte = 11 // control stream: frontier, then the key ranges' digests (antientropy.go)
)

// MaxFrame bounds a frame (an effect may hold a 512 MiB value).
const MaxFrame = effect.MaxField + 1<<20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Errors of frame reading.
var (
	ErrFrameCRC  = errors.New("cluster: frame checksum mismatch")
	ErrFrameSize = errors.New("cluster: frame too large")
	errMsg       = errors.New("cluster: malformed message")
)

// writeFrame appends one frame to w (not flushed).
func writeFrame(w *bufio.Writer, typ byte, payload []byte) (int, error) {
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(payload)+1))
	hdr[4] = typ
	crc := crc32.Update(crc32.Update(0, crcTable, hdr[4:5]), crcTable, payload)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc)
	w.Write(hdr[:])
	w.Write(payload)
	_, err := w.Write(tail[:])
	return len(payload) + 9, err
}

// readFrame reads one frame; the payload aliases buf (grown as needed).
func readFrame(r *bufio.Reader, buf []byte) (byte, []byte, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, buf, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > MaxFrame {
		return 0, nil, buf, ErrFrameSize
	}
	if cap(buf) < int(n)+4 {
		buf = make([]byte, int(n)+4)
	}
	b := buf[:int(n)+4]
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, buf, err
	}
	body := b[:n]
	if crc32.Checksum(body, crcTable) != binary.BigEndian.Uint32(b[n:]) {
		return 0, nil, buf, ErrFrameCRC
	}
	return body[0], body[1:], buf, nil
}

// frameBuffered reports whether r holds a whole frame already, so that
// reading it will not wait.
func frameBuffered(r *bufio.Reader) bool {
	if r.Buffered() < 4 {
		return false
	}
	hdr, err := r.Peek(4)
	if err != nil {
		return false
	}
	return uint64(r.Buffered()) >= 4+uint64(binary.BigEndian.Uint32(hdr))+4
}

// msg builds and parses the small control messages.
type msg struct {
	b   []byte
	err bool
}

func (m *msg) u(v uint64) { m.b = binary.AppendUvarint(m.b, v) }
func (m *msg) s(v string) { m.u(uint64(len(v))); m.b = append(m.b, v...) }
func (m *msg) ids(f []effect.ID) {
	m.u(uint64(len(f)))
	for _, id := range f {
		m.u(uint64(id.Node))
		m.u(id.Seq)
	}
}

func (m *msg) getU() uint64 {
	if m.err {
		return 0
	}
	v, n := binary.Uvarint(m.b)
	if n <= 0 {
		m.err = true
		return 0
	}
	m.b = m.b[n:]
	return v
}

func (m *msg) getS() string {
	n := m.getU()
	if m.err || n > uint64(len(m.b)) {
		m.err = true
		return ""
	}
	s := string(m.b[:n])
	m.b = m.b[n:]
	return s
}

func (m *msg) getIDs() []effect.ID {
	n := m.getU()
	if m.err || n > effect.MaxIDs || n > uint64(len(m.b)) {
		m.err = true
		return nil
	}
	f := make([]effect.ID, n)
	for i := range f {
		f[i] = effect.ID{Node: effect.NodeID(m.getU()), Seq: m.getU()}
	}
	return f
}

// Member is a node as gossiped: its id, cluster address, and whether that
// identity is retired (a restarted node's previous incarnation).
type Member struct {
	ID      effect.NodeID
	Addr    string
	Retired bool
}

func (m *msg) members(ms []Member) {
	m.u(uint64(len(ms)))
	for _, x := range ms {
		m.u(uint64(x.ID))
		m.s(x.Addr)
		if x.Retired {
			m.u(1)
		} else {
			m.u(0)
		}
	}
}

func (m *msg) getMembers() []Member {
	n := m.getU()
	if m.err || n > 1<<16 || n > uint64(len(m.b)) {
		m.err = true
		return nil
	}
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{ID: effect.NodeID(m.getU()), Addr: m.getS(), Retired: m.getU() != 0}
	}
	return ms
}

// hello opens a control stream: who the dialer is.
type hello struct {
	Node      effect.NodeID
	Advertise string
	Retired   effect.NodeID // the dialer's previous incarnation, 0 if none
	Members   []Member
}

func (h *hello) encode() []byte {
	var m msg
	m.u(uint64(h.Node))
	m.s(h.Advertise)
	m.u(uint64(h.Retired))
	m.members(h.Members)
	return m.b
}

func decodeHello(b []byte) (hello, error) {
	m := msg{b: b}
	h := hello{Node: effect.NodeID(m.getU()), Advertise: m.getS(), Retired: effect.NodeID(m.getU()), Members: m.getMembers()}
	if m.err {
		return hello{}, errMsg
	}
	return h, nil
}

// heartbeat carries the sender's HLC, applied frontier (its own Seq
// included) and membership view. The hello reply is a heartbeat too.
type heartbeat struct {
	HLC      uint64
	Frontier []effect.ID
	Members  []Member
}

func (h *heartbeat) encode() []byte {
	var m msg
	m.u(h.HLC)
	m.ids(h.Frontier)
	m.members(h.Members)
	return m.b
}

func decodeHeartbeat(b []byte) (heartbeat, error) {
	m := msg{b: b}
	h := heartbeat{HLC: m.getU(), Frontier: m.getIDs(), Members: m.getMembers()}
	if m.err {
		return heartbeat{}, errMsg
	}
	return h, nil
}

// fetchReq asks for the effects of Origin with From <= Seq <= To.
type fetchReq struct {
	Origin   effect.NodeID
	From, To uint64
}

func (f *fetchReq) encode() []byte {
	var m msg
	m.u(uint64(f.Origin))
	m.u(f.From)
	m.u(f.To)
	return m.b
}

func decodeFetch(b []byte) (fetchReq, error) {
	m := msg{b: b}
	f := fetchReq{Origin: effect.NodeID(m.getU()), From: m.getU(), To: m.getU()}
	if m.err || f.From == 0 || f.To < f.From {
		return fetchReq{}, errMsg
	}
	return f, nil
}

// Fetch end statuses.
const (
	fetchDone    = 0 // every requested effect sent (or all the server has)
	fetchEvicted = 1 // the start of the range is no longer retained
)
