"""The daemon: pipeline orchestration, systemd integration, control socket."""
