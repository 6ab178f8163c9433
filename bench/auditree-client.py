"""Fallback of the Auditree peer comparison (bench/auditree-github.ts), used only when Auditree's own runner
cannot be pointed at the fake GitHub (its fetchers drop the port of a repository URL, so the runner needs
the fake on port 80 of a loopback address).

Drives Auditree's GitHub client, `compliance.utils.services.github.Github`, with exactly the calls its
fetchers make (arboretum.auditree.fetchers.github: fetch_repo_metadata → get_repo_details(repo),
fetch_branch_protection → get_branch_protection_details(repo, branch)), and writes each answer to a file
as `json.dumps(...)`, as the fetchers hand it to the evidence locker.

Usage: <auditree-venv>/bin/python bench/auditree-client.py <base_url> <creds.ini> <out-dir> <branch> owner/repo...
Prints one JSON line: {"seconds": S, "evidence": N}.
"""

import json
import os
import sys
import time

from compliance.utils.credentials import Config
from compliance.utils.services.github import Github


def main() -> None:
    base_url, creds, out, branch, repos = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    github = Github(Config(creds), base_url)
    n = 0
    for repo in repos:
        prefix = repo.lower().replace("/", "_").replace("-", "_")
        with open(os.path.join(out, f"gh_{prefix}_repo_metadata.json"), "w") as f:
            f.write(json.dumps(github.get_repo_details(repo)))
        n += 1
    for repo in repos:
        prefix = f'{repo.lower().replace("/", "_").replace("-", "_")}_{branch.lower().replace("-", "_")}'
        with open(os.path.join(out, f"gh_{prefix}_branch_protection.json"), "w") as f:
            f.write(json.dumps(github.get_branch_protection_details(repo, branch)))
        n += 1
    print(json.dumps({"seconds": time.perf_counter() - t0, "evidence": n}))


if __name__ == "__main__":
    main()
