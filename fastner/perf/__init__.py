"""Performance tooling: benchmark workloads, counters, profiling and report rendering."""
