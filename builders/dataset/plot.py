"""The coverage plot beside a dataset (`coverage.png`, shown in the card, which the Hub renders): per
tool, the share of its requests accepted and the share of its parameters and of its enum choices
the accepted calls used, with the accepted / requested counts. Drawn with matplotlib's Agg backend
(no display); the PNG carries no date or version, so the same figures give the same bytes."""

from __future__ import annotations

from pathlib import Path

from builders.dataset.coverage import PLOT, shares
from builders.dataset.shards import atomic_write_bytes

SERIES = (("accepted", "#2b8a3e"), ("parameters used", "#1c7ed6"), ("choices used", "#f08c00"))


def draw(report: dict, out_dir: str | Path) -> Path | None:
    """Write `coverage.png` into `out_dir` from `coverage(folder)`; None when no tool has a request."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tools = {n: t for n, t in report["tools"].items() if t["requests"]}
    if not tools:
        return None
    names = sorted(tools)
    height = 0.8 / len(SERIES)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.75 * len(names)), dpi=100)
    for i, (label, colour) in enumerate(SERIES):
        values = [shares(tools[n])[i] for n in names]
        ys = [y + (i - 1) * height for y in range(len(names))]
        ax.barh(ys, [v or 0 for v in values], height=height, color=colour, label=label)
        for y, v in zip(ys, values):
            ax.text((v or 0) + 0.01, y, "n/a" if v is None else f"{v:.0%}", va="center", fontsize=7)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels([f"{n}\n{tools[n]['accepted']} of {tools[n]['requests']} accepted" for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xticklabels(["0", "25 %", "50 %", "75 %", "100 %"])
    ax.set_title(f"{report.get('recipe') or 'dataset'}: acceptance and coverage per tool", fontsize=10)
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", fontsize=8, frameon=False, ncol=3)
    fig.tight_layout(rect=(0, 0.35 / (1.2 + 0.75 * len(names)), 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    path = Path(out_dir) / PLOT
    atomic_write_bytes(path, buffer.getvalue())
    return path
