package resp

// Truncate drops buffered output past the first n bytes (CLIENT REPLY OFF and
// SKIP discard a reply this way). Output already written out is not recalled.
func (w *Writer) Truncate(n int) {
	if n < 0 {
		n = 0
	}
	if n < len(w.buf) {
		w.buf = w.buf[:n]
	} else if n > len(w.buf) {
		w.buf = w.buf[:0]
	}
}
