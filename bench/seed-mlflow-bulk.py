"""Seeds a real MLflow tracking store with many model versions for `npm run bench` (bench/sweep.ts).

Usage: <mlflow-venv>/bin/python bench/seed-mlflow-bulk.py <sqlite-db-file> <artifact-dir> <models> <versions-per-model>

Writes through MLflow's own store code (MlflowClient on the server's SQLite backend, the same database the
running `mlflow server` serves), which is much faster than the REST API for thousands of versions: the
connector then reads everything back through the real server. Every version has a finished source run with
params, validation and fairness metrics, a training and an evaluation dataset (with digests) and a model
card under the run's artifact root (`model_card.md`, plus `model/MLmodel`). The last version of each model
is in production (stage Production on even models, alias `champion` on odd ones) with approval tags.
Prints one JSON line: {"models": M, "versions": N, "seconds": S}.
"""

import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param  # noqa: E402

CARD = "# Model card: {name} v{version}\n\n- Intended use: benchmark scoring\n- Owner: bench-team\n"


def main() -> None:
    db, artifacts, models, per_model = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    t0 = time.time()
    exp = client.create_experiment("bench-seed", artifact_location=f"file://{os.path.abspath(artifacts)}/bench-seed")
    now = int(time.time() * 1000)
    n = 0
    for m in range(models):
        name = f"bench-model-{m:03d}"
        client.create_registered_model(name, tags={"owner": "bench-team", "intended_use": "benchmark scoring", "risk_class": "low"}, description=f"benchmark model {m}")
        for v in range(1, per_model + 1):
            n += 1
            run = client.create_run(exp, run_name=f"{name}-v{v}", start_time=now - 3_600_000)
            run_id = run.info.run_id
            client.log_batch(
                run_id,
                metrics=[
                    Metric("accuracy", 0.8 + (n % 100) / 1000, now, 0),
                    Metric("f1", 0.7 + (n % 100) / 1000, now, 0),
                    Metric("demographic_parity_difference", 0.02, now, 0),
                ],
                params=[Param("learning_rate", str(0.01 * v)), Param("max_depth", str(3 + v % 5))],
            )
            client.log_inputs(
                run_id,
                datasets=[
                    DatasetInput(Dataset(f"{name}-train", f"d{n:07d}", "s3", json.dumps({"uri": f"s3://datasets/{name}/train-v{v}.parquet"})), [InputTag("mlflow.data.context", "training")]),
                    DatasetInput(Dataset(f"{name}-eval", f"e{n:07d}", "s3", json.dumps({"uri": f"s3://datasets/{name}/eval.parquet"})), [InputTag("mlflow.data.context", "evaluation")]),
                ],
            )
            root = run.info.artifact_uri.removeprefix("file://")
            os.makedirs(os.path.join(root, "model"), exist_ok=True)
            with open(os.path.join(root, "model_card.md"), "w") as f:
                f.write(CARD.format(name=name, version=v))
            with open(os.path.join(root, "model", "MLmodel"), "w") as f:
                f.write("artifact_path: model\nflavors: {}\n")
            client.set_terminated(run_id, end_time=now)
            mv = client.create_model_version(name, source=f"runs:/{run_id}/model", run_id=run_id, description=f"{name} version {v}")
            if v == per_model:
                client.set_model_version_tag(name, mv.version, "approved_by", "bench@example.com")
                client.set_model_version_tag(name, mv.version, "approved_at", "2026-01-15T10:00:00Z")
                if m % 2 == 0:
                    client.transition_model_version_stage(name, mv.version, "Production")
                else:
                    client.set_registered_model_alias(name, "champion", mv.version)
    print(json.dumps({"models": models, "versions": n, "seconds": round(time.time() - t0, 2)}))


if __name__ == "__main__":
    main()
