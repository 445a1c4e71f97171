"""Copy pinned npm packages' distribution files (and their licences) into the repository.

The app serves its front-end packages from scheduler/static/vendor/ and the browser tests inject
axe-core from tests/browser/vendor/: no CDN, and nothing at run time needs node_modules or npm.
The versions come from package-lock.json (the single source of truth, checked by
tests/test_vendored_assets.py), so re-vendoring after a version bump is:

    npm ci --ignore-scripts && python tools/vendor_assets.py

Each destination folder carries the version in its name (``axe-core-4.14.1``), so a template or a
test that names the file names the version too, and a bump cannot silently leave an old copy in
use. Folders of other versions of the same package are removed. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Asset:
    package: str  # the npm package name, as in package.json
    dest: str  # folder, relative to the repository root; "{version}" is filled from package-lock.json
    files: dict[str, str]  # path inside the package -> file name in dest
    licenses: tuple[str, ...] = ("LICENSE",)  # copied under the same names


# One entry per vendored package. To vendor another one, add it to package.json's devDependencies
# (exact version), run `npm install --ignore-scripts`, add a line here and run this script, e.g.
#     Asset("htmx.org", "scheduler/static/vendor/htmx-{version}", {"dist/htmx.min.js": "htmx.min.js"}),
ASSETS: tuple[Asset, ...] = (
    Asset(
        "axe-core",
        "tests/browser/vendor/axe-core-{version}",  # a test-only asset: never served by the app
        {"axe.min.js": "axe.min.js"},
        licenses=("LICENSE", "LICENSE-3RD-PARTY.txt"),
    ),
)


class VendorError(RuntimeError):
    pass


def locked_versions(root: Path = ROOT) -> dict[str, str]:
    """Package name -> exact version, from package-lock.json (lockfile v2/v3 "packages" map)."""
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    prefix = "node_modules/"
    return {
        key[len(prefix) :]: entry["version"]
        for key, entry in lock.get("packages", {}).items()
        if key.startswith(prefix) and "/node_modules/" not in key[len(prefix) :]
    }


def destination(asset: Asset, version: str, root: Path = ROOT) -> Path:
    return root / asset.dest.format(version=version)


def expected_files(asset: Asset, version: str, root: Path = ROOT) -> list[Path]:
    folder = destination(asset, version, root)
    return [folder / name for name in (*asset.files.values(), *asset.licenses)]


def other_versions(asset: Asset, version: str, root: Path = ROOT) -> list[Path]:
    """Sibling folders that hold another version of the same asset (left over from a bump)."""
    current = destination(asset, version, root)
    before, _, after = asset.dest.rpartition("/")[2].partition("{version}")
    pattern = re.compile(rf"{re.escape(before)}\d[\w.+-]*{re.escape(after)}")
    if not current.parent.is_dir():
        return []
    return sorted(p for p in current.parent.iterdir() if p.is_dir() and p != current and pattern.fullmatch(p.name))


def vendor(asset: Asset, version: str, root: Path = ROOT) -> list[Path]:
    source = root / "node_modules" / asset.package
    installed = json.loads((source / "package.json").read_text(encoding="utf-8"))["version"]
    if installed != version:
        raise VendorError(
            f"{asset.package}: node_modules has {installed} but package-lock.json says {version}; "
            "run `npm ci --ignore-scripts` first"
        )
    folder = destination(asset, version, root)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for inside, name in (*asset.files.items(), *((lic, lic) for lic in asset.licenses)):
        shutil.copyfile(source / inside, folder / name)
        written.append(folder / name)
    for stale in other_versions(asset, version, root):
        shutil.rmtree(stale)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    versions = locked_versions()
    for asset in ASSETS:
        if asset.package not in versions:
            print(f"{asset.package} is not in package-lock.json; add it to package.json first", file=sys.stderr)
            return 1
        try:
            written = vendor(asset, versions[asset.package])
        except (VendorError, FileNotFoundError) as error:
            print(error, file=sys.stderr)
            return 1
        for path in written:
            print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
