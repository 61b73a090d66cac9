// Package rdb implements Redis' RDB serialization as used by DUMP and RESTORE
// (RDB version 10, as written by Redis 7.0). Everything here is a pure
// function over byte slices.
package rdb

import (
	"encoding/binary"
	"errors"
)

// Version is the RDB format version written in DUMP payloads, and the
// highest one accepted by CheckPayload.
const Version = 10

// Object type codes, the first byte of a DUMP payload.
const (
	TypeString           = 0
	TypeList             = 1
	TypeSet              = 2
	TypeZSet             = 3
	TypeHash             = 4
	TypeZSet2            = 5 // zset with binary double scores
	TypeModulePreGA      = 6 // never written by released Redis versions
	TypeModule2          = 7
	TypeHashZipmap       = 9
	TypeListZiplist      = 10
	TypeSetIntset        = 11
	TypeZSetZiplist      = 12
	TypeHashZiplist      = 13
	TypeListQuicklist    = 14
	TypeStreamListpacks  = 15
	TypeHashListpack     = 16
	TypeZSetListpack     = 17
	TypeListQuicklist2   = 18
	TypeStreamListpacks2 = 19
)

// footerLen is the size of the DUMP footer: 2-byte version, 8-byte CRC.
const footerLen = 2 + 8

var (
	// ErrBadPayload is the RESTORE error for a payload whose footer does not
	// check out.
	ErrBadPayload = errors.New("DUMP payload version or checksum are wrong")
	// ErrBadData is the RESTORE error for a payload whose body cannot be
	// decoded (or holds a type not supported yet).
	ErrBadData = errors.New("Bad data format") //nolint:staticcheck // Redis' wording
)

// Object is a decoded DUMP payload.
type Object struct {
	Type  byte
	Str   []byte // TypeString: the value
	Value any    // other types: what that type's decoder returns
}

// decoders decode the body of a DUMP payload (after the type byte) of one
// RDB type; each type's file registers its own in init.
var decoders = map[byte]func(body []byte) (any, error){}

// RegisterDecoder installs the decoder of RDB type typ.
func RegisterDecoder(typ byte, fn func(body []byte) (any, error)) { decoders[typ] = fn }

// DumpString returns the DUMP payload of a string value, byte for byte what
// redis-server 7.0 returns for DUMP of a key holding val.
func DumpString(val []byte) []byte {
	p := make([]byte, 0, 1+9+len(val)+footerLen)
	p = append(p, TypeString)
	p = AppendString(p, val)
	return appendFooter(p)
}

// appendFooter appends the RDB version and the CRC-64 of everything before
// it, both little-endian.
func appendFooter(p []byte) []byte {
	p = binary.LittleEndian.AppendUint16(p, Version)
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

// CheckPayload verifies the footer of a DUMP payload as RESTORE does: the
// payload must be at least 10 bytes long, its version no newer than Version
// and its CRC-64 right (a zero CRC gets no special treatment). It returns
// ErrBadPayload otherwise.
func CheckPayload(p []byte) error {
	if len(p) < footerLen {
		return ErrBadPayload
	}
	footer := p[len(p)-footerLen:]
	if v := binary.LittleEndian.Uint16(footer); v > Version && !(v <= VersionHashTTL && (p[0] == TypeHashMetadata || p[0] == TypeHashListpackEx)) {
		return ErrBadPayload // (hashes with field TTLs come in Redis 7.4's version 12)
	}
	if CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return ErrBadPayload
	}
	return nil
}

// Decode checks a DUMP payload with CheckPayload and decodes the object in
// it. A body that cannot be decoded, or an object type not supported yet,
// yields ErrBadData.
//
// Like RESTORE in Redis, Decode reads the object from the start of the whole
// payload: bytes left between the object and the footer are ignored, and an
// object that runs into the footer reads the footer's bytes as its own.
func Decode(p []byte) (Object, error) {
	if err := CheckPayload(p); err != nil {
		return Object{}, err
	}
	obj := Object{Type: p[0]}
	switch obj.Type {
	case TypeString:
		s, _, err := ReadString(p[1:])
		if err != nil {
			return Object{}, ErrBadData
		}
		obj.Str = s
	default:
		fn := decoders[obj.Type]
		if fn == nil {
			return Object{}, ErrBadData
		}
		v, err := fn(p[1:])
		if err != nil {
			return Object{}, ErrBadData
		}
		obj.Value = v
	}
	return obj, nil
}
