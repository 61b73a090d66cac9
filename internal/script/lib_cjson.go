package script

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// The cjson library (lua-cjson 2.1.0 behaviour, as bundled with Redis):
// encode / decode with its defaults (number precision 14, sparse arrays
// refused past ratio 2 and safe 10, depth 1000, NaN/Inf refused), cjson.null
// and the configuration functions.

type cjsonCfg struct {
	sparseConvert bool
	sparseRatio   int
	sparseSafe    int
	encodeDepth   int
	decodeDepth   int
	precision     int
	encodeInvalid int // 0 off, 1 on, 2 "null"
	decodeInvalid bool
	keepBuffer    bool
}

func defaultCjson() *cjsonCfg {
	return &cjsonCfg{sparseRatio: 2, sparseSafe: 10, encodeDepth: 1000, decodeDepth: 1000, precision: 14, decodeInvalid: true, keepBuffer: true}
}

// cjsonNull is cjson.null (a NULL light userdata in C).
var cjsonNull = &lua.LUserData{}

func openCjson(L *lua.LState) {
	L.SetGlobal("cjson", newCjson(L))
}

func newCjson(L *lua.LState) *lua.LTable {
	cfg := defaultCjson()
	t := L.NewTable()
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int { return cjsonEncode(L, cfg) }))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int { return cjsonDecode(L, cfg) }))
	t.RawSetString("null", cjsonNull)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	t.RawSetString("new", L.NewFunction(func(L *lua.LState) int { L.Push(newCjson(L)); return 1 }))
	intCfg := func(p *int, lo, hi int) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				v := int(checkNumber(L, 1))
				if v < lo || v > hi {
					libArgError(L, 1, "expected integer between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
				}
				*p = v
			}
			L.Push(lua.LNumber(*p))
			return 1
		}
	}
	boolCfg := func(p *bool) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				switch v := L.Get(1).(type) {
				case lua.LBool:
					*p = bool(v)
				case lua.LString:
					*p = string(v) == "on"
				default:
					*p = lua.LVAsBool(v)
				}
			}
			L.Push(lua.LBool(*p))
			return 1
		}
	}
	t.RawSetString("encode_max_depth", L.NewFunction(intCfg(&cfg.encodeDepth, 1, math.MaxInt32)))
	t.RawSetString("decode_max_depth", L.NewFunction(intCfg(&cfg.decodeDepth, 1, math.MaxInt32)))
	t.RawSetString("encode_number_precision", L.NewFunction(intCfg(&cfg.precision, 1, 14)))
	t.RawSetString("encode_keep_buffer", L.NewFunction(boolCfg(&cfg.keepBuffer)))
	t.RawSetString("decode_invalid_numbers", L.NewFunction(boolCfg(&cfg.decodeInvalid)))
	t.RawSetString("encode_invalid_numbers", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			switch v := L.Get(1).(type) {
			case lua.LBool:
				cfg.encodeInvalid = map[bool]int{false: 0, true: 1}[bool(v)]
			case lua.LString:
				switch string(v) {
				case "on":
					cfg.encodeInvalid = 1
				case "null":
					cfg.encodeInvalid = 2
				default:
					cfg.encodeInvalid = 0
				}
			}
		}
		switch cfg.encodeInvalid {
		case 1:
			L.Push(lua.LTrue)
		case 2:
			L.Push(lua.LString("null"))
		default:
			L.Push(lua.LFalse)
		}
		return 1
	}))
	t.RawSetString("encode_sparse_array", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			cfg.sparseConvert = lua.LVAsBool(L.Get(1))
		}
		if L.GetTop() >= 2 {
			cfg.sparseRatio = int(checkNumber(L, 2))
		}
		if L.GetTop() >= 3 {
			cfg.sparseSafe = int(checkNumber(L, 3))
		}
		L.Push(lua.LBool(cfg.sparseConvert))
		L.Push(lua.LNumber(cfg.sparseRatio))
		L.Push(lua.LNumber(cfg.sparseSafe))
		return 3
	}))
	return t
}

type jsonEncoder struct {
	L   *lua.LState
	cfg *cjsonCfg
	b   []byte
}

func cjsonEncode(L *lua.LState, cfg *cjsonCfg) int {
	if L.GetTop() != 1 {
		libArgError(L, 1, "expected 1 argument")
	}
	e := &jsonEncoder{L: L, cfg: cfg}
	e.value(L.Get(1), 0)
	L.Push(lua.LString(e.b))
	return 1
}

