"""Mood features from audio: ``python -m featurize FOLDER`` (see the README)."""
