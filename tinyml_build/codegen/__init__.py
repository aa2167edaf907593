"""Generated sources shared by the runtimes: the model array and the op resolver (templates/ here),
and the one jinja2 environment every generator renders with (templating)."""
