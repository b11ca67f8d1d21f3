"""Synthetic population with ground truth (households, persons, questionnaire answers, administrative
registries, duplicates and anomalies) for demos, tests and benchmarks. See docs/synthetic-data.md."""

from sijill.synth.generator import GENERATOR_VERSION, SynthConfig, SynthSummary, generate, validate

__all__ = ["GENERATOR_VERSION", "SynthConfig", "SynthSummary", "generate", "validate"]
