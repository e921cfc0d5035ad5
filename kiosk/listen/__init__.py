"""Listening: wake word, voice activity endpointing, barge-in."""
