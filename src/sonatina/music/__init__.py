"""Music-theory facts: keys and pitch names, General MIDI instruments."""
