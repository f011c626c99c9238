"""pmtool: process mining and Ist/Soll gap analysis for Saxony's public health offices."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pmtool")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
