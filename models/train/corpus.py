"""Builds the training corpus from text that Debian and npm packages put on this machine.

Output (under the build folder, never committed):
  corpus/train.jsonl, corpus/val.jsonl  one {"source", "path", "text"} per line
  corpus/manifest.json                  per source: package, version, license, files with sha256 and split

Validation holds out *whole files*, chosen by a hash of the path, so that no
held-out text leaks into training through a neighbouring chunk.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys

# Each source: the Debian package (or npm package) that ships it, its license, and how to find files.
SOURCES = [
    {
        "name": "python-docs",
        "kind": "deb",
        "package": "python3.11-doc",
        "license": "PSF-2.0 (see /usr/share/doc/python3.11-doc/copyright)",
        "root": "/usr/share/doc/python3.11/html/_sources",
        "suffix": ".rst.txt",
        "exclude": [],
        "max_bytes": 12_000_000,
    },
    {
        "name": "python-stdlib",
        "kind": "deb",
        "package": "libpython3.11-stdlib",
        "license": "PSF-2.0 (see /usr/share/doc/libpython3.11-stdlib/copyright)",
        "root": "/usr/lib/python3.11",
        "suffix": ".py",
        "exclude": ["/test/", "/tests/", "/idlelib/", "/lib2to3/", "/site-packages/", "/dist-packages/"],
        "max_bytes": 10_000_000,
    },
    {
        "name": "go-src",
        "kind": "deb",
        "package": "golang-1.19-src",
        "license": "BSD-3-Clause (see /usr/share/doc/golang-1.19-src/copyright)",
        "root": "/usr/share/go-1.19/src",
        "suffix": ".go",
        "exclude": ["_test.go", "/testdata/", "/vendor/"],
        "max_bytes": 12_000_000,
    },
    {
        "name": "typescript-lib",
        "kind": "npm",
        "package": "typescript",
        "license": "Apache-2.0 (see node_modules/typescript/LICENSE.txt)",
        "root": "node_modules/typescript/lib",
        "suffix": ".d.ts",
        "exclude": [],
        "max_bytes": 4_000_000,
    },
]

VAL_PERCENT = 2


def package_version(source):
    if source["kind"] == "deb":
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", source["package"]], capture_output=True, text=True
        )
        if out.returncode != 0:
            sys.exit(f"corpus: Debian package {source['package']} is not installed (apt-get install {source['package']})")
        return out.stdout.strip()
    with open(os.path.join("node_modules", source["package"], "package.json")) as f:
        return json.load(f)["version"]


def list_files(source):
    found = []
    for dirpath, dirnames, filenames in os.walk(source["root"]):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if not name.endswith(source["suffix"]) or any(x in path for x in source["exclude"]):
                continue
            found.append(path)
    if not found:
        sys.exit(f"corpus: no {source['suffix']} files under {source['root']} for {source['package']}")
    return found


def path_hash(path):
    return int(hashlib.sha256(path.encode()).hexdigest()[:8], 16)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out_dir = os.path.join(args.out, "corpus")
    os.makedirs(out_dir, exist_ok=True)

    manifest = {"valPercent": VAL_PERCENT, "sources": []}
    with open(os.path.join(out_dir, "train.jsonl.tmp"), "w") as train, open(
        os.path.join(out_dir, "val.jsonl.tmp"), "w"
    ) as val:
        for source in SOURCES:
            files = list_files(source)
            # A deterministic subset when a source is larger than its share of the mix.
            files.sort(key=path_hash)
            total = 0
            entries = []
            for path in files:
                with open(path, "rb") as f:
                    raw = f.read()
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                if total + len(raw) > source["max_bytes"]:
                    break
                total += len(raw)
                split = "val" if path_hash(path) % 100 < VAL_PERCENT else "train"
                (val if split == "val" else train).write(
                    json.dumps({"source": source["name"], "path": path, "text": text}) + "\n"
                )
                entries.append({"path": path, "sha256": hashlib.sha256(raw).hexdigest(), "split": split})
            manifest["sources"].append(
                {
                    "name": source["name"],
                    "package": source["package"],
                    "registry": source["kind"],
                    "version": package_version(source),
                    "license": source["license"],
                    "bytes": total,
                    "files": entries,
                }
            )
            print(f"corpus: {source['name']}: {len(entries)} files, {total / 1e6:.1f} MB", file=sys.stderr)
    os.replace(os.path.join(out_dir, "train.jsonl.tmp"), os.path.join(out_dir, "train.jsonl"))
    os.replace(os.path.join(out_dir, "val.jsonl.tmp"), os.path.join(out_dir, "val.jsonl"))
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
