"""Turn an object plan into one Python function that builds its response object.

A loop over the plan's fields, deciding each field's kind per object, cost about as much
as the reads themselves. The generated function does the same work in straight-line code:
one local per field, a column read by position, the serializer called only for values
that need it, and the object written as one dict display in the selection's order.

Only names made here and the plan's own values (bound as globals of the function) appear
in the source; response keys go in through repr().
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custgraph.fastpath.plan import (
    CHILD,
    FORBIDDEN,
    LEAF,
    LOADED,
    TYPENAME,
    Fallback,
)
from custgraph.fastpath.rows import LAYOUTS
from custgraph.global_id import global_id_encoder

if TYPE_CHECKING:
    from custgraph.fastpath.plan import Builder, Child, Leaf, ObjectPlan


def compile_builder(plan: ObjectPlan) -> Builder:
    bound: dict[str, Any] = {"Fallback": Fallback, "_str": str, "_bool": bool, "_int": int}
    lines = ["def build(source, path, run, loaded, index):", "    env = run.env"]
    values: list[str] = []
    for n, f in enumerate(plan.fields):
        name = f"v{n}"
        if f.kind is LEAF:
            column = getattr(f.read, "column_index", None)  # type: ignore[union-attr]
            id_of = getattr(f.read, "global_id", None)  # type: ignore[union-attr]
            if id_of is not None and plan.type_name in LAYOUTS:
                bound[f"gid{n}"] = global_id_encoder(id_of)
                lines.append(f"    {name} = gid{n}(source[{LAYOUTS[plan.type_name].index('id')}])")
            elif column is None:
                bound[f"read{n}"] = f.read  # type: ignore[union-attr]
                lines.append(f"    {name} = read{n}(source, env)")
            else:
                lines.append(f"    {name} = source[{int(column)}]")
            lines += _serialized(name, f, bound)  # type: ignore[arg-type]
        elif f.kind is CHILD and (money := _money_lines(name, f, plan.type_name, bound)):  # type: ignore[arg-type]
            lines += money
        elif f.kind is TYPENAME:
            bound[f"const{n}"] = f.name  # type: ignore[union-attr]
            lines.append(f"    {name} = const{n}")
        elif f.kind is LOADED:
            lines.append(f"    {name} = loaded[{f.key!r}][index]")
        elif f.kind is CHILD:
            bound[f"read{n}"] = f.read  # type: ignore[union-attr]
            bound[f"child{n}"] = f.plan.build  # type: ignore[union-attr]
            lines.append(f"    {name} = read{n}(source, env)")
            if not f.nullable:  # type: ignore[union-attr]
                lines.append(f"    if {name} is None: raise Fallback")
            lines.append(f"    if {name} is not None:")
            lines.append("        run.objects[0] += 1")
            lines.append(f"        {name} = child{n}({name}, (*path, {f.key!r}), run, {{}}, 0)")
        else:
            assert f.kind is FORBIDDEN
            bound[f"refusal{n}"] = f
            lines.append(f"    run.forbid(refusal{n}, path)")
            lines.append(f"    {name} = None")
        values.append(f"{f.key!r}: {name}")
    lines.append("    return {" + ", ".join(values) + "}")
    namespace: dict[str, Any] = dict(bound)
    exec(compile("\n".join(lines), f"<custgraph plan {plan.type_name}>", "exec"), namespace)
    builder: Builder = namespace["build"]
    return builder


def _serialized(name: str, leaf: Leaf, bound: dict[str, Any]) -> list[str]:
    """Lines that serialize the value in `name` as `leaf` does (None of a non-null field:
    the general path answers)."""
    ser = f"ser_{name}"
    bound[ser] = leaf.serialize
    passes = getattr(leaf.serialize, "passes", None)
    check = f"not ({passes.format(v=name)})" if passes else "True"
    if leaf.nullable:
        return [f"    if {name} is not None and {check}: {name} = {ser}({name})"]
    return [f"    if {name} is None: raise Fallback", f"    if {check}: {name} = {ser}({name})"]


def _money_lines(name: str, child: Child, type_name: str, bound: dict[str, Any]) -> list[str]:
    """A Money built from the row's columns in place, without the Money object and the
    child builder's call (a list page has hundreds); [] when the selection holds
    anything but `amount`, `currency` and `__typename`."""
    money = getattr(child.read, "money", None)
    layout = LAYOUTS.get(type_name)
    if money is None or layout is None:
        return []
    amount_column, currency_column = money
    lines = ["    run.objects[0] += 1"]
    entries = []
    for k, f in enumerate(child.plan.fields):
        part = f"{name}_{k}"
        if f.kind is TYPENAME:
            bound[part] = f.name  # type: ignore[union-attr]
        elif f.kind is LEAF and getattr(f.read, "attribute", None) == "amount":  # type: ignore[union-attr]
            lines.append(f"    {part} = source[{layout.index(amount_column)}]")
            lines += _serialized(part, f, bound)  # type: ignore[arg-type]
        elif f.kind is LEAF and getattr(f.read, "attribute", None) == "currency":  # type: ignore[union-attr]
            if currency_column is None:
                lines.append(f"    {part} = env.currency")
            else:
                lines.append(f"    {part} = source[{layout.index(currency_column)}]")
            lines += _serialized(part, f, bound)  # type: ignore[arg-type]
        else:
            return []
        entries.append(f"{f.key!r}: {part}")
    lines.append(f"    {name} = {{{', '.join(entries)}}}")
    return lines
