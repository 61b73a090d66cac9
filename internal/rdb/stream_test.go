package rdb

import (
	"math/rand"
	"reflect"
	"testing"
)

func sampleStream() *StreamValue {
	return &StreamValue{
		Nodes: []StreamNode{
			{Master: StreamID{1, 0}, LP: []byte("\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff")},
			{Master: StreamID{1 << 40, 7}, LP: []byte("listpack bytes that are long enough to be compressed, compressed, compressed")},
		},
		Length: 3, LastID: StreamID{1 << 40, 9}, V2: true,
		FirstID: StreamID{1, 0}, MaxDeleted: StreamID{5, 5}, EntriesAdded: 1 << 35,
		Groups: []StreamGroup{
			{Name: []byte("123"), LastID: StreamID{0, 0}, EntriesRead: -1},
			{Name: []byte("g"), LastID: StreamID{1 << 40, 7}, EntriesRead: 2,
				PEL: []StreamNACK{{StreamID{1, 0}, 1234567, 3}, {StreamID{1 << 40, 7}, -5, 1 << 40}},
				Consumers: []StreamConsumer{
					{Name: []byte("alice"), SeenTime: 99, PEL: []StreamID{{1, 0}}},
					{Name: []byte("bob"), SeenTime: 100, PEL: []StreamID{{1 << 40, 7}}},
					{Name: []byte(""), SeenTime: 0},
				}},
		},
	}
}

func TestStreamRoundTrip(t *testing.T) {
	v := sampleStream()
	p := DumpStream(v)
	if p[0] != TypeStreamListpacks2 {
		t.Fatalf("type %d", p[0])
	}
	o, err := Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	got := o.Value.(*StreamValue)
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, v)
	}
}

// Every truncation and byte flip of a payload either decodes or fails
// cleanly; none panics or allocates without bound.
func TestStreamDecodeCorrupt(t *testing.T) {
	p := DumpStream(sampleStream())
	body := p[:len(p)-footerLen]
	r := rand.New(rand.NewSource(1))
	try := func(b []byte) {
		defer func() {
			if x := recover(); x != nil {
				t.Fatalf("panic on %x: %v", b, x)
			}
		}()
		decodeStream(b[1:], true)
		decodeStream(b[1:], false)
	}
	for n := 1; n < len(body); n++ {
		try(body[:n])
	}
	for i := 0; i < 20000; i++ {
		b := append([]byte(nil), body...)
		for k := r.Intn(3) + 1; k > 0; k-- {
			b[1+r.Intn(len(b)-1)] = byte(r.Intn(256))
		}
		try(b)
	}
	// a huge count with no data behind it
	if _, err := decodeStream([]byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, true); err == nil {
		t.Fatal("huge node count accepted")
	}
	// a node key that is not 16 bytes
	if _, err := decodeStream([]byte{1, 2, 'a', 'b', 1, 'x', 0, 0, 0, 0}, true); err == nil {
		t.Fatal("short node key accepted")
	}
}

func TestStreamType15(t *testing.T) {
	// type 15: no first ID, max deleted ID, entries added, entries read
	body := []byte{0, 0, 5, 0, 1, 1, 'g', 2, 0, 0, 0}
	v, err := decodeStream(body, false)
	if err != nil {
		t.Fatal(err)
	}
	s := v.(*StreamValue)
	if s.V2 || s.LastID != (StreamID{5, 0}) || len(s.Groups) != 1 || string(s.Groups[0].Name) != "g" || s.Groups[0].LastID != (StreamID{2, 0}) {
		t.Fatalf("decoded %+v", s)
	}
}
