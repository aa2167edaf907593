"""What a model is and needs, before any runtime is chosen: facts and findings (analyze), the
static arena planner (memory_plan) and the op table every runtime is checked against (op_inventory)."""
