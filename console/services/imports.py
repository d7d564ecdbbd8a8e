"""Importing a DMS export from the console: upload, check (a dry run: the problems listed,
nothing saved), then confirm (the real import, the same rules as ``huifang import``).

An upload is kept under ``<instance>/uploads/<token>/`` between the check and the confirm, and
afterwards with its rejects file, so that the rejected rows can be downloaded and fixed."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.services.archive import local_time
from storage.archive_import import ImportReport, import_file
from storage.errors import N_, InvalidInput, NotFound
from storage.models import ImportBatch, Store, User

SUFFIXES = (".csv", ".xlsx")
REPORT = "report.json"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^\w.()（）\- ]+")  # \w keeps Chinese letters


@dataclass(frozen=True)
class Upload:
    """One uploaded file, named by a random token."""

    token: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def rejects(self) -> Path | None:
        path = self.path.with_name(f"{self.path.stem}.rejects{self.path.suffix}")
        return path if path.exists() else None


def save_upload(folder: Path, file_name: str, stream: IO[bytes]) -> Upload:
    """Keep an uploaded file; only CSV and XLSX exports are taken."""
    name = _safe_name(file_name)
    if Path(name).suffix.lower() not in SUFFIXES:
        raise InvalidInput(
            N_("Choose a CSV or XLSX file exported from the DMS."), code="import_file_type"
        )
    token = secrets.token_hex(16)
    target = folder / token / name
    target.parent.mkdir(parents=True)
    with target.open("wb") as out:
        shutil.copyfileobj(stream, out)
    if target.stat().st_size == 0:
        shutil.rmtree(target.parent)
        raise InvalidInput(N_("The file is empty."), code="import_file_empty")
    return Upload(token, target)


def find_upload(folder: Path, token: str) -> Upload:
    files = [p for p in _files(folder, token) if ".rejects." not in p.name and p.name != REPORT]
    if not files:
        raise NotFound(N_("This upload is gone; upload the file again."), code="upload_gone")
    return Upload(token, files[0])


def check(session: Session, store: Store, upload: Upload, kind: str, as_of: datetime):
    """What importing would do, computed and rolled back: counts and every problem."""
    return import_file(session, store, upload.path, kind=kind, dry_run=True, as_of=as_of)


def confirm(
    session: Session, store: Store, upload: Upload, kind: str, as_of: datetime, user_id: int
) -> ImportReport:
    """Import for real; the batch remembers who confirmed it."""
    return import_file(session, store, upload.path, kind=kind, as_of=as_of, user_id=user_id)


def importable_store(session: Session, store_ids: tuple[int, ...], store_id: int) -> Store:
    """A store the user works for (they may only import into their own stores)."""
    store = session.get(Store, store_id) if store_id in store_ids else None
    if store is None:
        raise InvalidInput(N_("Choose one of your stores."), code="import_store")
    return store


def recent_batches(
    session: Session, store_ids: tuple[int, ...], tz: ZoneInfo, limit: int = 15
) -> list[dict]:
    rows = session.execute(
        select(ImportBatch, Store.name, User.display_name)
        .join(Store, Store.id == ImportBatch.store_id)
        .outerjoin(User, User.id == ImportBatch.user_id)
        .where(ImportBatch.store_id.in_(store_ids), ImportBatch.finished_at.is_not(None))
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": local_time(batch.finished_at, tz),
            "file": batch.file_name,
            "store": store,
            "by": by,
            "counts": batch.counts or {},
        }
        for batch, store, by in rows
    ]


def _files(folder: Path, token: str) -> list[Path]:
    if not _TOKEN.match(token or ""):
        return []
    directory = folder / token
    return sorted(p for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []


def _safe_name(file_name: str) -> str:
    """The file's own name (no folders), with characters a file system may refuse replaced."""
    base = Path((file_name or "").replace("\\", "/")).name.strip()
    base = _UNSAFE.sub("_", base).lstrip(".")
    return base[-120:] or "upload"


def keep_report(upload: Upload, report: ImportReport, as_of: datetime) -> None:
    """Remember what the confirmed import did, for the result page (and its reloads)."""
    data = {
        "kind": report.kind,
        "encoding": report.encoding,
        "as_of": as_of.isoformat(),
        "counts": report.counts(),
        "problems": [asdict(p) for p in report.problems],
    }
    (upload.path.parent / REPORT).write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def kept_report(upload: Upload) -> dict | None:
    path = upload.path.parent / REPORT
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def discard(upload: Upload) -> None:
    shutil.rmtree(upload.path.parent, ignore_errors=True)
