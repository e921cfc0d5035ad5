"""Model manifest, offline import and sha256 verification (public API: ``kiosk.models``)."""

from __future__ import annotations
