package rdb

import "hash/crc64"

// jonesPolyReflected is the CRC-64/Jones polynomial 0xad93d23594c935a9 in the
// bit-reversed form that hash/crc64 expects.
const jonesPolyReflected = 0x95ac9329ac4bc9b5

var jonesTable = crc64.MakeTable(jonesPolyReflected)

// CRC64 updates crc with p using CRC-64/Jones as Redis computes it for DUMP
// payloads and RDB files: reflected input and output, initial value 0 and no
// final XOR. Start with crc = 0; CRC64(0, []byte("123456789")) is
// 0xe9c6d914c4b8d9ca.
func CRC64(crc uint64, p []byte) uint64 {
	// hash/crc64 inverts the register on entry and on exit (init and xorout of
	// all ones); inverting around the call cancels both.
	return ^crc64.Update(^crc, jonesTable, p)
}
