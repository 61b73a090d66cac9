package cluster

import (
	"bufio"
	"bytes"
	"reflect"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
)

// FuzzFrames feeds arbitrary bytes to what reads a peer's streams: the
// frame reader, then every message decoder on every frame body it
// accepts. Nothing may panic, and a message that decodes must encode to
// bytes that decode to the same message.
func FuzzFrames(f *testing.F) {
	var seed bytes.Buffer
	w := bufio.NewWriter(&seed)
	h := hello{Node: 7, Advertise: "127.0.0.1:17001", Members: []Member{{ID: 7, Addr: "a:1"}, {ID: 9, Retired: true}}}
	writeFrame(w, frameHello, h.encode())
	hb := heartbeat{HLC: 1 << 40, Frontier: []effect.ID{{Node: 7, Seq: 3}, {Node: 9, Seq: 11}}, Members: h.Members}
	writeFrame(w, frameHeartbeat, hb.encode())
	fr := fetchReq{Origin: 9, From: 1, To: 100}
	writeFrame(w, frameFetch, fr.encode())
	w.Flush()
	f.Add(seed.Bytes())
	f.Add([]byte{0, 0, 0, 1, 3, 0, 0, 0, 0})
	f.Add(h.encode())
	f.Add(hb.encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		// the bytes as one message body (a frame's checksum would stop
		// most random inputs before the decoders), then as a stream
		decodeAll(t, data)
		r := bufio.NewReader(bytes.NewReader(data))
		var buf []byte
		for i := 0; i < 64; i++ {
			_, body, b, err := readFrame(r, buf)
			buf = b
			if err != nil {
				return
			}
			decodeAll(t, body)
		}
	})
}

func decodeAll(t *testing.T, body []byte) {
	if h, err := decodeHello(body); err == nil {
		h2, err := decodeHello(h.encode())
		if err != nil || !reflect.DeepEqual(h, h2) {
			t.Fatalf("hello %+v re-decodes as %+v, %v", h, h2, err)
		}
	}
	if hb, err := decodeHeartbeat(body); err == nil {
		hb2, err := decodeHeartbeat(hb.encode())
		if err != nil || !reflect.DeepEqual(hb, hb2) {
			t.Fatalf("heartbeat %+v re-decodes as %+v, %v", hb, hb2, err)
		}
	}
	if fr, err := decodeFetch(body); err == nil {
		fr2, err := decodeFetch(fr.encode())
		if err != nil || fr != fr2 {
			t.Fatalf("fetch %+v re-decodes as %+v, %v", fr, fr2, err)
		}
	}
	decodeMessage(body)
	m := msg{b: body}
	m.getIDs()
}
