"""The head-to-head harness against Flair 0.15.1 runs end to end on a tiny model (needs the flair extra)."""

from __future__ import annotations

import pytest

pytest.importorskip("flair")
pytest.importorskip("gensim")


def test_head_to_head_checks_parity_then_times_every_system(tmp_path):
    from fastner.perf.headtohead import SYSTEMS, run, write

    data = run("legal", "tiny", rounds=1, limit=8)
    assert set(data["times"]) == set(SYSTEMS) and all(len(v) == 1 for v in data["times"].values())
    assert set(data["checks"]) == {"fastner flair-0.4.4", "fastner fastest"}
    json_path, md_path = write(data, tmp_path)
    text = md_path.read_text()
    assert "| flair-0.15.1 |" in text and "| fastner fastest |" in text
    assert json_path.is_file()
    for name in ("flair-0.15.1", "fastner fastest"):  # both profiled, the top functions rendered
        top = data["profiles"][name]["top"]
        assert top and top[0]["tottime"] > 0
        assert f"### {name}: top functions" in text and f"`{top[0]['function']}`" in text
