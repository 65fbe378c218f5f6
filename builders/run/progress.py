"""What a user watches while a recipe runs: a live rich display on a terminal (units done, rows
accepted / rejected, generated and prompt tokens/s, ETA, the Dask dashboard), one line per partition
otherwise (CI logs). `run(plan, progress=Progress(console))` drives it."""

from __future__ import annotations

import time

from rich.markup import escape


class Progress:
    def __init__(self, console, live: bool | None = None):
        self.console = console
        self.live_enabled = console.is_terminal if live is None else live
        self.live = None
        self.units = self.units_done = self.accepted = self.rejected = 0
        self.generated = self.prompt = self.cached = 0
        self.partitions = 0
        self.total: int | None = None
        self.dashboard = None
        self.warned: set = set()
        self.started = time.perf_counter()

    # --- run() calls these ---------------------------------------------------------------------------
    def note(self, line: str) -> None:
        """A warning before the partitions start (what --overwrite replaces, a service not up yet)."""
        self.console.print(f"[yellow]warning:[/yellow] {escape(line)}", soft_wrap=True)

    def start(self, plan, executor) -> None:
        self.units = sum(len(p) for p in plan.partitions)
        self.dashboard = getattr(executor, "dashboard", None)
        describe = getattr(executor, "describe", None)
        if describe and getattr(executor, "layout", None):
            self.console.print(f"  on {describe()}")
        if self.dashboard:
            self.console.print(f"  Dask dashboard: {self.dashboard}")
        self.started = time.perf_counter()
        if self.live_enabled:
            from rich.live import Live

            self.live = Live(console=self.console, refresh_per_second=2, get_renderable=lambda: self.render(self.total))
            self.live.start()

    def __call__(self, summary: dict, total: int) -> None:
        self.partitions += 1
        self.total = total
        self.units_done += summary["units"]
        for config, splits in summary["counts"].items():
            n = sum(splits.values())
            if config == "rejected":
                self.rejected += n
            else:
                self.accepted += n
        if not summary.get("skipped"):
            self.generated += summary["completion_tokens"]
            self.prompt += summary["prompt_tokens"]
            self.cached += summary.get("prompt_cached_tokens", 0)
        for warning in summary.get("warnings", []):
            if warning not in self.warned:
                self.warned.add(warning)
                self.console.print(f"[yellow]warning:[/yellow] {warning}")
        if self.live is not None:
            self.live.refresh()
        else:
            self.console.print(self.line(summary, total))

    def finish(self) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.stop()
            self.live = None

    # --- what is shown --------------------------------------------------------------------------------
    def rates(self) -> tuple[float, float, float | None]:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        eta = None
        if self.units_done:
            eta = elapsed / self.units_done * (self.units - self.units_done)
        return self.generated / elapsed, self.prompt / elapsed, eta

    def line(self, summary: dict, total: int) -> str:
        gen, prompt, eta = self.rates()
        state = "resumed" if summary.get("skipped") else f"{summary['seconds']:.1f}s"
        counts = ", ".join(f"{c} {sum(s.values())}" for c, s in summary["counts"].items())
        return (f"  partition {summary['index'] + 1}/{total}: {counts or 'no rows'} ({state}); "
                f"units {self.units_done}/{self.units}, {gen:.1f} generated tok/s, {prompt:.1f} prompt tok/s"
                + (f", ETA {eta:.0f}s" if eta is not None and self.units_done < self.units else ""))

    def render(self, total: int | None = None):
        from rich.table import Table

        gen, prompt, eta = self.rates()
        table = Table(show_header=False, box=None, padding=(0, 2))
        table.add_row("units", f"{self.units_done}/{self.units}" + (f" ({self.partitions}/{total} partitions)" if total else ""))
        table.add_row("rows", f"[green]{self.accepted} accepted[/green] / [red]{self.rejected} rejected[/red]")
        share = f", {self.cached / self.prompt:.0%} of prompt tokens from the KV cache" if self.prompt else ""
        table.add_row("tokens/s", f"{gen:.1f} generated, {prompt:.1f} prompt{share}")
        table.add_row("ETA", "—" if eta is None else f"{eta:.0f} s")
        if self.dashboard:
            table.add_row("dashboard", self.dashboard)
        return table
