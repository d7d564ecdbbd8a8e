"""Socket.IO: the notifier (the only emitter) and the namespaces /agent, /supervisor and
/internal."""
