"""Speech to text: one Transcriber protocol, an engine per file."""
