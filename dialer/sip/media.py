"""The seat's conference bridge: which call, recorder or player hears which.

Links are kept as wishes and applied whenever both ends have audio: a call's audio comes up
after the answer, and pjsua re-creates a call's stream on a re-INVITE (hold, unhold), which
drops every connection it had. So the backend calls `refresh` after each media change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pjsua2 as pj

log = logging.getLogger(__name__)

AudioOf = Callable[[str], "pj.AudioMedia | None"]  # a call's active audio, or None


class MediaGraph:
    def __init__(self, audio_of: AudioOf) -> None:
        self._audio_of = audio_of
        self._links: set[tuple[str, str]] = set()  # (source, sink) port names
        self._ports: dict[str, pj.AudioMedia] = {}  # recorders and players, by name

    def link(self, source: str, sink: str) -> None:
        self._links.add((source, sink))
        self._apply(source, sink, connect=True)

    def unlink(self, source: str, sink: str) -> None:
        if (source, sink) in self._links:
            self._links.discard((source, sink))
            self._apply(source, sink, connect=False)

    def linked(self, source: str, sink: str) -> bool:
        return (source, sink) in self._links

    def has_port(self, name: str) -> bool:
        return name in self._ports

    def refresh(self, name: str) -> None:
        """Re-apply every link of `name` (its audio just came up or was re-created)."""
        for source, sink in sorted(self._links):
            if name in (source, sink):
                self._apply(source, sink, connect=True)

    def add_port(self, name: str, media: pj.AudioMedia) -> None:
        self._ports[name] = media

    def open_recorder(self, name: str, path: Path) -> None:
        """A WAV file (16-bit PCM at the bridge's clock rate) of what is linked into `name`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(str(path))
        self._ports[name] = recorder

    def open_player(self, name: str, path: Path) -> None:
        """Plays a WAV file once into whatever `name` is linked to."""
        player = pj.AudioMediaPlayer()
        player.createPlayer(str(path), pj.PJMEDIA_FILE_NO_LOOP)
        self._ports[name] = player

    def close(self, name: str) -> None:
        """Forget a call, recorder or player and its links; a recorder's file is complete
        once this returns (pjsua2 closes it when the object goes)."""
        for link in [lk for lk in self._links if name in lk]:
            self.unlink(*link)
        self._ports.pop(name, None)

    def close_all(self) -> None:
        self._links.clear()
        self._ports.clear()

    def _media(self, name: str) -> pj.AudioMedia | None:
        return self._ports.get(name) or self._audio_of(name)

    def _apply(self, source: str, sink: str, *, connect: bool) -> None:
        src, dst = self._media(source), self._media(sink)
        if src is None or dst is None:
            return  # applied by refresh() when both ends have audio
        try:
            if connect:
                src.startTransmit(dst)
            else:
                src.stopTransmit(dst)
        except pj.Error as err:
            log.warning("bridge %s -> %s: %s", source, sink, err.reason.strip())
