"""Music-theory facts, each written once.

pitches.py      pitch-class names (keys, chords and plot labels use them)
keys.py         parsing key names, estimating a piece's key, transposing between keys
instruments.py  the General MIDI programs and families (the browser player is built from them)
chords.py       which chord sounds on each beat
melody.py       which track carries the melody, and the bass
"""
