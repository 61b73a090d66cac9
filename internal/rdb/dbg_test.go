package rdb

import ("testing";"fmt";"bytes")

func TestDbg(t *testing.T) {
	rc := startRedis(t)
	vals := testStrings()
	var theirs [][]byte
	for _, v := range vals {
		rc.do("SET", "k", v)
		r, _ := rc.do("DUMP", "k")
		theirs = append(theirs, r.([]byte))
	}
	hashes := map[string]func(uint32) uint32{}
	for _, hl := range []uint32{13,14,15,16} {
		hl := hl
		mask := uint32(1)<<hl - 1
		hashes[fmt.Sprint("vf5_",hl)] = func(h uint32) uint32 { return ((h >> (24-hl)) - h*5) & mask }
		hashes[fmt.Sprint("uf_",hl)] = func(h uint32) uint32 { return ((h >> (24-hl)) - h) & mask }
	}
	for name, f := range hashes {
		lzfSlot = f
		bad := 0
		for i, v := range vals {
			lzfTables = syncPoolFresh()
			if !bytes.Equal(DumpString(v), theirs[i]) { bad++ }
		}
		fmt.Println(name, bad)
	}
}
type lzfOp struct{ pos, lit, l, off int }

func parseOps(c []byte) []lzfOp {
	var ops []lzfOp
	pos := 0
	for ip := 0; ip < len(c); {
		ctrl := int(c[ip]); ip++
		if ctrl < 32 { ops = append(ops, lzfOp{pos, ctrl+1, 0, 0}); pos += ctrl+1; ip += ctrl+1; continue }
		l := ctrl>>5
		if l == 7 { l += int(c[ip]); ip++ }
		off := (ctrl&31)<<8 | int(c[ip]); ip++
		ops = append(ops, lzfOp{pos, 0, l+2, off+1}); pos += l+2
	}
	return ops
}
