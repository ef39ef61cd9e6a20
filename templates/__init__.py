"""The shipped mail templates and approved replies: package data, so an installed repmon
(a wheel on a crawl server or in a container) finds them without the source tree."""

from pathlib import Path

__all__ = ["FOLDER"]

FOLDER = Path(__file__).resolve().parent
