"""The Instances dock's keys as the shortcut help and the key checks list them."""

from __future__ import annotations

from fashion_annotator.instances.schema import AttributeSchema


def instance_keys(schema: AttributeSchema) -> list[tuple[str, str]]:
    """The Instances dock's keys as the shortcut help lists them: ``(key, what it does)``, one
    row per attribute group of ``schema`` (Alt+1 to Alt+7 for the shipped one)."""
    groups = [(f"Alt+{g.key}", f"Instances: the selected instance's {g.name}") for g in schema.groups]
    return [("Alt+I", "Instances: focus the list"), ("Alt+C", "Instances: the selected instance's category"),
            *groups, ("Delete", "Instances: delete the selected (in the list)")]  # fmt: skip
