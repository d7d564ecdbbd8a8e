"""Plain service functions behind the views and Socket.IO handlers: each takes a session
the caller owns and returns data; none emits or calls a carrier."""
