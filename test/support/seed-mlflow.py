"""Seeds a real MLflow tracking server for the MLflow connector's integration test.

Run with the python of the virtualenv that scripts/ensure-mlflow.sh prints (`<venv>/bin/python`), with
MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD when the server has basic
auth) in the environment. Prints one JSON document on stdout describing what was created, so the test
can compare the connector's output with what MLflow itself computed (dataset digests, run ids).

The registry it builds: 3 registered models, 10 versions. Four versions are "in production":
  credit-scoring/2   stage Production                     complete
  credit-scoring/3   alias champion                       NO model card            (A.6.2.7 gap)
  fraud-detector/2   alias production                     NO f1, NO fairness metric (A.6.2.4 / A.5.4 gap)
  churn-predictor/2  stage Production and alias champion  complete, card under model/README.md
churn-predictor/1 is registered from an MLflow 3 logged model (source models:/m-...) whose own artifacts
hold its README.md card.
Everything else a production version needs (approver tags, hashed input datasets, owner tags on the
registered model) is present, so exactly those two gaps show.
"""

import json
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")

import mlflow  # noqa: E402
import pandas as pd  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import LoggedModelStatus  # noqa: E402

CARD = """# Model card: {name} v{version}

- Intended use: {intended_use}
- Owner: {owner}
- Limitations: evaluated on the {dataset} hold-out set only.
"""

MODELS = [
    {
        "name": "credit-scoring",
        "description": "Scores consumer credit applications",
        "tags": {"owner": "risk-ml-team", "intended_use": "consumer credit decisions", "risk_class": "high"},
        "versions": [
            {"stage": "Archived"},
            {"stage": "Production", "approved": ("alice@example.com", "2026-01-15T10:00:00Z")},
            {"alias": "champion", "approved": ("bob@example.com", "2026-02-01T09:30:00Z"), "card": None},
            {},
        ],
    },
    {
        "name": "fraud-detector",
        "description": "Flags card transactions for review",
        "tags": {"owner": "payments-ml", "intended_use": "transaction fraud triage", "risk_class": "medium"},
        "versions": [
            {},
            {"alias": "production", "approved": ("carol@example.com", "2026-03-03T08:00:00Z"), "metrics": {"accuracy": 0.97}},
            {"stage": "Staging"},
        ],
    },
    {
        "name": "churn-predictor",
        "description": "Predicts subscription churn",
        "tags": {"owner": "growth-analytics", "intended_use": "retention campaigns", "risk_class": "low"},
        "versions": [
            {"card": None, "logged_model_card": "README.md"},
            {"stage": "Production", "alias": "champion", "approved": ("dave@example.com", "2026-04-20T16:45:00Z"), "card": "model/README.md"},
            {"card": None},
        ],
    },
]


def full_metrics(i: int) -> dict:
    return {
        "accuracy": round(0.80 + i * 0.01, 4),
        "f1": round(0.70 + i * 0.01, 4),
        "demographic_parity_difference": round(0.02 + i * 0.001, 4),
        "train_loss": round(0.5 - i * 0.01, 4),
    }


def log_model_with_card(client: MlflowClient, run, name: str, version_no: int, card: str) -> str:
    """An MLflow 3 logged model (its own artifact root, outside the run's) with a card among its files."""
    model = client.create_logged_model(experiment_id=run.info.experiment_id, name="model", source_run_id=run.info.run_id)
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "MLmodel"), "w") as f:
            f.write("artifact_path: model\nflavors: {}\n")
        with open(os.path.join(d, card), "w") as f:
            f.write(f"# Model card: {name} v{version_no} (logged model)\n")
        client.log_model_artifacts(model.model_id, d)
    client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    return model.model_id


def main() -> None:
    # MLflow prints "View run ..." links on stdout; keep stdout for the JSON summary alone.
    summary_out, sys.stdout = sys.stdout, sys.stderr
    client = MlflowClient()
    mlflow.set_experiment("evidence-hub-seed")
    out = {"models": {}}
    n = 0
    for model in MODELS:
        name = model["name"]
        client.create_registered_model(name, tags=model["tags"], description=model["description"])
        out["models"][name] = {"versions": {}}
        for idx, spec in enumerate(model["versions"]):
            n += 1
            version_no = idx + 1
            df = pd.DataFrame({"feature_a": [n, n + 1, n + 2], "feature_b": [0.1 * n, 0.2, 0.3], "label": [0, 1, 0]})
            train = mlflow.data.from_pandas(df, source=f"s3://datasets/{name}/train-v{version_no}.parquet", name=f"{name}-train", targets="label")
            evaluation = mlflow.data.from_pandas(df.head(2), source=f"s3://datasets/{name}/eval.parquet", name=f"{name}-eval", targets="label")
            with mlflow.start_run(run_name=f"{name}-v{version_no}") as run:
                mlflow.log_params({"learning_rate": 0.01 * version_no, "max_depth": 3 + idx, "algorithm": "gbm"})
                mlflow.log_metrics(spec.get("metrics", full_metrics(n)))
                mlflow.log_input(train, context="training")
                mlflow.log_input(evaluation, context="evaluation")
                mlflow.log_text("artifact_path: model\nflavors: {}\n", "model/MLmodel")
                card = spec.get("card", "model_card.md")
                if card is not None:
                    mlflow.log_text(
                        CARD.format(name=name, version=version_no, intended_use=model["tags"]["intended_use"], owner=model["tags"]["owner"], dataset=f"{name}-eval"),
                        card,
                    )
                run_id = run.info.run_id
            if "logged_model_card" in spec:
                model_id = log_model_with_card(client, run, name, version_no, spec["logged_model_card"])
                mv = client.create_model_version(name, source=f"models:/{model_id}", run_id=run_id, model_id=model_id, description=f"{name} version {version_no}")
            else:
                mv = client.create_model_version(name, source=f"runs:/{run_id}/model", run_id=run_id, description=f"{name} version {version_no}")
            assert mv.version == str(version_no), (mv.version, version_no)
            tags = {}
            if "approved" in spec:
                tags = {"approved_by": spec["approved"][0], "approved_at": spec["approved"][1]}
            for k, v in tags.items():
                client.set_model_version_tag(name, mv.version, k, v)
            if "stage" in spec:
                client.transition_model_version_stage(name, mv.version, spec["stage"])
            if "alias" in spec:
                client.set_registered_model_alias(name, spec["alias"], mv.version)
            out["models"][name]["versions"][mv.version] = {
                "runId": run_id,
                "card": card,
                "datasets": {
                    "training": {"name": train.name, "digest": train.digest, "source": train.source.to_json()},
                    "evaluation": {"name": evaluation.name, "digest": evaluation.digest, "source": evaluation.source.to_json()},
                },
            }
    json.dump(out, summary_out)
    summary_out.write("\n")


if __name__ == "__main__":
    main()
