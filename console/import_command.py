"""``huifang import``: a DMS export (customers, deliveries, repair orders) into the archive."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from console.cli_support import CliError, checked_engine, cli_config
from storage.archive_import import KINDS, ImportReport, import_file, resolve_store
from storage.db import make_session_factory, session_scope
from storage.errors import DomainError


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--kind", type=click.Choice(("auto", *KINDS)), default="auto", show_default=True,
    help="what the file holds; auto: repair orders with an RO number column, deliveries "
    "with a delivery date column, else customers",
)  # fmt: skip
@click.option("--store", "store_code", default=None, help="store code (default: the only store)")
@click.option(
    "--as-of", "as_of", default=None,
    help="when the export was made, ISO date-time (default: the file's modification time)",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="check and count everything, save nothing")
@click.option("--json", "as_json", is_flag=True, help="print only one JSON object on stdout")
def import_command(
    path: Path, kind: str, store_code: str | None, as_of: str | None, dry_run: bool, as_json: bool
) -> None:
    """Import a DMS export (CSV or XLSX) into the customer archive (a rerun changes nothing).

    Rejected rows go to <stem>.rejects.<ext> beside the file, with the reason."""
    config = cli_config()
    exported = _as_of(as_of, config.tz)
    engine = checked_engine(config.database_url)
    with session_scope(make_session_factory(engine)) as s, _Progress() as progress:
        try:
            store = resolve_store(s, store_code)
            report = import_file(
                s, store, path, kind=kind, dry_run=dry_run, as_of=exported, progress=progress
            )
        except DomainError as exc:
            hint = " (--store CODE)" if exc.code == "which_store" else ""
            raise CliError(exc.message + hint) from None
    _show(report, path, as_json)


def register(cli: click.Group) -> None:
    cli.add_command(import_command)


def _as_of(text: str | None, tz: ZoneInfo) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(
            f"--as-of {text!r} is not an ISO date-time (e.g. 2026-11-19T18:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _show(report: ImportReport, path: Path, as_json: bool) -> None:
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if as_json:
        click.echo(json.dumps(report.counts(), ensure_ascii=False))
        return
    c = report.counts()
    verb = "checked (dry run, nothing saved)" if report.dry_run else "imported"
    click.echo(
        f"{verb} {path.name} as {report.kind}: {c['rows']} rows, {c['inserted']} inserted, "
        f"{c['updated']} updated, {c['unchanged']} unchanged, {c['rejected']} rejected, "
        f"{c['warnings']} warnings"
    )
    if report.rejects_file:
        click.echo(f"rejected rows and reasons: {report.rejects_file}")


class _Progress:
    """A progress bar on stderr, only when stderr is a terminal; drawn from the first report."""

    def __init__(self) -> None:
        self.bar = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.render_finish()

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty() or total <= 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="importing", file=sys.stderr)
        self.bar.update(min(done, total) - self.bar.pos)
