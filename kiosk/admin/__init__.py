"""The parent's Textual admin TUI."""
