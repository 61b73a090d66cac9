package commands

// families register their commands; each family file appends itself in an
// init function, so adding a family touches no shared file.
var families []func(t *Table)

// RegisterAll registers every data command family.
func RegisterAll(t *Table) {
	for _, f := range families {
		f(t)
	}
}
