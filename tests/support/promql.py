"""PromQL checked the way promtool would: parsed by a real PromQL parser, metric names read from the tree."""

from __future__ import annotations

import promql_parser


def metrics_in(expr: str) -> set[str]:
    """Parse a PromQL expression (a syntax error fails the test) and return the metric names it selects."""
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name)
        elif isinstance(node, promql_parser.MatrixSelector):
            walk(node.vector_selector)
        elif isinstance(node, promql_parser.Call):
            for arg in node.args:
                walk(arg)
        elif isinstance(node, promql_parser.BinaryExpr):
            walk(node.lhs)
            walk(node.rhs)
        elif isinstance(node, (promql_parser.AggregateExpr, promql_parser.ParenExpr, promql_parser.UnaryExpr,
                               promql_parser.SubqueryExpr)):
            walk(node.expr)

    walk(promql_parser.parse(expr))
    return names


def instant_gauge_reads(expr: str, gauges: set[str]) -> list[tuple[str, str | None, list[str]]]:
    """Each instant read of one of `gauges` (not inside a range), with the aggregation closest around it:
    (metric, operator or None, the labels it drops with `without`)."""
    found: list[tuple[str, str | None, list[str]]] = []

    def walk(node, around) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name in gauges:
                found.append((node.name, *(around or (None, []))))
        elif isinstance(node, promql_parser.MatrixSelector):
            return  # a range (delta, rate...) over one replica's series is fine
        elif isinstance(node, promql_parser.AggregateExpr):
            modifier = node.modifier
            dropped = list(modifier.labels) if modifier is not None and "Without" in str(modifier.type) else []
            walk(node.expr, (str(node.op), dropped))
        elif isinstance(node, promql_parser.Call):
            for arg in node.args:
                walk(arg, around)
        elif isinstance(node, promql_parser.BinaryExpr):
            walk(node.lhs, around)
            walk(node.rhs, around)
        elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
            walk(node.expr, around)

    walk(promql_parser.parse(expr), None)
    return found
