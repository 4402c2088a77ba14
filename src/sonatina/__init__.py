"""Sonatina: learn from music collections with LSTMs, compose, convert, render and judge music."""

__version__ = "0.1.0"
