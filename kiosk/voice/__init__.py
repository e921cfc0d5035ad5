"""The voice: Russian text normalisation, synthesizers and lip-sync timelines."""
