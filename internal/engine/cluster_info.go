package engine

// Clustered reports whether the engine runs with other members, so that
// writes on different nodes may be concurrent. Commands that mint
// identities (XADD's automatic stream IDs) use it to keep them unique
// across nodes.
func (en *Engine) Clustered() bool { return en.cluster }