func (e *jsonEncoder) fail(v lua.LValue, reason string) {
	libError(e.L, "Cannot serialise %s: %s", v.Type().String(), reason)
}

func (e *jsonEncoder) number(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch e.cfg.encodeInvalid {
		case 0:
			e.fail(lua.LNumber(f), "must not be NaN or Inf")
		case 2:
			e.b = append(e.b, "null"...)
			return
		}
		if math.IsNaN(f) {
			e.b = append(e.b, "nan"...)
			return
		}
		if f > 0 {
			e.b = append(e.b, "inf"...)
		} else {
			e.b = append(e.b, "-inf"...)
		}
		return
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		if f == 0 && math.Signbit(f) {
			e.b = append(e.b, "-0"...)
			return
		}
		e.b = strconv.AppendInt(e.b, int64(f), 10)
		return
	}
	e.b = strconv.AppendFloat(e.b, f, 'g', e.cfg.precision, 64)
}

func (e *jsonEncoder) str(s string) {
	e.b = append(e.b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			e.b = append(e.b, '\\', '"')
		case '\\':
			e.b = append(e.b, '\\', '\\')
		case '/':
			e.b = append(e.b, '\\', '/')
		case '\b':
			e.b = append(e.b, '\\', 'b')
		case '\f':
			e.b = append(e.b, '\\', 'f')
		case '\n':
			e.b = append(e.b, '\\', 'n')
		case '\r':
			e.b = append(e.b, '\\', 'r')
		case '\t':
			e.b = append(e.b, '\\', 't')
		default:
			if c < 0x20 || c == 0x7f {
				e.b = append(e.b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			} else {
				e.b = append(e.b, c)
			}
		}
	}
	e.b = append(e.b, '"')
}

// arrayLength is lua-cjson's lua_array_length: -1 when t is not an array.
func (e *jsonEncoder) arrayLength(t *lua.LTable) int {
	max, items := 0, 0
	notArray := false
	t.ForEach(func(k, _ lua.LValue) {
		if notArray {
			return
		}
		if n, ok := k.(lua.LNumber); ok {
			f := float64(n)
			if f == math.Floor(f) && f >= 1 {
				if int(f) > max {
					max = int(f)
				}
				items++
				return
			}
		}
		notArray = true
	})
	if notArray {
		return -1
	}
	if e.cfg.sparseRatio > 0 && max > items*e.cfg.sparseRatio && max > e.cfg.sparseSafe {
		if !e.cfg.sparseConvert {
			e.fail(t, "excessively sparse array")
		}
		return -1
	}
	return max
}

func (e *jsonEncoder) value(v lua.LValue, depth int) {
	switch x := v.(type) {
	case lua.LString:
		e.str(string(x))
	case lua.LNumber:
		e.number(float64(x))
	case lua.LBool:
		if x {
			e.b = append(e.b, "true"...)
		} else {
			e.b = append(e.b, "false"...)
		}
	case *lua.LNilType:
		e.b = append(e.b, "null"...)
	case *lua.LUserData:
		if x == cjsonNull {
			e.b = append(e.b, "null"...)
			return
		}
		e.fail(v, "type not supported")
	case *lua.LTable:
		depth++
		if depth > e.cfg.encodeDepth {
			libError(e.L, "Cannot serialise, excessive nesting (%d)", depth)
		}
		n := e.arrayLength(x)
		if n > 0 {
			e.b = append(e.b, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					e.b = append(e.b, ',')
				}
				e.value(x.RawGetInt(i), depth)
			}
			e.b = append(e.b, ']')
			return
		}
		e.b = append(e.b, '{')
		first := true
		x.ForEach(func(k, val lua.LValue) {
			if !first {
				e.b = append(e.b, ',')
			}
			first = false
			switch kk := k.(type) {
			case lua.LString:
				e.str(string(kk))
			case lua.LNumber:
				e.b = append(e.b, '"')
				e.number(float64(kk))
				e.b = append(e.b, '"')
			default:
				e.fail(k, "table key must be a number or string")
			}
			e.b = append(e.b, ':')
			e.value(val, depth)
		})
		e.b = append(e.b, '}')
	default:
		e.fail(v, "type not supported")
	}
}

