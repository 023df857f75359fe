"""nbgrader's cell-metadata validation without re-checking its schema for every cell.

nbgrader checks the ``nbgrader`` metadata of every cell with ``jsonschema.validate(meta,
schema)`` (``CheckCellMetadata``, twice per notebook), and ``jsonschema.validate`` first
checks the *schema* against the JSON Schema meta-schema: about nine tenths of the cost,
some 0.07 s of CPU per rnn submission.  :func:`install` gives nbgrader's module a
``validate`` that does the same (same validator class, same schema check, same
``best_match`` error) with the schema checked once and the validator kept.
"""

from __future__ import annotations

import json
import types

import jsonschema
from jsonschema import exceptions, validators

#: JSON text of a schema -> its validator (schemas checked once).
_VALIDATORS: dict[str, jsonschema.protocols.Validator] = {}


def validate(instance, schema) -> None:
    """``jsonschema.validate(instance, schema)``, checking each distinct schema only once."""
    key = json.dumps(schema, sort_keys=True)
    validator = _VALIDATORS.get(key)
    if validator is None:
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _VALIDATORS[key] = cls(schema)
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def install() -> None:
    """Point nbgrader's metadata validator (``nbgrader.nbgraderformat.common``) at :func:`validate`."""
    from nbgrader.nbgraderformat import common

    if getattr(common.jsonschema, "validate", None) is not validate:
        # A stand-in for the module name it uses: only that one call (``jsonschema.validate``)
        # changes; the real jsonschema module, used by everyone else, is untouched.
        common.jsonschema = types.SimpleNamespace(validate=validate)
