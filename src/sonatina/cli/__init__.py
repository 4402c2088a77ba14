"""The `sonatina` command. Each area registers its commands from its own module."""

from __future__ import annotations

import importlib

import click

from sonatina import __version__

# Modules that each define `register(group)`; kept as names so one missing optional
# area does not stop the others from loading.
COMMAND_MODULES = [
    "sonatina.cli.core_commands",
    "sonatina.cli.convert_commands",
    "sonatina.cli.edit_commands",
    "sonatina.cli.audio_commands",
    "sonatina.cli.analysis_commands",
    "sonatina.cli.web_commands",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sonatina")
def main() -> None:
    """Sonatina: learn from music, compose, render and judge it."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
        continue
    _module.register(main)
