"""`export`: the model's code as a self-contained, vendorable library for the user's own build.

Why: firmware teams keep their application, HAL, RTOS and build system; they want the model's code
inside it, with the include paths and flags already worked out, pinned and reproducible, and a CI
check that tells them when the vendored copy no longer matches the model.

    plan = plan_export(config, project_dir)        # what the tree holds (names only; plan.py)
    files = render_export(plan)                    # relative path -> bytes, manifest included (render.py)
    write_tree(plan.folder, files)                 # refuses a user's folder and hand-edited files (tree.py)
    drift = compare_tree(folder, files)            # the per-file summary of `export_check=1` (drift.py)

One concern per module: layout.py (tree layout and names), includes.py (the C include closure),
model_header.py (the model's facts as constants), flags.py (which compile flags travel with the
library), build_files.py (CMake, Make, ESP-IDF, PlatformIO, Arduino, README), manifest.py, tree.py,
drift.py, tflm.py (runtime=tflm: the image's upstream file list, its header closure, licenses and
pins); render.py puts them together. site_scons/site_tools/export.py wires it into SCons;
`tinyml-build export --check DIR` (tinyml_build/cli.py) runs the drift check without SCons.
"""