// JSON decoding.

type jsonTok int

const (
	tObjBegin jsonTok = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var tokNames = []string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER",
	"T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN"}

type token struct {
	typ   jsonTok
	index int
	str   string
	num   float64
	b     bool
	err   string
}

type jsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonCfg
	s     string
	i     int
	depth int
}

func cjsonDecode(L *lua.LState, cfg *cjsonCfg) int {
	if L.GetTop() != 1 {
		libArgError(L, 1, "expected 1 argument")
	}
	s, ok := luaStringOf(L.Get(1))
	if !ok {
		libTypeError(L, 1, "string")
	}
	d := &jsonDecoder{L: L, cfg: cfg, s: s}
	var tok token
	d.next(&tok)
	v := d.value(&tok)
	d.next(&tok)
	if tok.typ != tEnd {
		d.errorf("the end", &tok)
	}
	L.Push(v)
	return 1
}

func (d *jsonDecoder) errorf(exp string, t *token) {
	found := tokNames[t.typ]
	if t.typ == tError {
		found = t.err
	}
	libError(d.L, "Expected %s but found %s at character %d", exp, found, t.index+1)
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *jsonDecoder) next(t *token) {
	for d.i < len(d.s) && isJSONSpace(d.s[d.i]) {
		d.i++
	}
	t.index = d.i
	if d.i >= len(d.s) {
		t.typ = tEnd
		return
	}
	c := d.s[d.i]
	switch c {
	case '{':
		t.typ = tObjBegin
		d.i++
	case '}':
		t.typ = tObjEnd
		d.i++
	case '[':
		t.typ = tArrBegin
		d.i++
	case ']':
		t.typ = tArrEnd
		d.i++
	case ':':
		t.typ = tColon
		d.i++
	case ',':
		t.typ = tComma
		d.i++
	case '"':
		d.string(t)
	case 0:
		t.typ = tEnd // a NUL ends the document, as in C
	default:
		if c == '-' || (c >= '0' && c <= '9') || d.cfg.decodeInvalid && (c == 'i' || c == 'I' || c == 'n' || c == 'N') && d.invalidNumber(t) {
			if t.typ == tNumber {
				return
			}
			d.number(t)
			return
		}
		for _, w := range []struct {
			s   string
			typ jsonTok
			b   bool
		}{{"true", tBoolean, true}, {"false", tBoolean, false}, {"null", tNull, false}} {
			if strings.HasPrefix(d.s[d.i:], w.s) {
				t.typ, t.b = w.typ, w.b
				d.i += len(w.s)
				return
			}
		}
		t.typ, t.err = tError, "invalid token"
	}
}

// invalidNumber accepts "nan"/"inf"/"infinity" (decode_invalid_numbers).
func (d *jsonDecoder) invalidNumber(t *token) bool {
	rest := strings.ToLower(d.s[d.i:min(len(d.s), d.i+8)])
	for _, w := range []struct {
		s string
		f float64
	}{{"infinity", math.Inf(1)}, {"inf", math.Inf(1)}, {"nan", math.NaN()}} {
		if strings.HasPrefix(rest, w.s) {
			t.typ, t.num = tNumber, w.f
			d.i += len(w.s)
			return true
		}
	}
	return false
}

