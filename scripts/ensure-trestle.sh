#!/usr/bin/env bash
# Prints the pythons of two compliance-trestle installs, one a line as "<OSCAL model line> <python>", for the
# OSCAL export test (test/integration/export.test.ts loads the generated assessment-results with trestle's own
# pydantic models, which check more than NIST's JSON schema, e.g. the `urn:` prop namespace):
#   1.1 <python>  trestle 3.12.x, models OSCAL 1.1.0-1.1.3 (the version the export declares, 1.1.2)
#   1.2 <python>  trestle 5.2.x, models OSCAL 1.2.0-1.2.1; it also enforces that a control selection includes
#                 something (include-all or include-controls), which trestle 3's model leaves optional
# Each major refuses a document declaring the other's version line, hence two virtualenvs. Both are pinned,
# installed from PyPI into the cache outside the repo on first use. Order for each: $TRESTLE_PYTHON /
# $TRESTLE12_PYTHON, then the cached virtualenv, then `pip install` into it.
# Exit 3 means "no python3 >= 3.10 to build the virtualenvs with" (trestle 5 needs 3.11: its pip install fails on 3.10).
set -euo pipefail
source "$(dirname "$0")/lib/pip-tool.sh"

verify='from trestle.oscal import OSCAL_VERSION; from trestle.oscal.assessment_results import AssessmentResults; print("trestle models OSCAL", OSCAL_VERSION)'
v11="3.12.4"
v12="5.2.0" # needs python >= 3.11
p11="$(ensure_pip_tool trestle TRESTLE_PYTHON trestle-venv "trestle-$v11" bin/python "$verify" "compliance-trestle==$v11")"
p12="$(ensure_pip_tool trestle TRESTLE12_PYTHON trestle12-venv "trestle-$v12" bin/python "$verify" "compliance-trestle==$v12")"
echo "1.1 $p11"
echo "1.2 $p12"
