"""Builds the training corpus from text that Debian and npm packages put on this machine, and from
the npm tarballs that fetch_npm.py downloaded (TypeScript, JavaScript, JSON and Markdown: what VS
Code workspaces hold).

Output (under the build folder, never committed):
  corpus/train.jsonl, corpus/val.jsonl  one {"source", "path", "text"} per line
  corpus/heldout.jsonl                  the held-out npm packages (npm-corpus.json "heldOut"), whole
  corpus/manifest.json                  per source: package, version, license, files with sha256 and split

For the Debian sources validation holds out *whole files*, chosen by a hash of the path, so that no
held-out text leaks into training through a neighbouring chunk; the npm text holds out *whole
packages*, so the held-out TypeScript is really unseen (no sibling file of the same project).
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile

from fetch_npm import DEFAULT_CACHE, license_file, package_root, tarball_name

HERE = os.path.dirname(os.path.abspath(__file__))

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
        "max_bytes": 3_500_000,
    },
    {
        "name": "python-stdlib",
        "kind": "deb",
        "package": "libpython3.11-stdlib",
        "license": "PSF-2.0 (see /usr/share/doc/libpython3.11-stdlib/copyright)",
        "root": "/usr/lib/python3.11",
        "suffix": ".py",
        "exclude": ["/test/", "/tests/", "/idlelib/", "/lib2to3/", "/site-packages/", "/dist-packages/"],
        "max_bytes": 3_500_000,
    },
    {
        "name": "go-src",
        "kind": "deb",
        "package": "golang-1.19-src",
        "license": "BSD-3-Clause (see /usr/share/doc/golang-1.19-src/copyright)",
        "root": "/usr/share/go-1.19/src",
        "suffix": ".go",
        "exclude": ["_test.go", "/testdata/", "/vendor/"],
        "max_bytes": 3_500_000,
    },
    {
        "name": "typescript-lib",
        "kind": "npm",
        "package": "typescript",
        "license": "Apache-2.0 (see node_modules/typescript/LICENSE.txt)",
        "root": "node_modules/typescript/lib",
        "suffix": ".d.ts",
        "exclude": [],
        "max_bytes": 2_000_000,
    },
]

VAL_PERCENT = 2

# npm package text: what a VS Code workspace holds, without build output nobody reads.
NPM_SUFFIXES = (".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json", ".md")
NPM_SKIP = (".min.js", ".map", ".tsbuildinfo")
NPM_FILE_MAX = 1_000_000  # whole .d.ts APIs such as @types/vscode
NPM_JSON_MAX = 20_000
NPM_PACKAGE_MAX = 1_200_000  # so that @types/node or lodash-es do not crowd out the rest


def readable(name, raw):
    """Source a person wrote: not minified (long lines), not a large data JSON."""
    if name.endswith(NPM_SKIP) or len(raw) > (NPM_JSON_MAX if name.endswith(".json") else NPM_FILE_MAX):
        return False
    lines = raw.split(b"\n")
    return max(len(line) for line in lines) <= 1000 and len(raw) / len(lines) <= 120


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


def npm_sources(cache, spec, out):
    """Each pinned package of npm-corpus.json as a source; `out` maps a split to its jsonl file."""
    sources = []
    for split, entries in (("heldout", spec["heldOut"]), ("train", spec["train"])):
        for entry in entries:
            path = os.path.join(cache, tarball_name(entry["name"], entry["version"]))
            if not os.path.exists(path):
                sys.exit(f"corpus: {path} is missing; run models/train/fetch_npm.py first")
            with tarfile.open(path) as tar:
                members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: path_hash(m.name))
                root = package_root([m.name for m in members])
                pkg = json.load(tar.extractfile(f"{root}/package.json"))
                files, total = [], 0
                for m in members:
                    if not m.name.endswith(NPM_SUFFIXES):
                        continue
                    raw = tar.extractfile(m).read()
                    if not readable(m.name, raw) or total + len(raw) > NPM_PACKAGE_MAX:
                        continue
                    try:
                        text = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        continue
                    total += len(raw)
                    name = f"{entry['name']}@{entry['version']}/{m.name.split('/', 1)[1]}"
                    out[split].write(json.dumps({"source": f"npm:{entry['name']}", "path": name, "text": text}) + "\n")
                    files.append({"path": name, "sha256": hashlib.sha256(raw).hexdigest(), "split": split})
            sources.append(
                {
                    "name": f"npm:{entry['name']}",
                    "package": entry["name"],
                    "registry": "npm",
                    "version": entry["version"],
                    "license": f"{pkg['license']} (see {license_file([m.name for m in members])} in the tarball)",
                    "split": split,
                    "bytes": total,
                    "files": files,
                }
            )
            print(f"corpus: npm {entry['name']} ({split}): {len(files)} files, {total / 1e6:.2f} MB", file=sys.stderr)
    return sources


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--npm-cache", default=os.environ.get("CORPUS_NPM_CACHE", DEFAULT_CACHE))
    args = parser.parse_args()
    out_dir = os.path.join(args.out, "corpus")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(HERE, "npm-corpus.json")) as f:
        spec = json.load(f)

    manifest = {"valPercent": VAL_PERCENT, "heldOutPackages": [e["name"] for e in spec["heldOut"]], "sources": []}
    with open(os.path.join(out_dir, "train.jsonl.tmp"), "w") as train, open(
        os.path.join(out_dir, "val.jsonl.tmp"), "w"
    ) as val, open(os.path.join(out_dir, "heldout.jsonl.tmp"), "w") as heldout:
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
        manifest["sources"] += npm_sources(args.npm_cache, spec, {"train": train, "heldout": heldout})
    for split in ("train", "val", "heldout"):
        os.replace(os.path.join(out_dir, f"{split}.jsonl.tmp"), os.path.join(out_dir, f"{split}.jsonl"))
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
