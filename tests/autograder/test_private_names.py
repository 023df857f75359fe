"""Private names of jupyter_client, nbclient, nbconvert and nbgrader the autograder relies on.

``autograder/kernel.py`` overrides private jupyter_client methods, ``autograder/execute.py``
calls nbclient/nbconvert internals, ``autograder/feedback.py`` copies the set-up of nbconvert's
``HTMLExporter.from_notebook_node``, and ``autograder/schema_cache.py`` replaces an nbgrader
module attribute.  An upgrade that renames or re-signs one of them would silently lose a
speed-up (an override never called) or break grading at run time: this fails first, naming it.
"""

import inspect

import pytest
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from nbclient import NotebookClient
from nbconvert.exporters import Exporter, HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.preprocessors import Execute

from autograder import feedback, kernel

# (owner, name, parameter names after self) -- what our code calls or overrides.
SIGNATURES = [
    (AsyncKernelClient, "_async_wait_for_ready", ["timeout"]),
    (AsyncKernelClient, "_async_is_alive", []),
    (AsyncKernelClient, "_handle_kernel_info_reply", ["msg"]),
    (KernelManager, "_async_launch_kernel", ["kernel_cmd", "kw"]),
    (KernelManager, "_async_start_kernel", ["kw"]),
    (KernelManager, "_async_kill_kernel", ["restart"]),
    (KernelManager, "_async_cleanup_resources", ["restart"]),
    (KernelManager, "_async_wait", ["pollinterval"]),
    (KernelManager, "_async_shutdown_kernel", ["now", "restart"]),
    (NotebookClient, "__init__", ["nb", "km", "kw"]),
    (NotebookClient, "reset_execution_trackers", []),
    (NotebookClient, "setup_kernel", ["kwargs"]),
    (NotebookClient, "set_widgets_metadata", []),
    (Execute, "_check_assign_resources", ["resources"]),
    (Execute, "preprocess_cell", ["cell", "resources", "index"]),
    (HTMLExporter, "from_notebook_node", ["nb", "resources", "kw"]),
    (HTMLExporter, "_init_resources", ["resources"]),
    (HTMLExporter, "markdown2html", ["context", "source"]),
    (TemplateExporter, "from_notebook_node", ["nb", "resources", "kw"]),
    (WidgetsDataTypeFilter, "__init__", ["notebook_metadata", "resources", "kwargs"]),
    (Highlight2HTML, "__init__", ["pygments_lexer", "kwargs"]),
]


@pytest.mark.parametrize(("owner", "name", "params"), SIGNATURES,
                         ids=[f"{o.__name__}.{n}" for o, n, _ in SIGNATURES])
def test_private_name_has_expected_signature(owner, name, params):
    assert hasattr(owner, name), f"{owner.__module__}.{owner.__name__}.{name} is gone"
    got = list(inspect.signature(getattr(owner, name)).parameters)
    assert got[0] == "self" and got[1:] == params, f"{owner.__name__}.{name}{got}"


def test_async_manager_aliases_our_overrides_rely_on():
    # kernel.SandboxedKernelManager re-binds these two because AsyncKernelManager binds
    # KernelManager's functions directly (an override of the _async_ name alone is never called).
    assert AsyncKernelManager.start_kernel is KernelManager._async_start_kernel
    assert AsyncKernelManager.cleanup_resources is KernelManager._async_cleanup_resources
    assert kernel.SandboxedKernelManager.cleanup_resources is kernel.SandboxedKernelManager._async_cleanup_resources
    assert kernel.SandboxedKernelClient.wait_for_ready is kernel.SandboxedKernelClient._async_wait_for_ready


def test_exporter_keeps_notebook_metadata_where_we_read_it():
    # feedback's exporter passes self._nb_metadata to WidgetsDataTypeFilter, as HTMLExporter does.
    assert "_nb_metadata" in inspect.getsource(Exporter.__init__)
    assert "_nb_metadata" in inspect.getsource(HTMLExporter.from_notebook_node)
    exporter = feedback.feedback_exporter()
    assert isinstance(exporter._nb_metadata, dict)


def test_nbgrader_validates_metadata_through_a_module_attribute():
    # schema_cache.install() swaps nbgrader.nbgraderformat.common.jsonschema for its validate().
    from nbgrader.nbgraderformat import common

    assert hasattr(common, "jsonschema") and callable(common.jsonschema.validate)
    assert "jsonschema.validate(" in inspect.getsource(common)
