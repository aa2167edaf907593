"""The accuracy section: the quantized model's outputs against its float reference.

Why optional: the figures come from test.json's `accuracy` block (verification/accuracy.py), which a
`test` run writes when a float reference of the model exists (model.yaml `reference:` or reference=);
without one the section says so, and an entry with `error` says why the comparison failed.
"""

from tinyml_build.reports.fit.inputs import ReportInputs
from tinyml_build.reports.fit.report import NA, PASS, WARN, Section

FIELDS = ("mae", "rmse", "max_abs_error", "cosine_similarity", "relative_l2", "top1_agreement", "accuracy",
          "reference_accuracy", "reference", "interpreter", "inputs", "samples")
MIN_COSINE = 0.99  # below this the quantized outputs point elsewhere than the float model's


def section(inputs: ReportInputs) -> Section:
    if inputs.run is None:
        return Section("accuracy", "accuracy", "Accuracy", NA, inputs.not_run or "not measured: the image was not run")
    block = (inputs.run.test.get("accuracy") or {}).get(inputs.model_name)
    if not isinstance(block, dict):
        return Section("accuracy", "accuracy", "Accuracy", NA,
                       "not measured: the run has no float reference comparison (it needs a float model, "
                       "reference= or model.yaml's reference:, and inputs, dataset= or model.yaml's samples:)")
    if "error" in block:
        return Section("accuracy", "accuracy", "Accuracy", NA, f"not measured: {block['error']}")
    figures = {name: block[name] for name in FIELDS if name in block}
    cosine = block.get("cosine_similarity")
    if isinstance(cosine, (int, float)) and cosine < MIN_COSINE:
        return Section("accuracy", "accuracy", "Accuracy", WARN,
                       f"cosine similarity {cosine:.4f} to the float reference is below {MIN_COSINE}", figures)
    shown = ", ".join(f"{k} {v:.4g}" for k, v in figures.items() if isinstance(v, (int, float)))
    return Section("accuracy", "accuracy", "Accuracy", PASS, f"against {block.get('reference', 'the float model')}: "
                   f"{shown}", figures)
