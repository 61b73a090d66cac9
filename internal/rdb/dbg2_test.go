package rdb

import ("testing";"fmt")

func TestDbg2(t *testing.T) {
	vals := testStrings()
	v := vals[1102]
	tri := func(i int) uint32 { return uint32(v[i])<<16|uint32(v[i+1])<<8|uint32(v[i+2]) }
	s := lzfSlot(tri(172))
	for i := 0; i+2 < len(v); i++ {
		if lzfSlot(tri(i)) == s { fmt.Printf("pos %d %q\n", i, v[i:i+3]) }
	}
	fmt.Printf("%q\n", v)
	for _, o := range parseOps(LZFCompress(v)) { fmt.Printf("%+v ", o) }
}
