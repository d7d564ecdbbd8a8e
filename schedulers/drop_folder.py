"""The DMS drop folder: each store may name a folder (setting ``import.drop_folder``) where the
DMS's daily exports land; the scheduler imports every new CSV/XLSX file there and moves it, with
its rejects file, into ``imported/``. A file whose content was imported before (same SHA-256)
is moved without importing it again, so a crash between the commit and the move sends nothing
twice."""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.archive_import import ImportReport, UnreadableFile, import_file
from storage.db import session_scope
from storage.models import ImportBatch, Store
from storage.settings import load_all

SETTING = "import.drop_folder"  # in storage.settings' registry
DONE = "imported"
SUFFIXES = {".csv", ".xlsx"}
log = logging.getLogger("huifang.scheduler")


@dataclass(frozen=True)
class DropResult:
    store: str
    file: str
    report: dict[str, object] | None  # None: already imported before, only moved
    error: str | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def waiting_files(folder: Path) -> list[Path]:
    """New exports, oldest first; our own rejects files are not exports."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES]
    files = [p for p in files if ".rejects." not in p.name]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def drop_folders(session: Session) -> list[tuple[int, str, Path]]:
    codes = {sid: code for sid, code in session.execute(select(Store.id, Store.code))}
    folders = {sid: settings.string(SETTING) for sid, settings in load_all(session).items()}
    return [(sid, codes[sid], Path(folder)) for sid, folder in folders.items() if folder]


def import_drop_folders(sessions: sessionmaker[Session]) -> list[DropResult]:
    with session_scope(sessions) as s:
        folders = drop_folders(s)
    results = []
    for store_id, code, folder in folders:
        if not folder.is_dir():
            log.error("drop folder %s of store %s does not exist", folder, code)
            continue
        for path in waiting_files(folder):
            results.append(_import_one(sessions, store_id, code, path))
    return results


def _import_one(sessions, store_id: int, code: str, path: Path) -> DropResult:
    digest = sha256_of(path)
    try:
        with session_scope(sessions) as s:
            if _imported_before(s, store_id, digest):
                report: ImportReport | None = None
            else:
                report = import_file(s, s.get_one(Store, store_id), path)
    except UnreadableFile as exc:
        log.error("cannot import %s: %s", path, exc.message)
        _move_done(path, None)
        return DropResult(code, path.name, None, exc.message)
    _move_done(path, report.rejects_file if report else None)
    log.info("imported %s for store %s: %s", path.name, code, report and report.counts())
    return DropResult(code, path.name, report.counts() if report else None)


def _imported_before(session: Session, store_id: int, digest: str) -> bool:
    return (
        session.scalar(
            select(ImportBatch.id).where(
                ImportBatch.store_id == store_id,
                ImportBatch.sha256 == digest,
                ImportBatch.finished_at.is_not(None),
            )
        )
        is not None
    )


def _move_done(path: Path, rejects: Path | None) -> None:
    done = path.parent / DONE
    done.mkdir(exist_ok=True)
    for item in (path, rejects):
        if item is not None and item.exists():
            shutil.move(str(item), done / item.name)
