"""What every ``huifang`` command shares: one-line errors, checked configuration."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading

import click
from sqlalchemy import Engine

from dialer.backend import TelephonyError
from storage.config import Config, ConfigError, load_config
from storage.db import DatabaseUnavailable, check_connection, make_engine
from storage.errors import DomainError

CLEAR_ERRORS: tuple[type[BaseException], ...] = (
    ConfigError,
    DatabaseUnavailable,
    DomainError,
    TelephonyError,
)


class CliError(click.ClickException):
    """Printed as one line, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"huifang: {self.message}", err=True)


def cli_config() -> Config:
    try:
        return load_config()
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def checked_engine(url: str) -> Engine:
    engine = make_engine(url)
    try:
        check_connection(engine)
    except DatabaseUnavailable as exc:
        raise CliError(str(exc)) from None
    return engine


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def port_free(host: str, port: int, kind: int = socket.SOCK_STREAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
