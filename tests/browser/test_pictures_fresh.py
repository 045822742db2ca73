"""The pictures in doc/screenshots are what the code draws now: the demo's story is played again in the browser
(tools/screenshots.py, the same clicks as `make screenshots`) and each page's content hash is compared with the
one doc/screenshots/pages.json recorded when the pictures were taken."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser

from tools import screenshots
from tools.screenshots import OUT, PAGES_FILE, play


def committed_pictures() -> dict[str, dict]:
    """What doc/screenshots/pages.json recorded when the pictures were taken."""
    assert (OUT / PAGES_FILE).exists(), f"{OUT / PAGES_FILE} is missing - run make screenshots"
    return json.loads((OUT / PAGES_FILE).read_text(encoding="utf-8"))["pictures"]


def test_every_committed_picture_is_what_the_code_draws_now(stack, browser: Browser, tmp_path_factory):
    committed = committed_pictures()
    pictures = play(stack, browser)
    drawn = {picture.name: picture.sha256 for picture in pictures.taken}

    stale = [f"{name}: the page it shows has changed since the picture was taken" for name in drawn
             if name in committed and committed[name]["sha256"] != drawn[name]]
    stale += [f"{name}: not taken yet" for name in drawn if name not in committed]
    stale += [f"{name}: no longer taken" for name in committed if name not in drawn]
    if stale:
        folder = tmp_path_factory.mktemp("drawn")
        pictures.write_drawn(folder)
        stale.append(f"(each page as its hash sees it: {folder}; make screenshots ARGS='--drawn DIR' writes the same)")
    assert not stale, "Pictures in doc/screenshots are out of date - run make screenshots:\n" + "\n".join(stale)


def test_the_pictures_on_disk_are_the_pictures_recorded():
    committed = set(committed_pictures())
    on_disk = {path.name for path in OUT.glob("*.png")}
    assert on_disk == committed, (f"doc/screenshots holds {sorted(on_disk - committed)} not in {PAGES_FILE} and lacks "
                                  f"{sorted(committed - on_disk)} - run make screenshots")


def test_make_screenshots_says_clearly_when_chromium_is_missing(capsys: pytest.CaptureFixture[str]):
    assert screenshots.main(["--chromium", "/nonexistent/chromium", "--out", "/nonexistent/out"]) == 2
    err = capsys.readouterr().err
    assert "Chromium not found at /nonexistent/chromium" in err
    assert "apt-get install -y chromium" in err
