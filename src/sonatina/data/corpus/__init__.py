"""Sources of music -> symusic Scores: files, folders, MAESTRO, genre folders, music21's corpus."""

from sonatina.data.corpus.reading import MIDI_SUFFIXES, OTHER_SUFFIXES, load_score, music_files
from sonatina.data.corpus.sources import PieceRef, collect_sources

__all__ = ["MIDI_SUFFIXES", "OTHER_SUFFIXES", "PieceRef", "collect_sources", "load_score", "music_files"]
