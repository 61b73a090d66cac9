//go:build !linux

package server

func (s *Server) startBusyHelper(r *scriptRun) {}
func (s *Server) restoreEvents(c *client)      {}
