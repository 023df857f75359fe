"""schema_cache.validate behaves as jsonschema.validate on nbgrader's cell-metadata schema."""

import json
from pathlib import Path

import jsonschema
import pytest
from nbgrader.nbgraderformat import common

from autograder import schema_cache

SCHEMA = json.loads((Path(common.root) / "v3.json").read_text())
GOOD = {"schema_version": 3, "grade": True, "grade_id": "test_a", "locked": True, "points": 2, "solution": False}
BAD = [
    {**GOOD, "points": "two"},  # wrong type
    {k: v for k, v in GOOD.items() if k != "locked"},  # missing required key
    {**GOOD, "points": -1},  # out of range
]


def test_valid_metadata_passes():
    assert schema_cache.validate(GOOD, SCHEMA) is None
    jsonschema.validate(GOOD, SCHEMA)


@pytest.mark.parametrize("meta", BAD)
def test_same_error_as_jsonschema(meta):
    with pytest.raises(jsonschema.ValidationError) as ours:
        schema_cache.validate(meta, SCHEMA)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(meta, SCHEMA)
    assert ours.value.message == theirs.value.message


def test_invalid_schema_is_still_refused():
    with pytest.raises(jsonschema.SchemaError):
        schema_cache.validate({}, {"type": "no-such-type"})


def test_install_changes_only_nbgrader_metadata_validation(monkeypatch):
    monkeypatch.setattr(common, "jsonschema", common.jsonschema)  # undone after the test
    schema_cache.install()
    assert common.jsonschema.validate is schema_cache.validate
    assert jsonschema.validate is not schema_cache.validate
    validator = common.BaseMetadataValidator.__new__(common.BaseMetadataValidator)
    validator.schema, validator.schema_version = SCHEMA, 3
    cell = type("Cell", (), {"metadata": {"nbgrader": BAD[0]}})()
    with pytest.raises(jsonschema.ValidationError):
        validator.validate_cell(cell)
