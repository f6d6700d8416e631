"""Outputs: findings.json, the HTML report and its figures, the boundary contracts."""
