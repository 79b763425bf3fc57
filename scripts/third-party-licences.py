#!/usr/bin/env python3
"""Writes the licences of the Rust crates linked into Signoff's two programs, for the package.

  scripts/third-party-licences.py OUTPUT_FILE

scripts/package.sh installs the output as /usr/share/doc/signoff/third-party-licences.txt.gz.
The crates come from `cargo metadata --locked` (Cargo.lock, for x86_64-unknown-linux-gnu):
everything the packages signoff-app (/usr/bin/signoff-app) and signoff-cli (/usr/bin/signoff)
reach through normal dependencies. Dev-dependencies and build-dependencies are not followed,
and proc-macro crates (with what only they depend on) are left out: they run inside the
compiler and are not linked into the binaries, like build scripts. The workspace's own members
are Signoff itself (packaging/copyright). Cargo's metadata adds up the features the whole
workspace enables, so the list may name a few crates more than the binaries link; none fewer.

Per crate, sorted by name and version: name, version, licence expression, repository, then the
full text of every licence or notice file in the crate (LICENSE*, LICENCE*, COPYING*, NOTICE*,
COPYRIGHT*, UNLICENSE*, any case, in any of its directories, and the manifest's license-file).
A crate that ships none gets a line saying the standard text of its SPDX licence applies; those
crates are also listed on stderr. Exits 1 when cargo metadata fails or a crate declares no
licence at all. The output depends only on Cargo.lock and the crates' sources: no dates, no
paths of the build machine.
"""
import json
import os
import re
import subprocess
import sys

ROOTS = ("signoff-app", "signoff-cli")
TARGET = "x86_64-unknown-linux-gnu"
LICENCE_NAME = re.compile(r"^(licen[cs]e|copying|notice|copyright|unlicense)", re.IGNORECASE)
# Code whose file name happens to match (e.g. src/license.rs) is not a licence text.
SOURCE_SUFFIXES = (".rs", ".c", ".h", ".cc", ".cpp", ".py", ".js", ".go", ".toml", ".json")
RULE = "=" * 78
# The line a crate without a licence file gets; tests/package/check.sh looks for it.
STANDARD = "No licence file in the crate; the standard text of {} applies."


def die(message):
    print(f"third-party-licences: {message}", file=sys.stderr)
    sys.exit(1)


