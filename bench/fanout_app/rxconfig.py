"""A minimal Reflex app for bench/fanout.py: three ways to push one change to many tabs."""

from pathlib import Path

import reflex as rx

_BUN = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin" / "bun"

config = rx.Config(
    app_name="fanoutbench",
    telemetry_enabled=False,
    plugins=[],
    disable_plugins=[rx.plugins.SitemapPlugin],
    **({"bun_path": _BUN} if _BUN.exists() else {}),
)
