#!/usr/bin/env python3
"""Generates the JSON Schema of one OCSF event class from the OCSF schema's source files.

The OCSF project publishes its schema as definition files (github.com/ocsf/ocsf-schema:
dictionary.json, categories.json, events/, objects/, profiles/); the OCSF server compiles
them and exports JSON Schemas (schema.ocsf.io/export/...), but no JSON Schema is kept in a
repository. This script compiles one class the way the server does and writes its JSON
Schema, following ocsf-server's lib/schema/json_schema.ex: draft-07, one property per
attribute, `required` for the required attributes, `const`/`enum` for enumerated integers
and strings, `additionalProperties: false`, every object reachable from the class in
`$defs` (an object without attributes, such as `unmapped`'s `object`, accepts anything),
and `oneOf`/`anyOf` for the `just_one`/`at_least_one` constraints. The profiles
named on the command line are applied, as the server's `profiles=` parameter does (an
attribute a profile adds is left out unless its profile is named; the datetime profile adds
a `<name>_dt` beside every timestamp). Extensions are not applied.

Usage (standard library only):

    git -C ocsf-schema archive 1.8.0 | tar -x -C /tmp/ocsf-1.8.0
    scripts/ocsf-json-schema.py /tmp/ocsf-1.8.0 compliance_finding cloud \
        > tests/schemas/ocsf/compliance_finding-1.8.0.schema.json
"""

import copy
import json
import sys
from pathlib import Path

SCHEMA_BASE_URI = "https://schema.ocsf.io/schema/classes"


