"""The notebook guide (docs/engine.md) runs as written: every ```python block, in order, in one
namespace, in a fresh folder; its asserts compare the engine with PyTorch autograd."""

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "engine.md"


def test_the_notebook_guide_runs_as_written(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"{GUIDE.name} block {number}", "exec"), namespace)
    assert (tmp_path / "model.pt").exists()
    assert "fc.weight → readout.weight" in capsys.readouterr().out
