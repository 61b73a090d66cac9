package commands

import "bytes"

// msortElems sorts v stably, as glibc's qsort does for SORT (a merge sort):
// any stable sort gives the same order, since the comparison is a
// consistent order. It merge-sorts compact keys (the score and the
// element's index: a numeric sort mostly never touches the elements), runs
// of 8 by insertion first, and moves each element once at the end.
func msortElems(v []sortElem, r *sortRun) {
	n := len(v)
	if n < 2 {
		return
	}
	type key struct {
		s float64
		i int32
	}
	var cmp func(a, b *key) int
	if !r.alpha {
		desc := r.desc
		cmp = func(a, b *key) int {
			c := 0
			switch {
			case a.s > b.s:
				c = 1
			case a.s < b.s:
				c = -1
			default:
				c = bytes.Compare(v[a.i].v, v[b.i].v)
			}
			if desc {
				return -c
			}
			return c
		}
	} else {
		cmp = func(a, b *key) int { return r.compare(&v[a.i], &v[b.i]) }
	}
	buf := make([]key, 2*n)
	a, b := buf[:n:n], buf[n:]
	for i := range v {
		a[i] = key{v[i].score, int32(i)}
	}
	const run = 8
	for lo := 0; lo < n; lo += run {
		hi := min(lo+run, n)
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo && cmp(&a[j-1], &a[j]) > 0; j-- {
				a[j-1], a[j] = a[j], a[j-1]
			}
		}
	}
	for w := run; w < n; w *= 2 {
		for lo := 0; lo < n; lo += 2 * w {
			mid, hi := min(lo+w, n), min(lo+2*w, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if cmp(&a[j], &a[i]) < 0 { // the right one only when strictly smaller
					b[k] = a[j]
					j++
				} else {
					b[k] = a[i]
					i++
				}
				k++
			}
			k += copy(b[k:], a[i:mid])
			copy(b[k:], a[j:hi])
		}
		a, b = b, a
	}
	out := make([]sortElem, n)
	for i, k := range a {
		out[i] = v[k.i]
	}
	copy(v, out)
}
