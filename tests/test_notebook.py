"""examples/quickstart.ipynb runs headless (nbclient) against the emulator and shows what it
says it shows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("numpy")


def text_of(cell: Any) -> str:
    """Everything a code cell printed or displayed, as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            data = output["data"]
            parts.append(data.get("text/markdown") or data.get("text/plain", ""))
        elif output["output_type"] == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)


@pytest.fixture(scope="module")
def executed() -> list[Any]:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def cell_with(cells: list[Any], source: str) -> Any:
    [cell] = [c for c in cells if source in c.source]
    return cell


def test_every_cell_runs_without_errors(executed: list[Any]) -> None:
    for cell in executed:
        assert not [o for o in cell.outputs if o["output_type"] == "error"], text_of(cell)


def test_converse_renders_markdown(executed: list[Any]) -> None:
    cell = cell_with(executed, "answer = bedrock_cris.converse(")
    [result] = [o for o in cell.outputs if o["output_type"] == "execute_result"]
    markdown = result["data"]["text/markdown"]
    assert re.search(
        r"\n---\n\*end_turn · \d+ in / \d+ out tokens · \d+ ms · global\.anthropic\.", markdown
    )
    assert result["data"]["text/plain"].startswith("ConverseResult(text=")
    usage = text_of(cell_with(executed, "print(answer.usage)"))
    assert usage.startswith("Usage(input_tokens=")


def test_stream_prints_the_deltas_and_usage(executed: list[Any]) -> None:
    lines = text_of(cell_with(executed, "for delta in stream:")).splitlines()
    assert len(lines) >= 2 and lines[0]
    assert lines[-1].startswith("end_turn Usage(input_tokens=")


def test_embed_cosine_similarity(executed: list[Any]) -> None:
    output = text_of(cell_with(executed, "similarity = unit @ unit.T"))
    assert output.startswith("Embeddings(4 × 1024 float32, model_id='global.cohere.embed-v4:0'")
    rows = [[float(x) for x in re.findall(r"-?\d+\.\d*", line)] for line in output.splitlines()[1:]]
    assert len(rows) == 4 and all(len(row) == 4 for row in rows)
    for i in range(4):
        assert rows[i][i] == 1.0
        for j in range(4):
            assert rows[i][j] == rows[j][i] and -1.0 <= rows[i][j] <= 1.0


def test_embed_at_scale_shows_progress(executed: list[Any]) -> None:
    cell = cell_with(executed, "progress=True")
    assert re.search(r"\(5000, 256\) float32 \d+ input tokens", text_of(cell))
    kinds = {key for o in cell.outputs for key in o.get("data", {})}
    stderr = "".join(o["text"] for o in cell.outputs if o.get("name") == "stderr")
    # tqdm's notebook widget when ipywidgets is installed, else its text bar.
    assert "application/vnd.jupyter.widget-view+json" in kinds or "5000/5000" in stderr


def test_async_cell(executed: list[Any]) -> None:
    lines = text_of(cell_with(executed, "asyncio.gather")).splitlines()
    assert [line.split(" -> ")[0] for line in lines] == [
        "What is a Region?",
        "What is an Availability Zone?",
        "What is CRIS?",
    ]
    assert all(re.fullmatch(r".+ -> \d+ tokens", line) for line in lines)
