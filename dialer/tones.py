"""Sounds we make ourselves: the recording notice played to customers, and test tones.

Pure Python (no audio library): sine tones as 16-bit samples, written as WAV (what pjsua2
plays) or as raw G.711 mu-law (what SIPp's rtp_stream sends).
"""

from __future__ import annotations

import math
import wave
from collections.abc import Sequence
from pathlib import Path

RATE = 8000  # telephony audio
NOTICE_HZ = 1400  # the recorder warning tone of ITU-T E.180
NOTICE_BEEPS = 3
NOTICE_ON_S, NOTICE_OFF_S = 0.25, 0.25
RECORDING_NOTICE = "sounds/recording-notice.wav"  # in the instance folder
APOLOGY = "sounds/apology.wav"  # in the instance folder: played to an abandoned call
APOLOGY_NOTES = ((880, 0.3), (660, 0.5))  # a falling two-note chime, twice


def tone(hz: float, seconds: float, amplitude: float = 0.5, rate: int = RATE) -> list[int]:
    """A sine tone as 16-bit samples."""
    peak = amplitude * 32767
    return [
        round(peak * math.sin(2 * math.pi * hz * i / rate)) for i in range(round(rate * seconds))
    ]


def silence(seconds: float, rate: int = RATE) -> list[int]:
    return [0] * round(rate * seconds)


def write_wav(path: Path, samples: Sequence[int], rate: int = RATE) -> None:
    """Mono 16-bit PCM WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))


def mu_law(samples: Sequence[int]) -> bytes:
    """G.711 mu-law bytes of 16-bit samples (ITU-T G.711, with the usual bias and clip)."""
    return bytes(_mu_law_byte(s) for s in samples)


def _mu_law_byte(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(magnitude.bit_length() - 8, 0)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def recording_notice(instance_dir: Path) -> Path:
    """The announcement played to a customer before a recorded call: the store's own
    recording in the instance folder if it put one there, else three 1400 Hz beeps made now."""
    path = instance_dir / RECORDING_NOTICE
    if not path.exists():
        beep = tone(NOTICE_HZ, NOTICE_ON_S) + silence(NOTICE_OFF_S)
        write_wav(path, beep * NOTICE_BEEPS)
    return path


def apology_prompt(instance_dir: Path) -> Path:
    """The prompt an answered call hears when no agent is free in time (predictive dialing):
    the store's own recording ("sorry, we will call you back") in the instance folder if it
    put one there, else a falling two-note chime made now. Never a SIT tone: that would tell
    the customer's phone the number is out of service."""
    path = instance_dir / APOLOGY
    if not path.exists():
        chime = [s for hz, secs in APOLOGY_NOTES for s in tone(hz, secs)] + silence(0.3)
        write_wav(path, chime * 2)
    return path


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()
