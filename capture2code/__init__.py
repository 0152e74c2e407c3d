"""capture2code: turn captured HTTP traffic into reproducible, credential-safe scripts."""

__version__ = "0.1.0"
