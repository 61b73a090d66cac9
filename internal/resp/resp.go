// Package resp implements the Redis serialization protocol (RESP2 and RESP3):
// a server-side command reader that mirrors redis-server 7.0's request
// parsing (including its exact protocol error messages), a generic value
// reader for clients and tests, and an allocation-free reply writer.
package resp

import (
	"errors"
	"math"
)

// Limits bounds what a Reader accepts. Zero or negative fields mean "use the
// default" (see DefaultLimits).
type Limits struct {
	MaxBulkLen      int64 // proto-max-bulk-len, default 512*1024*1024
	MaxMultibulkLen int64 // default 1024*1024 (Redis 7.0 itself accepts up to 2^31-1)
	MaxQueryBuf     int64 // client-query-buffer-limit, default 1<<30
	MaxInline       int   // default 64*1024 (PROTO_INLINE_MAX_SIZE); also bounds unterminated '*'/'$' header lines, as in Redis
}

// DefaultLimits returns the limits of a default redis-server configuration.
func DefaultLimits() Limits {
	return Limits{
		MaxBulkLen:      512 * 1024 * 1024,
		MaxMultibulkLen: 1024 * 1024,
		MaxQueryBuf:     1 << 30,
		MaxInline:       64 * 1024,
	}
}

func (l Limits) normalized() Limits {
	d := DefaultLimits()
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = d.MaxBulkLen
	}
	if l.MaxBulkLen > math.MaxInt64-4 {
		l.MaxBulkLen = math.MaxInt64 - 4
	}
	if l.MaxMultibulkLen <= 0 {
		l.MaxMultibulkLen = d.MaxMultibulkLen
	}
	if l.MaxMultibulkLen > math.MaxInt32 {
		// Redis rejects any multibulk count above INT_MAX.
		l.MaxMultibulkLen = math.MaxInt32
	}
	if l.MaxQueryBuf <= 0 {
		l.MaxQueryBuf = d.MaxQueryBuf
	}
	if l.MaxInline <= 0 {
		l.MaxInline = d.MaxInline
	}
	return l
}

// ProtocolError reports malformed input. Msg is the exact text redis-server
// replies with, without the "ERR " prefix, e.g.
// "Protocol error: invalid bulk length". Redis replies "-ERR <Msg>" and then
// closes the connection.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

// ErrQueryBufferLimit is returned by ReadCommand when a client's unprocessed
// input exceeds Limits.MaxQueryBuf. Redis closes such a client without
// sending any reply.
var ErrQueryBufferLimit = errors.New("resp: client reached max query buffer length")

// The exact protocol error texts of redis-server 7.0.
const (
	msgInvalidMultibulk = "Protocol error: invalid multibulk length"
	msgInvalidBulk      = "Protocol error: invalid bulk length"
	msgUnauthMultibulk  = "Protocol error: unauthenticated multibulk length"
	msgUnauthBulk       = "Protocol error: unauthenticated bulk length"
	msgTooBigInline     = "Protocol error: too big inline request"
	msgTooBigMbulk      = "Protocol error: too big mbulk count string"
	msgTooBigBulk       = "Protocol error: too big bulk count string"
	msgUnbalanced       = "Protocol error: unbalanced quotes in request"
)

// Pre-allocated errors so that error paths do not allocate either.
var (
	errInvalidMultibulk = &ProtocolError{msgInvalidMultibulk}
	errInvalidBulk      = &ProtocolError{msgInvalidBulk}
	errUnauthMultibulk  = &ProtocolError{msgUnauthMultibulk}
	errUnauthBulk       = &ProtocolError{msgUnauthBulk}
	errTooBigInline     = &ProtocolError{msgTooBigInline}
	errTooBigMbulk      = &ProtocolError{msgTooBigMbulk}
	errTooBigBulk       = &ProtocolError{msgTooBigBulk}
	errUnbalanced       = &ProtocolError{msgUnbalanced}
)

// Limits above which an unauthenticated client is rejected (Redis 7).
const (
	unauthMaxMultibulk = 10
	unauthMaxBulk      = 16384
)

// Kind is a RESP type byte.
type Kind byte

// The RESP2 and RESP3 type bytes.
const (
	KindSimple    Kind = '+'
	KindError     Kind = '-'
	KindInt       Kind = ':'
	KindBulk      Kind = '$'
	KindArray     Kind = '*'
	KindNull      Kind = '_'
	KindDouble    Kind = ','
	KindBool      Kind = '#'
	KindBlobError Kind = '!'
	KindVerbatim  Kind = '='
	KindBigNumber Kind = '('
	KindMap       Kind = '%'
	KindSet       Kind = '~'
	KindPush      Kind = '>'
	KindAttr      Kind = '|'
)

// Value is one decoded RESP value.
type Value struct {
	Kind   Kind
	Str    []byte  // simple string, error, bulk, blob error, verbatim text (without "fmt:"), big number, double text
	Int    int64   // ':' and '#' (1 for true, 0 for false)
	Float  float64 // ','
	Null   bool    // RESP2 $-1 / *-1, RESP3 '_'
	Elems  []Value // '*', '%' (k,v,k,v...), '~', '>'
	Format string  // verbatim format, e.g. "txt"
}
