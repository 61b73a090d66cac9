package rdb

import ("testing";"fmt")

func TestDbg3(t *testing.T) {
	rc := startRedis(t)
	vals := testStrings()
	for _, idx := range []int{1102, 1069} {
	v := vals[idx]
	rc.do("SET", "k", v)
	r, _ := rc.do("DUMP", "k")
	theirs := r.([]byte)
	_, _, rest, _ := ReadLength(theirs[1:])
	clen, rest, _ := readPlainLength(rest)
	_, rest, _ = readPlainLength(rest)
	fmt.Println(clen, len(LZFCompress(v)))
	for _, o := range parseOps(rest[:clen]) { fmt.Printf("%+v ", o) }
	fmt.Println()
	for _, o := range parseOps(LZFCompress(v)) { fmt.Printf("%+v ", o) }
	fmt.Println()
	}
}