func (d *jsonDecoder) number(t *token) {
	start := d.i
	j := d.i
	if j < len(d.s) && (d.s[j] == '-' || d.s[j] == '+') {
		j++
	}
	if j+1 < len(d.s) && d.s[j] == '0' && (d.s[j+1] == 'x' || d.s[j+1] == 'X') {
		k := j + 2
		for k < len(d.s) && isHexDigit(d.s[k]) {
			k++
		}
		if v, err := strconv.ParseUint(d.s[j+2:k], 16, 64); err == nil {
			f := float64(v)
			if d.s[start] == '-' {
				f = -f
			}
			t.typ, t.num = tNumber, f
			d.i = k
			return
		}
	}
	// the longest prefix strtod accepts
	k := j
	for k < len(d.s) && d.s[k] >= '0' && d.s[k] <= '9' {
		k++
	}
	if k < len(d.s) && d.s[k] == '.' {
		k++
		for k < len(d.s) && d.s[k] >= '0' && d.s[k] <= '9' {
			k++
		}
	}
	if k > j && k < len(d.s) && (d.s[k] == 'e' || d.s[k] == 'E') {
		m := k + 1
		if m < len(d.s) && (d.s[m] == '+' || d.s[m] == '-') {
			m++
		}
		if m < len(d.s) && d.s[m] >= '0' && d.s[m] <= '9' {
			for m < len(d.s) && d.s[m] >= '0' && d.s[m] <= '9' {
				m++
			}
			k = m
		}
	}
	f, err := strconv.ParseFloat(d.s[start:k], 64)
	if err != nil && k == j || d.s[start:k] == "-" || d.s[start:k] == "." {
		t.typ, t.err = tError, "invalid number"
		return
	}
	t.typ, t.num = tNumber, f
	d.i = k
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func (d *jsonDecoder) string(t *token) {
	d.i++ // opening quote
	var b []byte
	for {
		if d.i >= len(d.s) {
			t.typ, t.err, t.index = tError, "unexpected end of string", d.i
			return
		}
		c := d.s[d.i]
		if c == '"' {
			d.i++
			break
		}
		if c != '\\' {
			b = append(b, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.s) {
			t.typ, t.err, t.index = tError, "unexpected end of string", d.i
			return
		}
		e := d.s[d.i+1]
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hexVal4(d.s[d.i+2:])
			if !ok {
				t.typ, t.err, t.index = tError, "invalid unicode escape code", d.i
				return
			}
			d.i += 4
			if r >= 0xd800 && r <= 0xdbff {
				if d.i+7 < len(d.s)+1 && d.i+2 < len(d.s) && d.s[d.i+2] == '\\' && d.i+3 < len(d.s) && d.s[d.i+3] == 'u' {
					lo, ok := hexVal4(d.s[d.i+4:])
					if !ok || lo < 0xdc00 || lo > 0xdfff {
						t.typ, t.err, t.index = tError, "invalid unicode escape code", d.i-4
						return
					}
					r = (r-0xd800)<<10 | (lo - 0xdc00) + 0x10000
					d.i += 6
				} else {
					t.typ, t.err, t.index = tError, "invalid unicode escape code", d.i-4
					return
				}
			} else if r >= 0xdc00 && r <= 0xdfff {
				t.typ, t.err, t.index = tError, "invalid unicode escape code", d.i-4
				return
			}
			b = utf8.AppendRune(b, r)
		default:
			t.typ, t.err, t.index = tError, "invalid escape code", d.i
			return
		}
		d.i += 2
	}
	t.typ, t.str = tString, string(b)
}

func (d *jsonDecoder) value(t *token) lua.LValue {
	L := d.L
	switch t.typ {
	case tString:
		return lua.LString(t.str)
	case tNumber:
		return lua.LNumber(t.num)
	case tBoolean:
		return lua.LBool(t.b)
	case tNull:
		return cjsonNull
	case tObjBegin:
		d.depth++
		if d.depth > d.cfg.decodeDepth {
			libError(L, "Found too many nested data structures (%d) at character %d", d.depth, t.index+1)
		}
		obj := L.NewTable()
		d.next(t)
		if t.typ == tObjEnd {
			d.depth--
			return obj
		}
		for {
			if t.typ != tString {
				d.errorf("object key string", t)
			}
			key := t.str
			d.next(t)
			if t.typ != tColon {
				d.errorf("colon", t)
			}
			d.next(t)
			obj.RawSetString(key, d.value(t))
			d.next(t)
			if t.typ == tObjEnd {
				d.depth--
				return obj
			}
			if t.typ != tComma {
				d.errorf("comma or object end", t)
			}
			d.next(t)
		}
	case tArrBegin:
		d.depth++
		if d.depth > d.cfg.decodeDepth {
			libError(L, "Found too many nested data structures (%d) at character %d", d.depth, t.index+1)
		}
		arr := L.NewTable()
		d.next(t)
		if t.typ == tArrEnd {
			d.depth--
			return arr
		}
		for i := 1; ; i++ {
			arr.RawSetInt(i, d.value(t))
			d.next(t)
			if t.typ == tArrEnd {
				d.depth--
				return arr
			}
			if t.typ != tComma {
				d.errorf("comma or array end", t)
			}
			d.next(t)
		}
	}
	d.errorf("value", t)
	return lua.LNil
}
