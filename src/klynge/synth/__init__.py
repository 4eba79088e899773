"""A realistic synthetic Danish population across hospital, municipal care and general practice."""

from klynge.synth._generate import DEFAULT_CLUSTER, PlantedEffect, SynthResult, synthesise

__all__ = ["DEFAULT_CLUSTER", "PlantedEffect", "SynthResult", "synthesise"]