def deep_merge(base, over):
    """`over` on top of `base`: maps merged key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


class Compiler:
    def __init__(self, root: Path, profiles):
        self.root = root
        self.profiles = profiles
        self.dictionary = self.load("dictionary.json")
        self.types = self.dictionary["types"]["attributes"]
        self.categories = self.load("categories.json")["attributes"]
        self.objects = {}
        for path in sorted((root / "objects").glob("*.json")):
            item = self.load(path.relative_to(root))
            self.objects[item["name"]] = item
        self.events = {}
        for path in sorted((root / "events").rglob("*.json")):
            item = self.load(path.relative_to(root))
            self.events[item["name"]] = item

    def load(self, relative):
        with open(self.root / relative, encoding="utf-8") as f:
            return json.load(f)

    def attributes_of(self, item):
        """An item's own attributes with its `$include`s applied (included first)."""
        attributes = {}
        own = dict(item.get("attributes", {}))
        for include in own.pop("$include", []):
            included = self.load(include)
            profile = included.get("name") if included.get("meta") == "profile" else None
            for name, local in included.get("attributes", {}).items():
                local = dict(local)
                if profile:
                    # An attribute a profile adds belongs to it, unless the item says not.
                    local.setdefault("profile", profile)
                attributes = deep_merge(attributes, {name: local})
        return deep_merge(attributes, own)

    def resolve(self, item, table):
        """An item with the attributes of every item it extends."""
        parent_name = item.get("extends")
        attributes = self.attributes_of(item)
        resolved = {}
        if parent_name and parent_name in table and parent_name != item["name"]:
            parent = self.resolve(table[parent_name], table)
            attributes = deep_merge(parent["attributes"], attributes)
            # Keys the item does not set (category, constraints) come from its parent.
            resolved = {k: v for k, v in parent.items() if k not in ("uid", "extends")}
        resolved.update(item)
        resolved["attributes"] = attributes
        return resolved

    def base_type(self, type_name):
        """The primitive type a data type is defined on (`file_hash_t` -> `string_t`)."""
        seen = set()
        while type_name in self.types and "type" in self.types[type_name]:
            if type_name in seen:
                break
            seen.add(type_name)
            type_name = self.types[type_name]["type"]
        return type_name

    def attribute(self, name, local):
        """A dictionary attribute with an item's local definition on top."""
        merged = deep_merge(self.dictionary["attributes"].get(name, {}), local)
        type_name = merged.get("type", "string_t")
        if type_name not in self.types:
            merged["object_type"] = type_name
            merged["type"] = "object_t"
        return merged

    def with_datetime(self, attributes):
        """The datetime profile: a `<name>_dt` (datetime_t) beside each timestamp."""
        out = dict(attributes)
        for name, attribute in attributes.items():
            if attribute.get("type") == "timestamp_t":
                out.setdefault(
                    name + "_dt",
                    {"caption": attribute.get("caption", name), "type": "datetime_t",
                     "requirement": "optional", "profile": "datetime"},
                )
        return out

    def compile_item(self, item):
        attributes = {
            name: self.attribute(name, local)
            for name, local in item["attributes"].items()
            if not name.startswith("$") and local.get("profile") in (None, *self.profiles)
        }
        return self.with_datetime(attributes) if "datetime" in self.profiles else attributes

    def compile_class(self, name):
        event = self.resolve(self.events[name], self.events)
        attributes = self.compile_item(event)
        category = self.categories[event["category"]]
        class_uid = category["uid"] * 1000 + event["uid"]
        attributes["class_uid"]["enum"] = {str(class_uid): {"caption": event["caption"]}}
        attributes["category_uid"]["enum"] = {
            str(category["uid"]): {"caption": category["caption"]}
        }
        activities = attributes["activity_id"].get("enum", {})
        attributes["type_uid"]["enum"] = {
            str(class_uid * 100 + int(k)): {"caption": v.get("caption")}
            for k, v in activities.items()
        }
        event["attributes"] = attributes
        return event

    def encode_attribute(self, attribute):
        schema = {"title": attribute.get("caption")}
        type_name = attribute["type"]
        base = self.base_type(type_name)
        if type_name == "object_t":
            schema["$ref"] = "#/$defs/" + attribute["object_type"].replace("/", "_")
        elif type_name == "json_t":
            pass
        elif base in ("integer_t", "string_t") and type_name in ("integer_t", "string_t"):
            kind = "integer" if base == "integer_t" else "string"
            enum = attribute.get("enum")
            if enum is not None:
                values = sorted(int(k) if kind == "integer" else k for k in enum)
                if len(values) == 1:
                    schema["const"] = values[0]
                else:
                    schema["enum"] = values
            schema["type"] = kind
        else:
            schema["type"] = {
                "string_t": "string", "integer_t": "integer", "long_t": "integer",
                "float_t": "number", "boolean_t": "boolean",
            }.get(base, base)
        if attribute.get("is_array"):
            items = {}
            if "$ref" in schema:
                items["$ref"] = schema.pop("$ref")
            elif "type" in schema:
                items["type"] = schema["type"]
                if "enum" in schema:
                    items["enum"] = schema.pop("enum")
            schema["type"] = "array"
            schema["items"] = items
        return schema

    def encode_item(self, item, attributes, is_class):
        properties = {}
        required, just_one, at_least_one = [], [], []
        constraints = item.get("constraints", {})
        for name in sorted(attributes):
            attribute = attributes[name]
            if name in constraints.get("just_one", []):
                just_one.append(name)
            elif name in constraints.get("at_least_one", []):
                at_least_one.append(name)
            elif attribute.get("requirement") == "required":
                required.append(name)
            properties[name] = self.encode_attribute(attribute)
        schema = {}
        if is_class:
            schema["$schema"] = "http://json-schema.org/draft-07/schema#"
            schema["$id"] = SCHEMA_BASE_URI + "/" + item["name"]
        schema["title"] = item.get("caption")
        schema["type"] = "object"
        schema["properties"] = properties
        schema["additionalProperties"] = not properties
        if required:
            schema["required"] = sorted(required)
        if just_one:
            schema["oneOf"] = [
                {"required": [n], "not": {"required": [o for o in just_one if o != n]}}
                for n in just_one
            ]
        if at_least_one:
            schema["anyOf"] = [{"required": [n]} for n in at_least_one]
        return schema

    def class_schema(self, name):
        event = self.compile_class(name)
        defs, pending = {}, []

        def reach(attributes):
            for attribute in attributes.values():
                if attribute["type"] == "object_t" and attribute["object_type"] not in defs:
                    defs[attribute["object_type"]] = None
                    pending.append(attribute["object_type"])

        reach(event["attributes"])
        while pending:
            object_name = pending.pop()
            item = self.resolve(self.objects[object_name], self.objects)
            attributes = self.compile_item(item)
            defs[object_name] = self.encode_item(item, attributes, False)
            reach(attributes)
        schema = self.encode_item(event, event["attributes"], True)
        schema["$defs"] = {k.replace("/", "_"): defs[k] for k in sorted(defs)}
        return schema


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: ocsf-json-schema.py OCSF_SCHEMA_DIR CLASS_NAME PROFILE,...")
    compiler = Compiler(Path(sys.argv[1]), [p for p in sys.argv[3].split(",") if p])
    schema = compiler.class_schema(sys.argv[2])
    json.dump(schema, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
