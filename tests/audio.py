"""Listening to calls in tests: what arrives at an agent's phone (an RTP tap), what a
recording holds, and whether a tone is in it (Goertzel). Pure Python."""

from __future__ import annotations

import math
import socket
import threading
import time
import wave
from pathlib import Path

PCMU = 0


def mu_law_decode(byte: int) -> int:
    """One G.711 mu-law byte as a 16-bit sample."""
    byte = ~byte & 0xFF
    exponent, mantissa = (byte >> 4) & 0x07, byte & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -magnitude if byte & 0x80 else magnitude


MU_LAW = [mu_law_decode(b) for b in range(256)]


def tone_share(samples: list[int], hz: float, rate: int) -> float:
    """The share of the samples' power at `hz`, by Goertzel over 100 ms blocks (so that a
    pause or a phase jump between blocks costs nothing): about 1.0 for a tone at hz, 0.0 for
    silence or other sounds."""
    block = rate // 10
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    at_hz = total = 0.0
    for start in range(0, len(samples) - block + 1, block):
        s1 = s2 = 0.0
        chunk = samples[start : start + block]
        for x in chunk:
            s1, s2 = x + coeff * s1 - s2, s1
        at_hz += s1 * s1 + s2 * s2 - coeff * s1 * s2
        total += sum(x * x for x in chunk) * block / 2
    return at_hz / total if total else 0.0


class RtpTap:
    """A UDP socket an agent phone's SDP names for its audio: it keeps the PCMU samples that
    reach the agent, with their arrival time."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.packets: list[tuple[float, list[int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(2048)
            except TimeoutError:
                continue
            if len(data) > 12 and data[1] & 0x7F == PCMU:
                self.packets.append((time.monotonic(), [MU_LAW[b] for b in data[12:]]))

    def samples(self, since: float = 0.0, until: float = math.inf) -> list[int]:
        return [s for at, chunk in list(self.packets) if since <= at < until for s in chunk]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def read_wav(path: Path) -> tuple[list[int], int]:
    """A mono 16-bit WAV's samples and rate."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2), "not mono 16-bit"
        frames, rate = wav.readframes(wav.getnframes()), wav.getframerate()
    samples = [
        int.from_bytes(frames[i : i + 2], "little", signed=True) for i in range(0, len(frames), 2)
    ]
    return samples, rate
