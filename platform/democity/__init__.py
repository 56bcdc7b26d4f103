"""The seeded demo district (Dafeng-sized, code 320982) for the demo, tests and benchmarks."""
