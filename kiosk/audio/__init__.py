"""Audio in and out: PortAudio devices, WAV files, the playback clock."""
