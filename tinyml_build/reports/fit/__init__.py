"""`scons ... report` and `tinyml-build fit`: does this model fit this board, and why (issue 11).

One module per step (requirements, screen, memory: flash and RAM, compute, power, ops, accuracy), each
turning ReportInputs (inputs.py) into a Section (report.py); make.make_report runs them in the issue's order.
Views: report.json (Report.to_json), report.html (html_page.py), the terminal summary (summary.py)
and the across-boards table (across.py).

report.json ("format": "tinyml_build report 1"): target, model, runtime, status (the worst section's),
sources (where each kind of figure came from), and sections in step order, each {step, key, title,
status: PASS|WARN|FAIL|NA, reason, figures: {name: number or text}, charts?: [{title, unit, bars:
[[label, value]], limit}], rows?: [...] (the op table)}. Keys: requirements, screen, flash, ram,
compute, power, ops, accuracy.
"""
