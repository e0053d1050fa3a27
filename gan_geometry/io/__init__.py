"""Files: atomic, pickle-free result storage; weights found, fetched and verified."""