def cargo_metadata():
    command = ["cargo", "metadata", "--format-version", "1", "--locked",
               "--filter-platform", TARGET]
    try:
        run = subprocess.run(command, capture_output=True, text=True, check=False,
                             cwd=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    except OSError as error:
        die(f"cannot run cargo metadata: {error}")
    if run.returncode != 0:
        die(f"cargo metadata failed (exit {run.returncode}):\n{run.stderr.strip()}")
    return json.loads(run.stdout)


def version_key(version):
    """Orders 0.9.0 before 0.10.0 (and a pre-release before its release)."""
    core, _, pre = version.split("+", 1)[0].partition("-")
    numbers = tuple(int(part) if part.isdigit() else 0 for part in core.split("."))
    return numbers, pre == "", pre


def linked_packages(meta):
    """The packages of the normal-dependency closure of ROOTS, without the workspace's own."""
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    members = set(meta["workspace_members"])
    roots = [i for i in members if packages[i]["name"] in ROOTS]
    if len(roots) != len(ROOTS):
        die(f"the workspace has no package named {' or '.join(ROOTS)}")

    def is_proc_macro(package):
        return any("proc-macro" in t["kind"] for t in package["targets"])

    seen, todo = set(), list(roots)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for dep in nodes[current]["deps"]:
            normal = any(kind["kind"] is None for kind in dep["dep_kinds"])
            if normal and not is_proc_macro(packages[dep["pkg"]]):
                todo.append(dep["pkg"])
    linked = [packages[i] for i in seen if i not in members]
    return sorted(linked, key=lambda p: (p["name"], version_key(p["version"])))


def licence_files(package):
    """(path shown, path) of each licence or notice file of the crate: those at its top first,
    then those deeper down (e.g. of code it vendors), each group sorted by path."""
    crate_dir = os.path.dirname(package["manifest_path"])
    found = {}
    for parent, dirs, files in os.walk(crate_dir):
        dirs.sort()
        shown_parent = os.path.relpath(parent, crate_dir)
        # Every file in a top directory so named (e.g. a REUSE-style LICENSES/) counts too.
        in_licence_dir = bool(LICENCE_NAME.match(shown_parent.split(os.sep)[0]))
        for name in sorted(files):
            if (in_licence_dir or LICENCE_NAME.match(name)) and \
                    not name.lower().endswith(SOURCE_SUFFIXES):
                path = os.path.join(parent, name)
                found.setdefault(os.path.realpath(path), os.path.relpath(path, crate_dir))
    if package.get("license_file"):
        path = os.path.normpath(os.path.join(crate_dir, package["license_file"]))
        if not os.path.isfile(path):
            die(f"{package['name']} {package['version']} names license-file "
                f"{package['license_file']}, which the crate does not have")
        found.setdefault(os.path.realpath(path), package["license_file"])
    return sorted(((shown, path) for path, shown in found.items()),
                  key=lambda f: (os.sep in f[0], f[0]))


def read_text(path):
    with open(path, "rb") as file:
        data = file.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("usage: scripts/third-party-licences.py OUTPUT_FILE", file=sys.stderr)
        sys.exit(2)
    packages = linked_packages(cargo_metadata())
    undeclared = [f"{p['name']} {p['version']}" for p in packages
                  if not p.get("license") and not p.get("license_file")]
    if undeclared:
        die("these crates declare neither license nor license-file in their Cargo.toml:\n  "
            + "\n  ".join(undeclared))

    out = [
        "Third-party licences of Signoff",
        "",
        "The Rust crates statically linked into /usr/bin/signoff and /usr/bin/signoff-app, with",
        "the licence each declares and the full text of every licence or notice file it ships.",
        "Generated from Cargo.lock at build time (scripts/third-party-licences.py): the crates",
        "the programs reach through normal dependencies. Proc-macro crates and build scripts",
        "run only inside the compiler and are not linked, so they are not listed. Cargo counts",
        "features the whole workspace enables, so a few crates listed may not end up in the",
        "binaries. Signoff's own licence, and that of the icons it ships, are in",
        "/usr/share/doc/signoff/copyright.",
        "",
        "A file shown with a directory (e.g. third_party/fiat/LICENSE) covers the code in that",
        "directory of the crate; a crate may compile some of it only with features Signoff",
        "does not use (e.g. a vendored copy of a C library it links from the system instead).",
        "",
        f"{len(packages)} crates.",
    ]
    standard = []
    for package in packages:
        licence = package.get("license") or f"see {package['license_file']}"
        out += ["", RULE, f"Crate: {package['name']} {package['version']}",
                f"Licence: {licence}"]
        if package.get("repository"):
            out.append(f"Repository: {package['repository']}")
        texts = [(shown, read_text(path)) for shown, path in licence_files(package)]
        texts = [(shown, text) for shown, text in texts if text.strip()]
        if not texts:
            out += ["", STANDARD.format(package.get("license") or package["license_file"])]
            standard.append(f"{package['name']} {package['version']} ({licence})")
        for shown, text in texts:
            out += ["", f"----- {shown} -----", "", text]
    with open(sys.argv[1], "w", encoding="utf-8", newline="\n") as output:
        output.write("\n".join(out) + "\n")

    if standard:
        print(f"third-party-licences: {len(standard)} crates ship no licence file (the "
              "standard text of their licence applies):\n  " + "\n  ".join(standard),
              file=sys.stderr)


if __name__ == "__main__":
    main()
