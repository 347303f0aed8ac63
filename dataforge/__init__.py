"""dataforge: a data-first tool for Turkish supervised fine-tuning data."""

__version__ = "0.1.0"
