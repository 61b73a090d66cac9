package diff

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCases runs every testdata/*.txt case file as a subtest named after
// the file: go test ./test/diff -run TestCases/connection
func TestCases(t *testing.T) {
	needServers(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no case files in testdata/")
	}
	slices.Sort(files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			RunCaseFile(t, f, redisAddr, lightAddr)
		})
	}
}

func TestSplitArgs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "", want: nil},
		{in: "  set  a b ", want: []string{"set", "a", "b"}},
		{in: `set "a b" 'c d'`, want: []string{"set", "a b", "c d"}},
		{in: `x "\n\r\t\b\a\\\"\x41\x4g\q"`, want: []string{"x", "\n\r\t\b\a\\\"A" + "x4gq"}},
		{in: `x 'it\'s \n'`, want: []string{"x", `it's \n`}},
		{in: `x ""`, want: []string{"x", ""}},
		{in: `a"b c"`, want: []string{"ab c"}},
		{in: `x "abc`, bad: true},
		{in: `x 'abc`, bad: true},
		{in: `x "a"b`, bad: true},
		{in: `x "\xff\x00"`, want: []string{"x", "\xff\x00"}},
	} {
		got, err := SplitArgs(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("SplitArgs(%q) = %q, want an error", c.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if c.want != nil {
			back, err := SplitArgs(Quote(got))
			if err != nil || !slices.Equal(back, got) {
				t.Errorf("SplitArgs(Quote(%q)) = %q, %v", got, back, err)
			}
		}
	}
}
