package commands

// pqsortElems sorts v enough that positions lo..hi hold what a full sort would
// put there: Redis' partial quicksort for SORT ... BY ... LIMIT. It is the
// Bentley-McIlroy quicksort ("Engineering a Sort Function", 1993: median of
// three, or Tukey's ninther above 40 elements; three-way partitioning that
// parks elements equal to the pivot at both ends and swaps them back to
// the middle; insertion sort below 7 elements) that recurses only into the
// parts that overlap lo..hi. Equal elements end up in the order this
// exact procedure leaves them, which is what SORT replies, so the steps
// here must stay as they are.
func pqsortElems(v []sortElem, lo, hi int, cmp func(a, b *sortElem) int) {
	q := sortPQ{v: v, cmp: cmp, lo: lo, hi: hi}
	q.sort(0, len(v))
}

type sortPQ struct {
	v      []sortElem
	cmp    func(a, b *sortElem) int
	lo, hi int
}

func (q *sortPQ) c(i, j int) int { return q.cmp(&q.v[i], &q.v[j]) }

func (q *sortPQ) swap(i, j int) { q.v[i], q.v[j] = q.v[j], q.v[i] }

// vecswap swaps the n elements from i with the n elements from j.
func (q *sortPQ) vecswap(i, j, n int) {
	for ; n > 0; n-- {
		q.swap(i, j)
		i++
		j++
	}
}

// med3 is the median of three positions, by the classic decision tree.
func (q *sortPQ) med3(a, b, c int) int {
	if q.c(a, b) < 0 {
		if q.c(b, c) < 0 {
			return b
		}
		if q.c(a, c) < 0 {
			return c
		}
		return a
	}
	if q.c(b, c) > 0 {
		return b
	}
	if q.c(a, c) < 0 {
		return a
	}
	return c
}

// skip reports whether positions [l, r] lie wholly outside lo..hi.
func (q *sortPQ) skip(l, r int) bool {
	return (q.lo < l && q.hi < l) || (q.lo > r && q.hi > r)
}

// sort sorts the n elements from a.
func (q *sortPQ) sort(a, n int) {
	for {
		if n < 7 {
			for m := a + 1; m < a+n; m++ {
				for l := m; l > a && q.c(l-1, l) > 0; l-- {
					q.swap(l, l-1)
				}
			}
			return
		}
		m := a + n/2
		if n > 7 {
			l, r := a, a+n-1
			if n > 40 {
				d := n / 8
				l = q.med3(l, l+d, l+2*d)
				m = q.med3(m-d, m, m+d)
				r = q.med3(r-2*d, r-d, r)
			}
			m = q.med3(l, m, r)
		}
		q.swap(a, m)
		pa, pb := a+1, a+1
		pc, pd := a+n-1, a+n-1
		for {
			for pb <= pc {
				r := q.c(pb, a)
				if r > 0 {
					break
				}
				if r == 0 {
					q.swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := q.c(pc, a)
				if r < 0 {
					break
				}
				if r == 0 {
					q.swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			q.swap(pb, pc)
			pb++
			pc--
		}
		pn := a + n
		r := min(pa-a, pb-pa)
		q.vecswap(a, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		q.vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 && !q.skip(a, a+r-1) {
			q.sort(a, r)
		}
		r = pd - pc
		if r <= 1 {
			return
		}
		a, n = pn-r, r
		if q.skip(a, a+r-1) {
			return
		}
	}
}
