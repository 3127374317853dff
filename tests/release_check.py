#!/usr/bin/env python3
"""Checks a dist/ folder made by scripts/dist.sh: every file the manifest
lists is there with its size and checksum; each library and program has the
format and architecture of its target; each library exports exactly the
functions nook.h declares (no fewer, no more, nothing Rust-mangled); static
libraries carry no debug info; Android libraries have 16 KiB-aligned LOAD
segments; the macOS/iOS dylibs are installed as @rpath/libnook.dylib; the
musl CLI is fully static. Prints one line per check and exits non-zero on
any failure. Needs llvm (llvm-readobj, llvm-nm, llvm-objdump, llvm-lipo).

Usage: python3 tests/release_check.py <dist-dir> <nook.h>
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

# target triple -> (object format, architecture), as llvm-readobj names them.
EXPECTED = {
    "x86_64-unknown-linux-gnu": ("elf64-x86-64", "x86_64"),
    "aarch64-unknown-linux-gnu": ("elf64-littleaarch64", "aarch64"),
    "x86_64-unknown-linux-musl": ("elf64-x86-64", "x86_64"),
    "aarch64-unknown-linux-musl": ("elf64-littleaarch64", "aarch64"),
    "i686-unknown-linux-gnu": ("elf32-i386", "i386"),
    "x86_64-apple-darwin": ("Mach-O 64-bit x86-64", "x86_64"),
    "aarch64-apple-darwin": ("Mach-O arm64", "aarch64"),
    "aarch64-apple-ios": ("Mach-O arm64", "aarch64"),
    "aarch64-apple-ios-sim": ("Mach-O arm64", "aarch64"),
    "x86_64-apple-ios": ("Mach-O 64-bit x86-64", "x86_64"),
    "x86_64-pc-windows-gnu": ("COFF-x86-64", "x86_64"),
    "aarch64-linux-android": ("elf64-littleaarch64", "aarch64"),
    "armv7-linux-androideabi": ("elf32-littlearm", "arm"),
    "x86_64-linux-android": ("elf64-x86-64", "x86_64"),
}
UNIVERSAL = {"universal-apple-darwin": {"x86_64", "arm64"}}
# nook.xcframework slice -> architectures of its libnook.a
XCFRAMEWORK = {"ios-arm64": {"arm64"}, "ios-arm64_x86_64-simulator": {"arm64", "x86_64"}}

failures = []
LIPO = next((t for t in ("llvm-lipo", "llvm-lipo-14", "lipo") if shutil.which(t)), "llvm-lipo")


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout


def header_functions(header):
    text = open(header).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return set(re.findall(r"\b(nook_[a-z0-9_]+)\s*\(", text))


def formats(path):
    """The (format, arch) pairs of a file, one per member for an archive."""
    out = run("llvm-readobj", "--file-headers", path)
    fmts = re.findall(r"^Format: (.+)$", out, re.M)
    archs = re.findall(r"^Arch: (.+)$", out, re.M)
    return set(zip(fmts, archs))


def exported(path, target):
    """nook_* functions a library defines for its users."""
    if path.endswith(".dll"):
        out = run("llvm-readobj", "--coff-exports", path)
        names = re.findall(r"^\s*Name: (\S+)$", out, re.M)
    elif path.endswith(".dll.a"):
        out = run("llvm-nm", "--extern-only", path)
        names = re.findall(r"\b__imp_(nook_\w+)$", out, re.M)
    else:
        args = ["llvm-nm", "--extern-only", "--defined-only", "--format=just-symbols"]
        if path.endswith(".so"):
            args.append("--dynamic")
        out = run(*args, path)
        names = out.split()
    if "apple" in target or target.endswith(".xcframework"):
        names = [n[1:] if n.startswith("_") else n for n in names]
    return names


def has_debug_info(path):
    out = run("llvm-objdump", "--section-headers", path)
    return bool(re.search(r"\s_?_?debug_info\b|\.debug_info\b", out))


def main():
    dist, header = sys.argv[1], sys.argv[2]
    declared = header_functions(header)
    check(len(declared) > 20, f"nook.h declares {len(declared)} nook_* functions")
    manifest = json.load(open(os.path.join(dist, "manifest.json")))
    header_text = open(header, "rb").read()
    listed = set()
    for t in manifest["targets"]:
        target = t["target"]
        for f in t["files"]:
            path = os.path.join(dist, f["path"])
            listed.add(os.path.normpath(path))
            if not check(os.path.isfile(path), f"{f['path']}: present"):
                continue
            data = open(path, "rb").read()
            check(len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"],
                  f"{f['path']}: size and sha256 match the manifest")
            kind = f["kind"]
            if kind == "header":
                check(data == header_text, f"{f['path']}: is the repository's nook.h")
                continue
            if target == "nook.xcframework":
                if kind == "other":
                    continue  # Info.plist
                want_archs = XCFRAMEWORK.get(os.path.basename(os.path.dirname(path)))
                archs = set(run(LIPO, "-archs", path).split())
                if not archs:  # a thin archive: its members' architecture
                    archs = {"arm64" if a == "aarch64" else a for _, a in formats(path)}
                check(archs == want_archs, f"{f['path']}: static library for {sorted(archs)}")
            elif target in UNIVERSAL:
                archs = set(run(LIPO, "-archs", path).split())
                check(archs == UNIVERSAL[target], f"{f['path']}: universal binary with {sorted(archs)}")
            else:
                want = EXPECTED.get(target)
                if not check(want is not None, f"{target}: an expected format is known"):
                    continue
                got = formats(path)
                check(got == {want}, f"{f['path']}: {want[0]} / {want[1]} (got {sorted(got)})")
            if kind in ("cdylib", "staticlib", "import-library"):
                names = exported(path, target)
                nook = {n for n in names if n.startswith("nook_")}
                missing = sorted(declared - nook)
                extra = sorted(nook - declared)
                check(not missing and not extra,
                      f"{f['path']}: exports the {len(declared)} functions of nook.h"
                      + (f" (missing {missing[:5]}, extra {extra[:5]})" if missing or extra else ""))
                if kind == "cdylib":
                    if path.endswith(".dylib"):
                        trie = run("llvm-objdump", "--macho", "--exports-trie", path)
                        names = [n.lstrip("_") for n in re.findall(r"^0x[0-9A-Fa-f]+\s+(\S+)", trie, re.M)]
                    mangled = [n for n in names if n.startswith(("_ZN", "_R", "ZN", "RN"))]
                    what = f"{f['path']}: exports no Rust-internal symbol ({len(mangled)})"
                    if mangled and not t["shippable"]:
                        print("known " + what + ": a link check, not shippable (see scripts/dist.sh)")
                    else:
                        check(not mangled, what)
            if kind == "staticlib" or kind == "cdylib":
                check(not has_debug_info(path), f"{f['path']}: carries no debug info")
            if kind == "cdylib" and "android" in target:
                aligns = re.findall(r"^\s*LOAD\s.*\s(0x[0-9a-f]+)$", run("llvm-readelf", "-l", path), re.M)
                check(aligns and all(int(a, 16) >= 16384 for a in aligns),
                      f"{f['path']}: LOAD segments aligned to 16 KiB ({aligns})")
            if kind == "cdylib" and path.endswith(".dylib"):
                ident = run("llvm-objdump", "--macho", "--dylib-id", path).split()[-1:]
                check(ident == ["@rpath/libnook.dylib"], f"{f['path']}: install name {ident}")
            if kind == "cli" and "musl" in target:
                headers = run("llvm-readelf", "--program-headers", "--dynamic", path)
                check("INTERP" not in headers and "NEEDED" not in headers,
                      f"{f['path']}: statically linked")
        kinds = {f["kind"] for f in t["files"]}
        check("header" in kinds and len(kinds) > 1, f"{target}: has the header and at least one binary")
    on_disk = set()
    for dirpath, _, names in os.walk(dist):
        for n in names:
            on_disk.add(os.path.normpath(os.path.join(dirpath, n)))
    go_files = {os.path.normpath(os.path.join(dist, f["path"])) for f in manifest.get("go", [])}
    stray = sorted(p for p in on_disk - listed - go_files
                   if os.path.basename(p) not in ("manifest.json", "SHA256SUMS", ".not-shippable"))
    check(not stray, f"every file in dist/ is in the manifest (unlisted: {stray[:5]})")
    print(f"release_check: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
