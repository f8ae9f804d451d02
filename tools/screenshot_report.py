"""Render an HTML report in headless Chromium and save a screenshot.

Checks that a report from :func:`bayesgmm.reporting.html_report.build_report` displays in a real
browser (tables laid out, embedded PNG figures decoded) without loading anything
from the network.

Usage::

    python tools/screenshot_report.py REPORT.html OUT.png [--width 1200] [--height 3000]
    python tools/screenshot_report.py --demo OUT.png   # an EM report of Old Faithful

Chromium: ``apt-get install -y chromium`` (Debian), or set ``CHROMIUM`` to its path.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: flags that keep a headless run offline, quiet and free of profile state
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    """Path of a Chromium executable (``$CHROMIUM``, then the usual names), or None."""
    candidates = [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]
    for name in candidates:
        if name and (found := shutil.which(name)):
            return found
    return None


def screenshot(
    html_path: str | Path,
    png_path: str | Path,
    *,
    width: int = 1200,
    height: int = 3000,
    chromium: str | None = None,
    timeout: float = 120.0,
) -> Path:
    """Load ``html_path`` in headless Chromium and write a ``width`` x ``height`` screenshot.

    Raises ``FileNotFoundError`` when Chromium is missing and ``RuntimeError`` when
    it fails or writes no image.
    """
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("Chromium not found: apt-get install -y chromium, or set CHROMIUM.")
    html_path = Path(html_path).resolve()
    png_path = Path(png_path).resolve()
    png_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="bayesgmm-chromium-") as profile:
        command = [
            chromium,
            *_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png_path}",
            f"--window-size={width},{height}",
            html_path.as_uri(),
        ]
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if run.returncode != 0 or not png_path.exists():
        raise RuntimeError(
            f"Chromium failed (exit {run.returncode}) on {html_path}:\n{run.stderr[-2000:]}"
        )
    return png_path


def _demo_report(folder: Path) -> Path:
    from bayesgmm import load_faithful, select_model
    from bayesgmm.reporting.html_report import build_report

    X = load_faithful()
    selection = select_model(X, range(1, 5), n_init=3)
    return build_report(X, selection=selection, title="Old Faithful (EM)").save(
        folder / "report.html"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: render a report (or a demo report) and write the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", help="HTML file to render")
    parser.add_argument("output", help="PNG file to write")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--demo", action="store_true", help="render an EM report of Old Faithful")
    args = parser.parse_args(argv)
    if not args.demo and args.report is None:
        parser.error("give a REPORT.html or --demo")
    with tempfile.TemporaryDirectory() as folder:
        source = _demo_report(Path(folder)) if args.demo else Path(args.report)
        path = screenshot(source, args.output, width=args.width, height=args.height)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
