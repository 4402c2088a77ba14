"""Sound: synthesis with SoundFonts, audio files, loudness, transcription of audio to MIDI."""
