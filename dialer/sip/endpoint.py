"""The process's pjsua2 endpoint: no worker threads, null audio, one UDP or TCP transport."""

import ctypes
import errno
import logging
import os
import socket
import sys

import pjsua2 as pj

from dialer.backend import PortInUse, TelephonyError

LOG_LEVEL_ENV = "HUIFANG_SIP_LOG_LEVEL"
DEFAULT_LOG_LEVEL = 1  # errors only
PJ_ERRNO_START_SYS = 120000  # pj_status_t of an OS errno: PJ_ERRNO_START_SYS + errno
CLOCK_RATE = 8000  # telephony audio: G.711 on every trunk; recordings at 16 kB/s
TRANSPORTS = {
    "udp": (pj.PJSIP_TRANSPORT_UDP, socket.SOCK_DGRAM),
    "tcp": (pj.PJSIP_TRANSPORT_TCP, socket.SOCK_STREAM),
}

log = logging.getLogger(__name__)


class StderrLogWriter(pj.LogWriter):
    """Sends pjsua2's log lines to stderr, never stdout (CLI commands print JSON there)."""

    def write(self, entry: pj.LogEntry) -> None:
        try:
            msg = entry.msg
            sys.stderr.write(msg if msg.endswith("\n") else msg + "\n")
        except Exception:  # a log writer must never raise into pjlib
            pass


def sip_log_level() -> int:
    """pjsua2 log level from HUIFANG_SIP_LOG_LEVEL (0-6), default 1."""
    raw = os.environ.get(LOG_LEVEL_ENV, "").strip()
    if not raw:
        return DEFAULT_LOG_LEVEL
    if not raw.isdigit() or int(raw) > 6:
        raise TelephonyError(f"{LOG_LEVEL_ENV} must be a whole number from 0 to 6, not {raw!r}")
    return int(raw)


def silence_pjlib_startup() -> bool:
    """Lower pjlib's log level before libCreate, whose first lines go to stdout.

    pj_init logs "pjlib ... initialized" with pjlib's built-in writer (stdout) before libInit
    installs our log config; pj_log_set_level is exported by the pjsua2 extension module.
    """
    try:
        ctypes.CDLL(pj._pjsua2.__file__).pj_log_set_level(ctypes.c_int(0))
    except (OSError, AttributeError):
        log.warning("cannot lower pjlib's start-up log level; its first lines may reach stdout")
        return False
    return True


def port_free(host: str, port: int, kind: int = socket.SOCK_DGRAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as pjlib's listener
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class Endpoint(pj.Endpoint):
    """pjsua2's endpoint, polled from the owner's thread (threadCnt 0, mainThreadOnly)."""

    _exists = False  # pjsua2 allows one per process; constructing a second aborts the process

    def __init__(self) -> None:
        self._counted = False
        if Endpoint._exists:
            raise TelephonyError("a SIP endpoint already runs in this process (pjsua2 allows one)")
        super().__init__()
        Endpoint._exists = self._counted = True
        self._writer = StderrLogWriter()
        self.transport_id: int | None = None

    def __del__(self) -> None:
        if self._counted:  # the C++ destructor runs right after this
            Endpoint._exists = False

    def open(self, bind_host: str, port: int, transport: str = "udp") -> None:
        """Create and start the library with a transport ("udp" or "tcp") on bind_host:port
        (0: any)."""
        silence_pjlib_startup()
        self.libCreate()
        try:
            self.libInit(self._config())
            self.audDevManager().setNullDev()
            self.transport_id = self._open_transport(bind_host, port, transport)
            self.libStart()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Destroy the library. With no registrations to undo, skip pjsua's 1 s wait for them."""
        self.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)

    def bound_port(self) -> int:
        """The port the transport is bound to."""
        assert self.transport_id is not None, "endpoint not open"
        return int(self.transportGetInfo(self.transport_id).localName.rsplit(":", 1)[1])

    def _config(self) -> pj.EpConfig:
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.userAgent = "Huifang"
        cfg.logConfig.level = cfg.logConfig.consoleLevel = sip_log_level()
        cfg.logConfig.writer = self._writer
        cfg.medConfig.clockRate = cfg.medConfig.sndClockRate = CLOCK_RATE
        return cfg

    def _open_transport(self, bind_host: str, port: int, transport: str) -> int:
        kind, sock_kind = TRANSPORTS[transport]
        if port and not port_free(bind_host, port, sock_kind):  # one line, before pjlib logs
            raise PortInUse(f"SIP port {bind_host}:{port} is already in use")
        tcfg = pj.TransportConfig()
        tcfg.boundAddress = bind_host
        tcfg.port = port
        try:
            return self.transportCreate(kind, tcfg)
        except pj.Error as err:
            if err.status == PJ_ERRNO_START_SYS + errno.EADDRINUSE:
                raise PortInUse(f"SIP port {bind_host}:{port} is already in use") from None
            raise TelephonyError(
                f"cannot open SIP port {bind_host}:{port}: {err.reason.strip()}"
            ) from None
