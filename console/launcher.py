"""``huifang run``: the embedded default in one command."""

from __future__ import annotations

import sys
import time

import click
import requests

from console.cli_support import CliError, checked_engine, port_free, stop_on_signals
from console.processes import child, wait_all
from storage.config import Config

READY_TIMEOUT_S = 30


def launch(config: Config, *, demo: bool) -> int:
    from storage.migrate import upgrade

    checked_engine(config.database_url).dispose()
    if not port_free(config.web_host, config.web_port):
        raise CliError(
            f"port {config.web_host}:{config.web_port} is already in use "
            "(set HUIFANG_PORT to another port)"
        )
    upgrade(config.database_url)
    stop = stop_on_signals()
    children = []
    if demo:
        from scripts.simulator import SimulatorError, find_sipp

        try:
            find_sipp()
        except SimulatorError as exc:
            raise CliError(str(exc)) from None
        _demo_data()
        children.append(child("simulator"))
    children.append(child("web"))
    if not _wait_web(config, children):
        return wait_all(children, stop) or 1
    children += [child("scheduler"), child("dialer")]
    _banner(config, demo)
    return wait_all(children, stop)


def _demo_data() -> None:
    code = child("demo-data").wait()
    if code != 0:
        raise CliError("loading the demo data failed (see above)")


def _wait_web(config: Config, children) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(c.poll() is not None for c in children):
            return False
        try:
            requests.get(f"{config.web_url}/login", timeout=1)
            return True
        except requests.RequestException:
            time.sleep(0.3)
    click.echo("huifang: the web server did not start in time", err=True)
    return False


def _banner(config: Config, demo: bool) -> None:
    lines = [f"Huifang is running: {config.web_url}/"]
    if demo:
        from scripts.demo_data import DEMO_LOGINS, DEMO_PASSWORD

        lines.append(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        lines += [f"  {d.username:<12} {d.display_name}  {', '.join(d.roles)}" for d in DEMO_LOGINS]
        lines.append(f"SIP customer simulator: udp 127.0.0.1:{config.simulator_port}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)
    sys.stdout.flush()
