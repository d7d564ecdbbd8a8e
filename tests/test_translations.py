"""Chinese first: every text the console shows has a Chinese translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.stack import ROOT

PO = ROOT / "console/translations/zh_Hans/LC_MESSAGES/messages.po"


def test_every_extracted_text_has_a_chinese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "console/babel.cfg",
            "-o",
            str(pot),
            "console",
            "dialer",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string}
    assert wanted - translated == set()
