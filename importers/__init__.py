"""Census import: readers per format, CRS handling (incl. GCJ-02/BD-09), validation, QA reports, bulk load."""
