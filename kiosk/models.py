"""Model management: the manifest, installed models, offline import and verification.

The implementation lives in ``kiosk.modelstore`` (manifest, formats, store, importer);
this module is the API the rest of the kiosk uses.
"""

from __future__ import annotations

from kiosk.modelstore.defaults import install_defaults
from kiosk.modelstore.formats import ModelSource, detect_source
from kiosk.modelstore.importer import import_model
from kiosk.modelstore.manifest import (
    FORMATS,
    STAGES,
    ModelEntry,
    ModelFile,
    default_manifest_path,
    load_manifest,
)
from kiosk.modelstore.store import (
    RECORD_NAME,
    STAGE_NAMES_RU,
    InstalledModel,
    Progress,
    VerifyResult,
    best_installed,
    find_model,
    installed_models,
    verify_models,
)

__all__ = [
    "FORMATS",
    "RECORD_NAME",
    "STAGES",
    "STAGE_NAMES_RU",
    "InstalledModel",
    "ModelEntry",
    "ModelFile",
    "ModelSource",
    "Progress",
    "VerifyResult",
    "best_installed",
    "default_manifest_path",
    "detect_source",
    "find_model",
    "import_model",
    "install_defaults",
    "installed_models",
    "load_manifest",
    "verify_models",
]
