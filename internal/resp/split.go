package resp

// SplitArgs splits a line into arguments like Redis' sdssplitargs (blanks
// separate arguments; "double quotes" with escapes, 'single quotes'); false
// when the quotes are unbalanced. line is not modified.
func SplitArgs(line []byte) ([][]byte, bool) {
	return splitArgs(append([]byte(nil), line...), nil)
}
