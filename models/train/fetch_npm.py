"""Downloads the npm packages of the corpus (npm-corpus.json) with `npm pack` into a cache folder.

Each tarball is checked: its package.json names the pinned version and a licence from the allowed
list, and it ships a LICENSE file. The tarballs stay in the cache (default
~/.cache/longrope-assistant/corpus-npm); corpus.py reads them from there.

  /usr/bin/python3 models/train/fetch_npm.py [--cache DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "longrope-assistant", "corpus-npm")


def tarball_name(name, version):
    # npm pack's file name: the scope's @ dropped and its / made a dash.
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def package_root(names):
    """The tarball's top folder: `package` for most, the bare name for DefinitelyTyped's @types."""
    return min(names, key=len).split("/")[0]


def license_file(names):
    return next((n for n in names if os.path.basename(n).upper().startswith(("LICENSE", "LICENCE", "COPYING"))), None)


def check(path, entry, allowed):
    with tarfile.open(path) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
        pkg = json.load(tar.extractfile(f"{package_root(names)}/package.json"))
    if pkg.get("version") != entry["version"]:
        sys.exit(f"fetch_npm: {path} holds version {pkg.get('version')}, not the pinned {entry['version']}")
    if pkg.get("license") not in allowed:
        sys.exit(f"fetch_npm: {entry['name']}@{entry['version']} is licensed {pkg.get('license')!r}, not one of {allowed}")
    if not license_file(names):
        sys.exit(f"fetch_npm: {entry['name']}@{entry['version']} ships no LICENSE file")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cache", default=os.environ.get("CORPUS_NPM_CACHE", DEFAULT_CACHE))
    args = p.parse_args()
    with open(os.path.join(HERE, "npm-corpus.json")) as f:
        spec = json.load(f)
    os.makedirs(args.cache, exist_ok=True)
    for entry in spec["heldOut"] + spec["train"]:
        path = os.path.join(args.cache, tarball_name(entry["name"], entry["version"]))
        if not os.path.exists(path):
            subprocess.run(["npm", "pack", f"{entry['name']}@{entry['version']}", "--silent"], cwd=args.cache, check=True, stdout=subprocess.DEVNULL)
        # The held-out packages are checked too: the evaluation publishes their text.
        allowed = spec["licenses"] + (["BlueOak-1.0.0"] if entry in spec["heldOut"] else [])
        check(path, entry, allowed)
        print(f"fetch_npm: {entry['name']}@{entry['version']} ok", file=sys.stderr)


if __name__ == "__main__":
    main()
