package server

// busy-reply-threshold and its old name lua-time-limit (Redis 7.0 lists
// both in CONFIG GET; setting one sets the other).
func init() {
	sync := func(other string) func(s *Server, v string) error {
		return func(s *Server, v string) error { return s.Settings.Set(other, v) }
	}
	Params = append(Params,
		&Param{Name: "busy-reply-threshold", Kind: KindInt, Default: "5000", Min: 0, Max: 1<<63 - 1, Mutable: true,
			Help: "milliseconds a script may run before other clients get BUSY replies and SCRIPT KILL / FUNCTION KILL may stop it", OnSet: sync("lua-time-limit")},
		&Param{Name: "lua-time-limit", Kind: KindInt, Default: "5000", Min: 0, Max: 1<<63 - 1, Mutable: true,
			Help: "old name of busy-reply-threshold", OnSet: sync("busy-reply-threshold")},
	)
}
