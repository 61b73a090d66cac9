package commands

// Sorting search results as Redis does, so that points at equal distances
// come out in the same order:
//
//   - a full sort is glibc's qsort, a merge sort for elements of this size:
//     stable (sort.SliceStable);
//   - with COUNT smaller than the number of results Redis sorts only the
//     first COUNT places with a partial quicksort: Bentley and McIlroy's
//     "Engineering a Sort Function" quicksort (median of three, ninther
//     above 40 elements, insertion sort below 7, three-way partition with
//     the pivot's equals swapped to the ends), recursing only into the
//     parts that overlap the wanted range. partialSort is that algorithm.

// partialSort orders pts so that positions [0, upto] hold what a full sort
// would put there, by cmp (negative, zero, positive).
func partialSort(pts []geoPoint, cmp func(a, b *geoPoint) int, upto int) {
	pqsort(pts, 0, len(pts), cmp, 0, upto)
}

// pqsort sorts pts[lo:lo+n] where it overlaps the index range [lr, rr].
func pqsort(pts []geoPoint, lo, n int, cmp func(a, b *geoPoint) int, lr, rr int) {
	c := func(i, j int) int { return cmp(&pts[i], &pts[j]) }
	swap := func(i, j int) { pts[i], pts[j] = pts[j], pts[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i++
			j++
		}
	}
	med3 := func(a, b, d int) int {
		if c(a, b) < 0 {
			if c(b, d) < 0 {
				return b
			}
			if c(a, d) < 0 {
				return d
			}
			return a
		}
		if c(b, d) > 0 {
			return b
		}
		if c(a, d) < 0 {
			return a
		}
		return d
	}
	for {
		if n < 7 {
			for m := lo + 1; m < lo+n; m++ {
				for l := m; l > lo && c(l-1, l) > 0; l-- {
					swap(l, l-1)
				}
			}
			return
		}
		pm := lo + n/2
		if n > 7 {
			pl, pn := lo, lo+n-1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(lo, pm)
		pa, pb := lo+1, lo+1
		pc, pd := lo+n-1, lo+n-1
		for {
			for pb <= pc {
				r := c(pb, lo)
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := c(pc, lo)
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := lo + n
		r := min(pa-lo, pb-pa)
		vecswap(lo, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 {
			if !(lr < lo && rr < lo || lr > lo+r-1 && rr > lo+r-1) {
				pqsort(pts, lo, r, cmp, lr, rr)
			}
		}
		if r = pd - pc; r > 1 {
			lo, n = pn-r, r
			if !(lr < lo && rr < lo || lr > lo+r-1 && rr > lo+r-1) {
				continue
			}
		}
		return
	}
}
