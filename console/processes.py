"""Commands that start Huifang's long-lived processes: web, scheduler, dialer, simulator,
and ``run``, which starts them all for the embedded default."""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
import time

import click

from console.cli_support import (
    CliError,
    checked_engine,
    cli_config,
    port_free,
    setup_logging,
    stop_on_signals,
)


def web_command() -> None:
    """Start the web + Socket.IO server."""
    from console import create_app

    config = cli_config()
    checked_engine(config.database_url).dispose()
    if not port_free(config.web_host, config.web_port):
        raise CliError(
            f"port {config.web_host}:{config.web_port} is already in use "
            "(set HUIFANG_PORT to another port)"
        )
    setup_logging()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    app = create_app(config)
    socketio = app.extensions["socketio"]
    # What is loaded by now (modules, app, mappers, templates) lives as long as the process:
    # keep it out of the collector's full passes, which stop every thread. With 200 agents
    # connected a pass walked ~210k objects (100-265 ms on a busy 2-core machine), ~64k with
    # this (30-100 ms): those pauses were most of the screen pop's p99 (issue 6).
    gc.collect()
    gc.freeze()
    socketio.run(
        app,
        host=config.web_host,
        port=config.web_port,
        allow_unsafe_werkzeug=True,
        use_reloader=False,
        log_output=False,
    )


def scheduler_command() -> None:
    """Start the scheduler (planning every few minutes, persistent job store)."""
    from schedulers.runner import run_scheduler

    config = cli_config()
    checked_engine(config.database_url).dispose()
    setup_logging()
    run_scheduler(config, stop_on_signals())


def dialer_command() -> None:
    """Start the dialer supervisor: one seat worker per logged-in agent."""
    from dialer.supervisor import DialerSupervisor

    config = cli_config()
    checked_engine(config.database_url).dispose()
    setup_logging()
    DialerSupervisor(config).run(stop_on_signals())


@click.option("--port", type=int, default=None, help="UDP port (default HUIFANG_SIMULATOR_PORT)")
@click.option("--scenario", default="customer", show_default=True)
def simulator_command(port: int | None, scenario: str) -> None:
    """Start the local SIP customer simulator (SIPp playing customers)."""
    from scripts.simulator import SimulatorError, start_sipp, stop_sipp

    config = cli_config()
    try:
        proc = start_sipp(scenario, port or config.simulator_port)
    except SimulatorError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"SIP customer simulator on udp 127.0.0.1:{port or config.simulator_port}", err=True)
    stop = stop_on_signals()
    while not stop.wait(0.5) and proc.poll() is None:
        pass
    stop_sipp(proc)


@click.option(
    "--demo/--no-demo",
    default=True,
    show_default=True,
    help="load the demo dealership and start the SIP customer simulator",
)
def run_command(demo: bool) -> None:
    """Start everything on this machine: web, scheduler, dialer (and the demo)."""
    from console.launcher import launch

    sys.exit(launch(cli_config(), demo=demo))


def register_process_commands(cli: click.Group) -> None:
    cli.command("web")(web_command)
    cli.command("scheduler")(scheduler_command)
    cli.command("dialer")(dialer_command)
    cli.command("simulator")(simulator_command)
    cli.command("run")(run_command)


def child(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "console.cli", *args])


def wait_all(children: list[subprocess.Popen], stop) -> int:
    """Wait until a stop signal or a child's exit, then stop the others."""
    code = 0
    while not stop.wait(0.5):
        dead = [c for c in children if c.poll() is not None]
        if dead:
            code = dead[0].returncode or 1
            break
    for c in children:
        if c.poll() is None:
            c.terminate()
    deadline = time.monotonic() + 10
    for c in children:
        try:
            c.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            c.kill()
    return code
