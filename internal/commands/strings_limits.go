package commands

import "sync/atomic"

// protoMaxBulkLen mirrors the proto-max-bulk-len setting: the longest string
// SETRANGE, APPEND, SETBIT and BITFIELD may build, the largest bit offset
// they accept, and the bound on LCS' transient table. The server keeps it in
// step with its configuration through SetProtoMaxBulkLen.
var protoMaxBulkLen atomic.Int64

func init() { protoMaxBulkLen.Store(512 << 20) }

// SetProtoMaxBulkLen updates the proto-max-bulk-len limit the string and
// bitmap commands enforce.
func SetProtoMaxBulkLen(n int64) { protoMaxBulkLen.Store(n) }

// checkStringLength replies Redis' size error when a string of size bytes
// grown by add more bytes would exceed proto-max-bulk-len.
func checkStringLength(c *Ctx, size, add int64) bool {
	max := protoMaxBulkLen.Load()
	if size > max || add > max-size {
		c.Error(ErrMaxStringLen)
		return false
	}
	return true
}
