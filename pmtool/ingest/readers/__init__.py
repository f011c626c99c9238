"""Built-in readers; importing this package registers them."""

from pmtool.ingest.readers import csv, excel, ocel, parquet, xes  # noqa: F401
