"""Vendored npm files match package-lock.json: one folder per package, named for the locked version."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_vendor_tool():
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "tools" / "vendor_assets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


vendor_assets = load_vendor_tool()


def test_every_vendored_package_is_pinned_exactly_in_package_json_and_locked():
    declared = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    locked = vendor_assets.locked_versions()
    for asset in vendor_assets.ASSETS:
        wanted, got = declared.get(asset.package), locked.get(asset.package)
        assert wanted == got, (
            f"{asset.package}: package.json says {wanted!r}, package-lock.json {got!r} "
            "(pin an exact version and run `npm install --ignore-scripts`)"
        )


@pytest.mark.parametrize("asset", vendor_assets.ASSETS, ids=lambda a: a.package)
def test_vendored_files_are_those_of_the_locked_version(asset):
    version = vendor_assets.locked_versions()[asset.package]
    missing = [p for p in vendor_assets.expected_files(asset, version) if not p.is_file()]
    stale = vendor_assets.other_versions(asset, version)
    assert not missing and not stale, (
        f"{asset.package} {version} (package-lock.json): missing {[str(p.relative_to(ROOT)) for p in missing]}, "
        f"other versions {[str(p.relative_to(ROOT)) for p in stale]}. "
        "Run `npm ci --ignore-scripts && python tools/vendor_assets.py`."
    )
