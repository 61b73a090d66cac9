package server

import (
	"github.com/lightconedb/lightcone/internal/commands"
)

// LOLWUT [VERSION v [...]]: as Redis 7.0, the plain version line unless
// version 5 or 6 is asked for; those draw art — ours, not Redis' (the light
// cone of an event: its past below, its future above) — with Redis' size
// arguments and limits, ending with the same version line.

func cmdLolwut(c *commands.Ctx) {
	args := c.Args[1:]
	ver := int64(0)
	if len(c.Args) >= 3 && c.Is(1, "version") {
		v, ok := c.IntArg(2)
		if !ok {
			return
		}
		ver = v
		args = c.Args[3:]
	}
	// size arguments: version 5 takes columns, squares per row and squares
	// per column; version 6 columns and rows
	var defs, lo, hi []int64
	switch ver {
	case 5:
		defs, lo, hi = []int64{66, 8, 12}, []int64{1, 1, 1}, []int64{1000, 200, 200}
	case 6:
		defs, lo, hi = []int64{80, 20}, []int64{1, 1}, []int64{1000, 1000}
	default:
		c.W.Verbatim("txt", "Redis ver. "+RedisVersion+"\n")
		return
	}
	vals := append([]int64(nil), defs...)
	for i := range vals {
		if i < len(args) {
			v, ok := commands.ParseInt(args[i])
			if !ok {
				c.Error(commands.ErrNotInt)
				return
			}
			vals[i] = v
		}
		vals[i] = min(max(vals[i], lo[i]), hi[i])
	}
	cols, rows := int(vals[0]), int(vals[1])
	if ver == 5 {
		rows = int(vals[2]) * 2
	}
	c.W.Verbatim("txt", string(lightConeArt(cols, rows)))
}

// lightConeArt draws a light cone cols wide and rows high: two diagonals
// crossing at the event (the middle), the inside of the cones filled.
func lightConeArt(cols, rows int) []byte {
	out := make([]byte, 0, (cols+1)*rows+80)
	mid := float64(rows-1) / 2
	half := float64(cols-1) / 2
	for y := 0; y < rows; y++ {
		d := mid - float64(y)
		if d < 0 {
			d = -d
		}
		reach := half
		if mid > 0 {
			reach = half * d / mid
		}
		left, right := int(half-reach+0.5), int(half+reach+0.5)
		for x := 0; x < cols; x++ {
			ch := byte(' ')
			switch {
			case d < 0.5 && (x == left || x == right):
				ch = '*'
			case x == left && y < rows/2, x == right && y >= (rows+1)/2:
				ch = '\\'
			case x == right && y < rows/2, x == left && y >= (rows+1)/2:
				ch = '/'
			case x > left && x < right:
				if y < rows/2 {
					ch = '.' // future
				} else {
					ch = ':' // past
				}
			}
			out = append(out, ch)
		}
		out = append(out, '\n')
	}
	out = append(out, "\nThe light cone of an event: its future above, its past below. Redis ver. "...)
	out = append(out, RedisVersion...)
	return append(out, '\n')
}
