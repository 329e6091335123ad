"""Performance tooling for the tagger: workloads, timing, counters, floor, sweep, tiers, profiles and report
rendering. It measures the core; the applications' own benchmarks live in fastner.apps and fastner.serve and
import from here, never the reverse."""
