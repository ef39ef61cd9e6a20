"""repmon core: models, store, settings, classifier and statistics. Imports no I/O framework."""

__all__ = ["__version__"]
__version__ = "0.1.0"
