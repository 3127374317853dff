#!/usr/bin/env python3
"""Writes dist/manifest.json and dist/SHA256SUMS for a dist/ folder made by
scripts/dist.sh (or merged from several machines' dist/ folders, as the
release workflow does): every file with its target, kind, size and sha256.
A target listed in dist/.not-shippable (one per line) is marked
"shippable": false (an Android library linked without the NDK).

Usage: python3 scripts/dist_manifest.py <dist-dir>
"""
import hashlib, json, os, re, subprocess, sys
dist = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
marker = os.path.join(dist, ".not-shippable")
not_shippable = set(open(marker).read().split()) if os.path.exists(marker) else set()
header = open(os.path.join(root, "abi/include/nook.h")).read()
abi = ".".join(re.search(r"#define NOOK_ABI_VERSION_%s (\d+)" % p, header).group(1) for p in ("MAJOR", "MINOR"))
version = re.search(r'^version = "([^"]+)"', open(os.path.join(root, "Cargo.toml")).read(), re.M).group(1)

def kind(path):
    name = os.path.basename(path)
    if name == "nook.h": return "header"
    if name in ("nook", "nook.exe"): return "cli"
    if name.endswith(".dll.a"): return "import-library"
    if name.endswith(".a"): return "staticlib"
    if name.endswith((".so", ".dylib", ".dll")): return "cdylib"
    return "other"

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""): h.update(chunk)
    return h.hexdigest()

targets, sums = [], []
for t in sorted(os.listdir(dist)):
    tdir = os.path.join(dist, t)
    if not os.path.isdir(tdir) or t == "go":
        continue
    files = []
    for dirpath, _, names in os.walk(tdir):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, dist)
            digest = sha256(p)
            files.append({"path": rel, "kind": kind(p), "size": os.path.getsize(p), "sha256": digest})
            sums.append(f"{digest}  {rel}")
    files.sort(key=lambda f: f["path"])
    targets.append({"target": t, "shippable": t not in not_shippable, "files": files})
go = []
gdir = os.path.join(dist, "go")
if os.path.isdir(gdir):
    for dirpath, _, names in os.walk(gdir):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, dist)
            digest = sha256(p)
            go.append({"path": rel, "size": os.path.getsize(p), "sha256": digest})
            sums.append(f"{digest}  {rel}")
    go.sort(key=lambda f: f["path"])
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
manifest = {"name": "nook", "version": version, "abi_version": abi, "host_rustc": rustc,
            "targets": targets, "go": go}
with open(os.path.join(dist, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
with open(os.path.join(dist, "SHA256SUMS"), "w") as f:
    f.write("\n".join(sorted(sums, key=lambda s: s.split("  ", 1)[1])) + "\n")
for t in targets:
    size = sum(f["size"] for f in t["files"])
    note = "" if t["shippable"] else "  (link check only: not shippable)"
    print(f"    {t['target']:32} {len(t['files'])} files, {size / 1e6:6.1f} MB{note}")
