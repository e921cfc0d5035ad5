"""Indices of the mediapipe face mesh (478 points with irises) that the avatar moves."""

from __future__ import annotations

__all__ = [
    "BROW_LEFT",
    "BROW_RIGHT",
    "EYE_LEFT_LOWER",
    "EYE_LEFT_UPPER",
    "EYE_RIGHT_LOWER",
    "EYE_RIGHT_UPPER",
    "FACE_OVAL",
    "IRIS_LEFT",
    "IRIS_LEFT_RING",
    "IRIS_RIGHT",
    "IRIS_RIGHT_RING",
    "LIP_INNER_LOWER",
    "LIP_INNER_UPPER",
    "LIP_OUTER_LOWER",
    "LIP_OUTER_UPPER",
    "MESH_POINTS",
    "MOUTH_LEFT",
    "MOUTH_RIGHT",
    "NOSE_TIP",
]

# "Right"/"left" are the person's own: the right eye is on the image's left.
# Lid and lip lists run in the same direction so that index i of the upper list
# faces index i of the lower list.
LIP_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIP_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIP_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIP_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_RIGHT = 61
MOUTH_LEFT = 291

EYE_RIGHT_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
EYE_RIGHT_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
EYE_LEFT_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
EYE_LEFT_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
IRIS_RIGHT = 468
"""Centre of the right iris (refined landmarks)."""
IRIS_LEFT = 473
IRIS_RIGHT_RING = (469, 470, 471, 472)
"""Four points on the edge of the right iris."""
IRIS_LEFT_RING = (474, 475, 476, 477)

BROW_RIGHT = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
BROW_LEFT = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)

NOSE_TIP = 1
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
    377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
MESH_POINTS = 468
"""Points of the surface mesh proper; 468..477 are the irises."""
