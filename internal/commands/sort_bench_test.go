package commands

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func sortBenchVec(n int) []sortElem {
	r := rand.New(rand.NewPCG(1, 2))
	vec := make([]sortElem, n)
	for i := range vec {
		vec[i].v = strconv.AppendInt(nil, int64(r.IntN(1e9)), 10)
	}
	return vec
}

func BenchmarkSortScore(b *testing.B) {
	vec := sortBenchVec(1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sortScore(vec[i%len(vec)].v)
	}
}

func BenchmarkSortNumeric200k(b *testing.B) {
	base := sortBenchVec(200000)
	for i := range base {
		base[i].score, _ = sortScore(base[i].v)
	}
	r := &sortRun{}
	vec := make([]sortElem, len(base))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(vec, base)
		msortElems(vec, r)
	}
}
