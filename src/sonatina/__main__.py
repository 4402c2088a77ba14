"""`python -m sonatina` (what torchrun launches) is the `sonatina` command."""

from sonatina.cli import main

main()
