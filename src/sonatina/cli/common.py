"""What every `sonatina` command shares: JSON output and user-facing errors."""

from __future__ import annotations

import functools
import json
import sys

import click

from sonatina.errors import SonatinaError

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object summarising the result on stdout.")


def user_errors(func):
    """Turn SonatinaError into one sentence on stderr and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SonatinaError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)

    return wrapper


def emit(result: dict, as_json: bool, human: str) -> None:
    """Print either the JSON summary (machine use) or a short human sentence."""
    if as_json:
        click.echo(json.dumps(result, default=str))
    else:
        click.echo(human)
