"""The ``huifang`` command: every long-lived process starts here, never in ``create_app``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click

from console.cli_support import CLEAR_ERRORS, CliError, checked_engine, cli_config
from console.import_command import register as register_import_command
from console.processes import register_process_commands
from storage.config import Config


@click.group()
def cli() -> None:
    """Huifang (回访): follow-up call console for car dealerships."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from storage.migrate import upgrade

    config = cli_config()
    checked_engine(config.database_url).dispose()
    upgrade(config.database_url)
    click.echo("database is up to date", err=True)


@cli.command("demo-data")
@click.option("--customers", default=500, show_default=True, type=click.IntRange(1, 100000))
def demo_data(customers: int) -> None:
    """Load the demo dealership (idempotent) and print the logins."""
    from scripts.demo_data import load_demo
    from storage.db import make_session_factory, session_scope

    config = cli_config()
    engine = checked_engine(config.database_url)
    with click.progressbar(length=customers, label="demo customers", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.pos)

        with session_scope(make_session_factory(engine)) as s:
            summary = load_demo(s, now=datetime.now(UTC), customers=customers, progress=progress)
    what = "loaded" if summary.created else "already present"
    click.echo(
        f"demo dealership {what}: {summary.customers} customers, "
        f"{summary.repair_orders} repair orders",
        err=True,
    )


@cli.command()
@click.option("--at", "at", default=None, help="plan as of this ISO date-time (store time zone)")
@click.option("--store", "store_code", default=None, help="only this store code")
@click.option("--dry-run", is_flag=True, help="show what would be created, create nothing")
@click.option("--json", "as_json", is_flag=True, help="print only one JSON object on stdout")
def plan(at: str | None, store_code: str | None, dry_run: bool, as_json: bool) -> None:
    """Create the follow-up tasks that are due (a rerun creates nothing new)."""
    from schedulers.jobs import plan_for_cli

    config = cli_config()
    try:
        tasks = plan_for_cli(checked_engine(config.database_url), at, store_code, dry_run)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"tasks": tasks}, ensure_ascii=False))
        return
    verb = "would create" if dry_run else "created"
    click.echo(f"{verb} {len(tasks)} task(s)")
    for t in tasks:
        click.echo(
            f"  #{t['id']} {','.join(t['types'])} {t['customer']['name']} due {t['due']}"
            f" deadline {t['deadline']}{' OVERDUE' if t['overdue'] else ''}"
        )


@cli.command("call-test")
@click.argument("uri")
@click.option("--ring-timeout", default=20.0, show_default=True, type=click.FloatRange(0.5, 300))
@click.option(
    "--wait",
    type=click.FloatRange(0.5, 3600),
    help="Twilio: seconds to wait for the final status callback [ring timeout + 60]",
)
@click.option("--json", "as_json", is_flag=True, help="print only one JSON object on stdout")
def call_test(uri: str, ring_timeout: float, wait: float | None, as_json: bool) -> None:
    """Place one test call through the configured backend (the way to check a trunk).
    URI: a SIP URI, or in Twilio mode the number to call (+8613800138000)."""
    from dialer.call_test import place_test_call

    config = cli_config()
    if config.telephony == "twilio":
        _twilio_call_test(config, uri, ring_timeout, wait, as_json)
        return
    result = place_test_call(uri, ring_timeout, bind_host=config.sip_host)
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(
            f"outcome {result['outcome']}, SIP {result['sip_status']}, "
            f"setup {result['setup_ms']} ms"
        )


def _twilio_call_test(
    config: Config, number: str, ring_timeout: float, wait: float | None, as_json: bool
) -> None:
    """Twilio: "queued" with the Call SID at once (on stderr with --json), then the outcome
    from the status callback, or ``unknown`` if none came in time."""
    from dialer.call_test import place_twilio_test_call

    def queued(sid: str) -> None:
        click.echo(f"queued {sid}", err=as_json)

    result = place_twilio_test_call(config, number, ring_timeout, wait, on_queued=queued)
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(
            f"outcome {result['outcome']}, Twilio {result['carrier_status'] or '-'}, "
            f"SIP {result['sip_status']}, setup {result['setup_ms']} ms"
        )


register_process_commands(cli)
register_import_command(cli)


def main() -> None:
    try:
        cli.main(prog_name="huifang")
    except CLEAR_ERRORS as exc:  # raised inside a command, outside our own checks
        click.echo(f"huifang: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
