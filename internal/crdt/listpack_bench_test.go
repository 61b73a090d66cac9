package crdt

import (
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/listpack"
	"github.com/lightconedb/lightcone/internal/longdouble"
)

// Benchmarks of the paths that read and write listpack entries (list nodes,
// stream nodes) and of HINCRBYFLOAT's long double arithmetic.

func benchValues() [][]byte {
	vals := make([][]byte, 256)
	for i := range vals {
		switch i % 4 {
		case 0:
			vals[i] = strconv.AppendInt(nil, int64(i*7919), 10)
		case 1:
			vals[i] = strconv.AppendInt(nil, -int64(i)*1e9, 10)
		case 2:
			vals[i] = []byte("value-" + strconv.Itoa(i))
		default:
			vals[i] = make([]byte, 100+i)
		}
	}
	return vals
}

// benchPush pushes values of every encoding at one end (a new list every
// 100000 elements).
func benchPush(b *testing.B, push func(l *List, v []byte)) {
	vals := benchValues()
	b.ReportAllocs()
	l := NewList(false)
	for i := 0; i < b.N; i++ {
		if l.Len() >= 100000 {
			l = NewList(false)
		}
		push(l, vals[i&255])
	}
}

func BenchmarkListPushTail(b *testing.B) {
	benchPush(b, func(l *List, v []byte) { l.pushTail(v, ElemID{}) })
}

func BenchmarkListPushHead(b *testing.B) {
	benchPush(b, func(l *List, v []byte) { l.pushHead(v, ElemID{}) })
}

func benchList(n int) *List {
	vals := benchValues()
	l := NewList(false)
	for i := 0; i < n; i++ {
		l.pushTail(vals[i&255], ElemID{})
	}
	return l
}

// benchIter walks a 10000-element list from one end to the other.
func benchIter(b *testing.B, rev bool) {
	l := benchList(10000)
	start := 0
	if rev {
		start = l.Len() - 1
	}
	var buf [20]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it := l.Iter(start, rev)
		for {
			if _, ok := it.Next(buf[:]); !ok {
				break
			}
		}
	}
}

func BenchmarkListIter(b *testing.B)    { benchIter(b, false) }
func BenchmarkListIterRev(b *testing.B) { benchIter(b, true) }

func BenchmarkListIndex(b *testing.B) {
	l := benchList(10000)
	var buf [20]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Index((i*7919)%10000, buf[:])
	}
}

func BenchmarkListSetAt(b *testing.B) {
	l := benchList(10000)
	vals := benchValues()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.setAt((i*7919)%10000, vals[(i*31)&255])
	}
}

func BenchmarkListInsertRemove(b *testing.B) {
	l := benchList(10000)
	vals := benchValues()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := (i * 7919) % 10000
		l.insertAt(at, true, vals[i&255], ElemID{})
		l.removeAt([]int{at})
	}
}

func BenchmarkListpackCheck(b *testing.B) {
	l := benchList(10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < l.Nodes(); k++ {
			e, n := l.NodeEntries(k)
			if c, ok := listpack.CheckEntries(e); !ok || c != n {
				b.Fatal("bad node")
			}
		}
	}
}

func BenchmarkStreamAppend(b *testing.B) {
	fv := [][]byte{[]byte("name"), []byte("alice"), []byte("age"), []byte("33"), []byte("n"), []byte("-123456789")}
	b.ReportAllocs()
	s := NewStream()
	id := StreamID{Ms: 1}
	for i := 0; i < b.N; i++ {
		if s.Length() >= 100000 {
			s = NewStream()
		}
		id.Seq++
		s.appendEntry(id, fv)
	}
}

func BenchmarkStreamRange(b *testing.B) {
	fv := [][]byte{[]byte("name"), []byte("alice"), []byte("age"), []byte("33")}
	s := NewStream()
	for i := 1; i <= 10000; i++ {
		s.appendEntry(StreamID{Ms: uint64(i)}, fv)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		s.Range(StreamID{}, StreamID{Ms: ^uint64(0), Seq: ^uint64(0)}, i&1 == 1, func(e *StreamEntry) bool {
			for k := e.NumFields(); k > 0; k-- {
				_, v := e.Next()
				n += len(v)
			}
			return true
		})
	}
}

func BenchmarkLongDoubleIncr(b *testing.B) {
	incr := []byte("1.25")
	cur := []byte("10.5")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, _ := longdouble.Parse(cur)
		d, _ := longdouble.Parse(incr)
		s, _ := longdouble.Add(c, d)
		cur = longdouble.Format(s)
	}
}
